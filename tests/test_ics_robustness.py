"""The calendar connector on what stopped runs or read wrong (issue 11) and on hostile input
(issue 12): each quirk has its own small fixture in tests/fixtures/ics/."""
from __future__ import annotations

import io
import time
import tracemalloc
from datetime import datetime, timezone

import pytest

import connectors.ics as ics
import connectors.ics.lines as ics_lines
from connectors.ics import ATTENDEES_TABLE, EVENTS_TABLE, MEETINGS_TABLE, parse_calendar
from connectors.ics.recurrence import MAX_OCCURRENCES_PER_SERIES

from test_ics import FIXTURES, WINDOW_END, WINDOW_START, meetings, read, read_bytes


def lost(result) -> list:
    return [entry for entry in result.quarantine if entry.scope != "property"]


def notes(result) -> list:
    return [entry for entry in result.quarantine if entry.scope == "property"]


def assert_items_conserved(result) -> None:
    assert result.items == len(result.rows.get(EVENTS_TABLE, [])) + result.quarantined


def people(result, occurrence_id: str) -> dict:
    return {row["email"]: row for row in result.rows.get(ATTENDEES_TABLE, []) if row["occurrence_id"] == occurrence_id}


def calendar(*event_lines: str, header: tuple[str, ...] = ()) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//strongties tests//EN", *header,
             "BEGIN:VEVENT", "UID:generated@example.com", "DTSTAMP:20240101T000000Z", *event_lines,
             "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode("utf-8")


# 1. Duplicate single-valued properties


def test_duplicate_single_valued_properties_use_the_first_and_say_so():
    result = read("duplicate_properties.ics")
    rows = meetings(result)
    planning = rows[0]
    assert (planning["starts_at"], planning["ends_at"]) == ("2024-03-04T09:00:00+00:00", "2024-03-04T09:30:00+00:00")
    assert planning["uid"] == "dup-start@example.com"
    assert (planning["summary"], planning["status"], planning["organizer_email"]) == ("Planning", "CONFIRMED", "ada@example.com")
    # The first DURATION (45 minutes); two RRULEs are both read (their union: five days).
    assert [row["duration_minutes"] for row in rows if row["summary"] == "Standup"] == [45.0] * 5
    # The override keeps its first RECURRENCE-ID (18 March): that slot moves, 25 March stays.
    assert [row["starts_at"][:10] for row in rows if row["uid"] == "dup-override@example.com"] == [
        "2024-03-11", "2024-03-19", "2024-03-25"]
    assert not lost(result)
    duplicated = {entry.reason.split()[2] for entry in notes(result)}
    assert duplicated == {"UID", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER", "STATUS", "DURATION",
                          "SEQUENCE", "RECURRENCE-ID"}
    assert "a second DTSTART (line 9) was ignored" in {entry.reason[:37] for entry in notes(result)}
    assert_items_conserved(result)


# 2. Fault barrier


def test_a_vevent_the_reader_fails_on_is_one_quarantine_row_and_the_others_stay(monkeypatch):
    real_people = ics._people

    def failing_for_planning(occurrence, *args):
        if str(occurrence.get("SUMMARY")) == "Planning":
            raise RuntimeError("simulated bug")
        return real_people(occurrence, *args)

    monkeypatch.setattr(ics, "_people", failing_for_planning)
    result = read("duplicate_properties.ics")
    assert [entry.location for entry in lost(result)] == ["VEVENT 1 (line 4)"]
    assert "internal error" in lost(result)[0].reason and "simulated" not in lost(result)[0].reason
    assert "Planning" not in {row["summary"] for row in meetings(result)}
    assert {row["summary"] for row in meetings(result)} == {"Standup", "Weekly", "Weekly (moved)"}
    assert_items_conserved(result)


def test_a_failure_inside_a_recurring_series_takes_back_rows_already_made(monkeypatch):
    real_emit = ics._Expander._emit
    calls = {"count": 0}

    def emit_then_fail(self, component, block, *args):
        if block.uid == "dup-override@example.com":
            calls["count"] += 1
            if calls["count"] == 2:
                raise ValueError("simulated")
        return real_emit(self, component, block, *args)

    monkeypatch.setattr(ics._Expander, "_emit", emit_then_fail)
    result = read("duplicate_properties.ics")
    (entry,) = lost(result)
    failed = int(entry.location.split()[1])
    assert failed in (3, 4) and "internal error" in entry.reason
    # Rows the failed VEVENT had already produced are taken back, with their attendees.
    assert all(row["vevent_position"] != failed for row in meetings(result))
    kept = {row["occurrence_id"] for row in meetings(result)}
    assert {row["occurrence_id"] for row in result.rows.get(ATTENDEES_TABLE, [])} <= kept
    assert_items_conserved(result)


def test_nothing_escapes_parse_calendar_even_when_the_line_reader_breaks(monkeypatch):
    def broken(*args, **kwargs):
        raise MemoryError("simulated")

    monkeypatch.setattr(ics, "logical_lines", broken)
    result = read("cancelled.ics")
    assert result.items == 1 and result.quarantined == 1
    assert result.quarantine[0].location == "whole file" and "internal error" in result.quarantine[0].reason


def test_an_attendee_that_cannot_be_read_loses_only_itself(monkeypatch):
    real_normalize = ics.normalize_email

    def picky(value):
        if "joe@" in value:
            raise ValueError("simulated")
        return real_normalize(value)

    monkeypatch.setattr(ics, "normalize_email", picky)
    result = read("escaped_parameters.ics")
    (row,) = meetings(result)
    assert "joe@example.com" not in people(result, row["occurrence_id"])
    assert "cleo@example.net" in people(result, row["occurrence_id"])
    assert [entry.reason for entry in notes(result)] == ["ATTENDEE 1 could not be read and was left out"]
    assert not lost(result)


# 3. Folding inside a multi-byte character


def test_a_line_folded_inside_a_utf8_character_is_unfolded_before_decoding():
    result = read("folded_inside_utf8.ics")
    (row,) = meetings(result)
    assert row["summary"].endswith("Café crème")
    assert not result.quarantine


# 4. Windows display names as TZID


def test_exchange_display_name_zones_land_on_the_right_utc_instant():
    rows = meetings(read("exchange_display_name_tzid.ics"))
    daily = [row for row in rows if row["summary"] == "Daily sync"]
    assert len(daily) == 90
    # 09:00 in New York: UTC-5 in winter, UTC-4 from 10 March 2024 (summer time).
    assert daily[0]["starts_at"] == "2024-01-01T14:00:00+00:00"
    assert daily[-1]["starts_at"] == "2024-03-30T13:00:00+00:00"
    by_summary = {row["summary"]: row for row in rows}
    # Sydney in July is UTC+10 (no summer time then).
    assert by_summary["Sydney winter"]["starts_at"] == "2024-07-14T23:00:00+00:00"
    # A label not in the table: the offset written in it.
    assert by_summary["Offset only"]["starts_at"] == "2024-07-15T03:15:00+00:00"


def test_a_vtimezone_named_like_a_display_name_in_the_file_wins():
    (row,) = meetings(read("display_name_tzid_with_vtimezone.ics"))
    assert row["starts_at"] == "2024-01-10T12:00:00+00:00"  # the file's own -03:00, not New York


# 5. Lotus Notes hierarchical names


def test_lotus_notes_hierarchical_names_keep_the_person_and_move_the_organisation():
    result = read("lotus_notes_names.ics")
    (row,) = meetings(result)
    assert (row["organizer_name"], row["organizer_email"]) == ("Scott Perry", "scott.perry@example.com")
    found = people(result, row["occurrence_id"])
    assert (found["scott.perry@example.com"]["name"], found["scott.perry@example.com"]["organization"]) == ("Scott Perry", "Certicom")
    assert (found["dana.lee@example.com"]["name"], found["dana.lee@example.com"]["organization"]) == ("Dana Lee", "Certicom")
    assert (found["ravi@example.org"]["name"], found["ravi@example.org"]["organization"]) == ("Ravi Shah", "Acme")
    # A slash with spaces around it is part of an ordinary name.
    assert (found["team@example.org"]["name"], found["team@example.org"]["organization"]) == ("Sales / Marketing", None)


# 6. Escapes in parameter values, quoted addresses


def test_escaped_characters_in_parameters_and_quoted_addresses_are_read():
    result = read("escaped_parameters.ics")
    (row,) = meetings(result)
    assert row["organizer_email"] == "ada@example.com"
    names = {email: person["name"] for email, person in people(result, row["occurrence_id"]).items()}
    assert names == {
        "joe@example.com": "Joe Bob: Magician",
        "cleo@example.net": 'Cleo "The Great" Example',
        "dan@example.org": 'Dan "Danny" Example',
        "eve@example.org": "Eve^Example, PhD",
        "fay@example.org": "Fay Example",
        "ada@example.com": "Ada Example",
    }
    assert not result.quarantine


# 7. COUNT counts DTSTART


def test_count_counts_a_dtstart_that_the_rule_does_not_give_as_the_first_occurrence():
    rows = meetings(read("count_with_unmatched_dtstart.ics"))
    by_uid: dict[str, list[str]] = {}
    for row in rows:
        by_uid.setdefault(row["uid"], []).append(row["starts_at"][:10])
    assert by_uid["count-tuesday@example.com"] == ["2024-01-02", "2024-01-08"]
    assert by_uid["count-monday@example.com"] == ["2024-01-01", "2024-01-08"]
    assert by_uid["count-one@example.com"] == ["2024-01-03"]


# 8. Runaway recurrence


RUNAWAYS = {
    "secondly forever": ("DTSTART:20240101T000000Z", "RRULE:FREQ=SECONDLY"),
    "minutely, a billion times": ("DTSTART:20240101T000000Z", "RRULE:FREQ=MINUTELY;COUNT=1000000000"),
    "hourly from year 1 to 9999": ("DTSTART:00010101T000000Z", "RRULE:FREQ=HOURLY;UNTIL=99991231T000000Z"),
    "secondly from year 1": ("DTSTART:00010101T000000", "RRULE:FREQ=SECONDLY;INTERVAL=7"),
}


@pytest.mark.parametrize("lines", RUNAWAYS.values(), ids=RUNAWAYS.keys())
def test_a_runaway_rule_is_cut_at_the_cap_quickly_and_says_so(lines):
    started = time.perf_counter()
    result = read_bytes(calendar(*lines, "SUMMARY:Runaway"))
    elapsed = time.perf_counter() - started
    assert elapsed < 5  # about a second on a laptop; minutes (or never) before
    rows = meetings(result)
    assert len(rows) == MAX_OCCURRENCES_PER_SERIES
    assert all(WINDOW_START.isoformat() <= row["starts_at"] < WINDOW_END.isoformat() for row in rows)
    (note,) = notes(result)
    assert f"more than {MAX_OCCURRENCES_PER_SERIES:,} times" in note.reason
    assert_items_conserved(result)


def test_a_rule_moved_forward_keeps_its_occurrences_on_their_grid():
    # Every 7 hours from 1 January 2001 00:00 UTC; the window starts 2015-01-01.
    result = read_bytes(calendar("DTSTART:20010101T000000Z", "RRULE:FREQ=HOURLY;INTERVAL=7;UNTIL=20150110T000000Z"))
    starts = [datetime.fromisoformat(row["starts_at"]) for row in meetings(result)]
    origin = datetime(2001, 1, 1, tzinfo=timezone.utc)
    assert starts and all((start - origin).total_seconds() % (7 * 3600) == 0 for start in starts)
    assert starts[0] < datetime(2015, 1, 1, 7, tzinfo=timezone.utc)
    assert len(starts) == 31  # 9 days of 24/7 occurrences, UNTIL inclusive
    assert not result.quarantine


def test_a_huge_count_with_by_parts_far_before_the_window_is_quarantined_not_run():
    result = read_bytes(calendar("DTSTART:00010101T000000Z", "RRULE:FREQ=MINUTELY;BYSECOND=0,30;COUNT=999999999"))
    (entry,) = lost(result)
    assert "too many to count through" in entry.reason
    assert_items_conserved(result)


# 9. Long lines


class _GeneratedStream(io.RawIOBase):
    """A file of `size` bytes made on the fly: nothing of it is ever held whole."""

    def __init__(self, prefix: bytes, filler: bytes, size: int, suffix: bytes):
        self.parts = [prefix]
        self.remaining = size
        self.filler = filler
        self.suffix = suffix

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.parts:
            data = self.parts.pop(0)
        elif self.remaining > 0:
            data = self.filler[: min(len(buffer), self.remaining)]
            self.remaining -= len(data)
        elif self.suffix:
            data, self.suffix = self.suffix, b""
        else:
            return 0
        data = data[: len(buffer)]
        buffer[: len(data)] = data
        return len(data)


def test_a_one_line_file_of_50_mb_is_quarantined_by_its_line_without_being_held():
    size = 50 * 1024 * 1024
    stream = _GeneratedStream(b"BEGIN:VCALENDAR", b"A" * (1024 * 1024), size, b"")
    tracemalloc.start()
    try:
        result = parse_calendar(io.BufferedReader(stream, 1024 * 1024), "inbox/one_line.ics", WINDOW_START, WINDOW_END)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * ics_lines.MAX_LINE_BYTES
    assert result.items == 1
    (entry,) = result.quarantine
    assert entry.location == "whole file" and "(line 1)" in entry.reason and "limit" in entry.reason


def test_an_overlong_property_the_connector_reads_quarantines_its_vevent(monkeypatch):
    monkeypatch.setattr(ics_lines, "MAX_LINE_BYTES", 2000)
    data = calendar("DTSTART:20240102T090000Z", "SUMMARY:" + "x" * 5000)
    result = read_bytes(data + calendar("DTSTART:20240103T090000Z"))
    (entry,) = lost(result)
    assert entry.location == "VEVENT 1 (line 4)"
    assert "SUMMARY line (line 8)" in entry.reason and "2,000-byte" in entry.reason
    assert [row["starts_at"][:10] for row in meetings(result)] == ["2024-01-03"]


def test_an_overlong_attachment_is_dropped_and_its_event_kept(monkeypatch):
    monkeypatch.setattr(ics_lines, "MAX_LINE_BYTES", 2000)
    folded = "\r\n ".join(["ATTACH;VALUE=BINARY;ENCODING=BASE64:" + "Q" * 40] + ["Q" * 74] * 100)
    result = read_bytes(calendar("DTSTART:20240102T090000Z", folded, "DURATION:PT1H"))
    (row,) = meetings(result)
    assert row["duration_minutes"] == 60.0 and not result.quarantine


def test_crlf_split_across_read_chunks_keeps_line_numbers(monkeypatch):
    monkeypatch.setattr(ics_lines, "CHUNK_BYTES", 7)
    result = read("broken_between_good.ics")
    assert [entry.location for entry in lost(result)] == ["VEVENT 3 (line 16)", "VEVENT 4 (line 22)", "VEVENT 6 (line 36)"]


# 10. Reasons for the owner, without personal data


def test_reasons_name_the_parameter_and_line_and_quote_no_personal_data():
    result = read("tzid_not_closed.ics")
    (entry,) = lost(result)
    assert "TZID parameter is not closed (line 7)" in entry.reason
    for private in ("Zoe", "zoe.private", "Secret", "Europe/Paris:2024"):
        assert private not in entry.reason
    assert [row["summary"] for row in meetings(result)] == ["Fine"]


def test_a_bad_time_value_is_explained_without_the_librarys_message():
    result = read_bytes(calendar("DTSTART:not-a-date-of-ada@example.com", "DTEND:20240102T100000Z"))
    (entry,) = lost(result)
    assert entry.reason == "its DTSTART (line 7) is not a valid date or date-time"


def test_a_bad_end_value_is_noted_without_the_librarys_message_and_the_event_kept():
    result = read_bytes(calendar("DTSTART:20240102T090000Z", "DTEND:not-a-date-of-ada@example.com"))
    assert lost(result) == []
    (entry,) = result.quarantine
    assert entry.reason == "its DTEND (line 8) is not a valid date or date-time; it was left out and the event read without an end"


def test_two_rrules_as_zimbra_writes_them_give_the_union_of_their_occurrences():
    result = read("two_rrules.ics")
    assert [row["starts_at"][:10] for row in meetings(result)] == [
        "2024-04-01", "2024-04-08", "2024-04-15", "2024-05-15"]  # 15 April is in both
    assert not result.quarantine
