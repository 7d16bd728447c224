"""The reconnect list as reminders in the owner's own calendar: one iCalendar file (RFC 5545).

One event per person on `reconnect`, spread over the working days of the next two weeks, with
why as its description and an alarm. A person's event keeps its UID from run to run, so that
importing the file again updates the reminder instead of adding a second one; its SEQUENCE
grows with the time the file was written, which the calendars that honour it use to take the
newer copy.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from warehouse.content_lines import escape_text, fold

# Marks the file as ours, so that a copy dropped in the inbox is not read back as meetings
# (connectors.sources.OWN_PRODID_PREFIX).
RECONNECT_PRODID = "-//strongties//reconnect reminders//EN"
CALENDAR_NAME = "strongties: reconnect"
# Fixed namespace: a person's reminder UID is derived from their person_id, which resolution
# keeps stable across runs on the same inputs.
UID_NAMESPACE = uuid.UUID("0b6f3a8e-2f4d-4c61-9d7e-5a1c3e8b7f20")
UID_DOMAIN = "strongties"
# Reminders go on the working days of the next two weeks (Monday to Friday), first thing in
# the morning, a quarter of an hour each and one after another when a day holds several.
REMINDER_SPAN_DAYS = 14
WORKING_WEEKDAYS = range(0, 5)
FIRST_REMINDER_AT = time(9, 30)
REMINDER_MINUTES = 15
# SEQUENCE counts minutes since this moment: it only has to grow from one run to the next.
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


def reminder_uid(person_id: str) -> str:
    return f"{uuid.uuid5(UID_NAMESPACE, str(person_id))}@{UID_DOMAIN}"


def working_days_after(as_of: date, span_days: int = REMINDER_SPAN_DAYS) -> list[date]:
    """The working days from the day after `as_of` through `span_days` days later."""
    days = (as_of + timedelta(days=offset) for offset in range(1, span_days + 1))
    return [day for day in days if day.weekday() in WORKING_WEEKDAYS]


def reminder_starts(count: int, as_of: date) -> list[datetime]:
    """`count` start times spread evenly over the working days ahead, in rank order: the most
    overdue first; two on one day follow each other from FIRST_REMINDER_AT."""
    days = working_days_after(as_of)
    starts, used = [], {}
    for position in range(count):
        day = days[position * len(days) // count] if count <= len(days) else days[position % len(days)]
        slot = used.get(day, 0)
        used[day] = slot + 1
        starts.append(datetime.combine(day, FIRST_REMINDER_AT) + timedelta(minutes=REMINDER_MINUTES * slot))
    return starts


def _local(moment: datetime) -> str:
    # Floating time (no zone): each calendar shows it at 09:30 wherever its owner is.
    return moment.strftime("%Y%m%dT%H%M%S")


def calendar_lines(people: Iterable[Mapping], as_of: date, written_at: datetime) -> list[str]:
    """The calendar's content lines (folded) for the reconnect rows in rank order; each row
    needs person_id, display_name and why."""
    people = list(people)
    stamp = written_at.astimezone(timezone.utc)
    sequence = max(0, int((stamp - SEQUENCE_EPOCH).total_seconds() // 60))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{RECONNECT_PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(CALENDAR_NAME)}"]
    for person, start in zip(people, reminder_starts(len(people), as_of)):
        name = escape_text(person.get("display_name") or "someone on your reconnect list")
        why = escape_text(person.get("why") or "")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{reminder_uid(person['person_id'])}",
            f"DTSTAMP:{stamp.strftime('%Y%m%dT%H%M%SZ')}",
            f"SEQUENCE:{sequence}",
            f"DTSTART:{_local(start)}",
            f"DURATION:PT{REMINDER_MINUTES}M",
            f"SUMMARY:Reconnect with {name}",
            f"DESCRIPTION:{why}",
            "CATEGORIES:strongties",
            "TRANSP:TRANSPARENT",  # a reminder does not make the owner busy
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:Reconnect with {name}",
            "TRIGGER:PT0S",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return [fold(line) for line in lines]


def write_reconnect_ics(people: Iterable[Mapping], path: str | Path, as_of: date,
                        written_at: datetime | None = None) -> int:
    """Writes the reminders to `path` (UTF-8, CRLF line ends); returns how many events."""
    lines = calendar_lines(people, as_of, written_at or datetime.now(timezone.utc))
    Path(path).write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return sum(1 for line in lines if line == "BEGIN:VEVENT")


def reconnect_ics_path(published_path: str | Path) -> Path:
    """`<name>.reconnect.ics` beside the warehouse file `<name>.duckdb`."""
    published = Path(published_path)
    return published.with_name(f"{published.stem}.reconnect.ics")


def publish_reconnect_reminders(connection, published_path: str | Path, as_of: date) -> tuple[Path, int]:
    """The reconnect list as `<name>.reconnect.ics` beside the warehouse, swapped in atomically;
    its path and event count."""
    from warehouse.publish import replace_atomically

    cursor = connection.execute("SELECT person_id, display_name, why FROM reconnect ORDER BY rank")
    names = [column[0] for column in cursor.description]
    people = [dict(zip(names, row)) for row in cursor.fetchall()]
    target = reconnect_ics_path(published_path)
    return target, replace_atomically(target, lambda staging: write_reconnect_ics(people, staging, as_of))
