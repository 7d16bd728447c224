"""Recurrence rules made safe to expand: RFC 5545's COUNT, and a bound on runaway series.

recurring-ical-events expands a rule with dateutil, which lists every occurrence from
DTSTART to the end of the query, so `FREQ=SECONDLY` or an HOURLY rule from year 1 never
finishes in practice. Before a series is handed to it, `bound_recurrence` looks at its RRULE
with dateutil lazily and rewrites the event so that the expansion is bounded:

- a rule that would need more than `FAST_FORWARD_PERIODS` periods before the window even
  opens starts later, on its own grid (the same occurrences in the window);
- a rule with more than `MAX_OCCURRENCES_PER_SERIES` occurrences in the window is cut after
  that many, and says so in a note.

A rule whose BY parts no date can satisfy (BYMONTHDAY=30 with BYMONTH=2, BYYEARDAY=1 with
BYMONTH=6, the sixth Monday of a month) is dropped before dateutil sees it: dateutil looks for
its next occurrence day by day (second by second for FREQ=SECONDLY) up to the year 9999, many
seconds per rule, and finds none. RFC 5545 still counts DTSTART as its first occurrence, which
is what the event keeps (with any RDATE).

It also applies RFC 5545 §3.3.10 on COUNT: "The DTSTART property value always counts as the
first occurrence". dateutil leaves out a DTSTART that does not match the rule and
recurring-ical-events adds it back, so `COUNT=2;BYDAY=MO` from a Tuesday gave three
occurrences; the rule's COUNT is lowered by one in that case.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from dateutil.rrule import rrulestr
from icalendar.prop import vRecur

# Occurrences one series may have in the window. The densest real meeting pattern is a daily
# one: over the default window (ten years back, one ahead) that is 4,018 occurrences. 5,000
# is above that, and low enough that a capped series costs well under a second.
MAX_OCCURRENCES_PER_SERIES = 5_000

# Periods of a rule stepped through before the window opens, above which the rule is moved
# forward on its grid instead. A weekly meeting since 1970 is about 2,900 periods; dateutil
# steps ~250,000 periods a second, so this costs at most a few hundredths of a second.
FAST_FORWARD_PERIODS = 10_000

# Rules whose periods have a fixed length, so that moving DTSTART by whole periods keeps
# every later occurrence where it was. MONTHLY and YEARLY rules never need it: even from
# year 1 they have fewer than FAST_FORWARD_PERIODS * 3 periods to the window.
_PERIOD = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}
# The shortest a period can be (February, a common year): dividing a span by it over-counts the
# periods in it, which is what the upper bounds below need.
_ROUGH_PERIOD = {**_PERIOD, "MONTHLY": timedelta(days=28), "YEARLY": timedelta(days=365)}
# Slack around the window: floating times are compared as UTC but may sit up to 14 hours
# from it. A rule moved forward lands this much (plus the event's length, up to a day)
# before the window, so that an occurrence overlapping the window's start is kept.
_MARGIN = timedelta(hours=15)
_LONGEST_LEAD = timedelta(days=1)


class Unexpandable(ValueError):
    """A rule that cannot be bounded; the message is a quarantine reason."""


def bound_recurrence(event, window_start: datetime, window_end: datetime) -> list[str]:
    """Rewrite the RRULE (and DTSTART) of a master VEVENT so that expanding it is bounded.

    Returns notes for what was cut; raises Unexpandable when the rule cannot be bounded.
    Events without an RRULE, or with one dateutil cannot read, are left to the library.
    """
    rules = event.get("RRULE")
    if rules is None or event.get("DTSTART") is None:
        return []
    notes: list[str] = []
    possible = []
    for rule in rules if isinstance(rules, list) else [rules]:
        why = never_matches(rule)
        if why is None:
            possible.append(rule)
        else:
            freq = str((rule.get("FREQ") or [""])[0]).upper()
            notes.append(f"its RRULE (FREQ={freq}) can never occur ({why}); it was dropped, and DTSTART still counts as an occurrence")
    if notes:
        del event["RRULE"]
        if not possible:
            return notes
        event["RRULE"] = rules = possible[0] if len(possible) == 1 else possible
    if isinstance(rules, list):
        # Several RRULEs (RFC 2445 allowed it; Zimbra still writes it): each is bounded, but
        # none may move DTSTART, which the others step from. COUNT still counts DTSTART
        # once, so the correction is left out here.
        for rule in rules:
            notes += _bound_rule(event, rule, window_start, window_end, alone=False)
        return notes
    return notes + _bound_rule(event, rules, window_start, window_end, alone=True)


# The longest each month can be (February in a leap year), and the months each day of the
# year can fall in, leap years included: what BYMONTHDAY and BYYEARDAY can reach.
_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
# A weekday occurs at most 5 times a month and 53 times a year, so BYDAY=6MO never occurs.
_MOST_WEEKDAYS = {"MONTHLY": 5, "YEARLY": 53}


def _months_of_year_day(day: int) -> set[int]:
    months = set()
    for first, length in ((datetime(2001, 1, 1), 365), (datetime(2000, 1, 1), 366)):
        if 1 <= abs(day) <= length:
            offset = day - 1 if day > 0 else length + day
            months.add((first + timedelta(days=offset)).month)
    return months


def _months_of_week(week: int) -> set[int]:
    """Months that week `week` of a year (RFC 5545 BYWEEKNO) can touch, whatever WKST is: the
    first week starts between December 29 and January 4, give or take six days for WKST and
    one for a leap day; two more days of slack on each side cost nothing."""
    months = set()
    for number in ((week,) if week > 0 else (53 + 1 + week, 52 + 1 + week)):
        if not 1 <= number <= 53:
            continue
        earliest = datetime(2000, 12, 29) - timedelta(days=6 + 1 + 2) + timedelta(weeks=number - 1)
        for offset in range(0, (6 + 1 + 2) + 7 + 7 + (6 + 1 + 2)):
            months.add((earliest + timedelta(days=offset)).month)
    return months


def never_matches(rule) -> str | None:
    """Why no date can satisfy the rule's BY parts, in a few words; None when some date can (or
    when it cannot be told cheaply: dateutil then decides)."""
    try:
        months = {int(str(month)) for month in rule.get("BYMONTH") or ()} or set(_MONTH_DAYS)
        month_days = [int(day) for day in rule.get("BYMONTHDAY") or ()]
        year_days = [int(day) for day in rule.get("BYYEARDAY") or ()]
        weeks = [int(week) for week in rule.get("BYWEEKNO") or ()]
        weekdays = [str(day) for day in rule.get("BYDAY") or ()]
    except (TypeError, ValueError):
        return None
    if month_days and not any(1 <= abs(day) <= _MONTH_DAYS.get(month, 31) for day in month_days for month in months):
        return "its BYMONTHDAY is a day none of its months has"
    if year_days and not any(_months_of_year_day(day) & months for day in year_days):
        return "its BYYEARDAY falls in none of its months"
    if weeks and not any(_months_of_week(week) & months for week in weeks):
        return "its BYWEEKNO falls in none of its months"
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    most = _MOST_WEEKDAYS["MONTHLY" if freq == "MONTHLY" or rule.get("BYMONTH") else "YEARLY"]
    if weekdays and freq in _MOST_WEEKDAYS:
        ordinals = [day[:-2].lstrip("+") for day in weekdays]
        if all(ordinal and ordinal.lstrip("-").isdigit() and abs(int(ordinal)) > most for ordinal in ordinals):
            return "its BYDAY asks for a weekday more times than a month or year has it"
    return None


def _bound_rule(event, rule, window_start: datetime, window_end: datetime, alone: bool) -> list[str]:
    start = event["DTSTART"].dt
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    try:
        interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
        count = rule.get("COUNT")
        count = int(count[0]) if count else None
    except (TypeError, ValueError):
        return []
    if count is not None and count < 0:
        return []  # the library drops a negative COUNT; so do we
    until = (rule.get("UNTIL") or [None])[0]
    start_wall = _wall(start, start)
    core = vRecur({key: value for key, value in rule.items() if key not in ("COUNT", "UNTIL")})
    try:
        steps = rrulestr(core.to_ical().decode(), dtstart=start_wall)
    except Exception:  # noqa: BLE001 - dateutil raises many types; the library will say why
        return []
    notes: list[str] = []

    if count is not None and alone:
        first = next(iter(steps), None)
        if first != start_wall:
            count -= 1  # DTSTART is the first occurrence, and the rule does not give it
            if count <= 0:
                del event["RRULE"]
                return notes
            rule["COUNT"] = [count]

    window_start_wall = _wall(window_start, start)
    window_end_wall = _wall(window_end, start) + _MARGIN
    land = window_start_wall - _MARGIN - min(_length(event, start), _LONGEST_LEAD)
    until_wall = _wall(until, start, end_of_day=True) if until is not None else None
    if until_wall is not None and until_wall < land:
        return notes  # the series ended before the window: cheap to expand, nothing to show
    period = _PERIOD.get(freq)
    if period is not None and start_wall < land:
        span = period * interval
        periods_before = (land - start_wall) // span
        steps_before = periods_before * _per_period(freq, rule)
        if steps_before > FAST_FORWARD_PERIODS and not (count is not None and count <= FAST_FORWARD_PERIODS):
            if not alone:
                raise Unexpandable(
                    f"one of its RRULEs (FREQ={freq}) starts {periods_before:,} periods before the window, "
                    "too many to count through; it was not expanded"
                )
            if count is not None:
                if any(key.startswith("BY") for key in rule):
                    raise Unexpandable(
                        f"its RRULE (FREQ={freq} with COUNT) starts {periods_before:,} periods before the "
                        "window, too many to count through; it was not expanded"
                    )
                count -= periods_before
                if count <= 0:
                    return notes  # all its occurrences are before the window
                rule["COUNT"] = [count]
            _move_start(event, span * periods_before)
            start_wall = start_wall + span * periods_before
            steps = rrulestr(core.to_ical().decode(), dtstart=start_wall)

    if _at_most(freq, interval, rule, count, start_wall, until_wall, window_start_wall, window_end_wall) <= MAX_OCCURRENCES_PER_SERIES:
        return notes
    inside = 0
    # Steps before the window: what is left after a move (or what did not need one); inside
    # it, the cap stops the walk.
    span = _ROUGH_PERIOD.get(freq, timedelta(days=1)) * interval
    periods_before = max(0, (window_start_wall - start_wall) // span) + 1
    budget = (periods_before + 1) * _per_period(freq, rule) + MAX_OCCURRENCES_PER_SERIES + 1
    for number, moment in enumerate(itertools.islice(steps, budget + 1), start=1):
        if (count is not None and number > count) or (until_wall is not None and moment > until_wall):
            return notes
        if moment >= window_end_wall:
            return notes
        if moment >= window_start_wall:
            inside += 1
            if inside > MAX_OCCURRENCES_PER_SERIES:
                _cut_before(rule, moment, start)
                notes.append(
                    f"its RRULE (FREQ={freq}) repeats more than {MAX_OCCURRENCES_PER_SERIES:,} times in the "
                    f"window; occurrences from {moment:%Y-%m-%d %H:%M} on were left out"
                )
                return notes
        if number > budget:
            break
    raise Unexpandable(
        f"its RRULE (FREQ={freq}) could not be bounded: over {budget:,} steps without reaching the window; "
        "it was not expanded"
    )


def _length(event, start) -> timedelta:
    """How long each occurrence lasts, as far as it can be told cheaply; zero when unknown."""
    try:
        if event.get("DTEND") is not None:
            return max(timedelta(0), _wall(event["DTEND"].dt, start) - _wall(start, start))
        if event.get("DURATION") is not None:
            return max(timedelta(0), event["DURATION"].dt)
    except Exception:  # noqa: BLE001 - a length is only a hint here
        pass
    return timedelta(0)


def _wall(moment, like, end_of_day: bool = False) -> datetime:
    """`moment` as a naive wall-clock time in the frame of `like` (the event's DTSTART), the
    way dateutil steps through a rule."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
        if end_of_day:
            moment += timedelta(days=1) - timedelta(seconds=1)
        return moment
    if moment.tzinfo is None:
        return moment
    if isinstance(like, datetime) and like.tzinfo is not None:
        return moment.astimezone(like.tzinfo).replace(tzinfo=None)
    return moment.replace(tzinfo=None)


def _move_start(event, delta: timedelta) -> None:
    """Move DTSTART, and DTEND with it, by whole periods of wall-clock time."""
    for name in ("DTSTART", "DTEND"):
        prop = event.get(name)
        if prop is None:
            continue
        value = prop.dt
        if isinstance(value, datetime):
            prop.dt = (value.replace(tzinfo=None) + delta).replace(tzinfo=value.tzinfo)
        else:
            prop.dt = value + timedelta(days=delta.days)


def _cut_before(rule, moment: datetime, start) -> None:
    """End the rule just before `moment` (a wall-clock time in DTSTART's frame)."""
    rule.pop("COUNT", None)
    if not isinstance(start, datetime):
        rule["UNTIL"] = [(moment - timedelta(days=1)).date()]
    elif start.tzinfo is None:
        rule["UNTIL"] = [moment - timedelta(seconds=1)]
    else:
        rule["UNTIL"] = [(moment - timedelta(seconds=1)).replace(tzinfo=start.tzinfo).astimezone(timezone.utc)]


def _at_most(freq, interval, rule, count, start_wall, until_wall, window_start_wall, window_end_wall) -> float:
    """A cheap upper bound on the rule's occurrences inside the window, so that the common
    series (weekly, daily, monthly) are never stepped through twice."""
    if count is not None and count <= MAX_OCCURRENCES_PER_SERIES:
        return count
    if freq not in _ROUGH_PERIOD:
        return float("inf")
    begin = max(start_wall, window_start_wall)
    end = min(window_end_wall, until_wall) if until_wall is not None else window_end_wall
    if end <= begin:
        return 0
    periods = (end - begin) / (_ROUGH_PERIOD[freq] * interval) + 1
    bound = periods * _per_period(freq, rule) + 1
    return min(bound, count) if count is not None else bound


# BY parts that can give a period more than one occurrence, for each frequency (the others
# only filter): finer units multiply, days of a week, month or year too.
_EXPANDING = {
    "SECONDLY": (),
    "MINUTELY": ("BYSECOND",),
    "HOURLY": ("BYMINUTE", "BYSECOND"),
    "DAILY": ("BYHOUR", "BYMINUTE", "BYSECOND"),
    "WEEKLY": ("BYDAY", "BYHOUR", "BYMINUTE", "BYSECOND"),
    "MONTHLY": ("BYHOUR", "BYMINUTE", "BYSECOND"),
    "YEARLY": ("BYHOUR", "BYMINUTE", "BYSECOND"),
}
# The most days a period can hold, each of which a day part (BYMONTHDAY, BYDAY...) may pick.
_DAYS_IN_PERIOD = {"MONTHLY": 31, "YEARLY": 366}


def _per_period(freq: str, rule) -> int:
    """An upper bound on the occurrences one period of the rule can hold."""
    per_period = 1
    for key in _EXPANDING.get(freq, ()):
        per_period *= max(1, len(rule.get(key) or ()))
    day_parts = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY")
    if freq in _DAYS_IN_PERIOD and any(key in rule for key in day_parts):
        per_period *= _DAYS_IN_PERIOD[freq]
    return per_period
