"""owner.yaml against hostile and mistyped input: refused fast and named, never run to exhaustion."""
from __future__ import annotations

import io
import time

import pytest

from connectors.owner import MAX_BRACKETS, MAX_DEPTH, MAX_OWNER_BYTES, parse_owner

# Twelve lines that expand to 9**10 strings when a YAML loader follows the aliases.
ALIAS_BOMB = b"""name: Alex Morgan
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
emails: *i
"""


def owner(data: bytes):
    started = time.perf_counter()
    result = parse_owner(io.BytesIO(data), "owner.yaml")
    elapsed = time.perf_counter() - started
    assert result.items == 1 and result.quarantined == (0 if result.rows else 1)
    return result, elapsed


def refusal(result) -> tuple[str, str]:
    assert not result.rows
    [entry] = result.quarantine
    return entry.location, entry.reason


def test_an_alias_bomb_is_refused_in_well_under_a_second():
    result, elapsed = owner(ALIAS_BOMB)
    assert refusal(result) == ("whole file", "uses YAML anchors or aliases (line 2) (under key a), which owner.yaml has no use for")
    assert elapsed < 0.5


def test_an_alias_under_a_known_key_names_that_key():
    result, _ = owner(b"name: &n Alex\nemails: [*n]\n")
    assert refusal(result)[1] == "uses YAML anchors or aliases (line 1) (under key name), which owner.yaml has no use for"


def test_a_list_nested_50000_deep_is_refused_without_a_recursion_error():
    result, elapsed = owner(b"name: " + b"[" * 50_000 + b"]" * 50_000 + b"\n")
    assert refusal(result) == ("whole file", f"larger than {MAX_OWNER_BYTES // 1024} KiB: not an owner.yaml")
    assert elapsed < 0.5


def test_many_flow_brackets_are_refused_unread():
    result, elapsed = owner(b"name: Alex\nemails: " + b"[" * 7_000 + b"]" * 7_000 + b"\n")
    assert refusal(result) == ("whole file", f"more than {MAX_BRACKETS} brackets ([ or {{): not an owner.yaml")
    assert elapsed < 0.1


def test_nesting_deeper_than_an_owner_file_needs_is_refused_naming_the_key():
    result, elapsed = owner(b"name: Alex\nemails:\n  " + b"- " * 5_000 + b"x\n")  # lists in lists, block style
    assert refusal(result) == ("whole file", f"nested more than {MAX_DEPTH} levels deep (line 3) (under key emails)")
    assert elapsed < 0.5


@pytest.mark.parametrize("line, location, reason", [
    (b"name: [Alex, Morgan]", "key name", "name is not text but a list; left out"),
    (b"name: 2024-01-01", "key name", "name is not text but a date; left out"),
    (b"emails: [{a: b}]", "key emails", "emails item 1 is not text but a mapping; left out"),
    (b"emails: [not-an-address]", "key emails", "emails item 1 is not an email address; left out"),
    (b"linkedin: true", "key linkedin", "linkedin is not text but true or false; left out"),
    (b"linkedin: example.com/alex", "key linkedin", "linkedin is not a LinkedIn profile URL (https://www.linkedin.com/in/...); left out"),
    (b"default_region: GBR", "key default_region", "default_region is not a two-letter country code (like GB or US); left out"),
    (b"timezone: Mars/Olympus", "key timezone", "timezone is not an IANA time zone name (like Europe/London); left out"),
    (b"timezone: ../../etc/passwd", "key timezone", "timezone is not an IANA time zone name (like Europe/London); left out"),
])
def test_a_value_of_the_wrong_kind_is_left_out_with_a_note_naming_its_key(line, location, reason):
    other = b"emails: [alex@example.com]\n" if line.startswith(b"name") else b"name: Alex\n"
    result, _ = owner(other + line + b"\n")
    assert [(entry.location, entry.reason, entry.scope) for entry in result.quarantine] == [(location, reason, "property")]
    assert result.rows["owner"]


def test_good_settings_are_read():
    result, _ = owner(b"name: Alex\ndefault_region: gb\ntimezone: Europe/London\n")
    row = result.rows["owner"][0]
    assert (row["default_region"], row["timezone"]) == ("GB", "Europe/London") and not result.quarantine


def test_a_file_whose_every_identity_value_is_unusable_is_refused():
    result, _ = owner(b"name: 42\nemails: [nobody]\n")
    assert not result.rows
    assert [(entry.location, entry.scope) for entry in result.quarantine] == [
        ("key name", "property"), ("key emails", "property"), ("whole file", "file")]
    assert result.quarantine[-1].reason == "none of name, emails or linkedin is given, so the owner cannot be recognised"


def test_a_python_object_tag_is_refused_as_unreadable_yaml():
    result, _ = owner(b"name: !!python/object/apply:os.system ['true']\n")
    location, reason = [(entry.location, entry.reason) for entry in result.quarantine if entry.scope == "file"][0]
    assert location == "whole file" and reason.startswith("not readable YAML")
