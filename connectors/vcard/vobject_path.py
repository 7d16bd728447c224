"""The vobject path: a card the fast path declines, repaired at line level (quoted-printable,
charsets, base64 text, comments, 2.1 continuations) into text vobject reads, and read by it."""
from __future__ import annotations

import base64
import binascii
import re

import vobject

from connectors.vcard.blocks import CardBlock
from connectors.charsets import FileCharsets, decode_value, decodes, has_high_bytes, is_legacy, known_charset, mostly_utf8
from connectors.vcard.lines import MAX_LINE_BYTES, OVERLONG_MARK
from connectors.vcard.rows import ONCE_ONLY

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

_PROPERTY_START = re.compile(rb"(?:[A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]+[;:]")


class CardError(ValueError):
    """A card that cannot be read; the message is the quarantine reason."""


__all__ = ["CardError", "clean_card_text", "vobject_properties"]


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


def _is_quoted_printable(parts: list[bytes]) -> bool:
    return b"QUOTED-PRINTABLE" in b"".join(parts).partition(b":")[0].upper()


def _logical_lines(block: CardBlock, lines: list[bytes], notices: list[str]) -> list[tuple[int, bytes, bool]]:
    """(first line index, unfolded bytes, was-rewritten) for each property of the card, whose
    `lines` (`block.lines`, split once by the caller) are given.

    Joins folded lines (even a name folded in the middle), quoted-printable soft line breaks
    (whatever the next line starts with), and 2.1 values continued after a trailing backslash;
    drops `#` comment lines. A line that is no property (no NAME: at its start, a name outside
    the grammar such as KDE's `X-messaging/gadu-All`, an overlong one) is dropped and noted: it
    costs only itself, not the card.
    """
    logical: list[list] = []  # [first index, [parts], rewritten, quoted-printable]
    unit: list | None = None  # the line being gathered, with its folded continuations

    def close(unit: list) -> None:
        joined = b"".join(unit[1])
        line = block.line_number(unit[0])
        if OVERLONG_MARK in joined:
            notices.append(f"line {line} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB and is not a photo; "
                           "it was dropped")
            return
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
        notices.append(f"line {line} is not a vCard property (no NAME: at its start, or a name with characters "
                       "a property name cannot hold); it was dropped")

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
                notices.append(f"line {block.line_number(index)} continues a line that does not exist; it was dropped")
                continue
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
            encoding = key  # 2.1 writes the encoding bare: `TEL;QUOTED-PRINTABLE:`
        elif key == "ENCODING":
            any_encoding = True
            encoding = values.strip().strip('"').upper()
        else:
            if key == "CHARSET":
                charset = values.strip().strip('"')
            continue
        if encoding == "QUOTED-PRINTABLE":
            quoted_printable = True
        elif encoding in ("B", "BASE64"):
            base64_encoded = True
    return quoted_printable, base64_encoded, charset, any_encoding or quoted_printable or base64_encoded


def clean_card_text(block: CardBlock, notices: list[str] | None = None,
                    charsets: FileCharsets | None = None) -> list[tuple[int, str]]:
    """The card as (line number, text) properties vobject can take: decoded, quoted-printable and
    base64 text resolved, unreadable-for-vobject lines repaired; untouched lines keep their
    folding for vobject. A property that cannot be made readable is dropped and told in
    `notices`; `charsets` is what earlier cards of the file said about its 8-bit charset."""
    if notices is None:
        notices = []
    if charsets is None:
        charsets = FileCharsets()
    card_is_utf8 = decodes(block.data, "utf-8")
    lines = block.lines  # a split of the whole card: done once, not for each line
    properties = []  # (index, line, raw, head, name_part, name, params, flags, value bytes)
    card_charset = None  # the first legacy charset a property of the card declares
    for index, raw, rewritten in _logical_lines(block, lines, notices):
        line = block.line_number(index)
        split = _split_head(raw)
        if split is None:
            notices.append(f"line {line} has no colon between name and value; it was dropped")
            continue
        head_bytes, value_bytes = split
        head = head_bytes.decode("latin-1")
        name_part, params = _split_params(head)
        name = name_part.rpartition(".")[2].upper().replace("_", "-")
        if name in DROPPED_PROPERTIES:
            continue
        quoted_printable, base64_encoded, charset, any_encoding = _param_flags(params)
        if quoted_printable:
            value_bytes = binascii.a2b_qp(value_bytes)
        elif base64_encoded and name not in BLOB_PROPERTIES:
            try:
                value_bytes = base64.b64decode(re.sub(rb"\s+", b"", value_bytes), validate=False)
            except (binascii.Error, ValueError):
                notices.append(f"line {line}: its base64 value does not decode; the property was dropped")
                continue
        declared = known_charset(charset)
        if declared and card_charset is None and is_legacy(declared):
            card_charset = declared
        properties.append((index, line, raw, head, name_part, name, params,
                           (charset, declared, any_encoding or rewritten or not card_is_utf8), value_bytes))
    if card_charset:
        charsets.declare(card_charset)
    # Other values spell characters beyond ASCII in UTF-8: the card is UTF-8, a bad byte a stray.
    card_leans_utf8 = not card_is_utf8 and any(
        not charset and has_high_bytes(value) and decodes(value, "utf-8") for *_, (charset, _, _), value in properties
    )
    legacy: list[str] = []  # the card's charset for undeclared 8-bit values, found when first needed

    def card_legacy_charset() -> str:
        if not legacy:
            sample = b"\n".join(
                value for *_, (charset, _declared, _), value in properties
                if not charset and has_high_bytes(value) and not decodes(value, "utf-8")
                and mostly_utf8(value, card_leans_utf8) is None
            )
            legacy.append(card_charset or charsets.for_sample(sample))
        return legacy[0]

    out: list[tuple[int, str]] = []
    for index, line, raw, head, name_part, name, params, (charset, declared, rewrite), value_bytes in properties:
        needs_text_fix = name in TEXT_PROPERTIES or name in STRUCTURED_PROPERTIES
        if not (rewrite or charset):
            text_line = raw.decode("utf-8")
            if needs_text_fix:
                value = text_line.partition(":")[2] if '"' not in head else value_bytes.decode("utf-8")
                fixed = _escape_for_vobject(name, value)
                if fixed != value:
                    out.append((line, head + ":" + fixed))
                    continue
            # Untouched: keep the original folding so that vobject unfolds it itself.
            end = index
            while end + 1 < len(lines) and lines[end + 1][:1] in (b" ", b"\t"):
                end += 1
            out.append((line, "\r\n".join(physical.decode("utf-8") for physical in lines[index:end + 1])))
            continue
        if charset and not declared:
            notices.append(f"line {line}: its CHARSET is not one known here; read as UTF-8 or the card's charset")
        value = decode_value(value_bytes, declared, card_legacy_charset, notices, line, card_leans_utf8)
        kept_params = [
            param for param in params
            if param.partition("=")[0].strip().upper() not in ("ENCODING", "CHARSET", "QUOTED-PRINTABLE", "BASE64", "B")
        ]
        out.append((line, ";".join([name_part, *kept_params]) + ":" + _escape_for_vobject(name, value)))
    return out


def _components(value) -> list[str]:
    """A structured field from vobject (a string or a list) as a list of strings."""
    if isinstance(value, (list, tuple)):
        return [str(part) for part in value]
    return [str(value)]


def _read_component(properties: list[tuple[int, str]]):
    return vobject.readOne("BEGIN:VCARD\r\n" + "".join(text + "\r\n" for _, text in properties) + "END:VCARD\r\n")


def vobject_properties(block: CardBlock, notices: list[str] | None = None,
                       charsets: FileCharsets | None = None) -> list[tuple[str, object]]:
    """(NAME, value) for each property vobject reads, in card order.

    Text values are strings; N, ADR and ORG are lists of components, each a list of strings.
    When vobject gives up on the card, each property is read on its own and those it cannot
    read are dropped (told in `notices`); raises CardError only when no property of the card
    could be read at all and some were dropped.
    """
    if notices is None:
        notices = []
    dropped_before = len(notices)
    properties = clean_card_text(block, notices, charsets)
    try:
        read_lines = list(_read_component(properties).lines())
    except Exception:  # vobject raises many types; each property is then read on its own
        read_lines = []
        for line, text in properties:
            try:
                read_lines.extend(_read_component([(line, text)]).lines())
            except Exception:
                notices.append(f"line {line}: the property's name, parameters or value are malformed; it was dropped")
    if not read_lines and len(notices) > dropped_before:
        raise CardError("no property of the card could be read: " + "; ".join(notices[dropped_before:]))
    found: list[tuple[int, str, object]] = []
    alternatives: set[tuple[str, str]] = set()  # (NAME, ALTID) of once-only properties met
    for order, line in enumerate(read_lines):
        name = line.name.upper()
        value = line.value
        altid = line.params.get("ALTID")
        if altid and name in ONCE_ONLY:
            # RFC 6350 5.4: properties sharing an ALTID are one value in several forms
            # (languages, scripts); the first written stands for them all.
            key = (name, str(altid[0]))
            if key in alternatives:
                continue
            alternatives.add(key)
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
            value = decode_value(value, None, lambda: "latin-1", notices, line.lineNumber or 0)
        elif not isinstance(value, str):
            value = str(value)
        found.append((line.lineNumber or 0, order, name, value))
    found.sort(key=lambda item: item[:2])
    return [(name, value) for _, _, name, value in found]
