"""What every connector returns: rows with provenance, and quarantine rows for what it could not use."""
from __future__ import annotations

from dataclasses import dataclass, field


# The location every reader gives a problem that cost the whole file (users query it by this text).
WHOLE_FILE = "whole file"


@dataclass(frozen=True)
class Quarantine:
    """Input that could not be used, named precisely enough for the owner to find and fix it."""

    source_file: str  # relative to the inbox; `archive.zip!member` for archive members
    location: str  # "line 12", "card 3 (line 40)", "row 7", "VEVENT 2 (line 18)"
    reason: str
    # What was lost: the whole "file", one "item" (card, row, event), or only one "property" of
    # an item that was still read (a repaired byte, a duplicate DTSTART ignored, a TEL that is
    # not a number). Only file and item rows count as quarantined items.
    scope: str = "item"


@dataclass
class FileResult:
    """Everything one input file yielded.

    `items` counts what was read (cards, data rows or events); every item ends up either in
    `rows` (one or more rows of some raw table) or as exactly one item-scope entry of
    `quarantine`, so that `items - quarantined` items reached the warehouse. Property-scope
    entries (`note`) say what was lost or repaired inside an item that was kept.
    """

    source_file: str
    kind: str
    items: int = 0
    rows: dict[str, list[dict]] = field(default_factory=dict)
    quarantine: list[Quarantine] = field(default_factory=list)

    def add(self, table: str, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)

    def reject(self, location: str, reason: str) -> None:
        """The item at `location` could not be used at all; at WHOLE_FILE, nothing of the file was."""
        scope = "file" if location == WHOLE_FILE else "item"
        self.quarantine.append(Quarantine(self.source_file, location, reason, scope=scope))

    def note(self, location: str, reason: str) -> None:
        """The item at `location` was kept, but part of it was dropped or repaired."""
        self.quarantine.append(Quarantine(self.source_file, location, reason, scope="property"))

    @property
    def quarantined(self) -> int:
        """Items (not properties) that ended in quarantine."""
        return sum(1 for entry in self.quarantine if entry.scope != "property")
