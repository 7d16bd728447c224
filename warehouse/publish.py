"""Publishing: the warehouse readers query is replaced whole and atomically at the end of a run.

The pipeline never writes the published file in place. It copies the mart tables into a new
file beside it and renames that over the old one (an atomic `rename` on POSIX), so an open
reader keeps the old version until it reconnects, and a run killed half-way leaves the
published warehouse as it was.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

OWNER_ONLY = 0o600


def publish_tables(connection: duckdb.DuckDBPyConnection, published_path: str | os.PathLike, tables: list[str]) -> dict[str, int]:
    """Copies `tables` from the working database into a fresh file and swaps it in."""
    published = Path(published_path)
    published.parent.mkdir(parents=True, exist_ok=True)
    # Files left by a run killed while publishing are never read; clear them first.
    for leftover in published.parent.glob(f".{published.name}.*.publishing*"):
        leftover.unlink(missing_ok=True)
    staging = published.with_name(f".{published.name}.{os.getpid()}.publishing")
    duckdb.connect(str(staging)).close()
    staging.chmod(OWNER_ONLY)
    counts: dict[str, int] = {}
    connection.execute(f"ATTACH '{staging}' AS published")
    try:
        for table in tables:
            connection.execute(f"CREATE TABLE published.main.{table} AS SELECT * FROM main.{table}")
            counts[table] = connection.execute(f"SELECT count(*) FROM published.main.{table}").fetchone()[0]
    finally:
        connection.execute("DETACH published")
    with open(staging, "rb") as written:
        os.fsync(written.fileno())
    os.replace(staging, published)
    directory = os.open(published.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return counts
