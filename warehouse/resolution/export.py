"""The merged address book as one vCard 4.0 file (RFC 6350), one card per resolved person."""
from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from warehouse.content_lines import escape_text, fold, printable

from .features import as_list, clean_text

# Fixed namespace so that a person's UID is the same on every export (importers update the
# card instead of adding a duplicate); derived from the cluster key, which is stable.
UID_NAMESPACE = uuid.UUID("5f0f6a52-7c1e-4d0e-9a53-2b8e6f1d9c41")
# Marks the file as ours, so that a copy dropped in the inbox is not read back as contacts
# (connectors.sources.OWN_PRODID_PREFIX).
ADDRESS_BOOK_PRODID = "PRODID:-//strongties//address book//EN"


# A telephone number written as a `tel:` URI: E.164, a plus and digits only (RFC 3966).
_E164 = re.compile(r"\+[0-9]{2,20}")
_BIRTHDAY = re.compile(r"(?:[0-9]{8}|--[0-9]{4})")
# Characters a URI may hold as they are (RFC 3986), minus the comma and semicolon that
# separate vCard values; everything else, non-ASCII included, is percent-encoded.
_URI_SAFE = ":/?#[]@!$&'()*+=-._~%"


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
        f"FN:{escape_text(display)}",
        f"N:{escape_text(clean_text(person.get('family_name')))};{escape_text(clean_text(person.get('given_name')))};;;",
    ]
    for preference, email in enumerate(as_list(person.get("emails")), start=1):
        lines.append(f"EMAIL;PREF={preference}:{escape_text(email)}" if preference == 1 else f"EMAIL:{escape_text(email)}")
    for phone in as_list(person.get("phones")):
        if _E164.fullmatch(phone):
            lines.append(f"TEL;VALUE=uri:tel:{phone}")
        else:
            lines.append(f"TEL;VALUE=text:{escape_text(phone)}")
    if clean_text(person.get("linkedin_url")):
        lines.append(f"URL;TYPE=linkedin:{quote(printable(clean_text(person.get('linkedin_url'))), safe=_URI_SAFE)}")
    if clean_text(person.get("company")):
        lines.append(f"ORG:{escape_text(clean_text(person.get('company')))}")
    if clean_text(person.get("title")):
        lines.append(f"TITLE:{escape_text(clean_text(person.get('title')))}")
    birthday = _birthday(clean_text(person.get("birthday")))
    if _BIRTHDAY.fullmatch(birthday):
        lines.append(f"BDAY:{birthday}")
    lines.append("END:VCARD")
    return [fold(line) for line in lines]


def write_vcard4(golden: pd.DataFrame, path: str | Path) -> int:
    """Write one card per golden record to `path` (UTF-8, CRLF line ends); returns the card count."""
    output = Path(path)
    output.parent.mkdir(parents=True, exist_ok=True)
    cards = ["\r\n".join(card_lines(person)) for person in golden.to_dict("records")]
    output.write_bytes(("\r\n".join(cards) + ("\r\n" if cards else "")).encode("utf-8"))
    return len(cards)
