"""reconnect.ics: RFC 5545 lines a calendar app imports, one reminder per person, stable UIDs."""
from __future__ import annotations

from datetime import date, datetime, timezone

from icalendar import Calendar

from connectors.sources import is_own_output
from warehouse.reminders import calendar_lines, reconnect_ics_path, reminder_starts, write_reconnect_ics

AS_OF = date(2026, 11, 20)  # a Friday
WRITTEN = datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)
PEOPLE = [
    {"person_id": "p_1", "display_name": "Fiona Fade", "why": "usually every 3 weeks; 7 weeks since your last one-on-one"},
    {"person_id": "p_2", "display_name": "Ólafur Þórsson, Jr.; CTO",
     "why": "birthday on 28 Nov; " + "a long reason that must be folded " * 4},
]


def read_back(tmp_path, people=PEOPLE, as_of=AS_OF, written=WRITTEN) -> tuple[bytes, Calendar]:
    path = tmp_path / "strongties.reconnect.ics"
    write_reconnect_ics(people, path, as_of, written)
    data = path.read_bytes()
    return data, Calendar.from_ical(data)


def test_each_person_gets_one_event_with_uid_stamp_and_alarm(tmp_path):
    _, calendar = read_back(tmp_path)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    for event in events:
        assert event["UID"] and event["DTSTAMP"].dt == WRITTEN
        alarms = list(event.walk("VALARM"))
        assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    assert str(events[0]["DESCRIPTION"]) == PEOPLE[0]["why"]


def test_lines_are_crlf_and_folded_at_75_octets(tmp_path):
    data, calendar = read_back(tmp_path)
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    second = list(calendar.walk("VEVENT"))[1]
    assert str(second["SUMMARY"]) == "Reconnect with Ólafur Þórsson, Jr.; CTO"
    assert str(second["DESCRIPTION"]) == PEOPLE[1]["why"]


def test_a_line_break_in_a_name_cannot_start_a_property(tmp_path):
    people = [{"person_id": "p_3", "display_name": "Eve\r\nBEGIN:VEVENT\nUID:evil", "why": "x\u2028DTSTART:19700101"}]
    data, calendar = read_back(tmp_path, people)
    assert len(list(calendar.walk("VEVENT"))) == 1
    lines = data.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == 1
    assert not any(line.startswith((b"UID:evil", b"DTSTART:1970")) for line in lines)


def test_uid_is_the_same_from_run_to_run_while_the_day_moves(tmp_path):
    first = [line for line in calendar_lines(PEOPLE, AS_OF, WRITTEN) if line.startswith("UID:")]
    later = [line for line in calendar_lines(PEOPLE, date(2026, 12, 4), datetime(2026, 12, 4, tzinfo=timezone.utc))
             if line.startswith("UID:")]
    assert first == later and len(set(first)) == 2


def test_sequence_grows_with_the_time_written():
    def sequence(written):
        return int(next(line for line in calendar_lines(PEOPLE, AS_OF, written) if line.startswith("SEQUENCE:"))[9:])
    assert sequence(datetime(2026, 12, 4, tzinfo=timezone.utc)) > sequence(WRITTEN)


def test_reminders_spread_over_the_next_two_weeks_working_days():
    starts = reminder_starts(10, AS_OF)
    days = [start.date() for start in starts]
    assert days[0] == date(2026, 11, 23) and days[-1] == date(2026, 12, 4)
    assert len(set(days)) == 10 and all(day.weekday() < 5 for day in days)
    crowded = reminder_starts(20, AS_OF)
    assert [start.strftime("%H:%M") for start in crowded if start.date() == date(2026, 11, 23)] == ["09:30", "09:45"]


def test_the_file_is_recognised_as_our_own_output(tmp_path):
    data, _ = read_back(tmp_path)
    assert is_own_output(data[:16 * 1024])


def test_an_empty_list_is_a_valid_empty_calendar(tmp_path):
    data, calendar = read_back(tmp_path, [])
    assert list(calendar.walk("VEVENT")) == [] and data.startswith(b"BEGIN:VCALENDAR\r\n")


def test_the_file_sits_beside_the_warehouse_under_its_name():
    assert reconnect_ics_path("/data/strongties.duckdb").as_posix() == "/data/strongties.reconnect.ics"
