"""Reads iCalendar (.ics) files into meeting occurrences and their attendees, recurrence expanded.

What it produces, for each `.ics` file (see `parse_calendar`):

- `calendar_meetings`: one row per occurrence that overlaps the window. Recurring series are
  expanded with recurring-ical-events (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides).
  `calendar_timezone` is the calendar's X-WR-TIMEZONE as an IANA name (a Windows name
  mapped), None when it has none or names no known zone.
- `calendar_attendees`: one row per person per occurrence, the organizer included (flagged
  `is_organizer`) even when the file does not list them as an ATTENDEE.

Cancelled meetings and declined invitations are kept, not dropped: a cancelled occurrence
has `status = 'CANCELLED'` (also when the whole file is an iTIP `METHOD:CANCEL` message) and a
declined attendee has `partstat = 'DECLINED'`. Whoever counts meetings filters on those two
columns, so that the raw rows still show what the calendar said.

Rooms and resources (CUTYPE=ROOM or RESOURCE, Google resource and calendar addresses,
Exchange room mailboxes recognised by their name matching the LOCATION) never become
attendee rows; they are counted in `resource_count`. Mailing lists (CUTYPE=GROUP) are
counted in `group_count` and are not people either.

Times: every timestamp is UTC ISO-8601. A TZID may name an IANA zone, a Windows zone
(`W. Europe Standard Time`, read as its IANA zone even when the file carries a VTIMEZONE
for it) or a custom VTIMEZONE of the file. Floating times (no zone, or a TZID that neither
the file nor the IANA database defines) are taken in the calendar's X-WR-TIMEZONE when it has
one, else as UTC. All-day events (DATE values) start at 00:00 UTC of their date and last
until DTEND, or DURATION, or one day.

Attendees: emails go through `normalize_email`; an attendee with a name but no usable
address is kept with `email` None (and counted), one with neither is skipped. Within an
occurrence a person appears once. PARTSTAT defaults to NEEDS-ACTION, also for an organizer
who is not listed as an ATTENDEE (RFC 5545 gives the ORGANIZER no PARTSTAT).

Robustness: the file is split into VEVENT blocks line by line (VTIMEZONE blocks kept per
calendar; several VCALENDARs, a BOM, CR/CRLF/LF endings and blank lines are fine), and the
blocks are parsed by icalendar in batches. When a batch fails, its series are parsed one by
one, then its VEVENTs one by one, so one broken VEVENT never loses the others. A few
harmless quirks of real exporters are repaired at line level first (see `_repair_line`).

Conservation, the check `tests/test_ics_corpus.py` makes: `items` counts the VEVENT
components read (a recurring series' master and each RECURRENCE-ID override count as one
each). Each one is exactly one of
  1. quarantined (one entry, `VEVENT N (line L)` and a reason),
  2. the source of one or more meeting rows (its index is in their `vevent_position`), or
  3. read fine with no occurrence inside the window (or an override whose slot the series
     no longer has): no row and no quarantine entry.
Hence `items == |positions with rows| + quarantined + out-of-window`. A file that holds no
calendar data at all (empty, binary, undecodable) counts as one item, quarantined at `file`.
"""
from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import BinaryIO, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events

try:  # icalendar 6.1 and later map Windows zone names to IANA ones
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
except ImportError:  # pragma: no cover - older icalendar
    WINDOWS_TO_OLSON = {}

from connectors.normalize import fold_text, normalize_email, to_utc
from connectors.records import FileResult
from connectors.ics.lines import LegacyText, Oversized, logical_lines
from connectors.ics.zones import fixed_offset_timezone, names_a_zone_folder, zone_for_display_name
from connectors.ics.recurrence import Unexpandable, bound_recurrence
from connectors.ics.params import line_problem, repair_parameters, split_hierarchical_name, unquote_address

# Bump when this connector's rows change, so that files read by an older version are read again.
# 7: meetings carry their calendar's X-WR-TIMEZONE (`calendar_timezone`).
PARSER_VERSION = 7

KIND = "calendar"
EVENTS_TABLE = "calendar_events"
MEETINGS_TABLE = "calendar_meetings"
ATTENDEES_TABLE = "calendar_attendees"

# Internal property that tags each VEVENT with its index in the file, so that occurrences
# (copies made by recurring-ical-events) can be traced back to the VEVENT they came from.
POSITION_PROPERTY = "X-STRONGTIES-VEVENT"

# VEVENT blocks handed to icalendar at once. Large enough that the calendar header and
# VTIMEZONEs repeated in each batch cost little, small enough that a batch that fails and is
# re-parsed series by series stays cheap.
BATCH_VEVENTS = 200

# Properties whose value decides when an event happens: if icalendar cannot read one of
# them the occurrences would be wrong, so the VEVENT is quarantined rather than guessed.
TIME_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")

# What the connector reads from a VEVENT. Everything else (DESCRIPTION, Outlook's HTML
# X-ALT-DESC, base64 ATTACHments, VALARMs, X- properties) is dropped at line level before
# icalendar sees it: it is most of the bytes of a real export, and a broken line there must
# not cost the event. SEQUENCE is kept because recurring-ical-events uses it to choose
# between two versions of the same occurrence.
KEPT_PROPERTIES = frozenset({
    "UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID",
    "SEQUENCE", "STATUS", "SUMMARY", "ORGANIZER", "ATTENDEE", "LOCATION", "TRANSP",
})

# Components that cannot sit inside a VEVENT: meeting one there means the VEVENT was never
# closed (a truncated or hand-merged file), and it is read as the start of the next thing.
CANNOT_NEST_IN_VEVENT = frozenset({"VEVENT", "VCALENDAR", "VTIMEZONE", "VTODO", "VJOURNAL", "VFREEBUSY"})

# Properties RFC 5545 allows once in a VEVENT. A second one is ignored, with a note:
# icalendar would hand back a list where one value is expected, and which of two start times
# is meant cannot be known; the first is what every reader we tried shows. RRULE is not one
# of them: RFC 2445 allowed several, Zimbra writes several, and recurring-ical-events
# expands their union.
SINGLE_VALUED = frozenset({
    "UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SEQUENCE", "STATUS",
    "SUMMARY", "ORGANIZER", "LOCATION", "TRANSP",
})

NON_PERSON_CUTYPES = {"ROOM": "resource", "RESOURCE": "resource", "GROUP": "group"}
# Addresses that are calendars or bookable resources, never people: Google Workspace rooms
# and equipment, Google shared, imported and holiday calendars, and Google's placeholder for
# contacts without an address (seen in its birthday calendar).
RESOURCE_ADDRESS_SUFFIXES = (
    "@resource.calendar.google.com",
    "@group.calendar.google.com",
    "@group.v.calendar.google.com",
    "@import.calendar.google.com",
    "@virtual",
)
# Exchange room mailboxes carry no marker in the address; their common naming conventions
# (room-4.12@, conf.boardroom@, mr_oslo@) are recognised here. A judgement call: a person
# whose mailbox starts with "room." would be missed, which no real address list we saw does.
ROOM_MAILBOX = re.compile(r"^(room|rooms|conf|confroom|conference|meetingroom|mr|rm)[._-]", re.I)

_PROPERTY_NAME = re.compile(r"^([A-Za-z0-9-]+)[;:]")


@dataclass
class _Calendar:
    """Header of one VCALENDAR of the file: what every batch of its events must carry."""

    header_lines: list[str] = field(default_factory=list)  # X-WR-TIMEZONE, CALSCALE, METHOD
    raw_timezones: list[str] = field(default_factory=list)  # VTIMEZONE blocks as read
    timezones: list[str] = field(default_factory=list)  # VTIMEZONE blocks handed to icalendar
    aliases: dict[str, str] = field(default_factory=dict)  # TZID in the file -> private TZID
    method: str | None = None
    floating_zone: tzinfo | None = None  # from X-WR-TIMEZONE
    zone_name: str | None = None  # the same, as an IANA name: the zone its owner lives in
    used_tzids: set[str] = field(default_factory=set)  # TZID parameters of its events' properties


@dataclass
class _Block:
    """One VEVENT as read from the file, before icalendar sees it."""

    position: int  # 1-based index among the file's VEVENTs
    line: int  # physical line of its BEGIN:VEVENT
    calendar: int  # index into the file's calendars
    lines: list[str] = field(default_factory=list)
    uid: str | None = None
    dtstart_raw: str = ""
    is_override: bool = False
    recurs: bool = False
    has_exdate: bool = False
    problem: str | None = None  # set when the block cannot be parsed at all
    notes: list[str] = field(default_factory=list)  # what was dropped or repaired, for FileResult.note
    seen: set[str] = field(default_factory=set)  # single-valued properties already read
    numbered: list[tuple[int, str]] = field(default_factory=list)  # (line number, kept line), to explain failures
    group_key: tuple = ()
    text: str = ""

    @property
    def location(self) -> str:
        return f"VEVENT {self.position} (line {self.line})"


@dataclass
class _OutsideComponent:
    """A component open outside any VEVENT: a VTIMEZONE, whose lines are kept, or one skipped
    (VTODO, VJOURNAL...), until the END that matches its BEGIN (the same name may nest)."""

    name: str
    lines: list[str] | None  # None when the component is skipped
    depth: int = 1

    def closed_by(self, name: str, value: str) -> bool:
        """Counts a BEGIN or END of the component's name; True at the END that closes it."""
        if value == self.name:
            if name == "BEGIN":
                self.depth += 1
            elif name == "END":
                self.depth -= 1
                return self.depth == 0
        return False


@dataclass
class _Scan:
    calendars: list[_Calendar]
    blocks: list[_Block]
    saw_component: bool
    binary_lines: int
    text_lines: int
    oversized: list = field(default_factory=list)  # (line number, Oversized) outside VEVENTs


def parse_calendar(
    stream: BinaryIO, source_file: str, window_start: datetime, window_end: datetime
) -> FileResult:
    """Meetings and attendees of one .ics file, occurrences limited to [window_start, window_end)."""
    result = FileResult(source_file=source_file, kind=KIND)
    try:
        scan = _scan(stream)
    except Exception as error:  # noqa: BLE001 - the fault barrier: no input stops the run
        result.items = 1
        result.reject("whole file", "the calendar reader failed on this file (an internal error); nothing of it was read")
        return result
    if not scan.blocks:
        reason = _why_no_calendar(scan)
        if reason:
            result.items = 1
            result.reject("whole file", reason)
        return result
    result.items = len(scan.blocks)
    for number, line in scan.oversized:
        result.note(f"line {number}", line.reason(number))
    _Expander(result, scan, window_start, window_end).run()
    quarantined = {int(entry.location.split()[1]) for entry in result.quarantine if entry.scope != "property"}
    for block in scan.blocks:
        if block.position not in quarantined:
            for note in block.notes:
                result.note(block.location, note)
    result.quarantine.sort(key=_line_of)
    _account_for_every_vevent(result, scan.blocks)
    return result


def _account_for_every_vevent(result: FileResult, blocks) -> None:
    """One `calendar_events` row per VEVENT not quarantined, saying what became of it, so that
    items = events + quarantined holds for calendars as it does for cards and rows."""
    occurrences: dict[int, int] = {}
    for row in result.rows.get(MEETINGS_TABLE, []):
        occurrences[row["vevent_position"]] = occurrences.get(row["vevent_position"], 0) + 1
    quarantined = {int(entry.location.split()[1]) for entry in result.quarantine if entry.scope != "property"}
    for block in blocks:
        if block.position in quarantined:
            continue
        count = occurrences.get(block.position, 0)
        result.add(EVENTS_TABLE, {
            "source_file": result.source_file,
            "vevent_position": block.position,
            "line": block.line,
            "uid": block.uid,
            "occurrences": count,
            "outcome": "meetings" if count else "no occurrence in the window, or no date",
        })


_LINE_IN_LOCATION = re.compile(r"line (\d+)")


def _line_of(entry) -> int:
    """Where a quarantine entry points in the file: "VEVENT 3 (line 40)" and "line 40" alike."""
    found = _LINE_IN_LOCATION.findall(entry.location)
    return int(found[-1]) if found else 0


def _why_no_calendar(scan: _Scan) -> str | None:
    """A reason when the file holds no calendar data at all; None for a calendar without events."""
    if scan.saw_component:
        return None
    if scan.oversized:
        number, line = scan.oversized[0]
        return "not an iCalendar file that can be read: " + line.reason(number)
    if scan.binary_lines:
        return "not an iCalendar file: it holds binary data or text that is not UTF-8"
    if scan.text_lines:
        return "not an iCalendar file: no BEGIN:VCALENDAR or BEGIN:VEVENT line"
    return "the file is empty"


# ---------------------------------------------------------------------------------------
# Line level: split the file into calendars, VTIMEZONEs and VEVENT blocks.


def _scan(stream: BinaryIO) -> _Scan:
    """Split a file into its calendars' headers and VEVENT blocks, reading line by line."""
    counts = {"binary": 0, "text": 0}
    calendars: list[_Calendar] = []
    blocks: list[_Block] = []
    masters: dict[tuple, int] = {}
    saw_component = False

    current_calendar: int | None = None  # index of the open VCALENDAR
    block: _Block | None = None
    block_depth: list[str] = []  # components open inside the current VEVENT
    outside: _OutsideComponent | None = None  # an open VTIMEZONE, VTODO, VJOURNAL...
    oversized: list[tuple[int, Oversized]] = []  # overlong lines outside any VEVENT

    def calendar_index() -> int:
        nonlocal current_calendar
        if current_calendar is None:  # a bare VEVENT or VTIMEZONE with no VCALENDAR around it
            calendars.append(_Calendar())
            current_calendar = len(calendars) - 1
        return current_calendar

    def close_block(problem: str | None) -> None:
        nonlocal block
        assert block is not None
        if problem and not block.problem:
            block.problem = problem
        _finish_block(block, masters)
        blocks.append(block)
        block = None

    for number, line in logical_lines(stream, counts):
        if isinstance(line, Oversized):
            # Dropped unread. It costs the VEVENT it sits in only when it is a property the
            # connector reads (or the VEVENT's own BEGIN/END); an overlong attachment or
            # description was going to be dropped anyway.
            if block is not None and (line.name in KEPT_PROPERTIES or line.name in ("BEGIN", "END", "")):
                block.problem = block.problem or line.reason(number)
            elif block is None and outside is None:
                oversized.append((number, line))
            continue
        if block is not None:
            if line is None:
                block.problem = block.problem or (
                    f"line {number} holds control bytes, binary data rather than text"
                )
                continue
            if line.__class__ is LegacyText:
                note = f"its text is not UTF-8 (from line {number}); it was read as {line.charset}"
                if not any(existing.startswith("its text is not UTF-8") for existing in block.notes):
                    block.notes.append(note)
            name, value = _name_value(line)
            if name == "BEGIN" and value in CANNOT_NEST_IN_VEVENT or name == "END" and value == "VCALENDAR":
                close_block(f"it is never closed: no END:VEVENT before line {number}")
                if name == "END":
                    current_calendar = None
                    continue
            elif name == "END" and value == "VEVENT":
                block.lines.append("END:VEVENT")
                close_block(None)
                continue
            else:
                if name == "BEGIN":
                    block_depth.append(value)
                elif name == "END":
                    if block_depth and block_depth[-1] == value:
                        block_depth.pop()
                elif not block_depth and name in KEPT_PROPERTIES:
                    if name in SINGLE_VALUED:
                        if name in block.seen:
                            block.notes.append(f"a second {name} (line {number}) was ignored; the first one is used")
                            continue
                        block.seen.add(name)
                    _note_property(block, name, line)
                    if "TZID=" in line or "tzid=" in line:
                        calendars[block.calendar].used_tzids.update(
                            (match.group(2) if match.group(2) is not None else match.group(1)).strip()
                            for match in _TZID_PARAMETER.finditer(line)
                        )
                    repaired = _repair_line(name, line)
                    block.lines.append(repaired)
                    block.numbered.append((number, repaired))
                continue
        if line is None:
            continue
        name, value = _name_value(line)
        if outside is not None:
            if outside.lines is not None:
                outside.lines.append(_repair_line(name, line))
            if outside.closed_by(name, value):
                if outside.lines is not None:
                    calendars[calendar_index()].raw_timezones.append("\n".join(outside.lines))
                outside = None
            continue
        if name == "BEGIN" and value == "VCALENDAR":
            saw_component = True
            calendars.append(_Calendar())
            current_calendar = len(calendars) - 1
        elif name == "END" and value == "VCALENDAR":
            current_calendar = None
        elif name == "BEGIN" and value == "VEVENT":
            saw_component = True
            block = _Block(position=len(blocks) + 1, line=number, calendar=calendar_index())
            block.lines.append("BEGIN:VEVENT")
            block.lines.append(f"{POSITION_PROPERTY}:{block.position}")
            block_depth = []
        elif name == "BEGIN" and value == "VTIMEZONE":
            saw_component = True
            outside = _OutsideComponent(value, [line])
        elif name == "BEGIN":
            saw_component = True
            outside = _OutsideComponent(value, None)
        elif current_calendar is not None and name in ("X-WR-TIMEZONE", "METHOD"):
            calendar = calendars[current_calendar]
            value = _property_value(line).strip()
            if name == "METHOD":
                calendar.method = value.upper()
            elif name == "X-WR-TIMEZONE":
                # recurring-ical-events fails on the whole calendar when it cannot load
                # this zone; a Windows name is mapped, anything else is left out.
                zone_name = WINDOWS_TO_OLSON.get(value, value)
                if not _is_known_zone(zone_name):
                    continue
                calendar.floating_zone = ZoneInfo(zone_name)
                calendar.zone_name = zone_name
                line = f"X-WR-TIMEZONE:{zone_name}"
            calendar.header_lines.append(line)
    if block is not None:
        close_block("it is never closed: the file ends before END:VEVENT")
    for calendar in calendars:
        _settle_timezones(calendar)
    return _Scan(calendars, blocks, saw_component, counts["binary"], counts["text"], oversized)


def _name_value(line: str) -> tuple[str, str]:
    """Upper-case property name and, for BEGIN/END, the upper-case component name."""
    match = _PROPERTY_NAME.match(line)
    if not match:
        return "", ""
    name = match.group(1).upper()
    if name in ("BEGIN", "END"):
        return name, line.split(":", 1)[-1].strip().upper()
    return name, ""


def _property_value(line: str) -> str:
    """The value after the first colon that is not inside a quoted parameter."""
    # Most lines quote nothing before their first colon: then that colon ends the parameters.
    # Walking every character of every ATTENDEE line cost about 5% of reading a calendar.
    colon = line.find(":")
    if colon < 0:
        return ""
    if line.find('"', 0, colon) < 0:
        return line[colon + 1:]
    in_quotes = False
    for index, char in enumerate(line):
        if char == '"':
            in_quotes = not in_quotes
        elif char == ":" and not in_quotes:
            return line[index + 1:]
    return ""


def _note_property(block: _Block, name: str, line: str) -> None:
    if name == "UID":
        block.uid = _property_value(line).strip() or None
    elif name == "DTSTART":
        block.dtstart_raw = _property_value(line).strip()
    elif name == "RECURRENCE-ID":
        block.is_override = True
    elif name in ("RRULE", "RDATE"):
        block.recurs = True
    elif name == "EXDATE":
        block.has_exdate = True


def _finish_block(block: _Block, masters: dict[tuple, int]) -> None:
    """Give the block the UID icalendar will group it by, and its text."""
    if block.problem:
        return
    internal_uid = block.uid
    if internal_uid is None:
        internal_uid = _stable_hash("uid", str(block.position), block.dtstart_raw)
    key = (block.calendar, internal_uid)
    if not block.is_override:
        if key in masters:
            # Two masters with one UID: recurring-ical-events would keep only one of them.
            # Each is read as its own series; overrides attach to the first.
            internal_uid = f"{internal_uid}#{block.position}"
            key = (block.calendar, internal_uid)
        masters[key] = block.position
    if internal_uid != block.uid:
        block.lines = [line for line in block.lines if _name_value(line)[0] != "UID" or line.startswith(" ")]
        block.lines.insert(1, "UID:" + _escape_text(internal_uid))
    block.group_key = key
    block.text = "\n".join(block.lines)
    block.lines = []


def _escape_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


# Line-level repairs of quirks that real exporters write and icalendar rejects, each one
# unambiguous: the repaired line means what the exporter meant.
_EMPTY_TZID = re.compile(r';TZID=(""|)(?=[;:])', re.I)
_EMPTY_PARAMETER = re.compile(r";(?=[;:])")
_DATE_WITH_Z = re.compile(r"(?<![T\d])(\d{8})Z(?=,|$)")


def _repair_line(name: str, line: str) -> str:
    """Fix what Outlook, Exchange, Google and CDO write that icalendar cannot read.

    - `DTSTART;TZID=:...` (Exchange 2010, empty zone name): the zone is dropped, so the time
      is read as floating.
    - `DTSTART;;VALUE=...`: the empty parameter is dropped.
    - `RRULE:...;BYDAY=MO, TU, WE` (Exchange CDO): spaces inside the rule are removed.
    - `RDATE:20131210Z` (Google birthdays): eight digits are a DATE, which has no zone; the Z
      is dropped.
    - `EXDATE;VALUE=DATE:` (Google, empty value): an empty exclusion excludes nothing.
    - `ORGANIZER:"mailto:ada@example.com"` (the address quoted): the quotes are dropped.
    - `ATTENDEE;CN="Joe \\"Bob\\" Smith":...` (a backslash-escaped quote): written as RFC 6868's ^'.
    """
    if name in ("ATTENDEE", "ORGANIZER"):
        line = repair_parameters(line)
        value = _property_value(line)
        unquoted = unquote_address(value)
        return line if unquoted == value.strip() else line[: len(line) - len(value)] + unquoted
    if name not in TIME_PROPERTIES:
        return line
    value = _property_value(line)
    head = line[: len(line) - len(value)]
    head = _EMPTY_TZID.sub("", head)
    head = _EMPTY_PARAMETER.sub("", head)
    if name == "RRULE":
        value = value.replace(" ", "")
    elif name in ("RDATE", "EXDATE"):
        if not value.strip():
            return f"X-STRONGTIES-EMPTY-{name}:"
        value = _DATE_WITH_Z.sub(r"\1", value)
    return head + value


def _settle_timezones(calendar: _Calendar) -> None:
    """Decide which VTIMEZONEs icalendar sees, and under which TZID.

    icalendar keeps the zones it builds from VTIMEZONEs in one cache for the whole process,
    keyed by TZID, first definition wins. Two files that both define "Eastern" or Outlook's
    "Customized Time Zone" differently would then be read with the first file's rules. So a
    zone that is neither IANA nor Windows gets a private TZID derived from its definition.
    Zones named after an IANA or Windows zone are left to the IANA database: Outlook writes
    only the current year's rule into its VTIMEZONEs, so the database is right more often
    for past meetings (and a VTIMEZONE contradicting its own well-known name is more likely
    a bug than a custom zone).
    """
    for text in calendar.raw_timezones:
        tzid = _timezone_id(text)
        if not tzid or _is_known_zone(tzid):
            continue
        alias = "strongties-" + _stable_hash("vtimezone", text)[:16]
        renamed = re.sub(r"^TZID[;:].*$", f"TZID:{alias}", text, count=1, flags=re.M)
        if _is_readable_timezone(renamed):
            calendar.aliases[tzid] = alias
            calendar.timezones.append(renamed)
    calendar.raw_timezones = []
    # Windows display names ("(UTC-05:00) Eastern Time (US & Canada)") that no VTIMEZONE of
    # the file defines: their IANA zone, else the offset written in them.
    fixed: set[str] = set()
    for tzid in calendar.used_tzids - set(calendar.aliases):
        iana, offset = zone_for_display_name(tzid)
        if iana:
            calendar.aliases[tzid] = iana
        elif offset is not None:
            alias, text = fixed_offset_timezone(offset)
            calendar.aliases[tzid] = alias
            if alias not in fixed:
                fixed.add(alias)
                calendar.timezones.append(text)
        elif names_a_zone_folder(tzid):
            # Read as any unknown TZID is (floating time), instead of failing the event.
            calendar.aliases[tzid] = UNKNOWN_ZONE
    calendar.used_tzids = set()


# The TZID a folder-named zone is read under: no zone has this name, so icalendar reads the
# times in floating time, as it does for any TZID it does not know.
UNKNOWN_ZONE = "strongties-unknown-zone"


def _timezone_id(text: str) -> str | None:
    for line in text.split("\n"):
        if _name_value(line)[0] == "TZID":
            value = _property_value(line)
            return value.replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\").strip() or None
    return None


@lru_cache(maxsize=1024)
def _is_known_zone(tzid: str) -> bool:
    """Whether the IANA database knows this zone, directly or through its Windows name."""
    name = tzid.strip()
    if name in WINDOWS_TO_OLSON:
        return True
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _is_readable_timezone(text: str) -> bool:
    """A VTIMEZONE icalendar cannot read is left out: it is not an event, so it is not
    quarantined; events naming it are read in floating time."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            icalendar.Calendar.from_ical(f"BEGIN:VCALENDAR\n{text}\nEND:VCALENDAR\n")
    except Exception:  # noqa: BLE001 - icalendar raises many types on bad input
        return False
    return True


_TZID_PARAMETER = re.compile(r';TZID=("([^"]*)"|[^;:]*)', re.I)


def _use_aliases(text: str, aliases: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(2) if match.group(2) is not None else match.group(1)
        alias = aliases.get(name.strip())
        return f";TZID={alias}" if alias else match.group(0)

    return _TZID_PARAMETER.sub(replace, text)


# ---------------------------------------------------------------------------------------
# Component level: parse blocks with icalendar, expand occurrences, build rows.


class _Expander:
    """Parses one file's VEVENT blocks batch by batch and turns their occurrences into rows."""

    def __init__(self, result: FileResult, scan: _Scan, window_start: datetime, window_end: datetime):
        self.result = result
        self.scan = scan
        self.window_start = window_start
        self.window_end = window_end
        self.blocks_by_position = {block.position: block for block in scan.blocks}
        self.failed: set[int] = set()  # VEVENTs the reader failed on (fault barrier)
        self.rejected: set[int] = set()  # VEVENTs quarantined with a reason
        self.groups: dict[tuple, list[_Block]] = {}
        for block in scan.blocks:
            if block.problem:
                result.reject(block.location, block.problem)
                self.rejected.add(block.position)
            else:
                self.groups.setdefault(block.group_key, []).append(block)
        self.master_position = {
            key: next((b.position for b in group if not b.is_override), group[0].position)
            for key, group in self.groups.items()
        }
        self._described: dict[int, tuple[dict, list[dict]]] = {}
        self.recurring = {
            key: any(b.recurs or b.is_override for b in group) for key, group in self.groups.items()
        }

    def run(self) -> None:
        for batch in self._batches():
            try:
                self._parse_and_expand(batch)
            except Exception as error:  # noqa: BLE001 - the fault barrier: one batch, not the file
                for group in batch:
                    for block in group:
                        self._fail(block, error)
            for group in batch:  # the text is not needed any more: let a large file shrink
                for block in group:
                    block.text = ""
                    block.numbered = []

    def _fail(self, block: _Block, error: Exception) -> None:
        """Quarantine a VEVENT the reader failed on unexpectedly, and take back its rows."""
        if block.position in self.failed or block.position in self.rejected:
            return
        self.failed.add(block.position)
        self.result.reject(block.location, _failure_reason(error))
        meetings = self.result.rows.get(MEETINGS_TABLE, [])
        dropped = {row["occurrence_id"] for row in meetings if row["vevent_position"] == block.position}
        if dropped:
            self.result.rows[MEETINGS_TABLE] = [row for row in meetings if row["vevent_position"] != block.position]
            attendees = self.result.rows.get(ATTENDEES_TABLE, [])
            self.result.rows[ATTENDEES_TABLE] = [row for row in attendees if row["occurrence_id"] not in dropped]

    def _reject(self, block: _Block, reason: str) -> None:
        if block.position in self.rejected or block.position in self.failed:
            return
        self.rejected.add(block.position)
        self.result.reject(block.location, reason)

    def _batches(self) -> Iterator[list[list[_Block]]]:
        """Series in file order, grouped by calendar, about BATCH_VEVENTS VEVENTs a batch."""
        batch: list[list[_Block]] = []
        size = 0
        calendar = None
        for key, group in self.groups.items():
            if batch and (size + len(group) > BATCH_VEVENTS or key[0] != calendar):
                yield batch
                batch, size = [], 0
            batch.append(group)
            size += len(group)
            calendar = key[0]
        if batch:
            yield batch

    def _parse(self, blocks: list[_Block]) -> icalendar.Calendar:
        calendar = self.scan.calendars[blocks[0].calendar]
        parts = ["BEGIN:VCALENDAR", "VERSION:2.0", *calendar.header_lines, *calendar.timezones]
        if calendar.aliases:
            parts.extend(_use_aliases(block.text, calendar.aliases) for block in blocks)
        else:
            parts.extend(block.text for block in blocks)
        parts.append("END:VCALENDAR\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return icalendar.Calendar.from_ical("\n".join(parts))

    def _parse_and_expand(self, batch: list[list[_Block]]) -> None:
        blocks = [block for group in batch for block in group]
        try:
            parsed = self._parse(blocks)
        except Exception:  # noqa: BLE001 - narrow it down series by series
            if len(batch) > 1:
                for group in batch:
                    self._parse_and_expand([group])
                return
            parsed = self._parse_one_by_one(blocks)
            if parsed is None:
                return
        self._expand(parsed, blocks[0].calendar)

    def _parse_one_by_one(self, blocks: list[_Block]) -> icalendar.Calendar | None:
        """Quarantine the VEVENTs of a series that icalendar rejects; parse the rest together."""
        survivors = []
        for block in blocks:
            try:
                self._parse([block])
            except Exception as error:  # noqa: BLE001
                self._reject(block, _unreadable_reason(block, error))
            else:
                survivors.append(block)
        if not survivors:
            return None
        try:
            return self._parse(survivors)
        except Exception as error:  # noqa: BLE001
            for block in survivors:
                self._reject(block, _unreadable_reason(block, error))
            return None

    def _expand(self, parsed: icalendar.Calendar, calendar_index: int) -> None:
        calendar = self.scan.calendars[calendar_index]
        events = [c for c in parsed.subcomponents if c.name == "VEVENT"]
        series_events = []
        for event in events:
            block = self._block_of(event)
            try:
                if _is_undated_entry(event, block):
                    continue  # read: a note without a date is valid, but it is not a meeting
                _drop_broken_end(event, block)
                reason = _unusable_reason(event, block)
                if reason:
                    self._reject(block, reason)
                elif self._is_single(block):
                    self._add_single(event, block, calendar)
                elif self._bounded(event, block):
                    series_events.append(event)
            except Exception as error:  # noqa: BLE001 - the fault barrier: this VEVENT only
                self._fail(block, error)
        if not series_events:
            return
        parsed.subcomponents = [c for c in parsed.subcomponents if c.name != "VEVENT"] + series_events
        try:
            occurrences = self._occurrences(parsed)
        except Exception:  # noqa: BLE001 - find which series is at fault
            self._expand_series_by_series(parsed, series_events, calendar_index)
            return
        for occurrence in occurrences:
            self._add_rows(occurrence, calendar.method)

    def _bounded(self, event, block: _Block) -> bool:
        """Whether the series can be expanded, its rule rewritten so that it ends in time."""
        if block.is_override or "RRULE" not in event:
            return True
        try:
            notes = bound_recurrence(event, self.window_start, self.window_end)
        except Unexpandable as refusal:
            self._reject(block, str(refusal))
            return False
        block.notes.extend(notes)
        return True

    def _is_single(self, block: _Block) -> bool:
        return (
            not (block.recurs or block.is_override or block.has_exdate)
            and len(self.groups[block.group_key]) == 1
        )

    def _add_single(self, event, block: _Block, calendar: _Calendar) -> None:
        """An event that does not repeat, placed without recurring-ical-events.

        Most events of a real calendar are single; expanding them through the library costs
        a copy of each. The result is the same: floating times in the X-WR-TIMEZONE, and the
        library's rule for the window (starts inclusive, ends exclusive, an instant event
        counts when it starts inside).
        """
        start = event["DTSTART"].dt
        end = _end_of(event, start)
        if isinstance(start, datetime) != isinstance(end, datetime):
            return self._add_through_library(event, calendar)
        if calendar.floating_zone is not None:
            start, end = _in_zone(start, calendar.floating_zone), _in_zone(end, calendar.floating_zone)
        starts_at, ends_at = _as_utc(start), _as_utc(end)
        if ends_at < starts_at:
            return self._reject(block, "it ends (DTEND) before it starts (DTSTART)")
        if starts_at == ends_at:
            inside = self.window_start <= starts_at < self.window_end
        else:
            inside = starts_at < self.window_end and self.window_start < ends_at
        if inside:
            self._emit(event, block, starts_at, ends_at, not isinstance(start, datetime), starts_at, calendar.method)

    def _add_through_library(self, event, calendar: _Calendar) -> None:
        parsed = icalendar.Calendar()
        parsed.subcomponents = [event]
        for header in calendar.header_lines:
            name, _, value = header.partition(":")
            parsed[name.split(";")[0]] = value
        try:
            occurrences = self._occurrences(parsed)
        except Exception as error:  # noqa: BLE001
            block = self._block_of(event)
            return self._reject(block, _expansion_reason(error, block))
        for occurrence in occurrences:
            self._add_rows(occurrence, calendar.method)

    def _expand_series_by_series(self, parsed: icalendar.Calendar, events: list, calendar_index: int) -> None:
        """Expand each series alone; in a series that fails, find the VEVENTs at fault."""
        others = [c for c in parsed.subcomponents if c.name != "VEVENT"]
        by_key: dict[tuple, list] = {}
        for event in events:
            by_key.setdefault(self._block_of(event).group_key, []).append(event)
        method = self.scan.calendars[calendar_index].method
        for series in by_key.values():
            try:
                occurrences = self._occurrences(_calendar_like(parsed, others, series))
            except Exception as error:  # noqa: BLE001
                occurrences = self._expand_without_bad_parts(parsed, others, series, error)
            for occurrence in occurrences:
                self._add_rows(occurrence, method)

    def _expand_without_bad_parts(self, parsed, others: list, series: list, error: Exception) -> list:
        """Occurrences of a failing series once the VEVENTs that fail on their own are quarantined."""
        if len(series) > 1:
            survivors = []
            for event in series:
                try:
                    self._occurrences(_calendar_like(parsed, others, [event]))
                except Exception as own_error:  # noqa: BLE001
                    block = self._block_of(event)
                    self._reject(block, _expansion_reason(own_error, block))
                else:
                    survivors.append(event)
            if len(survivors) < len(series):
                if not survivors:
                    return []
                try:
                    return self._occurrences(_calendar_like(parsed, others, survivors))
                except Exception as survivors_error:  # noqa: BLE001
                    error, series = survivors_error, survivors
            # Each VEVENT expands alone but not together: the series as a whole is at fault.
        for event in series:
            block = self._block_of(event)
            self._reject(block, _expansion_reason(error, block))
        return []

    def _block_of(self, event) -> _Block:
        return self.blocks_by_position[int(str(event[POSITION_PROPERTY]))]

    def _occurrences(self, parsed: icalendar.Calendar) -> list:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(recurring_ical_events.of(parsed).between(self.window_start, self.window_end))

    def _add_rows(self, occurrence, method: str | None) -> None:
        """Rows of one occurrence returned by recurring-ical-events."""
        block = self._block_of(occurrence)
        try:
            self._add_occurrence(occurrence, block, method)
        except Exception as error:  # noqa: BLE001 - the fault barrier: this VEVENT only
            self._fail(block, error)

    def _add_occurrence(self, occurrence, block: _Block, method: str | None) -> None:
        start = occurrence["DTSTART"].dt
        starts_at = _as_utc(start)
        ends_at = _as_utc(_end_of(occurrence, start))
        slot = occurrence.get("RECURRENCE-ID")
        slot_utc = _as_utc(slot.dt) if slot is not None else starts_at
        self._emit(occurrence, block, starts_at, ends_at, not isinstance(start, datetime), slot_utc, method)

    def _emit(self, component, block: _Block, starts_at, ends_at, all_day: bool, slot_utc, method) -> None:
        """One meeting row and its attendee rows.

        The occurrence is identified by its UID and the slot it holds in its series (the
        RECURRENCE-ID of a moved occurrence, else its start), so that an export made before
        a meeting was moved and one made after give it the same id.
        """
        if block.position in self.failed or block.position in self.rejected:
            return
        described = self._described.get(block.position)
        if described is None:
            described = self._described[block.position] = self._describe(component, block, method)
        meeting, people = described
        occurrence_id = _stable_hash("occurrence", meeting["uid"], slot_utc.isoformat())
        self.result.add(MEETINGS_TABLE, {
            "source_file": self.result.source_file,
            "event_position": self.master_position[block.group_key],
            "vevent_position": block.position,
            "occurrence_id": occurrence_id,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "all_day": all_day,
            "duration_minutes": (ends_at - starts_at).total_seconds() / 60,
            "calendar_timezone": self.scan.calendars[block.calendar].zone_name,
            **meeting,
        })
        for person in people:
            self.result.add(ATTENDEES_TABLE, {
                "occurrence_id": occurrence_id,
                "source_file": self.result.source_file,
                **person,
            })

    def _describe(self, component, block: _Block, method: str | None) -> tuple[dict, list[dict]]:
        """What every occurrence of one VEVENT shares: who, what, status."""
        def read(name: str, how, default=None):
            """One property, or `default` and a note when it cannot be used: a property that
            cannot be read loses only itself."""
            value = component.get(name)
            if isinstance(value, list):  # not possible after the line-level de-duplication
                value = value[0] if value else None
            try:
                return how(value)
            except Exception:  # noqa: BLE001
                number, _ = _first_line(block, name)
                where = f" (line {number})" if number else ""
                block_notes.append(f"its {name}{where} could not be read and was left out")
                return default

        block_notes: list[str] = []
        status = read("STATUS", _upper)
        if status is None and method == "CANCEL":
            status = "CANCELLED"
        organizer = read("ORGANIZER", lambda value: value)
        organizer_email = read("ORGANIZER", lambda value: normalize_email(str(value)) if value is not None else None)
        organizer_name, organizer_org = split_hierarchical_name(read("ORGANIZER", lambda value: _param(value, "CN")))
        location_text = read("LOCATION", lambda value: str(value or ""), "")
        people, resources, groups = _people(component, organizer, organizer_email, organizer_name, organizer_org, location_text, block_notes)
        block.notes.extend(note for note in block_notes if note not in block.notes)
        meeting = {
            "uid": block.uid or str(component.get("UID")),
            "status": status,
            "summary": read("SUMMARY", _text),
            "organizer_email": organizer_email,
            "organizer_name": organizer_name,
            "is_recurring": self.recurring[block.group_key],
            "attendee_count": len(people),
            "resource_count": resources,
            "group_count": groups,
            "transparency": read("TRANSP", _upper),
        }
        return meeting, people


def _calendar_like(parsed: icalendar.Calendar, others: list, events: list) -> icalendar.Calendar:
    """A calendar with the header and time zones of `parsed` but only these events."""
    calendar = icalendar.Calendar()
    for key, value in parsed.items():
        calendar[key] = value
    calendar.subcomponents = list(others) + list(events)
    return calendar


def _is_undated_entry(event, block: _Block) -> bool:
    """An event with properties but no start at all: exporters write these for undated notes.

    RFC 5545 lets a VEVENT go without DTSTART when the calendar has a METHOD, and producers
    write them without one too; an *empty* VEVENT, or one whose start is unreadable, is broken.
    """
    # Ours are not the event's: the position marker, and the UID given to events without one.
    ours = {POSITION_PROPERTY} | (set() if block.uid else {"UID"})
    own_properties = [name for name in event if name not in ours]
    return "DTSTART" not in event and bool(own_properties) and not (getattr(event, "errors", None) or [])


# Properties that only say when an event ends: when one cannot be read, the start is still
# right, so the event is kept as if it had no end (libical's test data writes DTEND with a
# seven-digit time, `19970701T1030000Z`, on an otherwise sound meeting).
END_PROPERTIES = ("DTEND", "DURATION")


def _drop_broken_end(event, block: _Block) -> None:
    """Remove an unreadable DTEND or DURATION (noted) so that the VEVENT is read without it."""
    errors = getattr(event, "errors", None) or []
    broken = {(name or "").upper() for name, _message in errors}
    if not broken & set(END_PROPERTIES) or broken & (set(TIME_PROPERTIES) - set(END_PROPERTIES)):
        return
    if "DTSTART" not in event:
        return
    for name in END_PROPERTIES:
        if name in broken:
            number, _ = _first_line(block, name)
            where = f" (line {number})" if number else ""
            block.notes.append(
                f"its {name}{where} is not a valid {_TIME_KINDS[name]}; it was left out and the event read without an end"
            )
            del event[name]
    event.errors = [(name, message) for name, message in errors if (name or "").upper() not in END_PROPERTIES]


# What a time property holds, to say what it failed to be.
_TIME_KINDS = {
    "DTSTART": "date or date-time", "DTEND": "date or date-time", "RECURRENCE-ID": "date or date-time",
    "RDATE": "list of dates or periods", "EXDATE": "list of dates", "DURATION": "duration (like PT1H)",
    "RRULE": "recurrence rule",
}


def _unusable_reason(event, block: _Block) -> str | None:
    """Why this VEVENT cannot be placed in time, or None when it can.

    Reasons are our own words: icalendar's messages quote the value ("Got: ''"), and the
    value may be a name or an address.
    """
    broken = {}
    for name, _message in getattr(event, "errors", []) or []:
        broken.setdefault((name or "").upper(), True)
    for name in TIME_PROPERTIES:
        if name in broken:
            number, line = _first_line(block, name)
            where = f" (line {number})" if number else ""
            problem = line_problem(line, number) if line else None
            return problem or f"its {name}{where} is not a valid {_TIME_KINDS[name]}"
    if "DTSTART" not in event:
        if "" in broken:
            return "it has no readable DTSTART (start time): " + _unreadable_reason(block, None)
        return "it is an empty VEVENT: no start, no UID, no property at all"
    return None


def _first_line(block: _Block, name: str) -> tuple[int, str]:
    """(line number, text) of the block's first line with this property; (0, "") if none."""
    for number, line in block.numbered:
        if _name_value(line)[0] == name:
            return number, line
    return 0, ""


def _unreadable_reason(block: _Block, error: Exception | None) -> str:
    """Which line of a VEVENT icalendar could not read, and what is wrong with it."""
    for number, line in block.numbered:
        problem = line_problem(line, number)
        if problem:
            return problem
    return "icalendar cannot read it, though no single line of it is malformed"


def _expansion_reason(error: Exception, block: _Block) -> str:
    if isinstance(error, OverflowError):
        return _OUT_OF_RANGE
    number, _ = _first_line(block, "RRULE")
    if number:
        return f"its recurrence could not be expanded: the RRULE (line {number}) is not a rule that can be read"
    return "its recurrence could not be expanded: its RDATE, EXDATE or RECURRENCE-ID dates do not fit together"


_OUT_OF_RANGE = "one of its dates is outside the years 1 to 9999 once moved to UTC; it was left out"


def _failure_reason(error: Exception) -> str:
    """The reason for a VEVENT the reader failed on unexpectedly (the fault barrier)."""
    if isinstance(error, OverflowError):
        return _OUT_OF_RANGE
    return "the calendar reader failed on it (an internal error, worth reporting); it was left out"


def _end_of(occurrence, start):
    end = occurrence.get("DTEND")
    if end is not None:
        return end.dt
    duration = occurrence.get("DURATION")
    if duration is not None:
        return start + duration.dt
    if not isinstance(start, datetime):
        return start + timedelta(days=1)
    return start


def _in_zone(moment, zone: tzinfo):
    """A floating date-time placed in the calendar's zone; dates and zoned times unchanged."""
    if isinstance(moment, datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment


def _as_utc(moment: date | datetime) -> datetime:
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc)
    return to_utc(moment)


def _upper(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _param(prop, name: str) -> str | None:
    if prop is None:
        return None
    params = getattr(prop, "params", None) or {}
    value = params.get(name)
    if value is None:
        return None
    text = str(value).strip().strip('"').strip()
    return text or None


def _kind_of_address(prop, email: str | None, name: str | None, location: str) -> str:
    """'person', 'resource' or 'group' for an ATTENDEE or ORGANIZER."""
    cutype = (_param(prop, "CUTYPE") or "").upper()
    if cutype in NON_PERSON_CUTYPES:
        return NON_PERSON_CUTYPES[cutype]
    raw = str(prop).strip().lower()
    if raw.endswith(RESOURCE_ADDRESS_SUFFIXES) or (email and email.endswith(RESOURCE_ADDRESS_SUFFIXES)):
        return "resource"
    if email and ROOM_MAILBOX.match(email):
        return "resource"
    if name and location and fold_text(name) in {fold_text(part) for part in re.split(r"[;,]", location)}:
        return "resource"
    return "person"


def _people(occurrence, organizer, organizer_email, organizer_name, organizer_org, location: str, notes: list[str]):
    """Attendee rows (organizer included once), and counts of resources and groups.

    An ATTENDEE that cannot be read is left out with a note; the others are kept.
    """
    attendees = occurrence.get("ATTENDEE")
    if attendees is None:
        attendees = []
    elif not isinstance(attendees, list):
        attendees = [attendees]
    people: dict[str, dict] = {}
    resources = groups = 0
    for position, attendee in enumerate(attendees, start=1):
        try:
            email = normalize_email(str(attendee))
            name, organization = split_hierarchical_name(_param(attendee, "CN"))
            kind = _kind_of_address(attendee, email, name, location)
            partstat = (_param(attendee, "PARTSTAT") or "NEEDS-ACTION").upper()
            role = (_param(attendee, "ROLE") or "").upper() or None
        except Exception:  # noqa: BLE001
            notes.append(f"ATTENDEE {position} could not be read and was left out")
            continue
        if kind == "resource":
            resources += 1
            continue
        if kind == "group":
            groups += 1
            continue
        key = email or fold_text(name)
        if not key or key in people:
            continue
        people[key] = {
            "email": email,
            "name": name,
            "organization": organization,
            "partstat": partstat,
            "role": role,
            "is_organizer": False,
        }
    if organizer is not None:
        key = organizer_email or fold_text(organizer_name)
        kind = _kind_of_address(organizer, organizer_email, organizer_name, location)
        if key in people:
            people[key]["is_organizer"] = True
        elif key and kind == "person":
            people[key] = {
                "email": organizer_email,
                "name": organizer_name,
                "organization": organizer_org,
                "partstat": "NEEDS-ACTION",
                "role": None,
                "is_organizer": True,
            }
    return list(people.values()), resources, groups


def _stable_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
