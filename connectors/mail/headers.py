"""Reads the header fields strongties keeps out of a header block, and decodes their text.

The block is cut where Python's email parser would cut it (the first line that is neither a
field nor a continuation starts the body, a `From ` line is an envelope, a field without a
name is skipped), so that both read the same fields; only the wanted fields are then found,
by one regular expression, and only their values are decoded: RFC 2047 encoded words, and
raw 8-bit text in UTF-8 or, failing that, Windows-1252 (what mail clients without MIME wrote).
"""
from __future__ import annotations

import base64
import binascii
import codecs
import re

from connectors.charsets import decodes

# What is read, and nothing else: who wrote to whom, when, what answers what, and what tells
# bulk and automated mail from personal mail (the Subject and the body never are).
ADDRESS_FIELDS = ("from", "sender", "to", "cc", "bcc", "reply-to")
WANTED_FIELDS = ADDRESS_FIELDS + (
    "date", "message-id", "in-reply-to", "references",
    "list-id", "list-unsubscribe", "list-post", "precedence", "auto-submitted",
    "return-path", "x-gmail-labels",
)

# A header line as the stdlib's parser sees one (email.feedparser.headerRE): a field name of
# printable characters but the colon, a continuation, or an envelope `From ` line.
_HEADER_LINES = re.compile(rb"(?:(?:From |[\x21-\x39\x3b-\x7e]*:|[ \t])[^\n]*(?:\n|\Z))*")
_WANTED = re.compile(
    rb"^(" + b"|".join(re.escape(name.encode()) for name in WANTED_FIELDS) + rb"):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)",
    re.MULTILINE | re.IGNORECASE)
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")
_SPACES = re.compile(r"\s+")


def header_lines(block: bytes) -> bytes:
    """The block with universal line ends (LF), cut before the first line the stdlib would take
    for the start of the body."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return block[:_HEADER_LINES.match(block).end()]


def raw_fields(block: bytes) -> list[tuple[str, bytes]]:
    """The wanted fields of a header block in order, as (lower-case name, raw value): the value
    as the stdlib keeps it (leading blanks of the first line stripped, folds kept as LF).
    A field may repeat; callers choose the first or all."""
    lines = header_lines(block)
    return [(_FIELD_NAMES.get(name) or _field_name(name), value.rstrip(b"\n")) for name, value in _WANTED.findall(lines)]


# A field name as written (`From`, `FROM`, `from`) → its lower-case text; only the wanted names
# in the spellings met, so the table stays small.
_FIELD_NAMES: dict[bytes, str] = {}


def _field_name(name: bytes) -> str:
    return _FIELD_NAMES.setdefault(name, name.decode("ascii").lower())


def to_text(raw: bytes) -> str:
    """A raw value as text: unfolded, 8-bit bytes read as UTF-8 or else Windows-1252, NULs gone."""
    value = raw.replace(b"\n", b"")
    if value.isascii():
        text = value.decode("ascii")
    else:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            # Windows-1252 leaves five bytes undefined; Latin-1 reads those few as control
            # characters rather than failing the value.
            text = value.decode("cp1252", errors="ignore") if decodes(value, "cp1252") else value.decode("latin-1")
    return text.replace("\x00", "")


def _codec(charset: str) -> str:
    name = charset.split("*", 1)[0].strip().lower()  # RFC 2231 adds a language: utf-8*en
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "Bb":
            data = payload.encode("ascii")
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        return _Q_HEX.sub(lambda hex_pair: bytes([int(hex_pair.group(1), 16)]), payload.replace("_", " ").encode("latin-1"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def decode_words(text: str) -> str:
    """RFC 2047 encoded words replaced by their text. Adjacent words are joined without the
    blanks between them, and their bytes are decoded together when they share a charset, since
    some mailers split one character's bytes over two words."""
    if "=?" not in text:
        return text
    pieces: list[str] = []
    pending: tuple[str, bytes] | None = None  # (codec, bytes) of the words not yet decoded
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position:match.start()]
        decoded = _word_bytes(match.group(2), match.group(3))
        if decoded is None:
            continue  # not a well-formed word: left as it stands
        codec = _codec(match.group(1))
        if pending and _BETWEEN_WORDS.fullmatch(between):
            if pending[0] == codec:
                pending = (codec, pending[1] + decoded)
            else:
                pieces.append(pending[1].decode(pending[0], errors="replace"))
                pending = (codec, decoded)
        else:
            if pending:
                pieces.append(pending[1].decode(pending[0], errors="replace"))
            pieces.append(between)
            pending = (codec, decoded)
        position = match.end()
    if pending:
        pieces.append(pending[1].decode(pending[0], errors="replace"))
    pieces.append(text[position:])
    return "".join(pieces).replace("\x00", "")


def clean_text(text: str) -> str:
    """Blanks of any kind collapsed to one space, ends trimmed."""
    return _SPACES.sub(" ", text).strip()
