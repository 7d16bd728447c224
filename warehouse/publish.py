"""Publishing: the files users read are replaced whole and atomically at the end of a run.

The pipeline never writes a published file in place. It writes a new owner-only file beside
it, syncs it and renames it over the old one (an atomic `rename` on POSIX), so an open reader
keeps the old version until it reconnects, and a run killed half-way leaves the published
files as they were.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.resolution.export import write_vcard4

OWNER_ONLY = 0o600
# The core list (sorted by core_score; score is tie strength alone) as the UI previews it when the owner opts in to
# names there (STRONGTIES_NAMES_IN_UI=1).
CORE_LIST_PREVIEW_QUERY = ("SELECT rank, display_name, round(core_score, 3) AS core_score, round(score, 3) AS tie_strength, why "
                           "FROM core_list ORDER BY rank")
# The UI's preview by default: the run history in DAGSTER_HOME keeps it for good, so it holds
# no names, and no `why` either (it quotes referral kinds as the owner typed them).
CORE_LIST_ANONYMOUS_PREVIEW_QUERY = ("SELECT rank, person_id, round(core_score, 3) AS core_score, "
                                     "round(score, 3) AS tie_strength FROM core_list ORDER BY rank")
# One row per person, with the cluster key the vCard UID is derived from.
ADDRESS_BOOK_QUERY = """
    SELECT ids.cluster_key, p.*
    FROM person AS p JOIN (SELECT DISTINCT person_id, cluster_key FROM int_person_ids) AS ids USING (person_id)
    ORDER BY p.display_name, p.person_id
"""


def replace_atomically(target: Path, write: Callable[[Path], object]):
    """Calls `write` on an owner-only file beside `target`, then swaps it in; returns what `write` returns."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Files left by a run killed while publishing are never read; clear them first.
    for leftover in target.parent.glob(f".{target.name}.*.publishing*"):
        leftover.unlink(missing_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.publishing")
    staging.touch(mode=OWNER_ONLY)
    staging.chmod(OWNER_ONLY)  # whatever the umask
    result = write(staging)
    with open(staging, "rb") as written:
        os.fsync(written.fileno())
    os.replace(staging, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return result


def sql_string(text: str) -> str:
    """`text` as a SQL string literal, for statements that take no parameters (ATTACH): a
    folder such as `o'brien` must not end the literal early."""
    return "'" + text.replace("'", "''") + "'"


def publish_tables(connection: duckdb.DuckDBPyConnection, published_path: str | os.PathLike, tables: list[str]) -> dict[str, int]:
    """Copies `tables` from the working database into a fresh file and swaps it in."""

    def copy_tables(staging: Path) -> dict[str, int]:
        staging.unlink()  # DuckDB creates the database file itself
        duckdb.connect(str(staging)).close()
        staging.chmod(OWNER_ONLY)
        counts: dict[str, int] = {}
        connection.execute(f"ATTACH {sql_string(str(staging))} AS published")
        try:
            for table in tables:
                connection.execute(f"CREATE TABLE published.main.{table} AS SELECT * FROM main.{table}")
                counts[table] = connection.execute(f"SELECT count(*) FROM published.main.{table}").fetchone()[0]
        finally:
            connection.execute("DETACH published")
        return counts

    return replace_atomically(Path(published_path), copy_tables)


def address_book_path(published_path: str | os.PathLike) -> Path:
    return Path(published_path).with_suffix(".vcf")


def publish_address_book(connection: duckdb.DuckDBPyConnection, published_path: str | os.PathLike) -> tuple[Path, int]:
    """The merged address book (vCard 4.0, one card per person) beside the warehouse; its path and card count."""
    people: pd.DataFrame = connection.execute(ADDRESS_BOOK_QUERY).fetch_df()
    target = address_book_path(published_path)
    return target, replace_atomically(target, lambda staging: write_vcard4(people, staging))
