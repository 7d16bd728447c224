"""Reads `decisions.csv`: the owner's answers on uncertain matches (same or different person)."""
from __future__ import annotations

from typing import BinaryIO

from connectors.records import FileResult
from connectors.textfile import NotText, csv_rows, header_index

REQUIRED_COLUMNS = ("left_key", "right_key", "decision")
DECISIONS = ("same", "different")


def parse_decisions(stream: BinaryIO, source_file: str) -> FileResult:
    result = FileResult(source_file, kind="decisions")
    try:
        rows = [(line, cells) for line, cells in csv_rows(stream) if any(c.strip() for c in cells)]
    except NotText as error:
        result.items = 1
        result.reject("whole file", str(error))
        return result
    if not rows:
        return result
    columns = header_index(rows[0][1])
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    for position, (line, cells) in enumerate(rows[1:], start=1):
        result.items += 1
        location = f"row {position} (line {line})"
        if missing:
            result.reject(location, f"missing required column(s): {', '.join(missing)}")
            continue
        cell = {name: cells[index].strip() if index < len(cells) else "" for name, index in columns.items()}
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
