"""The SQL models: one `.sql` file each under `sql/{staging,intermediate,marts}`, in dependency order.

A model file opens with comment lines: the first ones describe the table (shown in the
Dagster UI), a `-- group: <name>` line places it in an asset group, and an optional
`-- stage: <name>` line says with which models it is built (default: its group). Its
dependencies are the models and raw tables it reads, found from its `FROM` and `JOIN` clauses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from warehouse.raw_tables import RAW_TABLES, raw_name

SQL_FOLDER = Path(__file__).parent / "sql"
LAYERS = ("staging", "intermediate", "marts")
_READS = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")
# Tables that Python assets write (identity resolution), read by SQL models downstream.
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


def _parse(path: Path, layer: str) -> SqlModel:
    text = path.read_text(encoding="utf-8")
    description_lines, group, stage = [], None, None
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        content = line[2:].strip()
        if content.startswith("group:"):
            group = content.split(":", 1)[1].strip()
        elif content.startswith("stage:"):
            stage = content.split(":", 1)[1].strip()
        else:
            description_lines.append(content)
    if group is None:
        raise ValueError(f"{path}: the header needs a '-- group: <name>' line")
    body = _COMMENT.sub("", text)
    reads = tuple(sorted({name.lower() for name in _READS.findall(body)} - {path.stem}))
    return SqlModel(path.stem, layer, group, stage or group, " ".join(description_lines).strip(), text, reads)


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
