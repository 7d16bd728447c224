"""Physical lines of a vCard file: the stream read in chunks, decoded from UTF-16 when it is,
and cut into blocks of whole lines each ended by one LF, overlong lines cut short."""
from __future__ import annotations

import codecs
import io
from typing import BinaryIO, Iterator

from connectors.textfile import UTF16_BOMS, PrefixedStream

# Reading in 1 MiB chunks keeps memory flat on a 200 MB export and still amortises the
# per-read overhead; lines are cut out of each chunk in C.
READ_CHUNK_BYTES = 1024 * 1024
# No contact field in a real export comes near 1 MiB on one line; the only lines that do are
# photos, logos and sounds written unfolded, which are skipped whatever their length.
MAX_LINE_BYTES = 1024 * 1024
# What is kept of an overlong line: enough to see its property name and parameters.
OVERLONG_KEPT_BYTES = 4096
OVERLONG_MARK = b"\x00overlong"

BOM = b"\xef\xbb\xbf"


def normalized_line_blocks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream as blocks of whole lines, each ended by a single LF.

    CR, LF, CRLF and CR CR LF each end one line (iPhone writes CR CR LF). A line longer than
    MAX_LINE_BYTES is cut to its head followed by OVERLONG_MARK, and the rest of it is read
    past without being kept.
    """
    pending = b""
    discarding = False  # inside the tail of an overlong line
    first = True
    while True:
        chunk = stream.read(READ_CHUNK_BYTES)
        if first:
            first = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM):]
        at_end = not chunk
        data = pending + chunk
        if not at_end:
            # A CR ending the chunk may be the start of CR LF or CR CR LF: decide next time.
            held = len(data) - len(data.rstrip(b"\r")) if data.endswith(b"\r") else 0
            pending_cr = data[len(data) - held:] if held else b""
            data = data[: len(data) - held]
        else:
            pending_cr = b""
            if data and not data.endswith((b"\n", b"\r")):
                data += b"\n"  # the last line has no line end
        # CR LF files (most) need one pass; any other CR left means the full rule.
        unified = data.replace(b"\r\n", b"\n")
        if b"\r" in unified:
            unified = data.replace(b"\r\r\n", b"\n").replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        data = unified
        cut = data.rfind(b"\n") + 1
        block, pending = data[:cut], data[cut:]
        if discarding and cut:
            block = b"\n" + block[block.find(b"\n") + 1:]  # the tail ends where its line ends
            discarding = False
        if discarding:
            pending = b""
        elif len(pending) > MAX_LINE_BYTES:
            block += pending[:OVERLONG_KEPT_BYTES] + OVERLONG_MARK + b"\n"
            pending = b""
            discarding = True
        pending += pending_cr
        if block:
            yield block
        if at_end:
            return


class _Utf16AsUtf8:
    """A UTF-16 export (Outlook can write one) read as the UTF-8 bytes the splitter expects."""

    def __init__(self, stream, encoding: str):
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")

    def read(self, size: int = -1) -> bytes:
        raw = self._stream.read(size)
        return self._decoder.decode(raw, final=not raw).encode("utf-8")


def as_utf8_compatible(stream: BinaryIO):
    head = stream.read(4)
    rest = io.BufferedReader(PrefixedStream(head, stream))
    if head[:2] in UTF16_BOMS:
        return _Utf16AsUtf8(rest, "utf-16")
    # UTF-16 without a byte order mark: every other byte of "BEGIN" is NUL.
    if len(head) == 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return _Utf16AsUtf8(rest, "utf-16-le")
    if len(head) == 4 and head[0] == 0 and head[2] == 0 and head[1] != 0:
        return _Utf16AsUtf8(rest, "utf-16-be")
    return rest
