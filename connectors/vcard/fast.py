"""Line-level fast path for well-formed vCards: the same (name, value) list vobject yields, ~20x faster.

It reads a card's lines with a handful of C-level string operations and no objects per line,
and declines (raises `Declined`) every card that holds anything it does not reproduce exactly:
quoted-printable, charsets, base64 or other encodings, comment lines, quoted parameters, lines
that are not properties, bytes that are not UTF-8. Declined cards go to vobject.

What "the same as vobject" means, property by property (vobject 0.9.9, after the repairs of
`connectors.vcard.vobject_path.clean_card_text`, which escape bare commas so text values are not cut):
- text values (FN, EMAIL, TEL, NOTE, UID, ...): `\\n`/`\\N` become a line break, `\\\\`, `\\;`,
  `\\,` and `\\"` their character, any other backslash pair is kept as written;
- N, ADR and ORG: split at unescaped `;`, each component at unescaped `,`, then unescaped;
- VERSION: as written.

`run_text` and RUN_PROPERTY_LINE do the same checks for a run of whole cards at once, for the
fused path of `connectors.vcard.fused.fast_rows`.
"""
from __future__ import annotations

import re

# Upper-cased markers of what only the full path handles: encodings and charsets, and ALTID
# alternatives (one value in several languages), which only vobject's parameters tell from a
# repeated property. NUL marks a line too long to keep. Comment and blank lines fail the
# property-line check below.
DECLINE_MARKERS = ("QUOTED-PRINTABLE", "CHARSET", "ENCODING", "BASE64", "ALTID")
# Every line of a well-formed card: `[group.]NAME[;params]:value`, parameters quoted or not.
# Searched in "\n" + the card text, so that each match starts at a line start; written as an
# unrolled loop so the regex engine runs over plain characters, and with possessive
# quantifiers so that it never backtracks into a run it has read (a sixth of its time).
PROPERTY_LINE = re.compile(
    r"\n(?:[A-Za-z0-9_-]++\.)?([A-Za-z0-9_-]++)"
    r'(?:;[^\n:;"]*+(?:"[^\n"]*+"[^\n:;"]*+)*+)*+'
    r":([^\n]*+)"
)
_TEXT = 1
_STRUCTURED = 2
_AS_WRITTEN = 3
# What each property a row needs is to vobject: decoded text, a structured value, or as written.
_KINDS = {
    "FN": _TEXT, "NICKNAME": _TEXT, "EMAIL": _TEXT, "TEL": _TEXT, "TITLE": _TEXT,
    "BDAY": _TEXT, "NOTE": _TEXT, "URL": _TEXT, "X-SOCIALPROFILE": _TEXT, "REV": _TEXT,
    "UID": _TEXT, "KIND": _TEXT, "X-ADDRESSBOOKSERVER-KIND": _TEXT, "X-ABSHOWAS": _TEXT,
    "N": _STRUCTURED, "ADR": _STRUCTURED, "ORG": _STRUCTURED, "VERSION": _AS_WRITTEN,
}
ESCAPE = re.compile(r"\\(.)|\\$", re.DOTALL)
_STRUCTURED_TOKEN = re.compile(r"\\.|\\$|[;,]|[^\\;,]+", re.DOTALL)
_UNESCAPED = {"n": "\n", "N": "\n", "\\": "\\", ";": ";", ",": ",", '"': '"'}


class Declined(Exception):
    """The card holds something only the full vobject path reproduces."""


def _decline_any_marker(text: str) -> None:
    """Raises Declined when `text` spells a decline marker in any case."""
    upper = text.upper()
    for marker in DECLINE_MARKERS:
        if marker in upper:
            raise Declined(marker)


def unescape_pair(match: re.Match) -> str:
    char = match.group(1)
    if char is None:  # a lone backslash at the end of the value
        return "\\"
    return _UNESCAPED.get(char, match.group(0))


def split_structured(value: str) -> list[list[str]]:
    """Components of N, ADR or ORG, each a list of its comma-separated values."""
    if "\\" not in value:
        return [part.split(",") for part in value.split(";")]
    components: list[list[str]] = []
    values: list[str] = []
    current: list[str] = []
    for token in _STRUCTURED_TOKEN.findall(value):
        if token == ";":
            values.append("".join(current))
            components.append(values)
            values, current = [], []
        elif token == ",":
            values.append("".join(current))
            current = []
        elif token[0] == "\\":
            current.append("\\" if len(token) == 1 else _UNESCAPED.get(token[1], token))
        else:
            current.append(token)
    values.append("".join(current))
    components.append(values)
    return components


def _decoded(data: bytes) -> str:
    """The card text behind a leading LF (so every line, the first too, follows a LF)."""
    if b"\x00" in data:
        raise Declined("overlong line")
    try:
        return "\n" + data.decode("utf-8")
    except UnicodeDecodeError:
        # RFC 6350 3.2 unfolds bytes before decoding them: a writer that folds at 75 bytes may
        # cut a character in two. Unfolded, the text then holds no continuation line.
        if data[:1] not in (b" ", b"\t") and (b"\n " in data or b"\n\t" in data):
            try:
                return "\n" + data.replace(b"\n ", b"").replace(b"\n\t", b"").decode("utf-8")
            except UnicodeDecodeError:
                pass
        raise Declined("not UTF-8")


def fast_properties(data: bytes, markers_absent: bool = False) -> list[tuple[str, object]]:
    """(NAME, value) for the properties a row is built from, in card order; raises Declined.

    `data` is the card's lines, each ended by LF, BEGIN and END and binary values left out.
    `markers_absent` says the caller has found none of the decline markers in any case in the
    bytes the card comes from (`connectors.vcard.blocks.card_runs` looks once per chunk); it holds
    for ASCII cards only, as `str.upper` maps a few other letters (`ſ`, `ı`) into ASCII ones.
    """
    text = _decoded(data)
    if not (markers_absent and text.isascii()):
        _decline_any_marker(text)
    if "\n " in text or "\n\t" in text:
        if text[1:2] in (" ", "\t"):
            raise Declined("a continuation without a line before it")
        text = text.replace("\n ", "").replace("\n\t", "")
    text = text.rstrip("\n")
    lines = PROPERTY_LINE.findall(text)
    if len(lines) != text.count("\n"):
        raise Declined("a line that is not a property")
    properties: list[tuple[str, object]] = []
    append = properties.append
    kinds = _KINDS
    for line in lines:
        name, value = line
        kind = kinds.get(name)
        if kind is None:
            upper_name = name.upper()
            if upper_name != name:
                name = upper_name
                kind = kinds.get(name)
            if kind is None:
                if "_" in name and name.replace("_", "-") in kinds:
                    raise Declined("underscore in a property name")
                continue
            line = (name, value)
        # The common cases are written out: a text value without a backslash keeps the tuple
        # findall made, and a call per line would cost a tenth of the whole.
        if kind == _TEXT:
            append(line if "\\" not in value else (name, ESCAPE.sub(unescape_pair, value)))
        elif kind == _STRUCTURED:
            if "\\" in value:
                append((name, split_structured(value)))
            else:
                append((name, [part.split(",") for part in value.split(";")]))
        else:
            append(line)
    return properties


# Every line of a run of cards (`run_text`): as PROPERTY_LINE, with the value taking in the
# continuation lines that follow it, so that the run's text need not be unfolded (copied) first.
RUN_PROPERTY_LINE = re.compile(
    r"\n(?:[A-Za-z0-9_-]++\.)?([A-Za-z0-9_-]++)"
    r'(?:;[^\n:;"]*+(?:"[^\n"]*+"[^\n:;"]*+)*+)*+'
    r":([^\n]*+(?:\n[ \t][^\n]*+)*+)"
)
# A character outside ASCII: only a line holding one can spell a decline marker for str.upper
# when the block's bytes do not (see `run_text`).
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# The Latin-1 letters str.upper turns into ASCII ones (only "ß", as "SS"): text of Latin-1
# characters without them cannot spell a marker its bytes do not.
_LATIN1_UPPER_TO_ASCII = tuple(
    char for char in map(chr, range(128, 256)) if any(upper.isascii() for upper in char.upper())
)


def unfold(value: str) -> str:
    """A value RUN_PROPERTY_LINE took with its continuation lines, as one line."""
    return value.replace("\n ", "").replace("\n\t", "")


def run_text(data: bytes, markers_absent: bool = False) -> str:
    """A run of whole cards as text for RUN_PROPERTY_LINE: "\\n" before every line; raises
    Declined wherever `fast_properties` would decline one of the cards.

    `data` is whole cards one after the other, BEGIN and END lines included, each line ended by
    LF, and no card's first line after BEGIN a continuation (`connectors.vcard.blocks.card_runs` sees
    to it); `markers_absent` as for `fast_properties`. The text ends with the LF of its last
    line; a reader must still check that every LF not followed by a space or tab starts a
    match, and unfold the values that hold a LF.
    """
    text = _decoded(data)
    if not markers_absent:
        _decline_any_marker(text)
    elif not text.isascii() and not _latin1_without_ascii_uppers(text):
        # Markers hold no line end, and an ASCII line spells one for str.upper only if its
        # bytes do, which `markers_absent` rules out: the lines with other characters are
        # checked, as `fast_properties` checks the whole of a card that holds one.
        search = _NON_ASCII.search
        found = search(text)
        while found is not None:
            start = text.rfind("\n", 0, found.start()) + 1
            end = text.find("\n", found.end())
            if end < 0:
                end = len(text)
            _decline_any_marker(text[start:end])
            found = search(text, end)
    return text


def _latin1_without_ascii_uppers(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not any(char in text for char in _LATIN1_UPPER_TO_ASCII)
