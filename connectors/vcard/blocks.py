"""Card blocks: the lines of each top-level card of a vCard stream, photos left out, and runs
of simple cards gathered for the fused fast path."""
from __future__ import annotations

import io
import operator
import re
from itertools import accumulate
from typing import BinaryIO, Iterator

from connectors.vcard.fast import DECLINE_MARKERS
from connectors.vcard.lines import as_utf8_compatible, normalized_line_blocks

# A card whose text (photos excluded) outgrows this has lost its END:VCARD: the largest card of
# the corpus is under 50 kB once its photo is dropped, so 8 MiB leaves a wide margin.
MAX_CARD_BYTES = 8 * 1024 * 1024


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
        self.children: list[CardBlock] = []  # nested cards already closed (of a top-level card)
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
_FOLD_BYTES = (32, 9)  # space and tab: a line starting with one continues the line before
# How a binary value goes on after its first line (`_blob_kind`): by folded lines only, or as
# vCard 2.1 base64, also by unindented lines up to a blank one.
_BLOB_FOLDED = 1
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

    # A BEGIN:VCARD inside a card opens a card of its own (a 2.1 AGENT, or a card whose END was
    # lost): every BEGIN:VCARD is one item. A nested card that closes is read as a card of its
    # own, given after the card it is in, in BEGIN order; lines inside it are not its parent's.
    # Nested cards still open when the file ends are each quarantined, naming the card they are
    # in. The stack holds one small CardBlock per open card: 10,000 nested BEGIN lines cost
    # 10,000 of them, not 10,000 copies of anything.
    def abandon_root(reason: str) -> Iterator[CardBlock]:
        root = stack.pop(0)
        root.problem = reason
        yield root
        yield from sorted(root.children, key=_by_line)

    for data in normalized_line_blocks(as_utf8_compatible(stream)):
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
                        stack[0].children.append(closed)
                    else:
                        yield closed
                        yield from sorted(closed.children, key=_by_line)
            elif stack:
                blob = _blob_kind(data[start:line_end])
            pos = line_end
        if cards is not None:
            yield cards
        block_first_line = counted_line + data.count(b"\n", counted_pos)
    if stack:
        root = stack[0]
        root.problem = "the file ends before this card's END:VCARD line"
        for outer, inner in zip(stack, stack[1:]):
            inner.problem = f"BEGIN:VCARD at line {inner.line} inside the card from line {outer.line}, never ended"
        yield from sorted([*stack, *root.children], key=_by_line)


def _by_line(block: CardBlock) -> int:
    return block.line
