"""Opening the owner's hand-kept text files (CSV logs, YAML) whatever their encoding."""
from __future__ import annotations

import codecs
import csv
import io
from typing import BinaryIO, Iterator

from connectors.records import FileResult

# Excel on Windows saves CSV as cp1252 unless asked otherwise; UTF-8 (with or without BOM)
# is what everything else writes. A NUL byte only appears in binary files.
_ENCODINGS = ("utf-8-sig", "cp1252")

# The byte order marks that say a file is UTF-16 (Windows tools write it, BOM first).
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class PrefixedStream(io.RawIOBase):
    """The bytes already read to sniff a file's encoding put back in front of the rest of its
    stream, which is left open. Wrap it in io.BufferedReader for full reads and lines."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if len(self._prefix):
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        if hasattr(self._rest, "readinto"):  # straight into the buffer: no copy of a 1 MiB chunk
            return self._rest.readinto(buffer)
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class NotText(ValueError):
    """The bytes are not a text file in any encoding we accept."""


def decode_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise NotText("binary content (NUL bytes), not a text file")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotText("not valid UTF-8 or Windows-1252 text")


def csv_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every CSV record; quoted newlines keep the starting line."""
    text = decode_text(stream.read())
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1


def header_index(header: list[str]) -> dict[str, int]:
    return {name.strip().lower(): position for position, name in enumerate(header)}


def logged_rows(stream: BinaryIO, result: FileResult, required: tuple[str, ...]) -> Iterator[tuple[int, str, dict[str, str]]]:
    """(position, location, cells by lower-case column name) for each data row of a CSV the
    owner keeps by hand. Counts every row read in `result.items`; quarantines the rows of a file
    that lacks a required column (naming it), or the whole file when it is not text."""
    try:
        rows = [(line, cells) for line, cells in csv_rows(stream) if any(cell.strip() for cell in cells)]
    except NotText as error:
        result.items = 1
        result.reject("whole file", f"{error}; expected CSV with columns {','.join(required)}")
        return
    if not rows:
        return
    columns = header_index(rows[0][1])
    missing = [name for name in required if name not in columns]
    for position, (line, cells) in enumerate(rows[1:], start=1):
        result.items += 1
        location = f"row {position} (line {line})"
        if missing:
            result.reject(location, f"missing required column(s): {', '.join(missing)}")
            continue
        yield position, location, {name: cells[index].strip() if index < len(cells) else "" for name, index in columns.items()}


# Spreadsheet programs run a cell starting with one of these as a formula (OWASP "CSV
# injection"); tab and carriage return are on OWASP's list too.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_csv_cell(value: object) -> str:
    """A cell safe to open in a spreadsheet: text that would run as a formula gets a leading `'`.

    For every CSV the project writes; the connectors themselves keep such cells exactly as given.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if isinstance(value, str) and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
