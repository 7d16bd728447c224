"""The fault barrier, through the real Dagster run: a connector that raises on one file, and a
broken file of every kind, each cost only themselves; everything else is read and published."""
from __future__ import annotations

import os
from dataclasses import replace
from typing import BinaryIO

import pytest

import connectors.sources as sources
from tests.conftest import SAMPLE_AS_OF, copy_of_tiny_inbox, materialize_all, query, rows

# Bytes no reader can take for anything: NUL and control bytes, no line of any known format.
GARBAGE = bytes(range(256)) * 8
EXPLODING = "exploding.ics"
BROKEN_FILES = {
    "broken/garbage.vcf": GARBAGE,
    "broken/garbage.ics": GARBAGE,
    "broken/referrals.csv": GARBAGE,
    "broken/owner.yaml": GARBAGE,
    "broken/decisions.csv": GARBAGE,
    "broken/export.zip": GARBAGE,
    **{f"broken_export/{name}": GARBAGE for name in (
        "Connections.csv", "messages.csv", "Invitations.csv", "Recommendations_Received.csv",
        "Recommendations_Given.csv", "Endorsement_Received_Info.csv", "Endorsement_Given_Info.csv", "Profile.csv")},
}
# What the tiny inbox's own files hold (tests/test_pipeline.py checks them on the tiny inbox alone).
TINY_FILES = {"calendar.ics": (5, 0), "contacts.vcf": (4, 0), "referrals.csv": (4, 1), "owner.yaml": (1, 0),
              "linkedin/Connections.csv": (3, 0), "linkedin/messages.csv": (3, 0)}


def parse_calendar_unless_exploding(stream: BinaryIO, source_file: str, window_start, window_end):
    """The calendar connector, with a bug that only one file meets."""
    if source_file == EXPLODING:
        raise RuntimeError("cannot handle 'Priya Shah <priya.shah@example.com>' here")
    from connectors.ics import parse_calendar

    return parse_calendar(stream, source_file, window_start, window_end)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fault_barrier")
    inbox = copy_of_tiny_inbox(folder)
    (inbox / EXPLODING).write_bytes((inbox / "calendar.ics").read_bytes().replace(b"UID:", b"UID:x-"))
    for path, data in BROKEN_FILES.items():
        (inbox / path).parent.mkdir(exist_ok=True)
        (inbox / path).write_bytes(data)
    os.mkfifo(inbox / "pipe.vcf")
    warehouse = folder / "strongties.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sources.SOURCES, "calendar", replace(
            sources.SOURCES["calendar"], module=__name__, function="parse_calendar_unless_exploding"))
        result = materialize_all(inbox, warehouse, SAMPLE_AS_OF)
    return result, warehouse


def input_files(warehouse) -> dict[str, tuple[int, int]]:
    return {path: (items, quarantined) for path, items, quarantined in rows(
        warehouse, "SELECT path, items, quarantined FROM input_file")}


def test_the_run_succeeds_and_conservation_holds(published):
    result, _ = published
    assert result.success
    conservation = [evaluation for evaluation in result.get_asset_check_evaluations()
                    if evaluation.check_name == "every_item_is_a_row_or_quarantined"]
    assert [evaluation.passed for evaluation in conservation] == [True]


def test_a_connector_raising_on_one_file_costs_that_file_only(published):
    _, warehouse = published
    assert input_files(warehouse)[EXPLODING] == (1, 1)
    [(location, reason, scope)] = rows(warehouse, "SELECT location, reason, scope FROM quarantine WHERE source_file = ?",
                                       [EXPLODING])
    assert (location, scope) == ("whole file", "file")
    assert "RuntimeError" in reason and "tests/test_fault_barrier.py" in reason
    assert "priya" not in reason.lower() and "@" not in reason
    calendars = rows(warehouse, "SELECT DISTINCT source_file FROM source_record WHERE source = 'calendar'")
    assert calendars == [("calendar.ics",)]


def test_the_good_files_are_read_whole_beside_broken_ones(published):
    _, warehouse = published
    files = input_files(warehouse)
    for path, counts in TINY_FILES.items():
        assert files[path] == counts, path
    priya = query(warehouse, "SELECT DISTINCT s.source FROM source_record AS s JOIN person AS p USING (person_id) "
                             "WHERE list_contains(p.emails, 'priya.shah@example.com')")
    assert set(priya["source"]) == {"vcard", "linkedin", "calendar", "referrals"}


def test_every_broken_file_is_listed_with_a_reason(published):
    _, warehouse = published
    files = input_files(warehouse)
    reasons = dict(rows(warehouse, "SELECT source_file, min(reason) FROM quarantine GROUP BY 1"))
    for path in [*BROKEN_FILES, "pipe.vcf"]:
        items, quarantined = files[path]
        assert quarantined >= 1 and items >= quarantined, path
        assert len(reasons[path]) > 10, path
    assert "not a regular file" in reasons["pipe.vcf"]
