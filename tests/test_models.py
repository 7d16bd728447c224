"""The SQL models' headers and how a model is built: a table by default, a view when its header says so."""
import dataclasses
from pathlib import Path

import duckdb
import pytest

from warehouse.models import SqlModel, _parse, build_model, load_models


def model(sql: str, materialized: str = "table") -> SqlModel:
    return SqlModel("answer", "intermediate", "metrics", "metrics", "", sql, ("numbers",), materialized)


@pytest.fixture
def connection():
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE numbers AS SELECT range AS n FROM range(5)")
        yield connection


def kind_of(connection, name: str) -> str | None:
    found = connection.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return found and found[0]


def test_the_header_makes_a_model_a_view_and_refuses_an_unknown_materialization(tmp_path):
    path = Path(tmp_path) / "int_answer.sql"
    path.write_text("-- The answer.\n-- group: metrics\n-- materialized: view\nselect 42 as answer\n")
    assert _parse(path, "intermediate").materialized == "view"
    path.write_text("-- The answer.\n-- group: metrics\n-- materialized: ephemeral\nselect 42 as answer\n")
    with pytest.raises(ValueError, match="materialized"):
        _parse(path, "intermediate")


def test_a_view_reads_its_tables_when_read_and_is_kept_while_its_sql_is_unchanged(connection):
    view = model("select sum(n) as total from numbers", "view")
    build_model(connection, view)
    assert kind_of(connection, "answer") == "VIEW"
    connection.execute("INSERT INTO numbers VALUES (10)")
    assert connection.execute("SELECT total FROM answer").fetchone()[0] == 20
    # Unchanged, it is not bound again: that would fail once its table is gone. Changed, it is.
    connection.execute("ALTER TABLE numbers RENAME TO numbers_aside")
    build_model(connection, view)
    with pytest.raises(duckdb.CatalogException):
        build_model(connection, dataclasses.replace(view, sql="select max(n) as total from numbers"))
    connection.execute("ALTER TABLE numbers_aside RENAME TO numbers")
    build_model(connection, dataclasses.replace(view, sql="select max(n) as total from numbers"))
    assert connection.execute("SELECT total FROM answer").fetchone()[0] == 10


def test_a_model_that_changed_kind_since_the_last_run_replaces_the_old_object(connection):
    build_model(connection, model("select count(*) as total from numbers"))
    assert kind_of(connection, "answer") == "BASE TABLE"
    build_model(connection, model("select count(*) as total from numbers", "view"))
    assert kind_of(connection, "answer") == "VIEW"
    build_model(connection, model("select count(*) + 1 as total from numbers"))
    assert kind_of(connection, "answer") == "BASE TABLE"
    assert connection.execute("SELECT total FROM answer").fetchone()[0] == 6


def test_only_the_computation_read_in_parts_and_the_published_history_are_views():
    # Every other model is read whole and more than once: a table, computed once.
    assert {m.name for m in load_models() if m.materialized == "view"} == {"int_tie_features", "tie_strength_history"}
