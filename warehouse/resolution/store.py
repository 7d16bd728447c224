"""Identity resolution against the working warehouse, skipped when nothing it reads has changed.

A scheduled run on an unchanged inbox would otherwise resolve every record again: at 200,000
people that is 40 s of a 60 s run. The fingerprint covers every column the resolver reads, the
owner's decisions and region, the resolver's own source code and the versions of the libraries
it compares with, so a change to any of them resolves again.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import duckdb

import connectors.normalize as normalize_module
from warehouse import progress
from warehouse.models import PYTHON_TABLES

from .person_ids import assign_person_ids
from .resolve import resolve_people

RECORD_COLUMNS = ("record_key, source, full_name, given_name, family_name, emails, phones, linkedin_url, "
                  "company, title, birthday, city, address, postcode, last_seen::varchar AS last_seen")
DECISION_COLUMNS = "left_key, right_key, decision, left_about, right_about, source_file, position, location"
STATE_TABLE = "resolution_fingerprint"  # bookkeeping, not published
# The person_id each record had on the last run it was seen (bookkeeping, not published): it
# keeps ids stable when records join or leave (person_ids.py). It outlives the records, so an
# export removed and brought back finds its person's id again.
PERSON_ID_TABLE = "person_id_memory"
RESOLVER_LIBRARIES = ("rapidfuzz", "nameparser", "nicknames", "phonenumbers", "pandas", "numpy", "duckdb")


@dataclass(frozen=True)
class StoredResolution:
    row_counts: dict[str, int]  # output table -> rows
    reused: bool  # True when last run's tables still held for these inputs
    owner_warning: str | None = None  # one line for the run's log when the owner was inferred or is unknown


def resolve_in_warehouse(connection: duckdb.DuckDBPyConnection) -> StoredResolution:
    """Writes the int_* resolution tables from int_source_records, stg_decisions and stg_owner."""
    fingerprint = input_fingerprint(connection)
    warning = owner_warning(connection)
    if stored_fingerprint(connection) == fingerprint:
        return StoredResolution({table: _rows(connection, table) for table in PYTHON_TABLES}, reused=True,
                                owner_warning=warning)
    # Forgotten first: a run killed while writing must not leave new tables under an old fingerprint.
    connection.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")
    records = connection.execute(f"SELECT {RECORD_COLUMNS} FROM int_source_records").fetch_df()
    decisions = connection.execute(f"SELECT {DECISION_COLUMNS} FROM stg_decisions ORDER BY source_file, position").fetch_df()
    region = connection.execute("SELECT max(default_region) FROM stg_owner").fetchone()[0]
    progress.report("resolve_people", None, len(records), "records")
    resolution = resolve_people(records, decisions, default_region=region)
    resolution.assignments["person_id"] = assign_person_ids(resolution.assignments, remembered_person_ids(connection))
    outputs = {"int_person_clusters": resolution.assignments, "int_golden_records": resolution.golden,
               "int_match_review": resolution.review, "int_match_pairs": resolution.pairs,
               "int_decision_problems": resolution.decision_problems}
    for table, frame in outputs.items():  # noqa: B007 (`frame` is read by DuckDB by name)
        connection.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM frame")
    remember_person_ids(connection, resolution.assignments)
    connection.execute(f"CREATE TABLE {STATE_TABLE} AS SELECT ? AS input_fingerprint", [fingerprint])
    return StoredResolution({table: len(frame) for table, frame in outputs.items()}, reused=False,
                            owner_warning=warning)


def owner_warning(connection: duckdb.DuckDBPyConnection) -> str | None:
    """How to confirm an owner the run inferred (or name one it could not), in one line; None
    when owner.yaml says who the owner is."""
    name, emails, linkedin, inferred_from, declared = connection.execute(
        "SELECT name, emails, linkedin_url, inferred_from, (SELECT count(*) FROM raw_owner) FROM stg_owner").fetchone()
    if declared:
        return None
    confirm = "put an owner.yaml in the inbox (name, emails, linkedin) to confirm or correct it"
    if not inferred_from:
        return (f"No owner.yaml and nothing to infer you from: you may appear among your own ties; "
                f"{confirm.replace(' to confirm or correct it', '')}.")
    who = ", ".join(part for part in [name, *(emails or []), linkedin] if part)
    return f"No owner.yaml: took {who} (from {inferred_from}) to be you and left you out of your ties; {confirm}."


def remembered_person_ids(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    connection.execute(f"CREATE TABLE IF NOT EXISTS {PERSON_ID_TABLE} (record_key VARCHAR PRIMARY KEY, person_id VARCHAR)")
    return dict(connection.execute(f"SELECT record_key, person_id FROM {PERSON_ID_TABLE}").fetchall())


def remember_person_ids(connection: duckdb.DuckDBPyConnection, assignments) -> None:
    current = assignments[["record_key", "person_id"]]  # noqa: F841 (read by DuckDB by name)
    connection.execute(f"INSERT OR REPLACE INTO {PERSON_ID_TABLE} SELECT record_key, person_id FROM current")


def input_fingerprint(connection: duckdb.DuckDBPyConnection) -> str:
    """Digest of the records, decisions and region (order-free, computed in DuckDB) and of the resolver."""
    parts = connection.execute(f"""
        SELECT (SELECT count(*) || ':' || coalesce(sum(hash(r)::HUGEINT), 0)
                FROM (SELECT {RECORD_COLUMNS} FROM int_source_records) AS r),
               (SELECT count(*) || ':' || coalesce(sum(hash(d)::HUGEINT), 0)
                FROM (SELECT {DECISION_COLUMNS} FROM stg_decisions) AS d),
               (SELECT coalesce(max(default_region), '') FROM stg_owner)
    """).fetchone()
    return hashlib.sha256("\0".join([*map(str, parts), resolver_fingerprint()]).encode()).hexdigest()


def resolver_fingerprint() -> str:
    """The resolver's source and the libraries it compares with: editing any of its modules,
    or upgrading one of them, resolves everything again."""
    digest = hashlib.sha256()
    for path in [*sorted(Path(__file__).parent.glob("*.py")), normalize_module.__file__]:
        digest.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes())
    for library in RESOLVER_LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return digest.hexdigest()


def stored_fingerprint(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint last run's tables were written for; None when any of them is missing."""
    present = {name for (name,) in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not {STATE_TABLE, *PYTHON_TABLES} <= present:
        return None
    row = connection.execute(f"SELECT input_fingerprint FROM {STATE_TABLE}").fetchone()
    return row[0] if row else None


def _rows(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
