"""The registry of sources: every raw table has a source, every source a parser and a version,
LinkedIn files are recognised by their header, and a new source is one entry."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

import duckdb
import pytest

import connectors.sources as sources
from connectors.inbox import scan_inbox
from connectors.records import FileResult
from connectors.sources import SOURCES, Source, header_kinds, recognise
from warehouse.ingest import ingest_inbox
from warehouse.raw_tables import BOOKKEEPING_TABLES, RAW_TABLES

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
WINDOW = (datetime(2016, 1, 1, tzinfo=timezone.utc), datetime(2028, 1, 1, tzinfo=timezone.utc))


def test_every_raw_table_is_filled_by_a_registered_source_or_is_bookkeeping():
    filled = {table for source in SOURCES.values() for table in source.tables}
    assert filled | set(BOOKKEEPING_TABLES) == set(RAW_TABLES)
    assert not filled & set(BOOKKEEPING_TABLES)


def test_every_source_names_a_parse_function_and_a_parser_version():
    for source in SOURCES.values():
        connector = source.connector()
        assert callable(getattr(connector, source.function)), source.kind
        assert source.parse_key(WINDOW).startswith(f"{source.kind}/{connector.PARSER_VERSION}"), source.kind


@pytest.mark.parametrize("fixture, kind", [
    ("messages_2024_dec.csv", "linkedin_messages"),
    ("messages_2018.csv", "linkedin_messages"),
    ("connections_2018.csv", "linkedin_connections"),
    ("connections_2024.csv", "linkedin_connections"),
    ("connections_semicolon.csv", "linkedin_connections"),
    ("invitations_2018.csv", "linkedin_invitations"),
    ("endorsements_given.csv", "linkedin_endorsements_given"),
    ("endorsements_received.csv", "linkedin_endorsements_received"),
])
def test_linkedin_files_are_recognised_by_their_header_under_any_name(fixture, kind):
    assert recognise("export (1).csv", (FIXTURES / fixture).read_bytes(), in_linkedin_export=False) == kind


def test_a_lone_messages_csv_is_read_when_its_header_is_linkedins(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "messages.csv").write_bytes((FIXTURES / "messages_2024_dec.csv").read_bytes())
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "messages.csv").write_text("id,text\n1,hello\n")
    kinds = {f.path: f.kind for f in scan_inbox(tmp_path).files}
    assert kinds == {"old/messages.csv": "linkedin_messages", "other/messages.csv": "not_used"}


def test_recommendation_files_share_a_header_so_only_their_name_tells_the_direction():
    head = (FIXTURES / "recommendations_given.csv").read_bytes()
    assert set(header_kinds(head)) == {"linkedin_recommendations_given", "linkedin_recommendations_received"}
    assert recognise("Recommendations_Given.csv", head, in_linkedin_export=False) == "linkedin_recommendations_given"
    assert recognise("recommendations.csv", head, in_linkedin_export=False) == "not_used"


def test_a_linkedin_name_with_a_broken_header_counts_inside_an_export_only():
    assert recognise("messages.csv", b"\x00\x01garbage", in_linkedin_export=True) == "linkedin_messages"
    assert recognise("messages.csv", b"\x00\x01garbage", in_linkedin_export=False) == "not_used"


def parse_notes(stream: BinaryIO, source_file: str) -> FileResult:
    """A stand-in connector for a source the project does not have: one decision per line."""
    result = FileResult(source_file, "notes")
    for position, line in enumerate(stream.read().decode().splitlines(), start=1):
        result.items += 1
        left, right = line.split()
        result.add("decisions", {"source_file": source_file, "position": position,
                                 "left_key": left, "right_key": right, "decision": "same"})
    return result


PARSER_VERSION = 7


def test_a_new_source_is_one_registry_entry(tmp_path, monkeypatch):
    notes = Source("notes", "notes of matches", {"decisions": "The owner's answers."}, __name__, "parse_notes",
                   suffixes=(".notes",))
    monkeypatch.setitem(sources.SOURCES, "notes", notes)
    (tmp_path / "week.notes").write_text("vcard:a linkedin:b\nvcard:c linkedin:d\n")
    connection = duckdb.connect()
    ingest_inbox(connection, str(tmp_path), WINDOW)
    assert connection.execute("SELECT kind, items, parse_key FROM raw_inbox_files").fetchall() == [("notes", 2, "notes/7")]
    assert connection.execute("SELECT count(*) FROM raw_decisions").fetchone()[0] == 2


def test_replacing_an_entry_changes_how_its_files_are_read(tmp_path, monkeypatch):
    monkeypatch.setitem(sources.SOURCES, "decisions",
                        replace(SOURCES["decisions"], module=__name__, function="parse_notes"))
    (tmp_path / "decisions.csv").write_text("vcard:a linkedin:b\n")
    connection = duckdb.connect()
    ingest_inbox(connection, str(tmp_path), WINDOW)
    assert connection.execute("SELECT left_key, right_key FROM raw_decisions").fetchall() == [("vcard:a", "linkedin:b")]
