"""Reads `owner.yaml`: who the owner is, so that they never rank among their own ties."""
from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime
from functools import lru_cache
from typing import BinaryIO

import yaml

from connectors.normalize import normalize_email, normalize_linkedin_url
from connectors.records import FileResult
from connectors.textfile import READ_ERRORS, NotText, decode_small_text

# Bump when this connector's rows change, so that files read by an older version are read again.
# 2: values of the wrong type are left out with a note; timezone is read.
PARSER_VERSION = 2

# owner.yaml holds a name, a few addresses and two settings: a few hundred bytes. Sixteen KiB
# is generous, and bounds what a hostile file can make the reader hold.
MAX_OWNER_BYTES = 16 * 1024
# The deepest structure the file has is a list under a key (emails: [...]): depth 2. A little
# margin for a hand-written mapping; far below what exhausts Python's recursion (~1,000).
MAX_DEPTH = 4
# YAML events (scalars, list and mapping starts and ends) in a real owner.yaml: a few dozen.
MAX_EVENTS = 2_000
# Flow brackets ([ or {) in a real owner.yaml: one per list written inline. YAML's scanner slows
# down with every bracket left open (7,000 cost a quarter of a second), so many are refused unread.
MAX_BRACKETS = 100
_REGION = re.compile(r"[A-Za-z]{2}")
# Keys are named in reasons when they look like a setting's name, never when they could be data.
_KEY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,30}")


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (date, datetime)):
        return "a date"
    return "another kind of value"


class _Refused(ValueError):
    """The whole file cannot be used; the message is the quarantine reason."""


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_structure(text: str) -> None:
    """Walks the YAML events (no objects are built) and refuses what a person's owner.yaml never
    holds: anchors and aliases (an alias bomb expands 12 lines into gigabytes), deep nesting (a
    list 50,000 deep exhausts the recursion of the object builder), and very many values."""
    if text.count("[") + text.count("{") > MAX_BRACKETS:
        raise _Refused(f"more than {MAX_BRACKETS} brackets ([ or {{): not an owner.yaml")
    depth = 0
    top_key: str | None = None
    expecting_key = False
    for count, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader), start=1):
        where = f" (under key {top_key})" if top_key else ""
        if count > MAX_EVENTS:
            raise _Refused(f"more than {MAX_EVENTS:,} values: not an owner.yaml")
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1
            raise _Refused(f"uses YAML anchors or aliases (line {line}){where}, which owner.yaml has no use for")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if depth == 1 and expecting_key:  # a mapping or list used as a key
                top_key = None
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep (line {event.start_mark.line + 1}){where}")
            expecting_key = depth == 1 and isinstance(event, yaml.MappingStartEvent)
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            expecting_key = depth == 1
            continue
        if isinstance(event, yaml.ScalarEvent) and depth == 1:
            if expecting_key:
                top_key = event.value if _KEY_NAME.fullmatch(event.value) else None
            expecting_key = not expecting_key


def _text(document: dict, key: str, result: FileResult) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        result.note(f"key {key}", f"{key} is not text but {_kind_of(value)}; left out")
        return None
    return " ".join(value.split()) or None


def _text_list(document: dict, key: str, result: FileResult) -> list[str]:
    """A list of text under `key`; one bare value is taken as a list of one."""
    value = document.get(key)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    kept = []
    for position, item in enumerate(values, start=1):
        if item is None:  # an empty list item (`- ` alone): nothing given, nothing lost
            continue
        if isinstance(item, (str, int)) and not isinstance(item, bool):
            kept.append(str(item).strip())
        else:
            result.note(f"key {key}", f"{key} item {position} is not text but {_kind_of(item)}; left out")
    return [item for item in kept if item]


def _emails(document: dict, result: FileResult) -> list[str]:
    emails = set()
    for key in ("emails", "email"):
        for position, item in enumerate(_text_list(document, key, result), start=1):
            email = normalize_email(item)
            if email:
                emails.add(email)
            else:
                result.note(f"key {key}", f"{key} item {position} is not an email address; left out")
    return sorted(emails)


def _linkedin_url(document: dict, result: FileResult) -> str | None:
    text = _text(document, "linkedin", result)
    if text is None:
        return None
    url = normalize_linkedin_url(text)
    if url is None:
        result.note("key linkedin", "linkedin is not a LinkedIn profile URL (https://www.linkedin.com/in/...); left out")
    return url


def _region(document: dict, result: FileResult) -> str | None:
    for key in ("default_region", "region"):
        text = _text(document, key, result)
        if text is None:
            continue
        if _REGION.fullmatch(text):
            return text.upper()
        result.note(f"key {key}", f"{key} is not a two-letter country code (like GB or US); left out")
    return None


def _timezone(document: dict, result: FileResult) -> str | None:
    text = _text(document, "timezone", result)
    if text is None:
        return None
    if text in _time_zones():
        return text
    result.note("key timezone", "timezone is not an IANA time zone name (like Europe/London); left out")
    return None


def _owner(stream: BinaryIO, result: FileResult) -> dict:
    data = stream.read(MAX_OWNER_BYTES + 1)
    if len(data) > MAX_OWNER_BYTES:
        raise _Refused(f"larger than {MAX_OWNER_BYTES // 1024} KiB: not an owner.yaml")
    text, repaired = decode_small_text(data)
    if repaired:
        result.note("whole file", repaired)
    try:
        _check_structure(text)
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "not YAML"
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise _Refused(f"not readable YAML ({problem}{where})") from None
    if not isinstance(document, dict):
        raise _Refused("expected a mapping with name, emails and linkedin")
    phones = _text_list(document, "phones", result)
    row = {
        "name": _text(document, "name", result),
        "emails": _emails(document, result),
        "linkedin_url": _linkedin_url(document, result),
        "phones": phones,
        "default_region": _region(document, result),
        "timezone": _timezone(document, result),
    }
    if not (row["name"] or row["emails"] or row["linkedin_url"]):
        raise _Refused("none of name, emails or linkedin is given, so the owner cannot be recognised")
    return row


def parse_owner(stream: BinaryIO, source_file: str) -> FileResult:
    """The owner's identity as one row, or one quarantine row saying why the file is unusable;
    a value of the wrong kind is left out with a note naming its key."""
    result = FileResult(source_file, kind="owner", items=1)
    try:
        row = _owner(stream, result)
    except (_Refused, NotText) as error:
        result.reject("whole file", str(error))
        return result
    except READ_ERRORS as error:
        result.reject("whole file", f"cannot be read ({error})")
        return result
    except Exception as error:  # the fault barrier: owner.yaml never stops a run
        result.reject("whole file", f"could not be read (unexpected {type(error).__name__}; please report it)")
        return result
    result.add("owner", {"source_file": source_file, **row})
    return result
