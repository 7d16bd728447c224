"""Reads Profile.csv of a LinkedIn export: the name (and profile URL, when given) of the person
who downloaded it, so that the owner is recognised in their own messages without owner.yaml.

Only the name and URL are kept; the address, birth date, summary and the rest of the file
never reach the warehouse.
"""
from __future__ import annotations

import unicodedata
from typing import BinaryIO

from connectors.normalize import normalize_linkedin_url
from connectors.records import FileResult
from connectors.sources import HEADER_SEARCH_LINES, header_key
from connectors.textfile import CsvFile

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 2

TABLE = "linkedin_profile"
# Header spellings per field; exports from 2018 on write the first one. No export we know of
# holds a profile URL column, but a few tools that re-export the file add one.
COLUMNS = {
    "first_name": ("First Name",),
    "last_name": ("Last Name",),
    "maiden_name": ("Maiden Name",),
    "profile_url": ("Profile URL", "Public Profile URL", "Public Url", "URL"),
}
REQUIRED = ("first_name", "last_name")


def _clean(value: str) -> str | None:
    cleaned = " ".join(unicodedata.normalize("NFC", value).split())
    return cleaned or None


def parse_linkedin_profile(stream: BinaryIO, source_file: str) -> FileResult:
    """Streamed through the shared bounded CSV reader: a hostile Profile.csv (binary, one
    endless line, a broken UTF-16 character) costs a quarantine row, never the run's memory."""
    result = FileResult(source_file, kind="linkedin_profile")
    wanted = {header_key(name): field for field, names in COLUMNS.items() for name in names}
    csv_file = CsvFile(stream, lambda cells: sum(header_key(cell) in wanted for cell in cells))
    if csv_file.problem:
        result.items = 1
        result.reject("whole file", f"{csv_file.problem}; expected a LinkedIn Profile.csv")
        return result
    index: dict[str, int] | None = None
    position = 0
    for record in csv_file.records():
        if record.blank:
            continue
        if index is None:
            if record.cells is not None and sum(header_key(cell) in wanted for cell in record.cells) >= len(REQUIRED):
                index = {}
                for column, cell in enumerate(record.cells):
                    index.setdefault(wanted.get(header_key(cell), ""), column)
                continue
            if record.line <= HEADER_SEARCH_LINES:
                continue  # a preamble line before the header, as some exports write
            break
        position += 1
        result.items += 1
        location = f"row {position} (line {record.line})"
        if record.cells is None:
            result.reject(location, record.problem or "not a readable row")
            continue
        csv_file.note_repairs(location, record)
        cells = record.cells
        values = {field: _clean(cells[index[field]]) if field in index and index[field] < len(cells) else None
                  for field in COLUMNS}
        if not (values["first_name"] or values["last_name"]):
            result.reject(location, "neither First Name nor Last Name is given")
            continue
        full_name = " ".join(part for part in (values["first_name"], values["last_name"]) if part)
        result.add(TABLE, {
            "source_file": source_file, "position": position, "first_name": values["first_name"],
            "last_name": values["last_name"], "maiden_name": values["maiden_name"], "full_name": full_name,
            "profile_url": normalize_linkedin_url(values["profile_url"] or ""),
        })
    if index is None:
        result.items += 1
        result.reject("whole file", "no header with First Name and Last Name among the first lines; "
                                    "expected a LinkedIn Profile.csv")
    csv_file.repair_notes(result)
    return result
