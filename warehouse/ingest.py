"""Reads the inbox into the raw tables, parsing only files that are new or changed since last run.

Each file's rows are stored with its path; a file whose content hash and parser settings are
unchanged keeps last run's rows, a changed or removed file has its rows replaced or dropped.
Every file is read behind a fault barrier: a connector that fails on one file costs that file
(one whole-file quarantine row), never the rest of the inbox.

A file's rows are taken in batches as its connector hands them over (a mailbox of many
gigabytes is never held whole): each batch goes first into a scratch copy of the raw tables on
disk (the rehearsal), and only once the whole file is read are its rows streamed from there into
the run's transaction. A file that fails half-way leaves nothing behind, and memory stays flat
whatever the file's size.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Generator, Iterable

import duckdb
import pandas as pd

from connectors.inbox import Inbox, InputFile, scan_inbox
from connectors.normalize import EMAIL_PATTERN
from connectors.records import FileResult, Quarantine
from connectors.sources import SOURCES, Source
from warehouse import progress
from warehouse.raw_tables import BOOKKEEPING_TABLES, RAW_TABLES, create_statements, raw_name

log = logging.getLogger(__name__)

# Tables that hold per-file rows (the bookkeeping tables are rewritten whole each run).
ROW_TABLES = [table for table in RAW_TABLES if table not in BOOKKEEPING_TABLES]
# Characters of an exception's message kept in a quarantine reason: enough for "list index
# out of range" or a library's one-line complaint, too few for a paragraph of someone's data.
MAX_ERROR_CHARS = 120
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_EMAIL_LIKE = re.compile(EMAIL_PATTERN.pattern.strip("^$"))
_PROJECT_ROOT = str(Path(__file__).resolve().parents[1])
# DuckDB's memory while the inbox is ingested, for the run's connection and the rehearsal's. The
# run's transaction holds what it inserts until it commits (a 200,000-message mailbox: ~60 MB of
# raw rows); under this limit DuckDB writes such rows out to its temporary folder instead, so
# that a mailbox of any size costs the same memory. Set back afterwards for the SQL models.
INGEST_MEMORY_LIMIT = "128MB"
# Rows streamed at a time from the rehearsal into the run's transaction (Arrow record batches).
STREAM_ROWS = 64 * 1024


@dataclass
class IngestSummary:
    files_seen: int = 0
    files_parsed: int = 0
    files_reused: int = 0
    files_failed: int = 0
    items: int = 0
    quarantined: int = 0
    seconds_by_kind: dict[str, float] = field(default_factory=dict)


def own_output_paths(published_path: str | os.PathLike, working_path: str | os.PathLike,
                     dagster_home: str | os.PathLike | None) -> list[Path]:
    """Everything a run writes, which must never be read back as input when it sits in the inbox:
    the published warehouse, its address book and reminders, the working database, their
    DuckDB write-ahead logs, and DAGSTER_HOME."""
    published, working = Path(published_path), Path(working_path)
    paths = [published, published.with_suffix(".vcf"), published.with_name(f"{published.stem}.reconnect.ics"),
             working, *(path.with_name(f"{path.name}.wal") for path in (published, working))]
    return paths + ([Path(dagster_home)] if dagster_home else [])


def _safe_error(error: BaseException) -> str:
    """An exception's type, where it was raised and its first line, with quoted text and email
    addresses masked: a message may quote the very data the file holds."""
    message = str(error).splitlines()[0] if str(error) else ""
    message = _EMAIL_LIKE.sub("<email>", _QUOTED.sub("'…'", message))
    if len(message) > MAX_ERROR_CHARS:
        message = message[:MAX_ERROR_CHARS] + "…"
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.startswith(_PROJECT_ROOT)]
    where = ""
    if frames:
        where = f" in {Path(frames[-1].filename).relative_to(_PROJECT_ROOT).as_posix()} line {frames[-1].lineno}"
    return f"{type(error).__name__}{where}" + (f": {message}" if message else "")


def _failed(input_file: InputFile, error: BaseException) -> FileResult:
    """The whole file as one quarantined item: nothing of it reaches the raw tables."""
    result = FileResult(input_file.path, input_file.kind, items=1)
    if isinstance(error, OSError):  # gone or changed since the scan: not a bug of ours
        reason = f"cannot be read ({error.strerror or type(error).__name__}); it changed while the inbox was read"
    else:
        reason = (f"the {input_file.kind} reader failed on this file ({_safe_error(error)}); nothing of it was kept "
                  "and the rest of the inbox was read; please report this as a bug")
    result.quarantine.append(Quarantine(input_file.path, "whole file", reason, scope="file"))
    return result


class _StoreFailed(Exception):
    """An insert into the run's transaction failed although its rehearsal passed: no file is to
    blame and the transaction cannot go on, so the run fails (and rolls back) as a whole."""


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=list(RAW_TABLES[table]))


class _Rehearsal:
    """A scratch copy of the raw tables, in a private temporary folder, where a file's rows are
    inserted batch by batch while it is read. A value DuckDB refuses (an impossible date, an
    integer out of range) then fails that file alone: the same error inside the run's
    transaction would abort the whole ingest. Once the file is read whole, its rows are streamed
    into the run's transaction in one INSERT per table, which DuckDB writes out as it goes
    (thousands of small inserts into one transaction would each stay in memory until commit)."""

    def __init__(self) -> None:
        # Mode 0700: the rows are the owner's contacts, and the folder goes when the ingest ends.
        self.folder = tempfile.TemporaryDirectory(prefix="strongties-ingest-")
        self.connection = duckdb.connect(os.path.join(self.folder.name, "rehearsal.duckdb"))
        self.connection.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
        for statement in create_statements():
            self.connection.execute(statement)
        self.holding: set[str] = set()

    def check(self, frames: dict[str, pd.DataFrame]) -> None:
        for table, frame in frames.items():
            self.holding.add(table)
            _insert_frame(self.connection, table, frame)

    def move_to(self, connection: duckdb.DuckDBPyConnection) -> None:
        """The rows held so far, into the same tables of `connection`; the rehearsal is empty after."""
        for table in sorted(self.holding):
            relation = self.connection.sql(f"SELECT * FROM {raw_name(table)}")
            # DuckDB 2 renamed the reader; the project accepts 1.2 and later.
            rows = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
            rows = rows(STREAM_ROWS)
            connection.register("ingest_rows", rows)
            try:
                connection.execute(f"INSERT INTO {raw_name(table)} BY NAME SELECT * FROM ingest_rows")
            finally:
                connection.unregister("ingest_rows")
        self.discard()

    def discard(self) -> None:
        for table in self.holding:
            self.connection.execute(f"TRUNCATE {raw_name(table)}")
        self.holding.clear()

    def close(self) -> None:
        self.connection.close()
        self.folder.cleanup()


def _insert_frame(connection: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    connection.register("ingest_frame", frame)
    try:
        connection.execute(f"INSERT INTO {raw_name(table)} BY NAME SELECT * FROM ingest_frame")
    finally:
        connection.unregister("ingest_frame")


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


def ingest_inbox(connection: duckdb.DuckDBPyConnection, inbox_path: str, calendar_window: tuple[datetime, datetime],
                 own_outputs: Iterable[str | os.PathLike] = ()) -> IngestSummary:
    """One transaction: a run killed half-way leaves last run's raw tables and bookkeeping intact."""
    _ensure_raw_schema(connection)
    # As DuckDB shows it (one decimal of its unit): what is set back is within that rounding.
    limit_before = connection.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    connection.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    connection.begin()
    try:
        known_hashes = {path: (key, sha256) for path, key, sha256 in connection.execute(
            "SELECT source_file, change_key, sha256 FROM raw_inbox_files WHERE change_key IS NOT NULL").fetchall()}
        with scan_inbox(inbox_path, own_outputs, known_hashes) as inbox:
            summary = _ingest(connection, inbox, calendar_window)
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.execute(f"SET memory_limit = '{limit_before}'")
    connection.commit()
    return summary


def _parse_key(source: Source | None, window: tuple[datetime, datetime]) -> str | None:
    if source is None:
        return None
    try:
        return source.parse_key(window)
    except Exception:  # the connector cannot even be imported: its files fail one by one below
        return f"{source.kind}/unavailable"


class _Returning:
    """Iterates a generator and keeps what it returns (a for loop drops it)."""

    def __init__(self, generator: Generator):
        self.generator, self.value = generator, None

    def __iter__(self):
        self.value = yield from self.generator


def _row_batches(source: Source, stream, source_file: str,
                 window: tuple[datetime, datetime]) -> Generator[dict[str, list[dict]], None, FileResult]:
    """A file's rows in batches, then its FileResult (counts and quarantine; the rows were in
    the batches). A connector without a batch reader hands all its rows over at once."""
    if source.batches:
        return (yield from getattr(source.connector(), source.batches)(stream, source_file))
    result = source.parse(stream, source_file, window)
    rows, result.rows = result.rows, {}
    yield rows
    return result


def _store(connection: duckdb.DuckDBPyConnection, rehearsal: _Rehearsal) -> None:
    try:
        rehearsal.move_to(connection)
    except duckdb.Error as error:
        raise _StoreFailed("rows the rehearsal took were refused in the run's transaction") from error


def _read(connection: duckdb.DuckDBPyConnection, input_file: InputFile, source: Source,
          window: tuple[datetime, datetime], rehearsal: _Rehearsal) -> tuple[FileResult, bool]:
    """The fault barrier: whatever a connector raises on one file becomes that file's one
    quarantine row. Its rows reach the run's transaction only once it is read whole, through
    the rehearsal, so that a value DuckDB cannot take (text that is not Unicode, a date that
    does not exist) or a failure half-way fails this file and leaves nothing of it."""
    try:
        with input_file.open() as stream:
            batches = _Returning(_row_batches(source, stream, input_file.path, window))
            for batch in batches:
                frames = {table: _frame(table, rows) for table, rows in batch.items() if rows}
                # Each batch and its frames are let go before the next is read: a mailbox's
                # peak memory is one batch, not two.
                del batch
                rehearsal.check(frames)
                del frames
            result = batches.value
    except Exception as error:
        log.warning("%s: the %s reader failed (%s)", input_file.path, input_file.kind, type(error).__name__)
        rehearsal.discard()
        return _failed(input_file, error), True
    _store(connection, rehearsal)
    return result, False


def _ingest(connection: duckdb.DuckDBPyConnection, inbox: Inbox, calendar_window: tuple[datetime, datetime]) -> IngestSummary:
    previous = {
        path: (sha256, parse_key, items, quarantined)
        for path, sha256, parse_key, items, quarantined in connection.execute(
            "SELECT source_file, sha256, parse_key, items, quarantined FROM raw_inbox_files").fetchall()
    }
    summary = IngestSummary(files_seen=len(inbox.files))
    parse_keys: dict[str, str | None] = {}
    file_rows: list[dict] = []
    to_parse: list[tuple[InputFile, Source, dict]] = []
    kept_paths: set[str] = set()
    for input_file in inbox.files:
        source = None if input_file.duplicate_of else SOURCES.get(input_file.kind)
        if source is not None and source.kind not in parse_keys:
            parse_keys[source.kind] = _parse_key(source, calendar_window)
        parse_key = parse_keys[source.kind] if source else None
        row = {"source_file": input_file.path, "kind": input_file.kind, "size_bytes": input_file.size,
               "sha256": input_file.sha256, "duplicate_of": input_file.duplicate_of,
               "items": 0, "quarantined": 0, "parse_key": parse_key, "parse_seconds": 0.0,
               "change_key": input_file.change_key}
        file_rows.append(row)
        cached = previous.get(input_file.path)
        if source is None:
            continue
        if cached and cached[0] == input_file.sha256 and cached[1] == parse_key:
            row.update(items=cached[2], quarantined=cached[3])
            kept_paths.add(input_file.path)
            summary.files_reused += 1
        else:
            to_parse.append((input_file, source, row))
    # Rows of files that are gone, changed or no longer parsed go in one statement per table.
    kept = sorted(kept_paths)
    for table in ROW_TABLES:
        connection.execute(f"DELETE FROM {raw_name(table)} WHERE NOT list_contains(?, source_file)", [kept])
    # Unchanged files keep their quarantine rows as they keep their data rows.
    connection.execute("DELETE FROM raw_quarantine WHERE NOT list_contains(?, source_file)", [kept])
    quarantine_rows: list[dict] = [entry.__dict__ for entry in inbox.quarantine]
    rehearsal = _Rehearsal() if to_parse else None
    try:
        for input_file, source, row in to_parse:
            progress.report("read_inbox", summary.files_parsed, len(to_parse), "new or changed files")
            started = time.perf_counter()
            result, failed = _read(connection, input_file, source, calendar_window, rehearsal)
            row.update(items=result.items, quarantined=result.quarantined, parse_seconds=time.perf_counter() - started)
            quarantine_rows.extend(entry.__dict__ for entry in result.quarantine)
            summary.files_parsed += 1
            summary.files_failed += failed
            summary.seconds_by_kind[input_file.kind] = summary.seconds_by_kind.get(input_file.kind, 0.0) + row["parse_seconds"]
    finally:
        if rehearsal is not None:
            rehearsal.close()
    for row in file_rows:
        summary.items += row["items"]
        summary.quarantined += row["quarantined"]
    connection.execute("DELETE FROM raw_inbox_files")
    _insert_frame(connection, "inbox_files", _frame("inbox_files", file_rows))
    _insert_frame(connection, "quarantine", _frame("quarantine", quarantine_rows))
    return summary
