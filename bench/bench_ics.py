"""Times the calendar connector against icalendar alone, on given .ics files or a generated one.

Usage:
    .venv/bin/python bench/bench_ics.py                     # generates a 20 MB calendar
    .venv/bin/python bench/bench_ics.py --generate-mb 200   # the "200 MB file" case
    .venv/bin/python bench/bench_ics.py path/to/*.ics       # real files

For each input, three contenders run in a fresh child process each, so that the peak memory
reported (the child's maximum resident set) belongs to that contender alone:
  - `icalendar`: `Calendar.from_ical(data, multiple=True)`, parsing only;
  - `icalendar+expand`: the same, then recurring-ical-events over the window;
  - `strongties`: `connectors.ics.parse_calendar` (split, parse, expand, build rows).
Throughput is input MB/s and VEVENTs/s; rows are meeting rows produced.
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WINDOW_START = datetime(2016, 1, 1, tzinfo=timezone.utc)
WINDOW_END = datetime(2027, 1, 1, tzinfo=timezone.utc)
# Shares of event shapes in the generated calendar, roughly those of a busy work calendar
# exported from Google or Outlook: most events single, some weekly series with exceptions.
RECURRING_SHARE = 0.08
OVERRIDE_SHARE = 0.3
ATTENDEES_PER_EVENT = (1, 8)

VTIMEZONE = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
"""


def generate(path: Path, target_mb: float, seed: int = 7) -> int:
    """Write a calendar of about target_mb megabytes; returns its number of VEVENTs."""
    rng = random.Random(seed)
    people = [f"person{index}@example{index % 40}.com" for index in range(2000)]
    target = int(target_mb * 1024 * 1024)
    written = 0
    vevents = 0
    base = datetime(2018, 1, 1, 9, 0)
    with open(path, "w", encoding="utf-8", newline="\r\n") as out:
        header = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//strongties//bench//EN\n" + VTIMEZONE
        out.write(header)
        written += len(header)
        while written < target:
            start = base + timedelta(days=rng.randrange(0, 3000), hours=rng.randrange(0, 9))
            uid = f"bench-{vevents}@example.com"
            guests = rng.sample(people, rng.randint(*ATTENDEES_PER_EVENT))
            lines = [
                "BEGIN:VEVENT",
                f"UID:{uid}",
                "DTSTAMP:20240101T000000Z",
                f"DTSTART;TZID=W. Europe Standard Time:{start:%Y%m%dT%H%M%S}",
                f"DTEND;TZID=W. Europe Standard Time:{start + timedelta(minutes=30):%Y%m%dT%H%M%S}",
                f"SUMMARY:Meeting {vevents} about topic {rng.randrange(10000)}",
                "DESCRIPTION:" + "Agenda and notes for the meeting. " * rng.randint(1, 6),
                f"ORGANIZER;CN=Organizer {guests[0]}:mailto:{guests[0]}",
                *(
                    f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;"
                    f"CN=Guest {guest}:mailto:{guest}"
                    for guest in guests
                ),
            ]
            recurring = rng.random() < RECURRING_SHARE
            if recurring:
                lines.append("RRULE:FREQ=WEEKLY;COUNT=20")
            lines.append("END:VEVENT")
            vevents += 1
            if recurring and rng.random() < OVERRIDE_SHARE:
                moved = start + timedelta(weeks=2)
                lines += [
                    "BEGIN:VEVENT",
                    f"UID:{uid}",
                    "DTSTAMP:20240101T000000Z",
                    f"RECURRENCE-ID;TZID=W. Europe Standard Time:{moved:%Y%m%dT%H%M%S}",
                    f"DTSTART;TZID=W. Europe Standard Time:{moved + timedelta(hours=2):%Y%m%dT%H%M%S}",
                    f"DTEND;TZID=W. Europe Standard Time:{moved + timedelta(hours=3):%Y%m%dT%H%M%S}",
                    "SUMMARY:Moved occurrence",
                    "END:VEVENT",
                ]
                vevents += 1
            chunk = "\n".join(_fold(line) for line in lines) + "\n"
            out.write(chunk)
            written += len(chunk) + chunk.count("\n")
        out.write("END:VCALENDAR\n")
    return vevents


def _fold(line: str, width: int = 75) -> str:
    if len(line) <= width:
        return line
    pieces = [line[:width]]
    rest = line[width:]
    while rest:
        pieces.append(" " + rest[: width - 1])
        rest = rest[width - 1:]
    return "\n".join(pieces)


def _run_icalendar(path: str, expand: bool) -> tuple[int, int]:
    import icalendar
    import recurring_ical_events

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calendars = icalendar.Calendar.from_ical(Path(path).read_bytes(), multiple=True)
        events = sum(len(calendar.walk("VEVENT")) for calendar in calendars)
        rows = 0
        if expand:
            for calendar in calendars:
                rows += len(recurring_ical_events.of(calendar).between(WINDOW_START, WINDOW_END))
    return events, rows


def _run_strongties(path: str) -> tuple[int, int]:
    from connectors.ics import MEETINGS_TABLE, parse_calendar

    with open(path, "rb") as stream:
        result = parse_calendar(stream, Path(path).name, WINDOW_START, WINDOW_END)
    return result.items, len(result.rows.get(MEETINGS_TABLE, []))


def _child(contender: str, path: str, queue) -> None:
    # Imports (and icalendar's first time-zone lookups) are not what is measured.
    import icalendar  # noqa: F401
    import recurring_ical_events  # noqa: F401

    import connectors.ics  # noqa: F401

    started = time.perf_counter()
    try:
        if contender == "strongties":
            events, rows = _run_strongties(path)
        else:
            events, rows = _run_icalendar(path, expand=contender == "icalendar+expand")
        error = ""
    except Exception as exc:  # noqa: BLE001 - a contender failing on a file is a result
        events, rows, error = 0, 0, f"{type(exc).__name__}: {str(exc)[:60]}"
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((events, rows, seconds, peak_mb, error))


def measure(contender: str, path: Path) -> tuple[int, int, float, float, str]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(contender, str(path), queue))
    process.start()
    outcome = queue.get()
    process.join()
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--generate-mb", type=float, default=20.0)
    parser.add_argument("--skip", nargs="*", default=[], help="contenders to leave out")
    args = parser.parse_args()

    files = list(args.files)
    temporary = None
    if not files:
        temporary = tempfile.TemporaryDirectory()
        path = Path(temporary.name) / f"generated_{args.generate_mb:g}mb.ics"
        count = generate(path, args.generate_mb)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB, {count} VEVENTs")
        files = [path]

    contenders = [c for c in ("icalendar", "icalendar+expand", "strongties") if c not in args.skip]
    print(f"{'file':40} {'contender':17} {'MB':>7} {'s':>7} {'MB/s':>6} {'events/s':>9} "
          f"{'events':>7} {'rows':>8} {'peak MB':>8}")
    for path in files:
        size_mb = path.stat().st_size / 1e6
        for contender in contenders:
            events, rows, seconds, peak_mb, error = measure(contender, path)
            print(f"{path.name[:40]:40} {contender:17} {size_mb:7.2f} {seconds:7.2f} "
                  f"{size_mb / seconds:6.2f} {events / seconds:9.0f} {events:7d} {rows:8d} "
                  f"{peak_mb:8.0f} {error}")
    if temporary:
        temporary.cleanup()


if __name__ == "__main__":
    main()
