"""Reads vCard files (2.1, 3.0, 4.0, as real exporters write them) into one row per contact card.

A file is streamed in 1 MiB chunks (never read whole) and split into cards here, at line
level, so that one broken card never costs the others, and so that photos, logos, sounds and
keys are dropped before any parser sees them (a 200 MB export full of photos reads in
bounded memory). Each card then goes to the fast path (`connectors.vcard.fast`), which reads
well-formed cards straight from their lines, or, when the fast path declines, to vobject
after the line-level repairs that let it take what Outlook, Android and iPhone really write
(quoted-printable soft breaks, raw Shift_JIS, comment lines, backslash line continuations).
Both paths yield the same (name, value) list and the same row builder turns it into a row,
so they cannot drift apart silently; a differential test holds them equal. Runs of well-formed
cards go through a fused form of the fast path (`fast_rows`: one regex pass per run, rows
built straight from the lines), held equal to reading them card by card by further tests.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import gc
import io
import operator
import re
from itertools import accumulate
from typing import BinaryIO, Iterator

import vobject

from connectors.normalize import EMAIL_PATTERN, normalize_linkedin_url
from connectors.records import FileResult
from connectors.textfile import UTF16_BOMS, PrefixedStream
from connectors.vcard.fast import (
    _ESCAPE,
    DECLINE_MARKERS,
    Declined,
    _unescape_pair,
    fast_properties,
    PROPERTY_LINE,
    RUN_PROPERTY_LINE,
    run_text,
    split_structured,
    unfold,
)

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 3

TABLE = "vcard_cards"
KIND = "vcard"

# Reading in 1 MiB chunks keeps memory flat on a 200 MB export and still amortises the
# per-read overhead; lines are cut out of each chunk in C.
READ_CHUNK_BYTES = 1024 * 1024
# No contact field in a real export comes near 1 MiB on one line; the only lines that do are
# photos, logos and sounds written unfolded, which are skipped whatever their length.
MAX_LINE_BYTES = 1024 * 1024
# What is kept of an overlong line: enough to see its property name and parameters.
OVERLONG_KEPT_BYTES = 4096
OVERLONG_MARK = b"\x00overlong"
# A card whose text (photos excluded) outgrows this has lost its END:VCARD: the largest card of
# the corpus is under 50 kB once its photo is dropped, so 8 MiB leaves a wide margin.
MAX_CARD_BYTES = 8 * 1024 * 1024

# Binary payloads: never decoded, never kept. X-MS-CARDPICTURE is Outlook's business-card image.
BLOB_PROPERTIES = frozenset({"PHOTO", "LOGO", "SOUND", "KEY", "X-MS-CARDPICTURE"})
# Single-valued text properties vobject would cut at the first unescaped comma (it applies the
# 3.0 list rule to every text value, while 2.1 writers leave commas bare).
TEXT_PROPERTIES = frozenset(
    {"FN", "NICKNAME", "EMAIL", "TEL", "TITLE", "BDAY", "NOTE", "URL", "X-SOCIALPROFILE", "REV", "UID"}
)
STRUCTURED_PROPERTIES = frozenset({"N", "ADR", "ORG"})
# vobject takes a PROFILE line as a second component name and gives up on the card.
DROPPED_PROPERTIES = frozenset({"PROFILE"})
NAME_FIELDS = ("family_name", "given_name", "additional_names", "honorific_prefix", "honorific_suffix")
NAME_PARTS = len(NAME_FIELDS)
ADDRESS_PARTS = 7  # post office box, extended, street, locality, region, postal code, country
ADDRESS_LOCALITY = 3  # its index among those parts: the town or city
ADDRESS_POSTAL_CODE = 5  # and of the postal code

_BOM = b"\xef\xbb\xbf"
_PROPERTY_START = re.compile(rb"(?:[A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]+[;:]")


class CardError(ValueError):
    """A card that cannot be read; the message is the quarantine reason."""


# ---------------------------------------------------------------------------- physical lines


def _normalized_line_blocks(stream: BinaryIO) -> Iterator[bytes]:
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
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM):]
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


def _as_utf8_compatible(stream: BinaryIO):
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


# ---------------------------------------------------------------------------- card blocks


class CardBlock:
    """The lines of one card between its BEGIN and END, photos and nested cards left out."""

    __slots__ = ("line", "parts", "line_count", "jumps", "problem", "size", "children", "markers_absent")

    def __init__(self, line: int):
        self.line = line  # where BEGIN:VCARD is
        self.parts: list[bytes] = []  # runs of whole lines, each ending in LF
        self.line_count = 0
        # (index of a line of the card, its physical line number) wherever skipped lines
        # (photos, blank lines, nested cards) break the numbering
        self.jumps: list[tuple[int, int]] = []
        self.problem: str | None = None
        self.size = 0
        self.children: list[CardBlock] = []  # nested cards already closed
        # No decline marker of the fast path (`fast.DECLINE_MARKERS`) in any case in the
        # chunks the card's lines come from: it then need not look for them card by card.
        self.markers_absent = True

    @property
    def data(self) -> bytes:
        return self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)

    @property
    def lines(self) -> list[bytes]:
        return self.data.split(b"\n")[:-1]

    def line_number(self, index: int) -> int:
        """Physical line number of `lines[index]`."""
        base_index, base_line = 0, self.line + 1
        for jump_index, jump_line in self.jumps:
            if jump_index > index:
                break
            base_index, base_line = jump_index, jump_line
        return base_line + index - base_index

    def add(self, run: bytes, first_line: int) -> None:
        expected = self.line + 1 + self.line_count
        if self.jumps:
            jump_index, jump_line = self.jumps[-1]
            expected = jump_line + self.line_count - jump_index
        if first_line != expected:
            self.jumps.append((self.line_count, first_line))
        self.parts.append(run)
        self.line_count += run.count(b"\n")
        self.size += len(run)


class CardRun:
    """Cards of one marker-free block, read together by the fused fast path (`fast_rows`);
    `blocks()` gives them as CardBlocks, for when it declines.

    Either simple cards found one by one (whole in the block, no photo, blank line or nested
    card inside), or all the cards between a BEGIN line and the block's last END line, taken
    whole from their BEGIN and END lines (`_plain_region`).
    """

    __slots__ = ("source", "segments", "cards", "lines")

    def __init__(self, source: bytes):
        self.source = source  # the block the cards are in
        self.segments: list[list[int]] = []  # [start, end) of runs of adjacent cards in source
        # (BEGIN line number, body start, body end) of each card; None for a run taken whole
        # from its BEGIN and END lines (`_plain_region`), which `blocks` reads afresh
        self.cards: list[tuple[int, int, int]] | None = []
        self.lines: list[int] = []  # BEGIN line number of each card

    @property
    def data(self) -> bytes:
        """The cards one after the other, BEGIN and END lines included."""
        source = self.source
        if len(self.segments) == 1:
            start, end = self.segments[0]
            return source[start:end]
        return b"".join(source[start:end] for start, end in self.segments)

    @staticmethod
    def block(source: bytes, line: int, body_start: int, body_end: int, markers_absent: bool) -> CardBlock:
        card = CardBlock(line)
        body = source[body_start:body_end]
        card.parts.append(body)
        card.line_count = body.count(b"\n")
        card.size = body_end - body_start
        card.markers_absent = markers_absent
        return card

    def parts(self) -> list[CardBlock | CardRun]:
        """A run taken whole, as card_runs gives its cards when it finds them one by one: from
        the run's bytes alone (they start and end between cards), line numbers moved to
        where the run starts."""
        (start, end), = self.segments
        shift = self.lines[0] - 1
        parts = list(card_runs(io.BytesIO(self.source[start:end]), whole_runs=False))
        for part in parts:
            if isinstance(part, CardRun):
                part.source = self.source
                part.segments = [[segment_start + start, segment_end + start] for segment_start, segment_end in part.segments]
                part.cards = [(line + shift, body_start + start, body_end + start)
                              for line, body_start, body_end in part.cards]
                part.lines = [line + shift for line in part.lines]
            else:
                _shift_lines(part, shift)
        return parts

    def blocks(self) -> list[CardBlock]:
        if self.cards is None:
            return [block for part in self.parts()
                    for block in (part.blocks() if isinstance(part, CardRun) else (part,))]
        return [self.block(self.source, line, start, end, True) for line, start, end in self.cards]


def _shift_lines(block: CardBlock, shift: int) -> None:
    block.line += shift
    block.jumps = [(index, line + shift) for index, line in block.jumps]
    for child in block.children:
        _shift_lines(child, shift)


# Searched in "\n" + the lower-cased block, so that every match starts at the LF before a line
# of interest: BEGIN or END of a card, a binary property, a blank line.
_LINE_OF_INTEREST = re.compile(
    rb"\n(?:(?P<begin>(?:\xef\xbb\xbf)?begin:vcard[ \t]*\n)"
    rb"|(?P<end>end:vcard[ \t]*\n)"
    rb"|(?P<blob>(?:[a-z0-9_-]+\.)?(?:photo|logo|sound|key|x-ms-cardpicture)[;:])"
    rb"|(?P<blank>\n))"
)
# Continuation lines of a binary value: folded (indented) ones, and for vCard 2.1 base64 also
# unindented lines without a colon (base64 never holds one), up to a blank line.
_FOLDED_RUN = re.compile(rb"(?:[ \t][^\n]*\n)*")
_BASE64_RUN = re.compile(rb"(?:(?:[ \t][^\n]*|[^\n:]+)\n)*")
_LOWER_DECLINE_MARKERS = tuple(marker.lower().encode("ascii") for marker in DECLINE_MARKERS)
_BLOB_FOLDED = 1
_FOLD_BYTES = (32, 9)  # space and tab: a line starting with one continues the line before
_BLOB_BASE64 = 2


def _blob_kind(line: bytes) -> int:
    """How the value of a binary property that starts on this line goes on."""
    head, _, value = line.partition(b":")
    upper_head = head.upper()
    if not value.strip() or b"BASE64" in upper_head or b"ENCODING=B" in upper_head:
        return _BLOB_BASE64
    return _BLOB_FOLDED


def _plain_region(lowered: bytes, start: int) -> tuple[int, list[int]] | None:
    """(end, line count of each card but the last) of the cards from a BEGIN line at `start` to
    the block's last END line, taken to be the exact `begin:vcard` lines (any case) there, each
    right after an exact `end:vcard` line but the first, no card empty or starting with a
    continuation line; None when these counts and searches say otherwise. That the cards
    have no other BEGIN or END line is left to fast_rows, which declines the run if they do.

    Such a run is read by the fused path (`fast_rows`) without looking for the cards one by one.
    Of the other lines card_runs watches for, blank lines and a BOM make it decline the run,
    which is then read as card_runs finds its cards (`CardRun.parts`); a photo, logo, sound or
    key line (with the folded lines of its value) it reads as a property no row needs, which
    is what leaving it out of the card gives, and a 2.1 base64 value goes on in lines that are
    no property, which it declines.
    """
    last = lowered.rfind(b"\nend:vcard\n", start)
    if last <= start:
        return None
    end = last + len(b"end:vcard\n")  # an index of the block: just after that END line
    cards = lowered.count(b"\nbegin:vcard\n", start, end)
    # Any other BEGIN or END line (`BEGIN:VCARD `, `item1.END:VCARD`) makes fast_rows find
    # more BEGIN or END lines than these cards have, and decline.
    if not (
        cards - 1 == lowered.count(b"\nend:vcard\nbegin:vcard\n", start, end + 1)
        and lowered.find(b"\nbegin:vcard\nend:vcard\n", start, end + 1) < 0
        and lowered.find(b"\nbegin:vcard\n ", start, end) < 0
        and lowered.find(b"\nbegin:vcard\n\t", start, end) < 0
    ):
        return None
    # Between two "\nbegin:vcard\n": a card's body and its END line but that line's LF.
    bodies = lowered[start:end].split(b"\nbegin:vcard\n")
    return end, [body.count(b"\n") + 2 for body in bodies[1:-1]]


def card_blocks(stream: BinaryIO, whole_runs: bool = True) -> Iterator[CardBlock]:
    """Top-level cards of a vCard stream, in order; a card whose END:VCARD never comes is given
    with a `problem`, followed by the complete cards that were taken to be nested in it.
    `whole_runs` as for `card_runs`."""
    for item in card_runs(stream, whole_runs):
        if isinstance(item, CardRun):
            yield from item.blocks()
        else:
            yield item


def card_runs(stream: BinaryIO, whole_runs: bool = True) -> Iterator[CardBlock | CardRun]:
    """What `card_blocks` gives, with the simple cards of a marker-free block (whole in it, no
    photo, blank line or nested card inside) gathered into CardRuns, in the same order.
    `whole_runs=False` never takes a run whole from its BEGIN and END lines (`_plain_region`)."""
    stack: list[CardBlock] = []
    blob = 0
    block_first_line = 1  # physical line number of the first line of the current block

    def abandon_root(reason: str) -> Iterator[CardBlock]:
        root = stack.pop(0)
        root.problem = reason
        yield root
        yield from root.children

    for data in _normalized_line_blocks(_as_utf8_compatible(stream)):
        lowered = b"\n" + data.lower()
        markers_absent = not any(marker in lowered for marker in _LOWER_DECLINE_MARKERS)
        region_untried = markers_absent and whole_runs
        size = len(data)
        counted_pos, counted_line = 0, block_first_line

        def line_at(pos: int) -> int:
            nonlocal counted_pos, counted_line
            counted_line += data.count(b"\n", counted_pos, pos)
            counted_pos = pos
            return counted_line

        pos = 0
        cards: CardRun | None = None  # simple cards of this block not yet given
        while pos < size:
            if blob:
                run = (_BASE64_RUN if blob == _BLOB_BASE64 else _FOLDED_RUN).match(data, pos)
                pos = run.end()
                if pos >= size:
                    break  # the value may go on in the next block
                if blob == _BLOB_BASE64 and data[pos] == 10:
                    pos += 1  # the blank line that ends a 2.1 base64 value
                blob = 0
                continue
            if region_untried and not stack and lowered.startswith(b"begin:vcard\n", pos + 1):
                region_untried = False  # once per block: its checks each pass over the block
                region = _plain_region(lowered, pos)
                if region is not None:
                    if cards is not None:
                        yield cards
                        cards = None
                    end, line_counts = region
                    whole = CardRun(data)
                    whole.segments.append([pos, end])
                    whole.cards = None
                    whole.lines = list(accumulate(line_counts, operator.add, initial=line_at(pos)))
                    yield whole
                    pos = end
                    continue
            match = _LINE_OF_INTEREST.search(lowered, pos)
            start = match.start() if match else size
            if stack and start > pos:
                stack[-1].add(data[pos:start], line_at(pos))
                if not markers_absent:
                    stack[-1].markers_absent = False
                root = stack[0]
                if root is not stack[-1]:
                    root.size += start - pos
                if root.size > MAX_CARD_BYTES:
                    yield from abandon_root(
                        f"card text (photos aside) passes {MAX_CARD_BYTES // (1024 * 1024)} MB "
                        "without END:VCARD; the END line is probably missing"
                    )
            if not match:
                break
            line_end = data.find(b"\n", start) + 1
            kind = match.lastgroup
            if kind == "blank":
                card = stack[-1] if stack else None
                if card is not None and card.parts and card.parts[-1].endswith(b"=\n"):
                    card.add(b"\n", line_at(start))  # ends a quoted-printable value
            elif kind == "begin":
                # line_at(start), written out: this branch runs once per card
                counted_line += data.count(b"\n", counted_pos, start)
                counted_pos = start
                line = counted_line
                if not stack:
                    # The usual card, whole in this block with no photo, blank line or nested
                    # card in it, is taken in one piece: what the loop would do, in one step.
                    # Such cards of a marker-free block are gathered into one CardRun.
                    following = _LINE_OF_INTEREST.search(lowered, line_end)
                    if following is not None and following.lastgroup == "end":
                        end_start = following.start()
                        if line_end < end_start <= line_end + MAX_CARD_BYTES:
                            pos = data.find(b"\n", end_start) + 1
                            # A run's cards must not start with a continuation line (run_text): such a
                            # card goes alone, and fast_properties declines it.
                            if markers_absent and data[line_end] not in _FOLD_BYTES:
                                # the card joins the block's run: adjacent cards make one segment
                                if cards is None:
                                    cards = CardRun(data)
                                    segments = cards.segments
                                    run_cards = cards.cards
                                    run_lines = cards.lines
                                if segments and segments[-1][1] == start:
                                    segments[-1][1] = pos
                                else:
                                    segments.append([start, pos])
                                run_cards.append((line, line_end, end_start))
                                run_lines.append(line)
                            else:
                                if cards is not None:
                                    yield cards
                                    cards = None
                                yield CardRun.block(data, line, line_end, end_start, markers_absent)
                            continue
                if cards is not None:
                    yield cards
                    cards = None
                stack.append(CardBlock(line))
            elif kind == "end":
                if stack:
                    closed = stack.pop()
                    if stack:
                        closed.children.clear()
                        stack[-1].children.append(closed)
                    else:
                        yield closed
            elif stack:
                blob = _blob_kind(data[start:line_end])
            pos = line_end
        if cards is not None:
            yield cards
        block_first_line = counted_line + data.count(b"\n", counted_pos)
    while stack:
        yield from abandon_root("the file ends before this card's END:VCARD line")


# ---------------------------------------------------------------------------- vobject path


def _split_head(line: bytes) -> tuple[bytes, bytes] | None:
    """(group.name;params, value) at the first colon outside double quotes."""
    colon = line.find(b":")
    if colon < 0:
        return None
    quote = line.find(b'"', 0, colon)
    if quote < 0:
        return line[:colon], line[colon + 1:]
    in_quotes = False
    for index in range(len(line)):
        char = line[index]
        if char == 34:
            in_quotes = not in_quotes
        elif char == 58 and not in_quotes:
            return line[:index], line[index + 1:]
    return None


def _split_params(head: str) -> tuple[str, list[str]]:
    """(group.name, [param, ...]) splitting at semicolons outside double quotes; empty
    parameters (`TEL;;CELL`) are left out."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in head:
        if char == '"':
            in_quotes = not in_quotes
        elif char == ";" and not in_quotes:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts[0], [part for part in parts[1:] if part.strip()]


def _decode_bytes(value: bytes, charset: str | None) -> str:
    """Text in the declared charset, else UTF-8; a declared charset the bytes break is kept with
    replacement characters for the broken bytes; undeclared non-UTF-8 is Windows-1252 (what old
    Windows exporters write), else Latin-1. Never fails."""
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None
    for candidate in (charset, "utf-8"):
        if candidate:
            try:
                return value.decode(candidate)
            except UnicodeDecodeError:
                continue
    if charset:
        return value.decode(charset, errors="replace")
    try:
        return value.decode("cp1252")
    except UnicodeDecodeError:
        return value.decode("latin-1")


_BARE_COMMA = re.compile(r"(?<!\\)((?:\\\\)*),")
_TRAILING_ODD_BACKSLASH = re.compile(r"(?<!\\)((?:\\\\)*)\\$")


def _escape_for_vobject(name: str, value: str) -> str:
    """Keep values whole through vobject: bare commas in single text values, a trailing lone
    backslash, and raw line breaks left by quoted-printable decoding."""
    if "\r" in value or "\n" in value:
        value = value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    if name in TEXT_PROPERTIES and "," in value:
        value = _BARE_COMMA.sub(r"\1\\,", value)
    if value.endswith("\\"):
        value = _TRAILING_ODD_BACKSLASH.sub(r"\1\\\\", value)
    return value


def _is_quoted_printable(parts: list[bytes]) -> bool:
    return b"QUOTED-PRINTABLE" in b"".join(parts).partition(b":")[0].upper()


def _logical_lines(block: CardBlock, lines: list[bytes]) -> list[tuple[int, bytes, bool]]:
    """(first line index, unfolded bytes, was-rewritten) for each property of the card, whose
    `lines` (`block.lines`, split once by the caller) are given.

    Joins folded lines (even a name folded in the middle), quoted-printable soft line breaks
    (whatever the next line starts with), and 2.1 values continued after a trailing backslash;
    drops `#` comment lines.
    """
    logical: list[list] = []  # [first index, [parts], rewritten, quoted-printable]
    unit: list | None = None  # the line being gathered, with its folded continuations

    def close(unit: list) -> None:
        joined = b"".join(unit[1])
        line = block.line_number(unit[0])
        if OVERLONG_MARK in joined:
            raise CardError(f"line {line} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB and is not a photo")
        if _PROPERTY_START.match(joined):
            logical.append(unit)
            return
        if joined.startswith(b"#"):
            return
        previous = logical[-1] if logical else None
        if previous is not None and previous[1][-1].endswith(b"\\"):
            previous[1][-1] = previous[1][-1][:-1] + b"\\n"
            previous[1].extend(unit[1])
            previous[2] = True
            return
        raise CardError(f"line {line} is not a vCard property (no NAME: at its start)")

    for index, raw in enumerate(lines):
        if not raw:
            if unit is not None:
                unit[3] = False  # a blank line ends a quoted-printable value
            continue
        if unit is not None and unit[3] and unit[1][-1].endswith(b"="):
            unit[1][-1] = unit[1][-1][:-1]
            unit[1].append(raw)
            unit[2] = True
            continue
        if raw[:1] in (b" ", b"\t"):
            if unit is None:
                raise CardError(f"line {block.line_number(index)} continues a line that does not exist")
            unit[1].append(raw[1:])
            unit[3] = _is_quoted_printable(unit[1])
            continue
        if unit is not None:
            close(unit)
        unit = [index, [raw], False, _is_quoted_printable([raw])]
    if unit is not None:
        close(unit)
    return [(item[0], b"".join(item[1]), item[2] or item[3]) for item in logical]


def _param_flags(params: list[str]) -> tuple[bool, bool, str | None, bool]:
    """(quoted-printable, base64, charset, any encoding) from a property's parameters, 2.1 bare
    ones included. Any ENCODING (8BIT too) must go: vobject would take it for base64."""
    quoted_printable = base64_encoded = any_encoding = False
    charset = None
    for param in params:
        key, has_value, values = param.partition("=")
        key = key.strip().upper()
        if not has_value:
            if key == "QUOTED-PRINTABLE":
                quoted_printable = True
            elif key in ("BASE64", "B"):
                base64_encoded = True
            continue
        values_upper = values.strip().strip('"').upper()
        if key == "ENCODING":
            any_encoding = True
            if values_upper == "QUOTED-PRINTABLE":
                quoted_printable = True
            elif values_upper in ("B", "BASE64"):
                base64_encoded = True
        elif key == "CHARSET":
            charset = values.strip().strip('"')
    return quoted_printable, base64_encoded, charset, any_encoding or quoted_printable or base64_encoded


def _clean_card_text(block: CardBlock) -> str:
    """The card as text vobject can take: decoded, quoted-printable and base64 text resolved,
    unreadable-for-vobject lines repaired; untouched lines keep their folding for vobject."""
    try:
        block.data.decode("utf-8")
        card_is_utf8 = True
    except UnicodeDecodeError:
        card_is_utf8 = False
    lines = block.lines  # a split of the whole card: done once, not for each line
    out = ["BEGIN:VCARD"]
    for index, raw, rewritten in _logical_lines(block, lines):
        split = _split_head(raw)
        if split is None:
            raise CardError(f"line {block.line_number(index)} has no colon between name and value")
        head_bytes, value_bytes = split
        head = head_bytes.decode("latin-1")
        name_part, params = _split_params(head)
        name = name_part.rpartition(".")[2].upper().replace("_", "-")
        if name in DROPPED_PROPERTIES:
            continue
        quoted_printable, base64_encoded, charset, any_encoding = _param_flags(params)
        needs_text_fix = name in TEXT_PROPERTIES or name in STRUCTURED_PROPERTIES
        if quoted_printable:
            value_bytes = binascii.a2b_qp(value_bytes)
        elif base64_encoded and name not in BLOB_PROPERTIES:
            try:
                value_bytes = base64.b64decode(re.sub(rb"\s+", b"", value_bytes), validate=False)
            except (binascii.Error, ValueError):
                raise CardError(f"line {block.line_number(index)}: its base64 value does not decode")
        if not (any_encoding or charset or rewritten or not card_is_utf8):
            text_line = raw.decode("utf-8")
            if needs_text_fix:
                value = text_line.partition(":")[2] if '"' not in head else _decode_bytes(value_bytes, None)
                fixed = _escape_for_vobject(name, value)
                if fixed != value:
                    text_line = head + ":" + fixed
                    out.append(text_line)
                    continue
            # Untouched: keep the original folding so that vobject unfolds it itself.
            start, end = index, index
            while end + 1 < len(lines) and lines[end + 1][:1] in (b" ", b"\t"):
                end += 1
            out.extend(line.decode("utf-8") for line in lines[start:end + 1])
            continue
        value = _decode_bytes(value_bytes, charset)
        kept_params = [
            param for param in params
            if param.partition("=")[0].strip().upper() not in ("ENCODING", "CHARSET", "QUOTED-PRINTABLE", "BASE64", "B")
        ]
        out.append(";".join([name_part, *kept_params]) + ":" + _escape_for_vobject(name, value))
    out.append("END:VCARD")
    return "\r\n".join(out) + "\r\n"


def _components(value) -> list[str]:
    """A structured field from vobject (a string or a list) as a list of strings."""
    if isinstance(value, (list, tuple)):
        return [str(part) for part in value]
    return [str(value)]


def vobject_properties(block: CardBlock) -> list[tuple[str, object]]:
    """(NAME, value) for each property vobject reads, in card order.

    Text values are strings; N, ADR and ORG are lists of components, each a list of strings.
    """
    text = _clean_card_text(block)
    try:
        component = vobject.readOne(text)
    except Exception as error:  # vobject raises many types; all mean "unreadable card"
        line = getattr(error, "lineNumber", None)
        where = f" near line {line} of the card" if line else ""
        raise CardError(f"vobject could not read the card{where} ({type(error).__name__})")
    properties: list[tuple[int, str, object]] = []
    for line in component.lines():
        name = line.name.upper()
        value = line.value
        if name == "N":
            value = [_components(getattr(value, part)) for part in ("family", "given", "additional", "prefix", "suffix")]
        elif name == "ADR":
            value = [
                _components(getattr(value, part))
                for part in ("box", "extended", "street", "city", "region", "code", "country")
            ]
        elif name == "ORG":
            value = [_components(part) for part in value]
        elif isinstance(value, bytes):
            value = _decode_bytes(value, None)
        elif not isinstance(value, str):
            value = str(value)
        properties.append((line.lineNumber or 0, name, value))
    properties.sort(key=lambda item: item[0])
    return [(name, value) for _, name, value in properties]


# ---------------------------------------------------------------------------- rows


def _name_part(values: list[str]) -> str | None:
    """One N component; several values (`John,Q`) read as words, as vobject prints them."""
    if len(values) == 1:
        value = values[0]
        return (value.strip() or None) if value else None
    return " ".join(value.strip() for value in values if value.strip()) or None


def _literal(values: list[str]) -> str:
    """An ORG or ADR component as written: 2.1 writers leave commas bare, and vobject's
    splitting them into values is undone here."""
    return values[0] if len(values) == 1 else ",".join(values)


# `email_key` does what `connectors.normalize.normalize_email` does (a differential test holds
# them equal) with its `EMAIL_PATTERN`, so that the address a card gives costs one call, not
# three. The same pattern for ASCII text, twice as fast: `\s` spelled out as the ASCII
# characters it matches (str.isspace), which lets the engine test each character against a
# bitmap; possessive where the next token cannot be in the run.
_EMAIL_ASCII = re.compile(
    r"[^@ \t\n\r\f\v\x1c-\x1f<>(),;:]++@[^@ \t\n\r\f\v\x1c-\x1f<>(),;:]+\.[^@ \t\n\r\f\v\x1c-\x1f<>(),;:]++$"
)


def email_key(value: str) -> str | None:
    """The address in `Name <address>` or a bare address, as `normalize_email` gives it; None if
    there is none."""
    if "<" in value and ">" in value:
        value = value[value.rfind("<") + 1: value.rfind(">")]
    if not value:
        return None
    text = value.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    return text if (_EMAIL_ASCII if text.isascii() else EMAIL_PATTERN).match(text) else None


_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})")
# Apple and Thunderbird write year 1604 for "birthday known, year not": that year never
# appears in a living contact's birth date.
UNKNOWN_YEAR_PLACEHOLDERS = frozenset({"1604"})


def birthday_iso(value: str | None) -> str | None:
    """`YYYY-MM-DD`, or `--MM-DD` when the year is not known; None for text like `circa 1800`."""
    if not value:
        return None
    value = value.strip()
    match = _ISO_DATE.fullmatch(value)
    if match:
        year, month, day = match.groups()
    else:
        match = _NO_YEAR.fullmatch(value)
        if not match:
            return None
        year = None
        month, day = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return None
    if year is None or year in UNKNOWN_YEAR_PLACEHOLDERS:
        return f"--{month}-{day}"
    return f"{year}-{month}-{day}"


def _address_line(parts: list[list[str]]) -> str | None:
    """An ADR as one line: its non-empty parts (box, extended, street, locality, region, code,
    country) joined by ", ", line breaks inside a part read as ", " too."""
    pieces = []
    for component in parts[:ADDRESS_PARTS]:
        text = _literal(component)
        if "\n" in text or "\r" in text:
            pieces.extend(piece.strip(" ,\t") for piece in re.split(r"[\r\n]+", text))
        else:
            pieces.append(text.strip(" ,\t"))
    return ", ".join(piece for piece in pieces if piece) or None


def _url(value: str) -> str | None:
    # Google writes `http\://`; the escaped colon survives text decoding in every parser.
    if "\\:" in value:
        value = value.replace("\\:", ":")
    return value.strip() or None


# What card_row does with each property, looked up once per property instead of a chain of
# membership tests; the branches below are in the order of how often cards hold them.
_SINGLE, _EMAIL_ADDRESS, _PHONE, _FIRST_STRUCTURED, _ADDRESS, _WEB, _NOTE, _BIRTHDAY = range(8)
_ROLES = {
    "FN": _SINGLE, "NICKNAME": _SINGLE, "TITLE": _SINGLE, "UID": _SINGLE, "REV": _SINGLE, "VERSION": _SINGLE,
    "EMAIL": _EMAIL_ADDRESS, "TEL": _PHONE, "N": _FIRST_STRUCTURED, "ORG": _FIRST_STRUCTURED,
    "ADR": _ADDRESS, "URL": _WEB, "X-SOCIALPROFILE": _WEB, "NOTE": _NOTE, "BDAY": _BIRTHDAY,
}


def card_row(source_file: str, position: int, line: int, properties: list[tuple[str, object]], parser: str) -> dict:
    """The `vcard_cards` row for one card, from the (NAME, value) list either path yields.

    Single-valued fields take the first non-empty occurrence (with ALTID alternatives, the
    first written); lists keep card order without repeats.
    """
    first: dict[str, object] = {}
    emails: list[str] = []
    phones: list[str] = []
    addresses: list[str] = []
    cities: list[str] = []
    postcodes: list[str] = []
    urls: list[str] = []
    notes: list[str] = []
    roles = _ROLES
    for name, value in properties:
        role = roles.get(name)
        if role is None:
            continue
        if role == _SINGLE:
            if name not in first:
                value = value.strip()
                if value:
                    first[name] = value
        elif role == _EMAIL_ADDRESS:
            email = email_key(value)
            if email and email not in emails:
                emails.append(email)
        elif role == _PHONE:
            phone = value.strip()
            if phone[:4].lower() == "tel:":
                phone = phone[4:].strip()
            if phone and phone not in phones:
                phones.append(phone)
        elif role == _FIRST_STRUCTURED:
            if name not in first and "".join(map("".join, value)).strip():
                first[name] = value
        elif role == _WEB:
            url = _url(value)
            if url and url not in urls:
                urls.append(url)
        elif role == _ADDRESS:
            address = _address_line(value)
            if address and address not in addresses:
                addresses.append(address)
            _add_place(value, cities, postcodes)
        elif role == _NOTE:
            note = value.strip()
            if note:
                notes.append(note)
        elif "BDAY" not in first:
            birthday = birthday_iso(value)
            if birthday:
                first["BDAY"] = birthday
    return _row(source_file, position, line, first, emails, phones, addresses, cities, postcodes, urls, notes, parser)


def _add_place(address: list[list[str]], cities: list[str], postcodes: list[str]) -> None:
    """The town and postcode of an ADR, kept apart for matching people by where they live."""
    for index, places in ((ADDRESS_LOCALITY, cities), (ADDRESS_POSTAL_CODE, postcodes)):
        place = _literal(address[index]).strip() if len(address) > index else ""
        if place and place not in places:
            places.append(place)


def _row(source_file: str, position: int, line: int, first: dict, emails: list[str], phones: list[str],
         addresses: list[str], cities: list[str], postcodes: list[str], urls: list[str], notes: list[str],
         parser: str) -> dict:
    """The row from what `card_row` or `fast_rows` gathered from a card's properties."""
    structured_name = first.get("N")
    if structured_name:
        # _name_part, with the usual single-valued component written out (five per card)
        parts = [
            (values[0].strip() or None) if len(values) == 1 else _name_part(values)
            for values in structured_name[:NAME_PARTS]
        ]
        if len(parts) < NAME_PARTS:
            parts += [None] * (NAME_PARTS - len(parts))
        family, given, additional, prefix, suffix = parts
    else:
        family = given = additional = prefix = suffix = None
    org = first.get("ORG")
    if org:
        org = ", ".join(text for text in (_literal(values).strip() for values in org) if text) or None
    linkedin_url = None
    for url in urls:
        linkedin_url = normalize_linkedin_url(url)
        if linkedin_url:
            break
    return {
        "source_file": source_file,
        "position": position,
        "line": line,
        "uid": first.get("UID"),
        "full_name": first.get("FN"),
        "given_name": given,
        "family_name": family,
        "additional_names": additional,
        "honorific_prefix": prefix,
        "honorific_suffix": suffix,
        "nickname": first.get("NICKNAME"),
        "emails": emails,
        "phones": phones,
        "org": org,
        "title": first.get("TITLE"),
        "birthday": first.get("BDAY"),
        "addresses": addresses,
        "cities": cities,
        "postcodes": postcodes,
        "note": "\n".join(notes) or None,
        "urls": urls,
        "linkedin_url": linkedin_url,
        "revision": first.get("REV"),
        "version": first.get("VERSION"),
        "parser": parser,
    }


_BEGIN, _END, _SKIP = range(8, 11)
# card_row's roles for the fused path, which also meets the BEGIN and END lines of the cards.
_RUN_ROLES = {**_ROLES, "BEGIN": _BEGIN, "END": _END}
# The fused path reads a run's lines this many characters at a time: all of a 1 MiB run at
# once makes every line's strings at once, no longer in cache, and the benchmark file then
# read about 10% slower than card by card; 8 to 32 kB windows measured best.
WINDOW_CHARS = 16 * 1024


def fast_rows(run: CardRun, source_file: str, first_position: int) -> list[dict] | None:
    """The rows of a run of cards, the first at `first_position`, each what `card_row` builds
    from `fast_properties`; None when the fast path declines any card of it (then read the
    run's cards one by one).

    `fast_properties` and `card_row` fused: one regex pass over the run finds every line, and
    each goes straight into its card's fields, with no per-card text or property list; the
    row is made by card_row's own `_row` (differential tests hold the rows equal).
    """
    try:
        text = run_text(run.data, True)
        folded = "\n " in text or "\n\t" in text
        rows = _run_rows(text, RUN_PROPERTY_LINE, folded, run.lines, source_file, first_position)
        if rows is None and folded:
            # Folding inside a name or its parameters, which RUN_PROPERTY_LINE does not take
            # in: unfold the whole run first, as fast_properties unfolds each card.
            text = text.replace("\n ", "").replace("\n\t", "")
            rows = _run_rows(text, PROPERTY_LINE, False, run.lines, source_file, first_position)
        return rows
    except Declined:
        return None
    except Exception:  # a bug of ours: the cards are then read one by one, each on its own guard
        return None


def _run_rows(text: str, pattern: re.Pattern, folded: bool, card_lines: list[int], source_file: str,
              first_position: int) -> list[dict] | None:
    """fast_rows on the run's text, its lines found by `pattern`; `folded` says values may hold
    continuation lines; `card_lines` is the BEGIN line number of each card of the run."""
    card_count = len(card_lines)
    rows: list[dict] = []
    roles = dict(_RUN_ROLES)  # names met that no row needs are added as _SKIP
    unescape = _ESCAPE.sub
    findall = pattern.findall
    first: dict[str, object] = {}
    emails: list[str] = []
    phones: list[str] = []
    addresses: list[str] = []
    cities: list[str] = []
    postcodes: list[str] = []
    urls: list[str] = []
    notes: list[str] = []
    begun = pos = 0
    size = len(text) - 1  # the last line end, which starts no line
    while pos < size:
        # A window ends at a line start that is no continuation, so that no value is cut.
        end = text.find("\n", pos + WINDOW_CHARS)
        while 0 <= end < size and text[end + 1] in " \t":
            end = text.find("\n", end + 1)
        if end < 0 or end > size:
            end = size
        lines = findall(text, pos, end)
        # Every line start that is no continuation must start a match (as in fast_properties):
        # checked window by window, so that a run with a stray line is given up early.
        starts = text.count("\n", pos, end)
        if folded:
            starts -= text.count("\n ", pos, end) + text.count("\n\t", pos, end)
        if len(lines) != starts:
            return None
        pos = end
        for name, value in lines:
            role = roles.get(name)
            if role is None:
                upper_name = name.upper()
                if upper_name != name:
                    role = roles.get(upper_name)
                if role is None:
                    if "_" in name and upper_name.replace("_", "-") in _ROLES:
                        return None  # fast_properties declines it
                    roles[name] = _SKIP
                    continue
                name = upper_name
            if role == _SKIP:
                continue
            if folded and "\n" in value:
                value = unfold(value)
            if role == _SINGLE:
                if name not in first:
                    if "\\" in value and name != "VERSION":  # VERSION is kept as written
                        value = unescape(_unescape_pair, value)
                    value = value.strip()
                    if value:
                        first[name] = value
            elif role == _BEGIN or role == _END:
                if value != "VCARD" and value.rstrip(" \t").upper() != "VCARD":
                    continue  # an ordinary property that happens to be called BEGIN or END
                if role == _BEGIN:
                    if begun != len(rows) or begun == card_count:
                        return None  # not the BEGIN line of a card of the run
                    begun += 1
                    first = {}
                    emails, phones, addresses, cities, postcodes, urls, notes = [], [], [], [], [], [], []
                else:
                    index = len(rows)
                    if begun != index + 1:
                        return None
                    rows.append(_row(source_file, first_position + index, card_lines[index], first, emails, phones,
                                     addresses, cities, postcodes, urls, notes, "fast"))
            elif role == _EMAIL_ADDRESS:
                if "\\" in value:
                    value = unescape(_unescape_pair, value)
                email = email_key(value)
                if email and email not in emails:
                    emails.append(email)
            elif role == _PHONE:
                if "\\" in value:
                    value = unescape(_unescape_pair, value)
                phone = value.strip()
                if phone[:4].lower() == "tel:":
                    phone = phone[4:].strip()
                if phone and phone not in phones:
                    phones.append(phone)
            elif role == _FIRST_STRUCTURED:
                if name not in first:
                    if "\\" in value:
                        value = split_structured(value)
                        if "".join(map("".join, value)).strip():
                            first[name] = value
                    # Without escapes the components hold the value's characters but ; and ,
                    elif value.replace(";", "").replace(",", "").strip():
                        if "," in value:
                            first[name] = [part.split(",") for part in value.split(";")]
                        else:
                            first[name] = [[part] for part in value.split(";")]
            elif role == _WEB:
                if "\\" in value:
                    value = unescape(_unescape_pair, value)
                url = _url(value)
                if url and url not in urls:
                    urls.append(url)
            elif role == _ADDRESS:
                value = split_structured(value) if "\\" in value else [part.split(",") for part in value.split(";")]
                address = _address_line(value)
                if address and address not in addresses:
                    addresses.append(address)
                _add_place(value, cities, postcodes)
            elif role == _NOTE:
                if "\\" in value:
                    value = unescape(_unescape_pair, value)
                note = value.strip()
                if note:
                    notes.append(note)
            elif "BDAY" not in first:
                if "\\" in value:
                    value = unescape(_unescape_pair, value)
                birthday = birthday_iso(value)
                if birthday:
                    first["BDAY"] = birthday
    if len(rows) != card_count or begun != card_count:
        return None  # BEGIN and END lines did not pair up as the run's cards
    return rows


def read_card(block: CardBlock, source_file: str, position: int, use_fast_path: bool = True) -> dict:
    """One card's row; raises CardError when neither path can read it."""
    if use_fast_path:
        try:
            properties = fast_properties(block.data, block.markers_absent)
            return card_row(source_file, position, block.line, properties, "fast")
        except Declined:
            pass
    properties = vobject_properties(block)
    return card_row(source_file, position, block.line, properties, "vobject")


def parse_vcards(stream: BinaryIO, source_file: str, *, use_fast_path: bool = True) -> FileResult:
    """Every top-level card of a vCard file as a `vcard_cards` row or a quarantine entry.

    `use_fast_path=False` sends every card to vobject (for the benchmark and the tests).
    """
    result = FileResult(source_file, kind=KIND)
    rows = result.rows.setdefault(TABLE, [])
    # The rows are kept until the file is done, so the cyclic collector would only rescan a
    # growing heap of live dicts (a third of the time on large files); rows hold no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for item in card_runs(stream):
            if not isinstance(item, CardRun):
                _read_block(item, result, rows, source_file, use_fast_path)
                continue
            fused = fast_rows(item, source_file, result.items + 1) if use_fast_path else None
            if fused is not None:
                rows.extend(fused)
                result.items += len(fused)
                continue
            # A run taken whole that the fused path declines: its cards found one by one, and
            # the runs among them tried again.
            for part in item.parts() if item.cards is None else (item,):
                if part is not item and isinstance(part, CardRun):
                    fused = fast_rows(part, source_file, result.items + 1) if use_fast_path else None
                    if fused is not None:
                        rows.extend(fused)
                        result.items += len(fused)
                        continue
                for block in part.blocks() if isinstance(part, CardRun) else (part,):
                    _read_block(block, result, rows, source_file, use_fast_path)
    finally:
        if collecting:
            gc.enable()
    if not rows:
        del result.rows[TABLE]
    if result.items == 0:
        # A file with no card at all still counts as one unreadable item, so that the
        # warehouse shows it and items = rows + quarantined holds for it too.
        result.items = 1
        result.reject("line 1", "not a vCard: no BEGIN:VCARD line")
    return result


def _read_block(block: CardBlock, result: FileResult, rows: list[dict], source_file: str, use_fast_path: bool) -> None:
    """One card of `parse_vcards` as a row or a quarantine entry."""
    result.items += 1
    if block.problem:
        result.reject(f"card {result.items} (line {block.line})", block.problem)
        return
    try:
        rows.append(read_card(block, source_file, result.items, use_fast_path))
    except CardError as error:
        result.reject(f"card {result.items} (line {block.line})", str(error))
    except Exception as error:  # a bug of ours must not cost the other cards of the file
        result.reject(
            f"card {result.items} (line {block.line})",
            f"unexpected error while reading the card ({type(error).__name__})",
        )
