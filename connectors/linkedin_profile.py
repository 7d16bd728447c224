"""Reads Profile.csv of a LinkedIn export: the name (and profile URL, when given) of the person
who downloaded it, so that the owner is recognised in their own messages without owner.yaml.

Only the name and URL are kept; the address, birth date, summary and the rest of the file
never reach the warehouse.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from typing import BinaryIO

from connectors.normalize import normalize_linkedin_url
from connectors.records import FileResult
from connectors.sources import HEADER_SEARCH_LINES, header_key
from connectors.textfile import UTF16_BOMS, NotText, decode_text

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 1

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


def _text(data: bytes) -> str:
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16")
    return decode_text(data)


def _clean(value: str) -> str | None:
    cleaned = " ".join(unicodedata.normalize("NFC", value).split())
    return cleaned or None


def parse_linkedin_profile(stream: BinaryIO, source_file: str) -> FileResult:
    result = FileResult(source_file, kind="linkedin_profile")
    try:
        records = [(line, cells) for line, cells in _records(stream.read()) if any(cell.strip() for cell in cells)]
    except (NotText, UnicodeError, csv.Error) as error:
        result.items = 1
        result.reject("whole file", f"not a readable CSV text file ({type(error).__name__}); expected a LinkedIn Profile.csv")
        return result
    wanted = {header_key(name): field for field, names in COLUMNS.items() for name in names}
    header_at = next((number for number, (_, cells) in enumerate(records[:HEADER_SEARCH_LINES])
                      if sum(header_key(cell) in wanted for cell in cells) >= len(REQUIRED)), None)
    if header_at is None:
        result.items = 1
        result.reject("whole file", "no header with First Name and Last Name among the first lines; "
                                    "expected a LinkedIn Profile.csv")
        return result
    index: dict[str, int] = {}
    for position, cell in enumerate(records[header_at][1]):
        if header_key(cell) in wanted:
            index.setdefault(wanted[header_key(cell)], position)
    for position, (line, cells) in enumerate(records[header_at + 1:], start=1):
        result.items += 1
        values = {field: _clean(cells[index[field]]) if field in index and index[field] < len(cells) else None
                  for field in COLUMNS}
        if not (values["first_name"] or values["last_name"]):
            result.reject(f"row {position} (line {line})", "neither First Name nor Last Name is given")
            continue
        full_name = " ".join(part for part in (values["first_name"], values["last_name"]) if part)
        result.add(TABLE, {
            "source_file": source_file, "position": position, "first_name": values["first_name"],
            "last_name": values["last_name"], "maiden_name": values["maiden_name"], "full_name": full_name,
            "profile_url": normalize_linkedin_url(values["profile_url"] or ""),
        })
    return result


def _records(data: bytes):
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1
