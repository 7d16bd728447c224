"""What a run stands on: DAGSTER_HOME as `make run` prepares it, the kept-open event log, the shared warehouse connection."""
from __future__ import annotations

import sqlite3

import dagster as dg

from pipelines.event_log import OPEN_DATABASES, KeptOpenSqliteEventLogStorage
from pipelines.home import FIRST_DAGSTER_YAML, ensure_dagster_home
from assets.resource import StrongtiesWarehouse, working_path_for


def test_home_gets_our_dagster_yaml_and_an_instance_loads_from_it(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    ensure_dagster_home()
    instance = dg.DagsterInstance.from_config(str(home))
    assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
    assert (home / "history" / "runs" / "index.db").exists()


def test_first_release_yaml_is_upgraded_and_a_hand_written_one_kept(tmp_path, monkeypatch):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for home, text in ((ours, FIRST_DAGSTER_YAML), (theirs, "telemetry:\n  enabled: false\n")):
        home.mkdir()
        (home / "dagster.yaml").write_text(text)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        ensure_dagster_home()
    assert "KeptOpenSqliteEventLogStorage" in (ours / "dagster.yaml").read_text()
    assert (theirs / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_a_moved_home_points_its_event_log_at_the_new_place(tmp_path, monkeypatch):
    old, new = tmp_path / "old", tmp_path / "new"
    monkeypatch.setenv("DAGSTER_HOME", str(old))
    ensure_dagster_home()
    old.rename(new)
    monkeypatch.setenv("DAGSTER_HOME", str(new))
    ensure_dagster_home()
    text = (new / "dagster.yaml").read_text()
    assert str(new / "history" / "runs") in text and str(old) not in text


def test_event_log_keeps_only_the_most_recently_used_databases_open(tmp_path):
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path / "runs"))
    shards = [f"run-{number}" for number in range(OPEN_DATABASES + 3)]
    for shard in shards:
        with storage.run_connection(shard) as connection:
            connection.exec_driver_sql("SELECT 1")
    assert list(storage._engines) == shards[-OPEN_DATABASES:]
    with storage.run_connection(shards[-OPEN_DATABASES]) as connection:  # used again: now the newest
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert list(storage._engines)[-1] == shards[-OPEN_DATABASES]
    storage.dispose()
    assert not storage._engines


def test_steps_of_one_run_share_a_warehouse_connection_closed_when_the_run_ends(tmp_path):
    # A temporary table lives only as long as its connection: the second step sees the first
    # step's only if the run shares one connection.
    @dg.asset
    def first(warehouse: StrongtiesWarehouse) -> None:
        with warehouse.connect() as connection:
            connection.execute("CREATE TEMP TABLE made_in_first AS SELECT 42 AS answer")

    @dg.asset(deps=[first])
    def second(warehouse: StrongtiesWarehouse) -> int:
        with warehouse.connect() as connection:
            return connection.execute("SELECT answer FROM made_in_first").fetchone()[0]

    published = tmp_path / "w.duckdb"
    warehouse = StrongtiesWarehouse(database=str(working_path_for(published)), inbox=str(tmp_path),
                                    published_path=str(published))
    result = dg.materialize([first, second], resources={"warehouse": warehouse})
    assert result.success and result.output_for_node("second") == 42
    # Outside a run each call has its own connection; the run's was closed, so it is gone.
    with warehouse.connect() as connection:
        assert not connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'made_in_first'").fetchone()[0]


def test_event_log_remembers_that_a_table_exists_but_asks_again_while_it_does_not(tmp_path):
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path / "runs"))
    index = sqlite3.connect(tmp_path / "runs" / "index.db")
    assert storage.has_table("event_logs")
    assert not storage.has_table("added_later")
    index.execute("CREATE TABLE added_later (id INTEGER)")
    index.commit()
    assert storage.has_table("added_later")  # asked again: now it exists
    index.execute("DROP TABLE added_later")
    index.commit()
    assert storage.has_table("added_later")  # remembered, not asked
    index.close()
    storage.dispose()


def test_dagsters_first_visit_pop_up_is_off_in_a_new_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    ensure_dagster_home()
    assert dg.DagsterInstance.from_config(str(tmp_path / "home")).nux_enabled is False
