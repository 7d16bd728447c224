"""Reads `decisions.csv`: the owner's answers on uncertain matches (same or different person)."""
from __future__ import annotations

from typing import BinaryIO, Callable

from connectors.records import FileResult
from connectors.textfile import RowRefused, read_logged_csv, unneutralize_csv_cell

# Bump when this connector's rows change, so that files read by an older version are read again.
# 2: keys the review wrote with a formula guard (`'=...`) are read back as they were.
# 3: what each answer was about (left_about, right_about) and its line, for the resolver's checks.
PARSER_VERSION = 3

REQUIRED_COLUMNS = ("left_key", "right_key", "decision")
# Written by the review since issue 13: what the two records were when the owner answered, so
# that an answer whose keys come to name other records is not applied. Older files lack them.
OPTIONAL_COLUMNS = ("left_about", "right_about")
DECISIONS = ("same", "different")


def _decision(cell: dict[str, str], note: Callable[[str], None]) -> dict:
    decision = cell["decision"].lower()
    if decision not in DECISIONS:
        raise RowRefused("decision is neither 'same' nor 'different'")
    # The review writes every cell through neutralize_csv_cell; a key that starts like a
    # formula comes back with its guard, which is not part of the key.
    keys = (unneutralize_csv_cell(cell["left_key"]), unneutralize_csv_cell(cell["right_key"]))
    if not all(":" in key for key in keys):
        raise RowRefused("keys must look like source:source_key, as match_review shows them")
    abouts = {name: unneutralize_csv_cell(cell.get(name, "")) or None for name in OPTIONAL_COLUMNS}
    return {"left_key": keys[0], "right_key": keys[1], "decision": decision, **abouts}


def parse_decisions(stream: BinaryIO, source_file: str) -> FileResult:
    result = FileResult(source_file, kind="decisions")
    return read_logged_csv(stream, result, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, "decisions", _decision)
