"""Splits a mailbox into messages and keeps only each message's header block, streaming.

An mbox file is read in chunks; messages are found by the `From ` lines that start them, the
way Python's `mailbox.mbox` finds them (every line beginning with `From ` starts a message:
mboxo and mboxrd writers quote such lines inside bodies as `>From `). Of each message only the
header block is kept, up to the first blank line; the body is skipped with byte searches and
never parsed or held: memory stays at one chunk plus one header block whatever the file size.
A `.eml` or Maildir file is one message: only its head is read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO, Iterator

# Bytes read at a time: large enough that searching for separators costs little per byte
# (1 MB and 8 MB read a 2 GB mailbox in the same CPU time), small enough to be nothing beside
# the memory budget (the window briefly holds two chunks while it moves on).
CHUNK_BYTES = 1024 * 1024
# A header block longer than this is not read: real headers weigh a few kilobytes (a long
# Received chain, a References list of a 500-message thread stays under 100 KB); one over a
# megabyte is damage or an attack, and the message is quarantined instead.
MAX_HEADER_BYTES = 1024 * 1024
# The From_ line that starts an mbox message is short ("From sender date"); beyond this it is
# not one, and its message is read without it.
MAX_FROM_LINE_BYTES = 4096

# A .eml or Maildir file is read this much at a time until its headers end.
SINGLE_READ_BYTES = 64 * 1024

_SEPARATOR = b"\nFrom "
# End of the header block: a blank line (LF, CRLF, or a lone CR as the stdlib reads it), or the
# next message's From_ line when a message has no body at all.
_HEADER_END = re.compile(rb"\n(?:\r?\n|\r(?!\n)|From )|\r\r")
# In a file of one message only a blank line ends the headers (a From_ line there is skipped
# by the stdlib's parser as a misplaced envelope header, and so it is here).
_BLANK_LINE = re.compile(rb"\n(?:\r?\n|\r(?!\n))|\r\r")


@dataclass(frozen=True)
class RawMessage:
    """One message's header block as it stands in the file."""

    offset: int  # byte offset of the message in the file (its From_ line, for an mbox)
    from_line: bytes  # the mbox From_ line without "From " and line end; b"" elsewhere
    header: bytes  # the header block, without the blank line that ends it
    problem: str = ""  # set when the header block could not be read whole (the message is unusable)


class _Reader:
    """A window on the stream: `data` holds the file's bytes from offset `start` on."""

    def __init__(self, stream: BinaryIO, chunk_bytes: int):
        self.stream = stream
        self.chunk_bytes = chunk_bytes
        self.data = b""
        self.start = 0
        self.eof = False

    def fill(self, keep: int) -> int | None:
        """Reads one more chunk, forgetting the bytes before index `keep` (so that the window
        never holds more than a chunk and what is still needed); returns by how much indices
        moved, or None at the end of the file (nothing forgotten then)."""
        if self.eof:
            return None
        chunk = self.stream.read(self.chunk_bytes)
        if not chunk:
            self.eof = True
            return None
        self.data = self.data[keep:] + chunk
        self.start += keep
        return keep


def _next_separator(reader: _Reader, position: int) -> int | None:
    """Index of the next `From ` line start at or after `position` (the `F`), reading on and
    forgetting skipped bytes as needed; None at the end of the file."""
    while True:
        found = reader.data.find(_SEPARATOR, max(position - 1, 0))
        if found >= 0:
            return found + 1
        # Keep the last few bytes: a separator may straddle two chunks.
        keep = max(len(reader.data) - len(_SEPARATOR), 0)
        shift = reader.fill(keep)
        if shift is None:
            return None
        position = max(position - shift, 0)


def iter_mbox(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> Iterator[RawMessage | int]:
    """Header blocks of the messages of an mbox file, in order.

    Bytes before the first `From ` line belong to no message: when there are some that are not
    blank, their count is yielded first as an int (a file that is not an mbox at all yields
    only that)."""
    reader = _Reader(stream, chunk_bytes)
    reader.fill(0)
    position: int | None = 0
    if not reader.data.startswith(b"From "):
        first_chunk = reader.data
        position = _next_separator(reader, 0)
        leading = reader.start + (position if position is not None else len(reader.data))
        # Text before the first message: a stray blank line is nothing, anything else is said.
        if leading and (first_chunk[:leading].strip() or leading > len(first_chunk)):
            yield leading
    while position is not None:
        position = yield from _one_mbox_message(reader, position)


def _one_mbox_message(reader: _Reader, position: int):
    """Yields the message whose From_ line starts at index `position`; returns where the next starts."""
    offset = reader.start + position
    line_end = reader.data.find(b"\n", position)
    while line_end < 0 and len(reader.data) - position <= MAX_FROM_LINE_BYTES:
        shift = reader.fill(position)
        if shift is None:
            break
        position -= shift
        line_end = reader.data.find(b"\n", position)
    if line_end < 0 or line_end - position > MAX_FROM_LINE_BYTES:
        if line_end < 0 and reader.eof:
            yield RawMessage(offset, reader.data[position + 5:].rstrip(b"\r"), b"",
                             "the file ends inside this message's From_ line (truncated)")
            return None
        yield RawMessage(offset, b"", b"", f"its first line is longer than {MAX_FROM_LINE_BYTES} bytes "
                                           "(damaged or not mail); skipped to the next message")
        return _next_separator(reader, position + 5)
    from_line = reader.data[position + 5:line_end].rstrip(b"\r")
    header_start = line_end + 1
    # The header block ends at a blank line or at the next message; the From_ line's own \n
    # lets an empty header block be found.
    search_from = line_end
    while True:
        match = _HEADER_END.search(reader.data, search_from)
        if match and match.end() == len(reader.data) and not reader.eof:
            match = None  # a lone CR at the window's end may be half of a CRLF: read on
        if match and match.start() - header_start <= MAX_HEADER_BYTES:
            break
        if match or len(reader.data) - header_start > MAX_HEADER_BYTES:
            yield RawMessage(offset, from_line, b"", f"its header block is longer than {MAX_HEADER_BYTES // 1024} KB "
                                                      "(damaged or not mail); skipped to the next message")
            return _next_separator(reader, header_start)
        next_search = max(len(reader.data) - len(_SEPARATOR), header_start - 1)
        shift = reader.fill(line_end)
        if shift is None:
            # At the end of the file a blank line held back as maybe half a CRLF is one after all.
            match = _HEADER_END.search(reader.data, search_from)
            if match and match.start() - header_start <= MAX_HEADER_BYTES:
                break
            tail = reader.data[header_start:]
            if tail.endswith((b"\n", b"\r")) and tail.strip():
                # A message may have no body (RFC 5322), and the last one of a file then ends at
                # its last header line; a file cut short stops inside a line instead.
                yield RawMessage(offset, from_line, tail)
                return None
            yield RawMessage(offset, from_line, reader.data[header_start:].rstrip(b"\r\n"),
                             "the file ends inside this message's headers (truncated)")
            return None
        search_from = next_search - shift
        line_end, header_start = line_end - shift, header_start - shift
    end = match.start()
    header = reader.data[header_start:end + 1] if end >= header_start else b""
    yield RawMessage(offset, from_line, header)
    if match.group().endswith(b"From "):
        return end + 1
    return _next_separator(reader, match.end())


def read_single(stream: BinaryIO) -> RawMessage:
    """The header block of a file holding one message (.eml, a Maildir file)."""
    data = b""
    while True:
        if data.startswith((b"\n", b"\r\n")):
            return RawMessage(0, b"", b"")
        match = _BLANK_LINE.search(data)
        if match and match.start() <= MAX_HEADER_BYTES:
            return RawMessage(0, b"", data[:match.start() + 1])
        if match or len(data) > MAX_HEADER_BYTES:
            return RawMessage(0, b"", b"", f"its header block is longer than {MAX_HEADER_BYTES // 1024} KB "
                                           "(damaged or not mail)")
        chunk = stream.read(SINGLE_READ_BYTES)
        if not chunk:
            return RawMessage(0, b"", data)
        data += chunk
