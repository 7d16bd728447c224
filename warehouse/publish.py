"""Publishing: the files users read are replaced whole and atomically at the end of a run.

The pipeline never writes a published file in place. It writes a new owner-only file beside
it, syncs it and renames it over the old one (an atomic `rename` on POSIX), so an open reader
keeps the old version until it reconnects, and a run killed half-way leaves the published
files as they were.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.config import REPO_ROOT
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


# The README's warehouse section documents every published table and column; the same text
# becomes the tables' and columns' DuckDB COMMENTs, so `duckdb_columns()` documents them too.
README = REPO_ROOT / "README.md"
WAREHOUSE_SECTION = "## Query the warehouse"
_TABLE_ROW = re.compile(r"^\| `(\w+)` \| ([^|]+) \| (.+) \|$", re.M)
_NAME = re.compile(r"`(\w+)`")


def _top_level_pieces(cell: str) -> list[str]:
    """`cell` split at the commas outside parentheses."""
    pieces, depth, current = [], 0, ""
    for character in cell:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            pieces.append(current.strip())
            current = ""
        else:
            current += character
    return [piece for piece in [*pieces, current.strip()] if piece]


def parse_table_docs(readme_text: str) -> dict[str, tuple[str, dict[str, str]]]:
    """{table: (what one row is, {column: what it holds})} from the README's warehouse table.

    A column written `name` (description) gets the description; `a` and `b` (description)
    share it; a phrase naming columns in parentheses ("one column per feature (`recency`, ...)")
    gives each of them the phrase; a column named without description gets an empty one."""
    if WAREHOUSE_SECTION not in readme_text:
        return {}
    section = readme_text.split(WAREHOUSE_SECTION, 1)[1].split("\n## ", 1)[0]
    documented = {}
    for table, one_row_per, cell in _TABLE_ROW.findall(section):
        columns: dict[str, str] = {}
        for piece in _top_level_pieces(cell):
            head, _, rest = piece.partition("(")
            description = rest.rsplit(")", 1)[0].strip() if rest else ""
            if piece.startswith("`"):
                for name in _NAME.findall(head):
                    columns.setdefault(name, description)
            else:  # a phrase naming the columns inside its parentheses
                for name in _NAME.findall(piece):
                    columns.setdefault(name, head.strip())
        documented[table] = (one_row_per.strip(), columns)
    return documented


@cache
def table_docs() -> dict[str, tuple[str, dict[str, str]]]:
    """The README's documentation of the published tables; none when the README is not beside the code."""
    try:
        return parse_table_docs(README.read_text(encoding="utf-8"))
    except OSError:
        return {}


def _published_columns(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    """The select list publishing `table`: sums DuckDB widened to HUGEINT as BIGINT (clients
    read them as plain integers), and month columns kept as timestamps as DATEs."""
    columns = connection.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index", [table]).fetchall()
    shown = []
    for name, data_type in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        if data_type == "HUGEINT":
            shown.append(f"CAST({quoted} AS BIGINT) AS {quoted}")
        elif data_type.startswith("TIMESTAMP") and "month" in name:
            shown.append(f"CAST({quoted} AS DATE) AS {quoted}")
        else:
            shown.append(quoted)
    return ", ".join(shown) or "*"


def _comment(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    one_row_per, columns = table_docs().get(table, ("", {}))
    if one_row_per:
        connection.execute(f"COMMENT ON TABLE published.main.{table} IS {sql_string(f'One row per {one_row_per}.')}")
    present = {name for (name,) in connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'published' AND table_name = ?",
        [table]).fetchall()}
    for column, description in columns.items():
        if column in present and description:
            connection.execute(f'COMMENT ON COLUMN published.main.{table}."{column}" IS {sql_string(description)}')


def publish_tables(connection: duckdb.DuckDBPyConnection, published_path: str | os.PathLike, tables: list[str]) -> dict[str, int]:
    """Copies `tables` from the working database into a fresh file, documented, and swaps it in."""

    def copy_tables(staging: Path) -> dict[str, int]:
        staging.unlink()  # DuckDB creates the database file itself
        duckdb.connect(str(staging)).close()
        staging.chmod(OWNER_ONLY)
        counts: dict[str, int] = {}
        connection.execute(f"ATTACH {sql_string(str(staging))} AS published")
        try:
            for table in tables:
                connection.execute(f"CREATE TABLE published.main.{table} AS "
                                   f"SELECT {_published_columns(connection, table)} FROM main.{table}")
                _comment(connection, table)
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
