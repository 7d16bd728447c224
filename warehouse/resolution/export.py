"""The merged address book as one vCard 4.0 file (RFC 6350), one card per resolved person."""
from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from .features import as_list, clean_text

# Fixed namespace so that a person's UID is the same on every export (importers update the
# card instead of adding a duplicate); derived from the cluster key, which is stable.
UID_NAMESPACE = uuid.UUID("5f0f6a52-7c1e-4d0e-9a53-2b8e6f1d9c41")
FOLD_OCTETS = 75  # RFC 6350 section 3.2: lines longer than 75 octets are folded
# Marks the file as ours, so that a copy dropped in the inbox is not read back as contacts
# (connectors.sources.OWN_PRODID_PREFIX).
ADDRESS_BOOK_PRODID = "PRODID:-//strongties//address book//EN"


# Everything a reader may take for the end of a line (Python's str.splitlines splits on each
# of these), and tabs: written into a value they become a space, so that a value can never
# start a line, a property or a card of its own.
_LINE_BREAKS = re.compile(r"\r\n|[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]")
# The remaining C0 and C1 control characters: no contact field means one; they are dropped.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A telephone number written as a `tel:` URI: E.164, a plus and digits only (RFC 3966).
_E164 = re.compile(r"\+[0-9]{2,20}")
_BIRTHDAY = re.compile(r"(?:[0-9]{8}|--[0-9]{4})")
# Characters a URI may hold as they are (RFC 3986), minus the comma and semicolon that
# separate vCard values; everything else, non-ASCII included, is percent-encoded.
_URI_SAFE = ":/?#[]@!$&'()*+=-._~%"


def printable(value: str) -> str:
    """`value` with line breaks and tabs as spaces and other control characters removed."""
    if value.isprintable():  # nearly every value: nothing to replace
        return value
    return _CONTROLS.sub("", _LINE_BREAKS.sub(" ", value))


def _escape(value: str) -> str:
    """A text value as RFC 6350 section 3.4 writes it, on one line."""
    return printable(value).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def _fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets without cutting a UTF-8 character."""
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


def _birthday(value: str) -> str:
    """`YYYY-MM-DD` → `YYYYMMDD`; `--MM-DD` (no year) → `--MMDD` as RFC 6350 writes it."""
    if value.startswith("--"):
        return "--" + value[2:].replace("-", "")
    return value.replace("-", "")


def card_lines(person: dict) -> list[str]:
    display = clean_text(person.get("display_name")) or clean_text(person.get("cluster_key"))
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        ADDRESS_BOOK_PRODID,
        f"UID:urn:uuid:{uuid.uuid5(UID_NAMESPACE, clean_text(person.get('cluster_key')))}",
        f"FN:{_escape(display)}",
        f"N:{_escape(clean_text(person.get('family_name')))};{_escape(clean_text(person.get('given_name')))};;;",
    ]
    for preference, email in enumerate(as_list(person.get("emails")), start=1):
        lines.append(f"EMAIL;PREF={preference}:{_escape(email)}" if preference == 1 else f"EMAIL:{_escape(email)}")
    for phone in as_list(person.get("phones")):
        if _E164.fullmatch(phone):
            lines.append(f"TEL;VALUE=uri:tel:{phone}")
        else:
            lines.append(f"TEL;VALUE=text:{_escape(phone)}")
    if clean_text(person.get("linkedin_url")):
        lines.append(f"URL;TYPE=linkedin:{quote(printable(clean_text(person.get('linkedin_url'))), safe=_URI_SAFE)}")
    if clean_text(person.get("company")):
        lines.append(f"ORG:{_escape(clean_text(person.get('company')))}")
    if clean_text(person.get("title")):
        lines.append(f"TITLE:{_escape(clean_text(person.get('title')))}")
    birthday = _birthday(clean_text(person.get("birthday")))
    if _BIRTHDAY.fullmatch(birthday):
        lines.append(f"BDAY:{birthday}")
    lines.append("END:VCARD")
    return [_fold(line) for line in lines]


def write_vcard4(golden: pd.DataFrame, path: str | Path) -> int:
    """Write one card per golden record to `path` (UTF-8, CRLF line ends); returns the card count."""
    output = Path(path)
    output.parent.mkdir(parents=True, exist_ok=True)
    cards = ["\r\n".join(card_lines(person)) for person in golden.to_dict("records")]
    output.write_bytes(("\r\n".join(cards) + ("\r\n" if cards else "")).encode("utf-8"))
    return len(cards)
