"""The SQL models: one `.sql` file each under `sql/{staging,intermediate,marts}`, in dependency order.

A model file opens with comment lines: the first ones describe the table (shown in the
Dagster UI), a `-- group: <name>` line places it in an asset group, and an optional
`-- stage: <name>` line says with which models it is built (default: its group), and an
optional `-- materialized: view` line makes it a view rather than a table: computed when read,
for a computation whose readers each need only part of it (int_tie_features: tie_strength reads
the as-of date, int_tie_history every month-end) or a projection of a table that would only be
written twice (tie_strength_history). Its dependencies are the models and raw tables it reads,
found from its `FROM` and `JOIN` clauses.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from warehouse.raw_tables import RAW_TABLES, raw_name

SQL_FOLDER = Path(__file__).parent / "sql"
LAYERS = ("staging", "intermediate", "marts")
_READS = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")
# Tables that Python assets write (identity resolution), read by SQL models downstream.
MATERIALIZATIONS = ("table", "view")
PYTHON_TABLES = ("int_person_clusters", "int_golden_records", "int_match_review", "int_match_pairs",
                 "int_decision_problems")


@dataclass(frozen=True)
class SqlModel:
    name: str
    layer: str
    group: str
    stage: str
    description: str
    sql: str
    reads: tuple[str, ...]  # models, raw tables and tables written by Python assets
    materialized: str = "table"  # or "view"


def _parse(path: Path, layer: str) -> SqlModel:
    text = path.read_text(encoding="utf-8")
    description_lines, group, stage, materialized = [], None, None, "table"
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        content = line[2:].strip()
        if content.startswith("group:"):
            group = content.split(":", 1)[1].strip()
        elif content.startswith("stage:"):
            stage = content.split(":", 1)[1].strip()
        elif content.startswith("materialized:"):
            materialized = content.split(":", 1)[1].strip()
            if materialized not in MATERIALIZATIONS:
                raise ValueError(f"{path}: 'materialized:' is one of {', '.join(MATERIALIZATIONS)}, not {materialized!r}")
        else:
            description_lines.append(content)
    if group is None:
        raise ValueError(f"{path}: the header needs a '-- group: <name>' line")
    body = _COMMENT.sub("", text)
    reads = tuple(sorted({name.lower() for name in _READS.findall(body)} - {path.stem}))
    return SqlModel(path.stem, layer, group, stage or group, " ".join(description_lines).strip(), text, reads,
                    materialized)


@cache
def load_models() -> tuple[SqlModel, ...]:
    return tuple(
        _parse(path, layer)
        for layer in LAYERS
        for path in sorted((SQL_FOLDER / layer).glob("*.sql"))
    )


def raw_table_names() -> set[str]:
    return {raw_name(table) for table in RAW_TABLES}


def mart_names() -> list[str]:
    return [model.name for model in load_models() if model.layer == "marts"]


def models_in_order(models: list[SqlModel]) -> list[SqlModel]:
    """Models sorted so that each comes after the models it reads (a stable topological sort)."""
    by_name = {model.name: model for model in models}
    ordered: list[SqlModel] = []
    visiting: set[str] = set()

    def visit(model: SqlModel) -> None:
        if model in ordered:
            return
        if model.name in visiting:
            raise ValueError(f"SQL models read each other in a cycle through {model.name}")
        visiting.add(model.name)
        for name in model.reads:
            if name in by_name:
                visit(by_name[name])
        visiting.discard(model.name)
        ordered.append(model)

    for model in models:
        visit(model)
    return ordered


def build_model(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """Creates or replaces the model as a table or a view, as its header says. A view holds no
    rows and DuckDB binds it anew whenever it is read, so one whose SQL is unchanged is kept
    (its comment holds its SQL's digest): binding int_tie_features costs as much as a small
    table. A model that changed between the two kinds since the last run (its working
    database kept the other) has the old object dropped first: DuckDB replaces neither with the other."""
    if model.materialized == "view":
        digest = hashlib.sha256(model.sql.encode()).hexdigest()
        kept = connection.execute("SELECT comment FROM duckdb_views() WHERE view_name = ? AND schema_name = current_schema()",
                                  [model.name]).fetchone()
        if kept is not None and kept[0] == digest:
            return
    statement = f"CREATE OR REPLACE {model.materialized.upper()} {model.name} AS\n{model.sql}"
    try:
        connection.execute(statement)
    except duckdb.CatalogException:
        other = "TABLE" if model.materialized == "view" else "VIEW"
        catalog = "duckdb_tables()" if other == "TABLE" else "duckdb_views()"
        column = "table_name" if other == "TABLE" else "view_name"
        if not connection.execute(f"SELECT count(*) FROM {catalog} WHERE {column} = ? AND schema_name = current_schema()",
                                  [model.name]).fetchone()[0]:
            raise  # not a change of kind: a model that fails to bind
        connection.execute(f"DROP {other} {model.name}")
        connection.execute(statement)
    if model.materialized == "view":
        connection.execute(f"COMMENT ON VIEW {model.name} IS '{digest}'")
