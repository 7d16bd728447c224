"""parse_vcards: every card of a vCard file as a row or a quarantine entry, each card read by
the fused fast path, the per-card fast path or vobject, whichever first can."""
from __future__ import annotations

import gc
from typing import BinaryIO

from connectors.charsets import FileCharsets
from connectors.records import FileResult
from connectors.vcard.blocks import CardBlock, CardRun, card_runs
from connectors.vcard.fast import fast_properties
from connectors.vcard.fused import fast_rows
from connectors.vcard.rows import card_row
from connectors.vcard.vobject_path import CardError, vobject_properties

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 6

TABLE = "vcard_cards"
KIND = "vcard"


def read_card(block: CardBlock, source_file: str, position: int, use_fast_path: bool = True,
              notices: list[str] | None = None, charsets: FileCharsets | None = None) -> dict:
    """One card's row; raises CardError when neither path can read it. What was dropped or
    repaired inside the card is added to `notices`; `charsets` is what earlier cards of the
    same file said or showed about its 8-bit charset."""
    if notices is None:
        notices = []
    if use_fast_path:
        found: list[str] = []
        try:
            properties = fast_properties(block.data, block.markers_absent)
            row = card_row(source_file, position, block.line, properties, "fast", found)
        except Exception:  # Declined, or a bug of ours: vobject then reads the card
            pass
        else:
            notices.extend(found)
            return row
    properties = vobject_properties(block, notices, charsets if charsets is not None else FileCharsets())
    return card_row(source_file, position, block.line, properties, "vobject", notices)


class _FileReader:
    """parse_vcards' state for one file: the result, the file's charset evidence, the path taken."""

    def __init__(self, source_file: str, use_fast_path: bool):
        self.result = FileResult(source_file, kind=KIND)
        self.rows = self.result.rows.setdefault(TABLE, [])
        self.source_file = source_file
        self.use_fast_path = use_fast_path
        self.charsets = FileCharsets()

    def run(self, run: CardRun) -> bool:
        """The rows of a run of cards by the fused path; False when it declines the run."""
        if not self.use_fast_path:
            return False
        result = self.result
        first_position = result.items + 1
        notices: list[tuple[int, str]] = []
        fused = fast_rows(run, self.source_file, first_position, notices)
        if fused is None:
            return False
        self.rows.extend(fused)
        result.items += len(fused)
        for position, notice in notices:
            result.note(f"card {position} (line {run.lines[position - first_position]})", notice)
        return True

    def block(self, block: CardBlock) -> None:
        """One card as a row or a quarantine entry."""
        result = self.result
        result.items += 1
        location = f"card {result.items} (line {block.line})"
        if block.problem:
            result.reject(location, block.problem)
            return
        notices: list[str] = []
        try:
            self.rows.append(read_card(block, self.source_file, result.items, self.use_fast_path, notices, self.charsets))
        except CardError as error:
            result.reject(location, str(error))
            return
        except Exception:  # a bug of ours must not cost the other cards of the file
            result.reject(location, "the card could not be read (an error in strongties' vCard reader; "
                                    "please report it with the card)")
            return
        for notice in notices:
            result.note(location, notice)


def parse_vcards(stream: BinaryIO, source_file: str, *, use_fast_path: bool = True) -> FileResult:
    """Every card of a vCard file as a `vcard_cards` row or a quarantine entry; never raises.

    `use_fast_path=False` sends every card to vobject (for the benchmark and the tests).
    """
    reader = _FileReader(source_file, use_fast_path)
    result = reader.result
    # The rows are kept until the file is done, so the cyclic collector would only rescan a
    # growing heap of live dicts (a third of the time on large files); rows hold no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for item in card_runs(stream):
            if not isinstance(item, CardRun):
                reader.block(item)
                continue
            if reader.run(item):
                continue
            # A run taken whole that the fused path declines: its cards found one by one, and
            # the runs among them tried again.
            for part in item.parts() if item.cards is None else (item,):
                if part is not item and isinstance(part, CardRun) and reader.run(part):
                    continue
                for block in part.blocks() if isinstance(part, CardRun) else (part,):
                    reader.block(block)
    except Exception:
        # Splitting the file into cards failed (a read error, or a bug of ours): what was read
        # stays, and the rest of the file counts as one unreadable item.
        result.items += 1
        result.reject(f"after card {result.items - 1}", "the rest of the file could not be read (a read error, "
                                                        "or an error in strongties' vCard reader)")
    finally:
        if collecting:
            gc.enable()
    if not reader.rows:
        del result.rows[TABLE]
    if result.items == 0:
        # A file with no card at all still counts as one unreadable item, so that the
        # warehouse shows it and items = rows + quarantined holds for it too.
        result.items = 1
        result.reject("whole file", "not a vCard: no BEGIN:VCARD line")
    return result
