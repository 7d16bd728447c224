"""Reads the inbox into the raw tables, parsing only files that are new or changed since last run.

Each file's rows are stored with its path; a file whose content hash and parser settings are
unchanged keeps last run's rows, a changed or removed file has its rows replaced or dropped.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import duckdb
import pandas as pd

from connectors.decisions import parse_decisions
from connectors.inbox import LINKEDIN_FILE_KINDS, InputFile, scan_inbox
from connectors.linkedin import parse_linkedin_file
from connectors.owner import parse_owner
from connectors.records import FileResult
from connectors.referrals import parse_referrals
from connectors.vcard import parse_vcards
from warehouse.raw_tables import RAW_TABLES, create_statements, raw_name

log = logging.getLogger(__name__)

from connectors import decisions as _decisions_connector, linkedin as _linkedin_connector, owner as _owner_connector
from connectors import referrals as _referrals_connector, vcard as _vcard_connector

# Each connector owns its PARSER_VERSION (bumped when its output changes, so cached rows are parsed again).
PARSER_VERSIONS = {"vcard": _vcard_connector.PARSER_VERSION, "linkedin": _linkedin_connector.PARSER_VERSION,
                   "referrals": _referrals_connector.PARSER_VERSION, "owner": _owner_connector.PARSER_VERSION,
                   "decisions": _decisions_connector.PARSER_VERSION}
# Tables that hold per-file rows (the bookkeeping tables are rewritten whole each run).
ROW_TABLES = [table for table in RAW_TABLES if table not in ("inbox_files", "quarantine")]


@dataclass
class IngestSummary:
    files_seen: int = 0
    files_parsed: int = 0
    files_reused: int = 0
    items: int = 0
    quarantined: int = 0
    seconds_by_kind: dict[str, float] = field(default_factory=dict)


def _parser_for(kind: str, window: tuple[datetime, datetime]) -> tuple[str, Callable[[InputFile], FileResult]] | None:
    if kind == "vcard":
        return f"vcard/{PARSER_VERSIONS['vcard']}", lambda f: parse_vcards(f.open(), f.path)
    if kind == "calendar":
        from connectors.ics import PARSER_VERSION, parse_calendar  # icalendar loads only when an inbox has calendars

        key = f"calendar/{PARSER_VERSION}/{window[0].date()}/{window[1].date()}"
        return key, lambda f: parse_calendar(f.open(), f.path, *window)
    if kind in LINKEDIN_FILE_KINDS.values():
        return f"linkedin/{PARSER_VERSIONS['linkedin']}", lambda f: parse_linkedin_file(f.open(), f.path, kind)
    simple = {"referrals": parse_referrals, "owner": parse_owner, "decisions": parse_decisions}
    if kind in simple:
        parse = simple[kind]
        return f"{kind}/{PARSER_VERSIONS[kind]}", lambda f: parse(f.open(), f.path)
    return None


def _insert(connection: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    columns = list(RAW_TABLES[table])
    frame = pd.DataFrame.from_records(rows, columns=columns)  # noqa: F841 (read by DuckDB below)
    connection.execute(f"INSERT INTO {raw_name(table)} BY NAME SELECT * FROM frame")


def _ensure_raw_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Creates the raw tables; when an upgrade changed their columns, starts them afresh so that
    every file is parsed again into the new shape (rows of the old shape cannot be kept)."""
    existing = dict(connection.execute(
        "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name LIKE 'raw_%' GROUP BY table_name").fetchall())
    changed = [table for table, columns in RAW_TABLES.items()
               if raw_name(table) in existing and existing[raw_name(table)] != list(columns)]
    if changed:
        log.info("raw table columns changed (%s): every file will be parsed again", ", ".join(changed))
        for table in RAW_TABLES:
            connection.execute(f"DROP TABLE IF EXISTS {raw_name(table)}")
    for statement in create_statements():
        connection.execute(statement)


def ingest_inbox(connection: duckdb.DuckDBPyConnection, inbox_path: str, calendar_window: tuple[datetime, datetime]) -> IngestSummary:
    """One transaction: a run killed half-way leaves last run's raw tables and bookkeeping intact."""
    _ensure_raw_schema(connection)
    connection.begin()
    try:
        summary = _ingest(connection, inbox_path, calendar_window)
    except BaseException:
        connection.rollback()
        raise
    connection.commit()
    return summary


def _ingest(connection: duckdb.DuckDBPyConnection, inbox_path: str, calendar_window: tuple[datetime, datetime]) -> IngestSummary:
    inbox = scan_inbox(inbox_path)
    previous = {
        path: (sha256, parse_key, items, quarantined)
        for path, sha256, parse_key, items, quarantined in connection.execute(
            "SELECT source_file, sha256, parse_key, items, quarantined FROM raw_inbox_files").fetchall()
    }
    summary = IngestSummary(files_seen=len(inbox.files))
    file_rows: list[dict] = []
    quarantine_rows: list[dict] = [q.__dict__ for q in inbox.quarantine]
    kept_paths: set[str] = set()
    for input_file in inbox.files:
        parser = None if input_file.duplicate_of else _parser_for(input_file.kind, calendar_window)
        row = {"source_file": input_file.path, "kind": input_file.kind, "size_bytes": input_file.size,
               "sha256": input_file.sha256, "duplicate_of": input_file.duplicate_of,
               "items": 0, "quarantined": 0, "parse_key": None, "parse_seconds": 0.0}
        if parser is None:
            file_rows.append(row)
            continue
        parse_key, parse = parser
        cached = previous.get(input_file.path)
        if cached and cached[0] == input_file.sha256 and cached[1] == parse_key:
            row.update(items=cached[2], quarantined=cached[3], parse_key=parse_key)
            kept_paths.add(input_file.path)
            summary.files_reused += 1
        else:
            started = time.perf_counter()
            result = parse(input_file)
            row.update(items=result.items, quarantined=result.quarantined, parse_key=parse_key,
                       parse_seconds=time.perf_counter() - started)
            for table in ROW_TABLES:
                connection.execute(f"DELETE FROM {raw_name(table)} WHERE source_file = ?", [input_file.path])
            for table, rows in result.rows.items():
                _insert(connection, table, rows)
            quarantine_rows.extend(q.__dict__ for q in result.quarantine)
            summary.files_parsed += 1
            summary.seconds_by_kind[input_file.kind] = summary.seconds_by_kind.get(input_file.kind, 0.0) + row["parse_seconds"]
        summary.items += row["items"]
        summary.quarantined += row["quarantined"]
        file_rows.append(row)
    # Rows of files that are gone, changed into duplicates or no longer parsed are dropped.
    live_paths = {row["source_file"] for row in file_rows if row["parse_key"]}
    for table in ROW_TABLES:
        connection.execute(f"DELETE FROM {raw_name(table)} WHERE NOT list_contains(?, source_file)", [sorted(live_paths)])
    # Unchanged files keep their quarantine rows as they keep their data rows.
    connection.execute("DELETE FROM raw_quarantine WHERE NOT list_contains(?, source_file)", [sorted(kept_paths)])
    connection.execute("DELETE FROM raw_inbox_files")
    _insert(connection, "inbox_files", file_rows)
    _insert(connection, "quarantine", quarantine_rows)
    return summary
