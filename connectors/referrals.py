"""Reads the owner's referral log, `referrals.csv`: who referred whom, for what, worth how much."""
from __future__ import annotations

from datetime import date
from typing import BinaryIO

from connectors.normalize import normalize_email, normalize_linkedin_url
from connectors.records import FileResult
from connectors.textfile import logged_rows

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 1

REQUIRED_COLUMNS = ("date", "person", "direction", "kind", "value")
DIRECTIONS = ("received", "given")
KNOWN_KINDS = ("job_offer", "client", "speaking", "intro", "mentorship")
VALUE_RANGE = range(1, 6)


def _parse_date(text: str) -> date:
    text = text.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for separator in ("/", "."):
        parts = text.split(separator)
        if len(parts) == 3 and all(part.isdigit() for part in parts):
            day_first = separator == "."
            first, second, year = (int(part) for part in parts)
            year = year + 2000 if year < 100 else year
            return date(year, second, first) if day_first else date(year, first, second)
    raise ValueError(f"date {text!r} is not YYYY-MM-DD")


def parse_referrals(stream: BinaryIO, source_file: str) -> FileResult:
    result = FileResult(source_file, kind="referrals")
    for position, location, cell in logged_rows(stream, result, REQUIRED_COLUMNS):
        try:
            occurred_on = _parse_date(cell["date"])
        except ValueError as error:
            result.reject(location, str(error))
            continue
        direction = cell["direction"].lower()
        if direction not in DIRECTIONS:
            result.reject(location, f"direction {cell['direction']!r} is neither 'received' nor 'given'")
            continue
        try:
            value = int(float(cell["value"]))
        except (ValueError, OverflowError):  # "inf" and "1e400" read as an infinite float
            value = None
        if value not in VALUE_RANGE:
            result.reject(location, f"value {cell['value']!r} is not a whole number from 1 to 5")
            continue
        person = cell["person"]
        if not person:
            result.reject(location, "person is empty: give a name, an email or a LinkedIn URL")
            continue
        kind = cell["kind"].strip().lower().replace(" ", "_") or "unspecified"
        email = normalize_email(person)
        linkedin_url = None if email else normalize_linkedin_url(person)
        result.add("referrals", {
            "source_file": source_file,
            "position": position,
            "occurred_on": occurred_on.isoformat(),
            "person": person,
            "person_email": email,
            "person_linkedin_url": linkedin_url,
            "person_name": None if (email or linkedin_url) else " ".join(person.split()),
            "direction": direction,
            "kind": kind,
            "known_kind": kind in KNOWN_KINDS,
            "value": value,
            "note": cell.get("note") or None,
        })
    return result
