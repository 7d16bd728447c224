"""Writing content lines for the files we hand back (vCard 4.0 and iCalendar): one value on
one line, escaped, and long lines folded.

RFC 6350 (vCard, sections 3.2 and 3.4) and RFC 5545 (iCalendar, sections 3.1 and 3.3.11) share
the same content-line rules for what we write: fold at 75 octets, escape backslash, comma and
semicolon in a text value.
"""
from __future__ import annotations

import re

FOLD_OCTETS = 75  # RFC 6350 section 3.2 and RFC 5545 section 3.1: longer lines are folded

# Everything a reader may take for the end of a line (Python's str.splitlines splits on each
# of these), and tabs: written into a value they become a space, so that a value can never
# start a line, a property, a card or an event of its own.
_LINE_BREAKS = re.compile(r"\r\n|[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]")
# The remaining C0 and C1 control characters: no contact or reminder field means one; they
# are dropped.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(value: str) -> str:
    """`value` with line breaks and tabs as spaces and other control characters removed."""
    if value.isprintable():  # nearly every value: nothing to replace
        return value
    return _CONTROLS.sub("", _LINE_BREAKS.sub(" ", value))


def escape_text(value: object) -> str:
    """A text value as both RFCs write it, on one line (None is empty)."""
    text = printable(str(value if value is not None else ""))
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def fold(line: str) -> str:
    """A content line split into pieces of at most 75 octets, never inside a UTF-8 character."""
    if len(line.encode("utf-8")) <= FOLD_OCTETS:  # most lines: nothing to fold
        return line
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = FOLD_OCTETS if not pieces else FOLD_OCTETS - 1  # continuation lines start with a space
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)
