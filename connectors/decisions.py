"""Reads `decisions.csv`: the owner's answers on uncertain matches (same or different person)."""
from __future__ import annotations

from typing import BinaryIO

from connectors.records import FileResult
from connectors.textfile import logged_rows

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 1

REQUIRED_COLUMNS = ("left_key", "right_key", "decision")
DECISIONS = ("same", "different")


def parse_decisions(stream: BinaryIO, source_file: str) -> FileResult:
    result = FileResult(source_file, kind="decisions")
    for position, location, cell in logged_rows(stream, result, REQUIRED_COLUMNS):
        decision = cell["decision"].lower()
        if decision not in DECISIONS:
            result.reject(location, f"decision {cell['decision']!r} is neither 'same' nor 'different'")
            continue
        keys = (cell["left_key"], cell["right_key"])
        if not all(":" in key for key in keys):
            result.reject(location, "keys must look like source:source_key, as match_review shows them")
            continue
        result.add("decisions", {"source_file": source_file, "position": position,
                                 "left_key": keys[0], "right_key": keys[1], "decision": decision})
    return result
