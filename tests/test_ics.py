"""The calendar connector on small fixtures, one per quirk of real calendar exports."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from connectors.ics import ATTENDEES_TABLE, MEETINGS_TABLE, parse_calendar

FIXTURES = Path(__file__).parent / "fixtures" / "ics"
WINDOW_START = datetime(2015, 1, 1, tzinfo=timezone.utc)
WINDOW_END = datetime(2026, 1, 1, tzinfo=timezone.utc)


def read(name: str, start: datetime = WINDOW_START, end: datetime = WINDOW_END):
    with open(FIXTURES / name, "rb") as stream:
        return parse_calendar(stream, f"cal/{name}", start, end)


def read_bytes(data: bytes, name: str = "inbox/test.ics"):
    return parse_calendar(io.BytesIO(data), name, WINDOW_START, WINDOW_END)


def meetings(result) -> list[dict]:
    return sorted(result.rows.get(MEETINGS_TABLE, []), key=lambda row: row["starts_at"])


def attendees(result, occurrence_id: str) -> dict[str | None, dict]:
    return {
        row["email"]: row
        for row in result.rows.get(ATTENDEES_TABLE, [])
        if row["occurrence_id"] == occurrence_id
    }


def assert_conserved(result, undated: frozenset[int] = frozenset()) -> None:
    """Every VEVENT read is a source of rows, a quarantine entry, or (here) neither only when
    it falls outside the window or is an undated note; fixtures that test this pass a window
    covering everything."""
    with_rows = {row["vevent_position"] for row in result.rows.get(MEETINGS_TABLE, [])}
    quarantined = {int(q.location.split()[1]) for q in result.quarantine}
    assert not with_rows & quarantined
    assert len(result.quarantine) == len(quarantined)
    assert with_rows | quarantined | undated == set(range(1, result.items + 1))


def test_weekly_one_on_one_skips_exdate_and_follows_the_moved_occurrence():
    result = read("weekly_one_on_one.ics")
    rows = meetings(result)
    # Six Mondays from 4 March, minus the EXDATE of 18 March, with 25 March moved to Wednesday.
    assert [row["starts_at"] for row in rows] == [
        "2024-03-04T09:00:00+00:00",
        "2024-03-11T09:00:00+00:00",
        "2024-03-27T14:00:00+00:00",  # moved, and summer time in Paris from 31 March on
        "2024-04-01T08:00:00+00:00",
        "2024-04-08T08:00:00+00:00",
    ]
    assert [row["duration_minutes"] for row in rows] == [30.0, 30.0, 60.0, 30.0, 30.0]
    assert all(row["is_recurring"] for row in rows)
    assert {row["event_position"] for row in rows} == {1}
    assert rows[2]["vevent_position"] == 2 and rows[2]["summary"] == "Ada / Bob 1:1 (moved)"
    assert len({row["occurrence_id"] for row in rows}) == 5
    assert result.items == 2 and not result.quarantine
    assert_conserved(result)


def test_one_on_one_counts_two_people_with_the_organizer_once():
    result = read("weekly_one_on_one.ics")
    first, _, moved, *_ = meetings(result)
    assert first["organizer_email"] == "ada@example.com"
    assert first["organizer_name"] == "Ada Example"
    assert first["attendee_count"] == 2
    people = attendees(result, first["occurrence_id"])
    assert set(people) == {"ada@example.com", "bob@example.org"}
    assert people["ada@example.com"]["is_organizer"] is True
    assert people["bob@example.org"]["is_organizer"] is False
    assert attendees(result, moved["occurrence_id"])["bob@example.org"]["partstat"] == "TENTATIVE"


def test_occurrence_id_is_the_same_whichever_file_the_event_came_from():
    first = {row["starts_at"]: row["occurrence_id"] for row in meetings(read("weekly_one_on_one.ics"))}
    with open(FIXTURES / "weekly_one_on_one.ics", "rb") as stream:
        again = parse_calendar(stream, "another/export.ics", WINDOW_START, WINDOW_END)
    assert {row["starts_at"]: row["occurrence_id"] for row in meetings(again)} == first


def test_window_keeps_only_occurrences_inside_it_and_quarantines_nothing():
    result = read(
        "weekly_one_on_one.ics",
        start=datetime(2024, 3, 10, tzinfo=timezone.utc),
        end=datetime(2024, 3, 30, tzinfo=timezone.utc),
    )
    assert [row["starts_at"][:10] for row in meetings(result)] == ["2024-03-11", "2024-03-27"]
    assert not result.quarantine


def test_outlook_windows_zone_names_are_read_as_their_iana_zone():
    rows = meetings(read("outlook_windows_tzid.ics"))
    by_summary = {row["summary"]: row for row in rows}
    # Pacific Standard Time in January is UTC-8; W. Europe Standard Time in June is UTC+2.
    assert by_summary["Sync with the west coast"]["starts_at"] == "2024-01-15T17:00:00+00:00"
    planning = by_summary["Quartalsplanung"]
    assert planning["starts_at"] == "2024-06-12T12:00:00+00:00"
    assert planning["ends_at"] == "2024-06-12T13:00:00+00:00"
    assert planning["organizer_name"] == "Muster, Max"
    assert planning["uid"].startswith("040000008200E00074C5B7101A82E008")
    assert planning["transparency"] == "OPAQUE"


def test_floating_time_is_read_in_the_calendars_x_wr_timezone():
    (row,) = meetings(read("floating_x_wr_timezone.ics"))
    assert row["starts_at"] == "2024-07-10T13:00:00+00:00"  # 09:00 in New York, summer time
    assert row["duration_minutes"] == 60.0


def test_floating_time_without_calendar_zone_is_taken_as_utc():
    (row,) = meetings(read("floating_no_zone.ics"))
    assert row["starts_at"] == "2024-07-10T09:00:00+00:00"
    assert row["ends_at"] == "2024-07-10T09:45:00+00:00"


def test_all_day_events_start_at_midnight_utc_and_last_whole_days():
    rows = {row["summary"]: row for row in meetings(read("all_day.ics"))}
    offsite = rows["Team offsite"]
    assert offsite["all_day"] is True
    assert offsite["starts_at"] == "2024-04-08T00:00:00+00:00"
    assert offsite["duration_minutes"] == 3 * 24 * 60
    assert rows["Day off (no end: one day)"]["duration_minutes"] == 24 * 60
    assert rows["Conference (duration)"]["ends_at"] == "2024-05-22T00:00:00+00:00"


def test_cancelled_events_are_kept_with_their_status_for_filtering():
    rows = {row["uid"]: row for row in meetings(read("cancelled.ics"))}
    assert rows["cancelled-review@example.com"]["status"] == "CANCELLED"
    assert rows["kept-review@example.com"]["status"] == "TENTATIVE"


def test_an_itip_cancel_message_marks_its_events_cancelled():
    (row,) = meetings(read("itip_cancel.ics"))
    assert row["status"] == "CANCELLED"


def test_declined_attendee_is_kept_with_partstat_declined():
    result = read("declined_attendee.ics")
    (row,) = meetings(result)
    people = attendees(result, row["occurrence_id"])
    assert people["bob@example.org"]["partstat"] == "DECLINED"
    assert people["cleo@example.net"]["partstat"] == "NEEDS-ACTION"
    assert people["cleo@example.net"]["role"] == "OPT-PARTICIPANT"
    # The organizer listed as an attendee too (in upper case) is one row, flagged.
    assert people["ada@example.com"]["is_organizer"] is True
    assert people["ada@example.com"]["partstat"] == "ACCEPTED"
    assert row["attendee_count"] == 3


def test_rooms_and_resources_never_become_attendees():
    result = read("room_resource.ics")
    (row,) = meetings(result)
    assert set(attendees(result, row["occurrence_id"])) == {"ada@example.com", "bob@example.org"}
    assert row["attendee_count"] == 2
    # CUTYPE=ROOM, CUTYPE=RESOURCE, a Google resource address, an Exchange room named as the
    # LOCATION and a room mailbox by its name.
    assert row["resource_count"] == 5
    assert row["group_count"] == 1


def test_a_broken_vevent_between_good_ones_loses_only_itself():
    result = read("broken_between_good.ics")
    assert [row["summary"] for row in meetings(result)] == ["Good first", "Good last"]
    assert result.items == 6
    reasons = {q.location: q.reason for q in result.quarantine}
    # VEVENT 2 has no start at all: an undated note, read without rows rather than refused.
    assert set(reasons) == {
        "VEVENT 3 (line 16)",
        "VEVENT 4 (line 22)",
        "VEVENT 6 (line 36)",
    }
    assert "DTSTART" in reasons["VEVENT 3 (line 16)"]
    assert "RRULE" in reasons["VEVENT 4 (line 22)"] or "recurrence" in reasons["VEVENT 4 (line 22)"]
    assert "never closed" in reasons["VEVENT 6 (line 36)"]
    assert all(q.source_file == "cal/broken_between_good.ics" for q in result.quarantine)
    assert_conserved(result, undated=frozenset({2}))


def test_bom_crlf_blank_lines_and_two_calendars_in_one_file():
    result = read("bom_crlf_two_calendars.ics")
    rows = meetings(result)
    assert [row["summary"] for row in rows] == ["In the first calendar é", "In the second calendar"]
    # The third event is long before the window: read, no row, not quarantined.
    assert result.items == 3 and not result.quarantine


def test_same_custom_zone_name_in_two_files_keeps_each_files_rules():
    (in_a,) = meetings(read("custom_zone_a.ics"))
    (in_b,) = meetings(read("custom_zone_b.ics"))
    (in_a_again,) = meetings(read("custom_zone_a.ics"))
    assert in_a["starts_at"] == in_a_again["starts_at"] == "2024-03-01T09:00:00+00:00"
    assert in_b["starts_at"] == "2024-03-01T17:00:00+00:00"


def test_events_sharing_a_uid_or_without_one_are_all_kept():
    result = read("duplicate_uid.ics")
    rows = meetings(result)
    assert [row["vevent_position"] for row in rows] == [1, 2, 3]
    assert rows[0]["uid"] == rows[1]["uid"] == "same@example.com"
    assert rows[0]["occurrence_id"] != rows[1]["occurrence_id"]
    # No UID: a stable one from file, position and start.
    assert rows[2]["uid"] and rows[2]["uid"] == meetings(read("duplicate_uid.ics"))[2]["uid"]


def test_binary_garbage_is_quarantined_as_a_whole():
    result = read_bytes(bytes(range(256)) * 40)
    assert result.items == 1
    assert [(q.location, q.reason) for q in result.quarantine] == [
        ("whole file", "not an iCalendar file: it holds binary data or text that is not UTF-8")
    ]


def test_text_that_is_not_a_calendar_and_empty_files_are_quarantined():
    assert read_bytes(b"name,email\nAda,ada@example.com\n").quarantine[0].reason.startswith(
        "not an iCalendar file: no BEGIN:VCALENDAR"
    )
    assert read_bytes(b"").quarantine[0].reason == "the file is empty"


def test_an_event_with_binary_bytes_is_quarantined_alone():
    data = (FIXTURES / "cancelled.ics").read_bytes().replace(b"SUMMARY:Design review\n", b"SUMMARY:R\x01\xe9\x02\n")
    result = read_bytes(data)
    assert [row["uid"] for row in meetings(result)] == ["kept-review@example.com"]
    ((location, reason),) = [(q.location, q.reason) for q in result.quarantine]
    assert location == "VEVENT 1 (line 4)"
    assert reason == "line 10 holds control bytes, binary data rather than text"


def test_an_event_with_latin1_text_is_read_and_noted():
    data = (FIXTURES / "cancelled.ics").read_bytes().replace(b"SUMMARY:Design review\n", b"SUMMARY:R\xe9vision\n")
    result = read_bytes(data)
    assert "R\u00e9vision" in [row["summary"] for row in meetings(result)]
    assert [(q.scope, q.location, q.reason) for q in result.quarantine] == [
        ("property", "VEVENT 1 (line 4)", "its text is not UTF-8 (from line 10); it was read as cp1252")]


def test_an_empty_calendar_reads_nothing_and_quarantines_nothing():
    result = read_bytes(b"\xef\xbb\xbfBEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    assert result.items == 0 and not result.quarantine


def test_utf16_files_written_by_windows_tools_are_read():
    text = (FIXTURES / "cancelled.ics").read_text("utf-8").replace("\n", "\r\n")
    result = read_bytes(text.encode("utf-16"))
    assert len(meetings(result)) == 2 and not result.quarantine


def test_cr_only_line_endings_are_read():
    data = (FIXTURES / "declined_attendee.ics").read_bytes().replace(b"\n", b"\r")
    result = read_bytes(data)
    (row,) = meetings(result)
    assert row["attendee_count"] == 3


def _calendar(*event_lines: str, header: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *header.splitlines()]
    lines += ["BEGIN:VEVENT", "UID:generated@example.com", "DTSTAMP:20240101T000000Z", *event_lines]
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode("utf-8")


def test_a_large_attachment_and_alarms_do_not_stand_in_the_way():
    attachment = "A" * 5_000_000
    folded = "\r\n ".join(attachment[i:i + 74] for i in range(0, len(attachment), 74))
    data = _calendar(
        "DTSTART:20240102T090000Z",
        "DURATION:PT1H",
        "ATTACH;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=application/pdf:" + folded,
        "BEGIN:VALARM",
        "TRIGGER:-PT15M",
        "ACTION:DISPLAY",
        "END:VALARM",
    )
    (row,) = meetings(read_bytes(data))
    assert row["duration_minutes"] == 60.0


def test_an_event_that_ends_before_it_starts_is_quarantined():
    result = read_bytes(_calendar("DTSTART:20240102T090000Z", "DTEND:20240102T080000Z"))
    assert not meetings(result)
    assert "before it starts" in result.quarantine[0].reason


def test_an_unknown_x_wr_timezone_leaves_floating_times_in_utc():
    data = _calendar("DTSTART:20240102T090000", "RRULE:FREQ=DAILY;COUNT=2", header="X-WR-TIMEZONE:Mars/Olympus")
    result = read_bytes(data)
    assert [row["starts_at"] for row in meetings(result)] == [
        "2024-01-02T09:00:00+00:00",
        "2024-01-03T09:00:00+00:00",
    ]
    assert not result.quarantine


def test_an_unclosed_vevent_before_the_next_calendar_loses_only_itself():
    good = (FIXTURES / "floating_no_zone.ics").read_bytes()
    truncated = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:cut@example.com\nDTSTART:20240101T090000Z\n"
    result = read_bytes(truncated + good)
    assert [row["uid"] for row in meetings(result)] == ["floating-utc@example.com"]
    assert [q.location for q in result.quarantine] == ["VEVENT 1 (line 2)"]


def test_every_vevent_not_quarantined_is_accounted_for_as_an_event_row():
    result = read("broken_between_good.ics")
    events = result.rows["calendar_events"]
    assert len(events) + len(result.quarantine) == result.items
    outcomes = {row["vevent_position"]: row["outcome"] for row in events}
    assert outcomes[1] == "meetings" and outcomes[2].startswith("no occurrence")


def test_a_blank_first_line_keeps_the_calendars_zone_and_method():
    data = _calendar("DTSTART:20240102T090000", "DURATION:PT1H", header="METHOD:CANCEL\r\nX-WR-TIMEZONE:Europe/Paris")
    expected = [(row["starts_at"], row["status"]) for row in meetings(read_bytes(data))]
    assert expected == [("2024-01-02T08:00:00+00:00", "CANCELLED")]
    # A lone CR ends a line without starting a new line number (see _physical_lines).
    for blank, vevent_line in ((b"\r\n", 7), (b"\n", 7), (b"\xef\xbb\xbf\r\n", 7), (b"\r", 6)):
        result = read_bytes(blank + data)
        assert [(row["starts_at"], row["status"]) for row in meetings(result)] == expected, blank
        assert [row["line"] for row in result.rows["calendar_events"]] == [vevent_line], blank
