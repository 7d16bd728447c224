"""The calendar connector over the real exports in ../shared/corpus/ics (skipped when absent).

Conservation checked here: `items` equals the number of BEGIN:VEVENT lines of the file,
and each VEVENT index 1..items is either the `vevent_position` of some meeting row or the
location of exactly one quarantine entry, never both. The window is wide enough (1970 to
2040) that every dated event of the corpus has an occurrence in it, so "read fine but
outside the window" cannot hide a lost event; the lead's default window is run separately,
where such events are allowed to yield no row.

Two files are valid iCalendar test files that nonetheless hold VEVENTs without a DTSTART
(icalendar's tests of RFC 6868 escapes and of several VCALENDARs in one file). An event
with no start cannot become a meeting and is quarantined with that reason; for those files
the test checks that the only entries are exactly those events.
"""
from __future__ import annotations

import csv
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.ics import MEETINGS_TABLE, parse_calendar

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
WIDE_START = datetime(1970, 1, 1, tzinfo=timezone.utc)
WIDE_END = datetime(2040, 1, 1, tzinfo=timezone.utc)
# The lead's default: ten years back to one year ahead of the run's as-of date.
AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
DEFAULT_WINDOW = (AS_OF.replace(year=AS_OF.year - 10), AS_OF.replace(year=AS_OF.year + 1))
_BEGIN_VEVENT = re.compile(rb"^\s*BEGIN:VEVENT\s*$", re.I | re.M)
_VEVENT_BLOCK = re.compile(rb"^BEGIN:VEVENT\s*$(.*?)^END:VEVENT\s*$", re.I | re.M | re.S)


def _manifest() -> dict[str, str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return {}
    with open(manifest, newline="", encoding="utf-8") as handle:
        return {
            row[0]: row[4]
            for row in csv.reader(handle, delimiter="\t")
            if row and row[0].startswith("ics/") and len(row) > 4
        }


def _corpus_files() -> list:
    if not (CORPUS / "ics").is_dir():
        return [pytest.param(None, id="corpus-absent")]
    return [pytest.param(path, id=path.name) for path in sorted((CORPUS / "ics").glob("*.ics"))]


def _read(path: Path, start: datetime, end: datetime):
    with open(path, "rb") as stream:
        return parse_calendar(stream, f"ics/{path.name}", start, end)


def _lost(result) -> list:
    """Quarantine entries for whole VEVENTs; notes on a property of a kept one are not losses."""
    return [entry for entry in result.quarantine if entry.scope != "property"]


def _positions(result) -> tuple[set[int], list[int]]:
    with_rows = {row["vevent_position"] for row in result.rows.get(MEETINGS_TABLE, [])}
    quarantined = [int(q.location.split()[1]) for q in _lost(result) if q.location != "file"]
    return with_rows, quarantined


@pytest.mark.parametrize("path", _corpus_files())
def test_corpus_file_conserves_every_vevent(path):
    if path is None:
        pytest.skip("../shared/corpus is not here")
    description = _manifest().get(f"ics/{path.name}", "")
    malformed = description.startswith("MALFORMED")
    data = path.read_bytes()
    result = _read(path, WIDE_START, WIDE_END)

    vevents = len(_BEGIN_VEVENT.findall(data))
    assert result.items == vevents
    with_rows, quarantined = _positions(result)
    assert len(quarantined) == len(set(quarantined)), "a VEVENT quarantined twice"
    assert not with_rows & set(quarantined), "a VEVENT both quarantined and in rows"
    # Undated notes (properties, but no DTSTART) are read without rows, as the connector says.
    undated = {position for position, block in enumerate(_VEVENT_BLOCK.findall(data), start=1)
               if block.strip() and not re.search(rb"^DTSTART", block, re.M)}
    assert with_rows | set(quarantined) | undated == set(range(1, vevents + 1))
    for entry in result.quarantine:
        assert entry.source_file == f"ics/{path.name}"
        assert re.fullmatch(r"VEVENT \d+ \(line \d+\)|line \d+", entry.location)
        assert len(entry.reason) > 20

    if malformed:
        return
    assert _lost(result) == []


@pytest.mark.parametrize("path", _corpus_files())
def test_corpus_file_in_the_default_window_loses_nothing_silently(path):
    if path is None:
        pytest.skip("../shared/corpus is not here")
    start, end = DEFAULT_WINDOW
    result = _read(path, start, end)
    with_rows, quarantined = _positions(result)
    assert with_rows | set(quarantined) <= set(range(1, result.items + 1))
    for row in result.rows.get(MEETINGS_TABLE, []):
        assert row["starts_at"] < end.isoformat() and row["ends_at"] >= start.isoformat()
    wide = _read(path, WIDE_START, WIDE_END)
    assert [(q.location, q.reason) for q in _lost(result)] == [
        (q.location, q.reason) for q in _lost(wide)
    ]


def test_corpus_windows_zone_and_outlook_names_land_on_the_right_hour():
    if not (CORPUS / "ics").is_dir():
        pytest.skip("../shared/corpus is not here")
    expected = {
        # New Zealand daylight time (+13) in November, whatever the file's own VTIMEZONE says.
        "khal_tz_windows_format.ics": "2019-11-20T00:00:00+00:00",
        "icalendar_issue_836_do_not_quote_tzid.ics": "2024-10-28T21:00:00+00:00",
        "vobject_ms_tzid.ics": "2008-05-30T05:00:00+00:00",
        "ical4j_blankTzid.ics": "2015-08-26T09:00:00+00:00",
        "recur_issue_86_x_wr_timezone_without_time_zone_in_dt.ics": "2021-09-16T19:00:00+00:00",
    }
    for name, starts_at in expected.items():
        rows = _read(CORPUS / "ics" / name, WIDE_START, WIDE_END).rows[MEETINGS_TABLE]
        assert rows[0]["starts_at"] == starts_at, name


def _all_calendars() -> list:
    fixtures = sorted((Path(__file__).parent / "fixtures" / "ics").glob("*.ics"))
    corpus = sorted((CORPUS / "ics").glob("*.ics")) if (CORPUS / "ics").is_dir() else []
    return [pytest.param(path, id=path.name) for path in fixtures + corpus]


@pytest.mark.parametrize("path", _all_calendars())
def test_single_event_shortcut_gives_what_recurring_ical_events_gives(path, monkeypatch):
    """Events that do not repeat skip recurring-ical-events; the rows must not change."""
    def rows(result):
        return sorted(repr(sorted(row.items())) for table in result.rows.values() for row in table)

    shortcut = _read(path, *DEFAULT_WINDOW)
    monkeypatch.setattr("connectors.ics._Expander._is_single", lambda self, block: False)
    library = _read(path, *DEFAULT_WINDOW)
    assert rows(shortcut) == rows(library)
    assert shortcut.quarantine == library.quarantine
