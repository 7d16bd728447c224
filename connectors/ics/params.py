"""Property parameters as real writers put them: checking a content line, repairing escapes,
and reading the person named by a CN.

RFC 5545 §3.1 gives a content line as `name *(";" param) ":" value`, a parameter value
quoted when it holds `;`, `:` or `,`; RFC 6868 adds `^n`, `^'` and `^^` inside parameter
values. Writers also put backslash escapes there (`CN=Joe Bob\\: Magician`, `\\"`), which
icalendar reads for most characters but not for a double quote.
"""
from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z0-9-]+")


def line_problem(line: str, number: int) -> str | None:
    """What is wrong with one content line, said for the owner; None when it is well formed.

    The reasons name the property, the parameter and the line, never the values: those hold
    names and addresses.
    """
    match = _NAME.match(line)
    if not match:
        return f"line {number} does not start with a property name"
    name = match.group(0).upper()
    position = match.end()
    while position < len(line) and line[position] == ";":
        param = _NAME.match(line, position + 1)
        if not param:
            return f"a parameter of {name} on line {number} has no name"
        param_name = param.group(0).upper()
        position = param.end()
        if position >= len(line) or line[position] != "=":
            return f"the {param_name} parameter of {name} on line {number} has no '=' and value"
        position += 1
        while True:
            if position < len(line) and line[position] == '"':
                closing = line.find('"', position + 1)
                if closing < 0:
                    return f"{param_name} parameter is not closed (line {number}): a double quote is missing"
                position = closing + 1
            else:
                while position < len(line) and line[position] not in ';:,"':
                    position += 1
                if position < len(line) and line[position] == '"':
                    return f"{param_name} parameter has a stray double quote (line {number})"
            if position < len(line) and line[position] == ",":
                position += 1
                continue
            break
    if position >= len(line) or line[position] != ":":
        return f"{name} on line {number} has no ':' before its value"
    return None


_BACKSLASH_QUOTE = re.compile(r'\\"')


def repair_parameters(line: str) -> str:
    """A line whose quoted parameter values hold `\\"` (some writers escape a double quote with
    a backslash) rewritten with RFC 6868's `^'`, which icalendar reads as a double quote.

    Only the part before the value is touched; a line without `\\"` is returned as it is.
    """
    if '\\"' not in line:
        return line
    out = []
    in_quotes = False
    index = 0
    while index < len(line):
        char = line[index]
        if in_quotes and char == "\\" and line.startswith('\\"', index):
            # An escaped quote, unless it is the closing quote of a value ending in a backslash:
            # it is escaped only when more of the quoted value follows before the next ; or :.
            rest = line[index + 2:]
            closing = rest.find('"')
            if closing >= 0:
                out.append("^'")
                index += 2
                continue
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            out.append(line[index:])
            return "".join(out)
        out.append(char)
        index += 1
    return "".join(out)


def unquote_address(value: str) -> str:
    """`"mailto:ada@example.com"` (the whole value quoted, as some Exchange and Notes versions
    write ORGANIZER and ATTENDEE) read as the address it holds."""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].strip()
    return text


# Lotus Notes writes people as hierarchical names: "Scott Perry/Certicom", or in canonical
# form "CN=Scott Perry/OU=Sales/O=Certicom" (with the CN= kept inside the CN parameter). The
# part after the first slash is the organisation tree, not part of the name.
_CANONICAL_PART = re.compile(r"^\s*(CN|OU|O|C)\s*=\s*", re.I)


def split_hierarchical_name(name: str | None) -> tuple[str | None, str | None]:
    """(person's name, organisation) of a CN; (name, None) when it is not a Notes name.

    A slash is read as a Notes hierarchy only when it separates a plausible name from a part
    without spaces around it or with canonical `OU=`/`O=` labels: "Sales / Marketing sync"
    (spaces around the slash) is left alone.
    """
    if not name or "/" not in name:
        return name, None
    parts = name.split("/")
    canonical = any(_CANONICAL_PART.match(part) for part in parts)
    if not canonical and any(part != part.strip() or not part.strip() for part in parts):
        return name, None
    labelled = [(_CANONICAL_PART.match(part), part) for part in parts]
    cleaned = [part[label.end():].strip() if label else part.strip() for label, part in labelled]
    person = cleaned[0]
    if not person:
        return name, None
    # The organisation is the top of the tree (O=), else the last part.
    org = next((cleaned[i] for i, (label, _) in enumerate(labelled) if label and label.group(1).upper() == "O"), None)
    org = org or cleaned[-1]
    return person, (org or None)
