"""Settings are checked once, before any work: a bad one is named in one line, with exit code 2."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.jobs import refresh_warehouse
from pipelines.schedules import DEFAULT_CRON, schedule_from_environment
from tests.conftest import REPO_ROOT, SAMPLE_AS_OF, TINY_INBOX, copy_of_tiny_inbox
from assets.resource import StrongtiesWarehouse, working_path_for
from warehouse.config import DEFAULT_WAREHOUSE, SettingsError, settings_from_environment, settings_into_environment

# What settings_into_environment writes back: every setting the code location's resource reads.
WRITTEN_BACK = ("STRONGTIES_INBOX", "STRONGTIES_WAREHOUSE", "STRONGTIES_AS_OF", "STRONGTIES_CORE_LIST_SIZE",
                "STRONGTIES_LOG_LEVEL", "STRONGTIES_NAMES_IN_UI")


def run_pipeline(settings: dict[str, str], home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("STRONGTIES_")}
    environment.update({"DAGSTER_HOME": str(home), "STRONGTIES_AS_OF": SAMPLE_AS_OF, **settings})
    return subprocess.run([sys.executable, "-m", "pipelines.run"], cwd=REPO_ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def assert_refused_in_one_line(finished: subprocess.CompletedProcess, variable: str, value: str) -> str:
    assert finished.returncode == 2, finished.stderr[-2000:]
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert "Traceback" not in finished.stderr
    assert f"{variable}={value!r}" in lines[0]
    return lines[0]


@pytest.mark.parametrize(("variable", "value", "allowed"), [
    ("STRONGTIES_AS_OF", "2026-13-45", "YYYY-MM-DD"),
    ("STRONGTIES_AS_OF", "yesterday", "YYYY-MM-DD"),
    ("STRONGTIES_AS_OF", "9999-12-31", "2199-12-31"),
    ("STRONGTIES_AS_OF", "20261120", "YYYY-MM-DD"),
    ("STRONGTIES_CORE_LIST_SIZE", "ten", "whole number"),
    ("STRONGTIES_CORE_LIST_SIZE", "-5", "whole number from 1"),
    ("STRONGTIES_CORE_LIST_SIZE", "0", "whole number from 1"),
    ("STRONGTIES_LOG_LEVEL", "loud", "DEBUG, INFO"),
    ("STRONGTIES_NAMES_IN_UI", "yes please", "0, 1"),
])
def test_a_bad_setting_is_named_with_its_value_and_what_is_allowed(tmp_path, variable, value, allowed):
    finished = run_pipeline({"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_WAREHOUSE": str(tmp_path / "w.duckdb"),
                             variable: value}, tmp_path / "home")
    assert allowed in assert_refused_in_one_line(finished, variable, value)
    # Refused before any work: nothing written, not even DAGSTER_HOME.
    assert list(tmp_path.iterdir()) == []


def test_a_missing_inbox_is_refused_before_any_work(tmp_path):
    missing = tmp_path / "no such inbox"
    finished = run_pipeline({"STRONGTIES_INBOX": str(missing), "STRONGTIES_WAREHOUSE": str(tmp_path / "w.duckdb")},
                            tmp_path / "home")
    assert "no such folder" in assert_refused_in_one_line(finished, "STRONGTIES_INBOX", str(missing))


def test_a_warehouse_named_like_the_address_book_is_refused_and_the_book_kept(tmp_path):
    book = tmp_path / "book.vcf"
    book.write_bytes(b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Kept As It Was\r\nEND:VCARD\r\n")
    before = book.read_bytes()
    finished = run_pipeline({"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_WAREHOUSE": str(book)}, tmp_path / "home")
    assert ".duckdb" in assert_refused_in_one_line(finished, "STRONGTIES_WAREHOUSE", str(book))
    assert book.read_bytes() == before


def test_an_existing_file_that_is_not_a_duckdb_database_is_never_overwritten(tmp_path):
    notes = tmp_path / "notes.db"  # the right suffix, somebody else's SQLite file
    notes.write_bytes(b"SQLite format 3\x00" + bytes(100))
    finished = run_pipeline({"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_WAREHOUSE": str(notes)}, tmp_path / "home")
    assert "not a DuckDB database" in assert_refused_in_one_line(finished, "STRONGTIES_WAREHOUSE", str(notes))
    assert notes.read_bytes().startswith(b"SQLite format 3")


def test_a_warehouse_inside_the_inbox_is_refused(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    inside = inbox / "out" / "strongties.duckdb"
    finished = run_pipeline({"STRONGTIES_INBOX": str(inbox), "STRONGTIES_WAREHOUSE": str(inside)}, tmp_path / "home")
    assert "inside the inbox" in assert_refused_in_one_line(finished, "STRONGTIES_WAREHOUSE", str(inside))
    assert not (inbox / "out").exists()


def test_good_settings_are_read_as_given(tmp_path):
    settings = settings_from_environment({
        "STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_WAREHOUSE": str(tmp_path / "w.duckdb"),
        "STRONGTIES_AS_OF": " 2026-11-20 ", "STRONGTIES_CORE_LIST_SIZE": "25", "STRONGTIES_LOG_LEVEL": "debug",
        "STRONGTIES_NAMES_IN_UI": "1"})
    assert (settings.as_of, settings.core_list_size, settings.log_level, settings.names_in_ui) == (
        "2026-11-20", 25, "DEBUG", True)
    defaults = settings_from_environment({"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_AS_OF": ""})
    assert (defaults.as_of, defaults.core_list_size, defaults.names_in_ui) == ("", 10, False)


def test_an_existing_duckdb_warehouse_is_accepted(tmp_path, tiny_warehouse):
    settings = settings_from_environment({"STRONGTIES_INBOX": str(TINY_INBOX),
                                          "STRONGTIES_WAREHOUSE": str(tiny_warehouse)})
    assert settings.warehouse == tiny_warehouse
    with pytest.raises(SettingsError, match="STRONGTIES_WAREHOUSE"):
        settings_from_environment({"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_WAREHOUSE": str(tmp_path)})


@pytest.mark.parametrize(("cron", "timezone", "named"), [
    ("every morning", "UTC", "STRONGTIES_SCHEDULE_CRON='every morning'"),
    ("61 6 * * *", "UTC", "STRONGTIES_SCHEDULE_CRON='61 6 * * *'"),
    (DEFAULT_CRON, "Mars/Olympus_Mons", "STRONGTIES_SCHEDULE_TIMEZONE='Mars/Olympus_Mons'"),
])
def test_a_bad_schedule_setting_turns_the_schedule_off_and_says_why(monkeypatch, cron, timezone, named):
    monkeypatch.setenv("STRONGTIES_SCHEDULE_CRON", cron)
    monkeypatch.setenv("STRONGTIES_SCHEDULE_TIMEZONE", timezone)
    with pytest.warns(UserWarning, match="schedule is off"):
        schedule = schedule_from_environment()
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert named in schedule.description
    dg.Definitions.validate_loadable(dg.Definitions(jobs=[refresh_warehouse], schedules=[schedule]))


def test_make_run_still_runs_with_a_bad_schedule_cron(tmp_path):
    finished = run_pipeline({"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_WAREHOUSE": str(tmp_path / "w.duckdb"),
                             "STRONGTIES_SCHEDULE_CRON": "every morning"}, tmp_path / "home")
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "Your core list" in finished.stdout
    assert "STRONGTIES_SCHEDULE_CRON='every morning'" in finished.stderr


def test_make_ui_setup_names_a_bad_setting_before_the_ui_starts(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("STRONGTIES_")}
    environment.update({"DAGSTER_HOME": str(tmp_path / "home"), "STRONGTIES_AS_OF": "yesterday"})
    finished = subprocess.run([sys.executable, "-m", "pipelines.home"], cwd=REPO_ROOT, env=environment,
                              capture_output=True, text=True, timeout=60)
    assert_refused_in_one_line(finished, "STRONGTIES_AS_OF", "yesterday")
    assert not (tmp_path / "home").exists()


def test_checked_settings_are_written_back_with_their_defaults():
    environ = {"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_AS_OF": " 2026-11-20 ", "STRONGTIES_LOG_LEVEL": "debug"}
    settings = settings_into_environment(environ)
    assert {name: environ[name] for name in WRITTEN_BACK} == {
        "STRONGTIES_INBOX": str(TINY_INBOX.resolve()), "STRONGTIES_WAREHOUSE": str(DEFAULT_WAREHOUSE.resolve()),
        "STRONGTIES_AS_OF": "2026-11-20", "STRONGTIES_CORE_LIST_SIZE": "10", "STRONGTIES_LOG_LEVEL": "DEBUG",
        "STRONGTIES_NAMES_IN_UI": "0"}
    assert settings.warehouse == DEFAULT_WAREHOUSE.resolve()


def test_a_bad_setting_is_refused_and_nothing_is_written_back():
    environ = {"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_CORE_LIST_SIZE": "ten"}
    with pytest.raises(SettingsError, match="STRONGTIES_CORE_LIST_SIZE"):
        settings_into_environment(environ)
    assert environ == {"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_CORE_LIST_SIZE": "ten"}


def test_the_definitions_load_without_reading_any_setting(monkeypatch):
    import importlib

    import pipelines.definitions

    for name in WRITTEN_BACK:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STRONGTIES_INBOX", "/no/such/inbox")
    monkeypatch.setenv("STRONGTIES_CORE_LIST_SIZE", "ten")
    # Loading used to check the settings and raise here; now each field only names its variable.
    reloaded = importlib.reload(pipelines.definitions)
    warehouse = reloaded.defs.resources["warehouse"]
    assert isinstance(warehouse.inbox, dg.EnvVar) and warehouse.inbox.env_var_name == "STRONGTIES_INBOX"


def test_the_resource_reads_the_written_back_settings_when_a_run_starts(monkeypatch, tmp_path):
    environ = {"STRONGTIES_INBOX": str(TINY_INBOX), "STRONGTIES_WAREHOUSE": str(tmp_path / "w.duckdb"),
               "STRONGTIES_NAMES_IN_UI": "1"}
    settings_into_environment(environ)
    for name in WRITTEN_BACK:
        monkeypatch.setenv(name, environ[name])

    @dg.asset
    def settings_seen(warehouse: StrongtiesWarehouse) -> dict:
        return {"inbox": warehouse.inbox, "published": warehouse.published_path, "as_of": warehouse.as_of,
                "core_list_size": warehouse.core_list_size, "names_in_ui": warehouse.names_in_ui,
                "working": warehouse.working_path}

    result = dg.materialize([settings_seen], resources={"warehouse": StrongtiesWarehouse.from_env_vars()})
    assert result.output_for_node("settings_seen") == {
        "inbox": str(TINY_INBOX.resolve()), "published": str(tmp_path / "w.duckdb"), "as_of": "",
        "core_list_size": 10, "names_in_ui": 1, "working": working_path_for(tmp_path / "w.duckdb")}
