"""Reads `cadence.csv`, the keep-in-touch rhythm the owner sets: `person,every_days`."""
from __future__ import annotations

import math
import re
from typing import BinaryIO, Callable

from connectors.normalize import normalize_email, normalize_linkedin_url
from connectors.records import FileResult
from connectors.textfile import RowRefused, read_logged_csv

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 1

REQUIRED_COLUMNS = ("person", "every_days")
OPTIONAL_COLUMNS = ("note",)
# A rhythm is a whole number of days. Daily is the tightest that a reminder can keep; beyond
# three years a tie is no longer being kept in touch with (Dunbar's outermost layer of 150 is
# kept yearly), so a longer figure is a typo (365 written as 3650) and is refused, not obeyed.
MIN_EVERY_DAYS = 1
MAX_EVERY_DAYS = 3 * 366
# Cells quoted back in a reason only when they look like a number: anything else may be a
# name or a note, which a reason never repeats.
_SAFE_TO_QUOTE = re.compile(r"[0-9.,+-]{1,12}")


def _shown(text: str) -> str:
    return f" {text}" if _SAFE_TO_QUOTE.fullmatch(text) else ""


def _every_days(text: str) -> int:
    """A whole number of days; `30.0` is thirty, `30.5` is refused rather than rounded."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number.is_integer()):
        raise RowRefused(f"every_days{_shown(text)} is not a whole number of days")
    if not MIN_EVERY_DAYS <= number <= MAX_EVERY_DAYS:
        raise RowRefused(f"every_days{_shown(text)} is outside {MIN_EVERY_DAYS} to {MAX_EVERY_DAYS} days "
                         "(daily to every three years)")
    return int(number)


def _rhythm(cell: dict[str, str], note: Callable[[str], None]) -> dict:
    person = cell["person"]
    if not person:
        raise RowRefused("person is empty: give a name, an email or a LinkedIn URL")
    every_days = _every_days(cell["every_days"])
    email = normalize_email(person)
    linkedin_url = None if email else normalize_linkedin_url(person)
    return {
        "person": person,
        "person_email": email,
        "person_linkedin_url": linkedin_url,
        "person_name": None if (email or linkedin_url) else " ".join(person.split()),
        "every_days": every_days,
    }


def parse_cadence(stream: BinaryIO, source_file: str) -> FileResult:
    """One row per rhythm the owner set; a row without a person or with an unusable rhythm is
    a quarantine row naming its place. Whom a row names is found after identity resolution."""
    result = FileResult(source_file, kind="cadence")
    return read_logged_csv(stream, result, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, "cadence", _rhythm)
