"""Content lines of an .ics file: bytes read as a stream, unfolded, then decoded (RFC 5545 §3.1).

Unfolding happens on bytes, before decoding, because writers fold at 75 octets and so may
cut a multi-byte UTF-8 character in two; decoding each physical line first would call both
halves broken.

Nothing here holds more than `MAX_LINE_BYTES` of one line: a longer line is read to its end
and thrown away, and comes out as an `Oversized` marker carrying its number, its property
name and its length, so that the reader can say which line it lost.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from connectors.textfile import UTF16_BOMS

# Longest content line (unfolded) kept. The longest lines of real exports are inline
# attachments (Outlook's ATTACH;VALUE=BINARY, base64) and HTML descriptions, a few MB at
# most; the properties the connector reads (a DTSTART, an ATTENDEE, an RRULE) are under a
# kilobyte. 8 MiB keeps every real line, and caps what a hostile one-line file can cost.
MAX_LINE_BYTES = 8 * 1024 * 1024

# Bytes read from the stream at a time.
CHUNK_BYTES = 1024 * 1024

_UTF8_BOM = codecs.BOM_UTF8
_NAME = re.compile(rb"^([A-Za-z0-9-]{1,64})(?=[;:])")
HEAD_BYTES = 80  # enough of an oversized line to name its property


@dataclass(frozen=True)
class Oversized:
    """A content line longer than MAX_LINE_BYTES, dropped unread."""

    name: str  # its property name, upper case ("" when it has none)
    size: int  # bytes, folds included

    def reason(self, number: int) -> str:
        what = f"a {self.name} line" if self.name else "line"
        return (
            f"{what} (line {number}) is {self.size:,} bytes long, over the {MAX_LINE_BYTES:,}-byte "
            "limit for one line; it was not read"
        )


def _byte_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The file's bytes in chunks, UTF-16 (Windows tools write it, BOM first) turned into UTF-8."""
    head = stream.read(4)
    if head[:2] in UTF16_BOMS:
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        chunk = head
        while chunk:
            yield decoder.decode(chunk).encode("utf-8")
            chunk = stream.read(CHUNK_BYTES)
        yield decoder.decode(b"", final=True).encode("utf-8")
        return
    if head:
        yield head
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            return
        yield chunk


def physical_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None, int, bytes]]:
    """(line number, bytes, size, head) per physical line, terminator removed.

    A line feed ends a line and starts the next number; a lone CR also ends a line (old Mac
    files, CR CR LF endings) and the pieces keep the line number. A line over MAX_LINE_BYTES
    comes out as None with its size and its first bytes (`head`, for its property name); the
    rest of it is never held.
    """
    number = 1
    pending = b""  # the start of a line whose end has not been read yet
    overflow = 0  # bytes of the current line already thrown away (0: not oversized)
    head = b""  # the first bytes of an oversized line
    first = True
    for chunk in _byte_chunks(stream):
        if first:
            first = False
            if chunk.startswith(_UTF8_BOM):
                chunk = chunk[len(_UTF8_BOM):]
        pieces = chunk.split(b"\n")
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            if overflow:
                overflow += len(piece)
                if last:
                    break
                yield number, None, overflow, head
                overflow = 0
                number += 1
                continue
            if last:
                pending += piece
                if len(pending) > MAX_LINE_BYTES and b"\r" not in pending:
                    overflow, head, pending = len(pending), pending[:HEAD_BYTES], b""
                elif len(pending) > MAX_LINE_BYTES:
                    # Old Mac line endings: complete pieces may be given out now.
                    *done, pending = pending.split(b"\r")
                    for part in done:
                        yield from _sized(number, part)
                    if len(pending) > MAX_LINE_BYTES:
                        overflow, head, pending = len(pending), pending[:HEAD_BYTES], b""
                break
            line = (pending + piece if pending else piece).rstrip(b"\r")
            pending = b""
            if b"\r" in line or len(line) > MAX_LINE_BYTES:
                yield from _pieces(number, line)
            else:  # the common line, given out here: two generators a line cost 3% of a read
                yield number, line, len(line), b""
            number += 1
    if overflow:
        yield number, None, overflow, head
    elif pending:
        yield from _pieces(number, pending)


def _pieces(number: int, line: bytes) -> Iterator[tuple[int, bytes | None, int, bytes]]:
    line = line.rstrip(b"\r")
    if b"\r" not in line:
        yield from _sized(number, line)
        return
    for part in line.split(b"\r"):
        yield from _sized(number, part)


def _sized(number: int, part: bytes) -> Iterator[tuple[int, bytes | None, int, bytes]]:
    if len(part) > MAX_LINE_BYTES:
        yield number, None, len(part), part[:HEAD_BYTES]
    else:
        yield number, part, len(part), b""


def logical_lines(stream: BinaryIO, counts: dict) -> Iterator[tuple[int, str | Oversized | None]]:
    """Unfolded content lines with the number of the physical line they start on.

    A line starting with a space or tab continues the previous one (the line break and that
    one whitespace character are removed). Blank lines are dropped. A line that holds control
    bytes (binary data) comes out as None; one that is not UTF-8 but text as `LegacyText`; one longer than MAX_LINE_BYTES as `Oversized`.
    `counts` gathers how many lines were text and how many were not.
    """
    parts: list[bytes] = []  # pieces of the line being unfolded; joined once, however long
    size = 0
    oversized = False
    name = b""
    first_line = 0
    started = False
    # The property name is looked for only when a line turns out oversized: on every line it
    # cost a regex match, a few percent of reading a calendar.
    for number, raw, raw_size, head in physical_lines(stream):
        if raw is not None and started and raw.startswith(_FOLD):
            size += raw_size
            if not oversized:
                if size > MAX_LINE_BYTES:
                    oversized, name, parts = True, _name_of(parts[0] if parts else b""), []
                else:
                    parts.append(raw[1:])
            continue
        if raw is not None and (not raw or raw.isspace()):
            continue
        if started:
            yield first_line, _finish(parts, oversized, name, size, counts)
        started, first_line, size = True, number, raw_size
        if raw is None:
            oversized, parts, name = True, [], _name_of(head)
        else:
            oversized, parts = False, [raw]
    if started:
        yield first_line, _finish(parts, oversized, name, size, counts)


_FOLD = (b" ", b"\t")


def _name_of(line: bytes) -> bytes:
    match = _NAME.match(line)
    return match.group(1) if match else b""


def _finish(parts: list[bytes], oversized: bool, name: bytes, size: int, counts: dict):
    if oversized:
        counts["text"] += 1
        return Oversized(name.decode("ascii").upper(), size)
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if b"\x00" in data:
        counts["binary"] += 1
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if _CONTROL_BYTE.search(data):
            counts["binary"] += 1
            return None
        counts["text"] += 1
        return _legacy_text(data, counts)
    counts["text"] += 1
    return text


class LegacyText(str):
    """A content line that was not UTF-8, read in the legacy charset its file's 8-bit text fits
    best (`charset`): Thunderbird and Outlook on Windows wrote calendars in the system code page."""

    charset: str


# Bytes no text line holds (C0 controls but tab, and DEL): a line with one is binary data, not
# text in some other charset.
_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _legacy_text(data: bytes, counts: dict) -> LegacyText:
    """`data` decoded in the charset the file's non-UTF-8 lines so far fit best (detected on all of
    them, as the vCard reader does for cards, and settled once the sample is large enough)."""
    from connectors.charsets import FileCharsets  # loaded only for files that need it

    charsets = counts.get("charsets")
    if charsets is None:
        charsets = counts["charsets"] = FileCharsets()
    charset = charsets.for_sample(data)
    line = LegacyText(data.decode(charset, errors="replace"))
    line.charset = charset
    return line
