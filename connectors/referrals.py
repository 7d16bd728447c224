"""Reads the owner's referral log, `referrals.csv`: who referred whom, for what, worth how much."""
from __future__ import annotations

import math
import re
from datetime import date, timedelta
from typing import BinaryIO, Callable

from connectors.normalize import normalize_email, normalize_linkedin_url
from connectors.records import FileResult
from connectors.textfile import RowRefused, read_logged_csv

# Bump when this connector's rows change, so that files read by an older version are read again.
# 2: fractional values and implausible dates are refused; bad bytes are repaired per row.
PARSER_VERSION = 2

REQUIRED_COLUMNS = ("date", "person", "direction", "kind", "value")
OPTIONAL_COLUMNS = ("note",)
DIRECTIONS = ("received", "given")
KNOWN_KINDS = ("job_offer", "client", "speaking", "intro", "mentorship")
# How much a referral was worth to the owner, on the 1 to 5 scale the README gives (4 and up is
# high impact).
VALUE_RANGE = range(1, 6)
# A referral the owner logs happened in their working life: nothing before 1900 is a real date
# (0001-01-01 is what an empty date cell becomes in some tools), and a date more than a year
# ahead is a typo (2062 for 2026), not a plan.
EARLIEST_DATE = date(1900, 1, 1)
MAX_DAYS_AHEAD = 366
# Cells quoted back in a reason only when they are made of these characters (a number or a
# date): anything else may be a name or a note, which a reason never repeats.
_DATE_PART = re.compile(r"[0-9]{1,4}")
_SAFE_TO_QUOTE = re.compile(r"[0-9.,:/ +-]{1,20}")


def _shown(text: str) -> str:
    return f" {text}" if _SAFE_TO_QUOTE.fullmatch(text) else ""


def _parse_date(text: str) -> date:
    text = text.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for separator in ("/", "."):
        parts = text.split(separator)
        # ASCII digits only: str.isdigit also takes "²", which int() refuses.
        if len(parts) == 3 and all(_DATE_PART.fullmatch(part) for part in parts):
            day_first = separator == "."
            first, second, year = (int(part) for part in parts)
            year = year + 2000 if year < 100 else year
            try:
                return date(year, second, first) if day_first else date(year, first, second)
            except ValueError:
                break
    raise RowRefused(f"date{_shown(text)} is not a date: write it as YYYY-MM-DD")


def _occurred_on(text: str, today: date) -> date:
    occurred_on = _parse_date(text)
    if occurred_on < EARLIEST_DATE:
        raise RowRefused(f"date {occurred_on.isoformat()} is before {EARLIEST_DATE.year}: not a plausible referral date")
    if occurred_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise RowRefused(f"date {occurred_on.isoformat()} is more than a year ahead: not a plausible referral date")
    return occurred_on


def _value(text: str) -> int:
    """A whole number from 1 to 5. `4.0` is four; `4.9` is refused rather than rounded: the log
    is the owner's own judgement, and a fraction says their scale is finer than ours, which only
    they can map (rounding would silently move half of such values a whole step)."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number.is_integer() and int(number) in VALUE_RANGE):
        raise RowRefused(f"value{_shown(text)} is not a whole number from 1 to 5")
    return int(number)


def _referral(today: date) -> Callable[[dict[str, str], Callable[[str], None]], dict]:
    def build(cell: dict[str, str], note: Callable[[str], None]) -> dict:
        occurred_on = _occurred_on(cell["date"], today)
        direction = cell["direction"].lower()
        if direction not in DIRECTIONS:
            raise RowRefused("direction is neither 'received' nor 'given'")
        value = _value(cell["value"])
        person = cell["person"]
        if not person:
            raise RowRefused("person is empty: give a name, an email or a LinkedIn URL")
        kind = "_".join(cell["kind"].lower().split()) or "unspecified"
        email = normalize_email(person)
        linkedin_url = None if email else normalize_linkedin_url(person)
        return {
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
        }
    return build


def parse_referrals(stream: BinaryIO, source_file: str, today: date | None = None) -> FileResult:
    """Rows of the referral log; `today` (default: the real one) bounds how far ahead a date may be."""
    result = FileResult(source_file, kind="referrals")
    return read_logged_csv(stream, result, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, "referrals",
                           _referral(today or date.today()))
