"""Classes of real-world input found by running other libraries' test files through the connectors.

Each test reproduces one class with a hand-made fixture in tests/fixtures/wild/ (the files
that revealed it are named in the docstrings; none of them is copied here): ical4j, libical,
python icalendar, ical.js, py-vobject, DAVx5 and others' test data, read with the search tool.
"""
from __future__ import annotations

import io
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.ics import ATTENDEES_TABLE, EVENTS_TABLE, MEETINGS_TABLE, parse_calendar
from connectors.vcard import TABLE, parse_vcards

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "wild"
# Wide enough that nothing dated in the fixtures falls outside it.
WIDE_START = datetime(1970, 1, 1, tzinfo=timezone.utc)
WIDE_END = datetime(2040, 1, 1, tzinfo=timezone.utc)


def read_cards(name: str, **options):
    with open(FIXTURES / name, "rb") as stream:
        return parse_vcards(stream, name, **options)


def read_calendar(name: str, start: datetime = WIDE_START, end: datetime = WIDE_END):
    with open(FIXTURES / name, "rb") as stream:
        return parse_calendar(stream, name, start, end)


def calendar_from(text: str, start: datetime = WIDE_START, end: datetime = WIDE_END):
    return parse_calendar(io.BytesIO(text.encode("utf-8")), "inline.ics", start, end)


def notes(result) -> list[tuple[str, str]]:
    return [(entry.location, entry.reason) for entry in result.quarantine if entry.scope == "property"]


def lost(result) -> list[tuple[str, str]]:
    return [(entry.location, entry.reason) for entry in result.quarantine if entry.scope != "property"]


def assert_cards_balanced(result) -> None:
    assert result.items == len(result.rows.get(TABLE, [])) + result.quarantined


def assert_events_balanced(result) -> None:
    assert result.items == len(result.rows.get(EVENTS_TABLE, [])) + result.quarantined


# ------------------------------------------------------------------------------- vCard


@pytest.mark.parametrize("use_fast_path", [True, False])
def test_a_malformed_rev_is_dropped_and_the_next_wellformed_one_is_kept(use_fast_path):
    """DAVx5's invalid-rev.vcf: a sync tool wrote `...Z(1)` before the real REV; Evolution
    writes a bare counter (`REV:1`). Neither is a revision time."""
    result = read_cards("rev_malformed_then_wellformed.vcf", use_fast_path=use_fast_path)
    assert_cards_balanced(result)
    first, second = result.rows[TABLE]
    assert first["revision"] == "2021-06-02T10:11:12Z"
    assert second["revision"] is None
    assert notes(result) == [
        ("card 1 (line 1)", "a REV value that is not a date and time was dropped"),
        ("card 2 (line 9)", "a REV value that is not a date and time was dropped"),
    ]
    assert not any("Wren" in reason or "2021" in reason for _, reason in notes(result))


@pytest.mark.parametrize("value", ["20231215T120000Z", "2023-12-15T12:00:00Z", "1997-11-15",
                                   "2023-12-15T12:00:00.250+01:00", "19951031T222710"])
def test_every_timestamp_form_of_rev_is_kept(value):
    card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ines Valdivia\r\nREV:{value}\r\nEND:VCARD\r\n"
    result = parse_vcards(io.BytesIO(card.encode()), "inline.vcf")
    assert result.rows[TABLE][0]["revision"] == value
    assert notes(result) == []


# ---------------------------------------------------------------------------- iCalendar


def test_a_rule_no_date_can_satisfy_keeps_only_dtstart_and_reads_at_once():
    """dateutil looks for the 30th of February second by second up to the year 9999 (over ten
    seconds for one VEVENT); such rules are recognised from their BY parts and dropped."""
    began = time.perf_counter()
    result = read_calendar("rrule_never_matches.ics")
    elapsed = time.perf_counter() - began
    assert elapsed < 1.0
    assert_events_balanced(result)
    assert lost(result) == []
    starts: dict[str, list[str]] = {}
    for row in result.rows[MEETINGS_TABLE]:
        starts.setdefault(row["uid"], []).append(row["starts_at"])
    assert starts["thirtieth-of-february@example.net"] == ["2021-01-15T09:00:00+00:00"]
    assert starts["sixth-monday@example.net"] == ["2021-01-04T09:00:00+00:00"]
    assert starts["week-twenty-in-december@example.net"] == ["2021-01-04T09:00:00+00:00"]
    assert sorted(starts["weekly-and-impossible@example.net"]) == [
        "2021-01-05T09:00:00+00:00", "2021-01-12T09:00:00+00:00", "2021-01-19T09:00:00+00:00"]
    # Possible but rare is left to dateutil: DTSTART, then the leap days 2024 and 2028.
    assert sorted(starts["leap-day@example.net"]) == [
        "2021-03-01T09:00:00+00:00", "2024-02-29T09:00:00+00:00", "2028-02-29T09:00:00+00:00"]
    said = [reason for _, reason in notes(result)]
    assert len(said) == 4 and all("can never occur" in reason for reason in said)


def test_an_unreadable_end_costs_only_the_end_when_the_start_is_sound():
    """libical's incoming.ics writes `DTEND:19970701T1030000Z` (seven digits of time) on a
    meeting with six attendees; losing the meeting for its end lost the people too."""
    result = read_calendar("broken_end_sound_start.ics")
    assert_events_balanced(result)
    meetings = {row["uid"]: row for row in result.rows[MEETINGS_TABLE]}
    review = meetings["seven-digit-end@example.net"]
    assert (review["starts_at"], review["ends_at"]) == ("2019-03-05T14:00:00+00:00", "2019-03-05T14:00:00+00:00")
    assert meetings["unreadable-duration@example.net"]["starts_at"] == "2019-03-06T08:00:00+00:00"
    assert "garbage-start@example.net" not in meetings
    attendees = {row["email"] for row in result.rows[ATTENDEES_TABLE]}
    assert attendees == {"tamsin.okafor@example.net", "bram.lindqvist@example.net"}
    assert notes(result) == [
        ("VEVENT 1 (line 5)", "its DTEND (line 9) is not a valid date or date-time; it was left out and the event read without an end"),
        ("VEVENT 2 (line 14)", "its DURATION (line 18) is not a valid duration (like PT1H); it was left out and the event read without an end"),
    ]
    assert lost(result) == [("VEVENT 3 (line 22)", "its DTSTART (line 25) is not a valid date or date-time")]


@pytest.mark.parametrize("name, charset, people", [
    ("windows_1252_calendar.ics", "cp1252", {"Zoë Hågensen", "François Müller", "Ada Quist"}),
    ("windows_1251_calendar.ics", "cp1251", {"Ольга Смирнова", "Дмитрий Кузнецов", "Татьяна Волкова"}),
])
def test_a_calendar_in_a_windows_code_page_keeps_its_meetings_and_names(name, charset, people):
    """Thunderbird's importLatin1.ics (its import test): a calendar written in the system code
    page, not UTF-8. One accented SUMMARY or CN cost the whole meeting and its attendees."""
    result = read_calendar(name)
    assert_events_balanced(result)
    assert {row["name"] for row in result.rows[ATTENDEES_TABLE]} == people
    assert notes(result) == [("VEVENT 1 (line 4)", f"its text is not UTF-8 (from line 8); it was read as {charset}")]


def test_a_line_with_control_bytes_is_still_binary_and_costs_only_its_event():
    result = read_calendar("windows_1252_calendar.ics")
    assert [row["summary"] for row in result.rows[MEETINGS_TABLE]] == ["Révision trimestrielle", "Stand-up"]
    assert lost(result) == [("VEVENT 3 (line 18)", "line 21 holds control bytes, binary data rather than text")]


def test_short_us_zone_names_are_their_us_zones_and_a_folder_name_no_longer_costs_the_meeting():
    """vPim's test data: an Apple iCal 1.5 reply to a Lotus Notes 6 invitation says
    `TZID=Pacific` with no VTIMEZONE. "Pacific" is a folder of the IANA database, which
    icalendar failed to open: the meeting and its people were lost."""
    result = read_calendar("short_us_and_folder_tzids.ics")
    assert_events_balanced(result)
    assert result.quarantine == []
    starts = {row["uid"]: row["starts_at"] for row in result.rows[MEETINGS_TABLE]}
    assert starts == {
        "budget-sync@example.com": "2004-04-15T19:00:00+00:00",  # 12:00 Pacific daylight time
        "board-prep@example.com": "2004-01-20T14:00:00+00:00",  # 09:00 Eastern standard time
        "folder-named-zone@example.com": "2004-06-01T10:00:00+00:00",  # unknown: floating, as any
    }
    assert {row["email"] for row in result.rows[ATTENDEES_TABLE]} >= {"oskar.lind@example.com", "jonas.weber@example.com"}


def test_a_vtimezone_named_like_a_short_us_zone_is_still_used_first():
    """The file's own "Pacific" here keeps -08:00 all year (America/Los_Angeles would say -07:00)."""
    result = read_calendar("short_us_tzid_with_its_vtimezone.ics")
    assert [row["starts_at"] for row in result.rows[MEETINGS_TABLE]] == ["2004-04-15T20:00:00+00:00"]
    assert [row["name"] for row in result.rows[ATTENDEES_TABLE]] == ["Oskar Lind"]
