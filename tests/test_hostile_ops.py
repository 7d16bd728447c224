"""Hostile places and faults stay contained (issue 12): odd paths, shared folders, two runs at once, killed runs, what the files and the run history give away."""
from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import vobject
from dagster._core.storage.dagster_run import DagsterRun

from assets.publish import published_warehouse
from pipelines.home import HomeError, ensure_dagster_home
from pipelines.run_health import ProcessWatchingRunLauncher, fail_runs_whose_process_is_gone
from tests.conftest import REPO_ROOT, SAMPLE_AS_OF, TINY_INBOX, copy_of_tiny_inbox
from assets.resource import RUN_PROCESS_TAG, StrongtiesWarehouse, process_identity, working_path_for

# A folder name with the characters that end SQL and YAML strings, spaces and non-ASCII.
ODD_FOLDER = "o'brien \"quoted\" dossier é 山田"
# A contact whose URL percent-decodes into a card of its own (issue 12).
INJECTED_CARD = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:tiny-ivy\r\nFN:Ivy Quinn\r\nN:Quinn;Ivy;;;\r\n"
                 b"EMAIL:ivy.quinn@example.net\r\n"
                 b"URL:https://www.linkedin.com/in/inj%0d%0aend:vcard%0d%0abegin:vcard%0d%0afn:Forged%0d%0aend:vcard\r\n"
                 b"END:VCARD\r\n")
# Names and addresses of the tiny inbox (tests/fixtures/tiny_inbox): none may reach the run history.
PERSONAL_DATA = ["Priya", "Shah", "priya.shah@example.com", "Dana Lee", "dana@example.org", "Sam Ortiz",
                 "Ivy Quinn", "ivy.quinn@example.net"]


def pipeline_environment(inbox: Path, warehouse: Path, home: Path, **settings: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("STRONGTIES_")}
    environment.update({"STRONGTIES_INBOX": str(inbox), "STRONGTIES_WAREHOUSE": str(warehouse),
                        "STRONGTIES_AS_OF": SAMPLE_AS_OF, "DAGSTER_HOME": str(home), **settings})
    return environment


def start_pipeline(environment: dict[str, str], **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines.run"], cwd=REPO_ROOT, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def modes_under(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): stat.S_IMODE(path.lstat().st_mode) for path in folder.rglob("*")}


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory):
    """Two first-ever `python -m pipelines.run` started at once on a new DAGSTER_HOME, with
    inbox, warehouse and DAGSTER_HOME all under ODD_FOLDER; their stdout and stderr."""
    root = tmp_path_factory.mktemp("hostile") / ODD_FOLDER
    root.mkdir()
    root.chmod(0o755)  # readable by others, as a home folder often is
    inbox = copy_of_tiny_inbox(root)
    (inbox / "injected.vcf").write_bytes(INJECTED_CARD)
    warehouse, home = root / "warehouse 'w'" / "strongties.duckdb", root / "dagster home"
    environment = pipeline_environment(inbox, warehouse, home)
    processes = [start_pipeline(environment), start_pipeline(environment)]
    finished = [process.communicate(timeout=300) + (process.returncode,) for process in processes]
    for _output, errors, code in finished:
        assert code == 0, errors[-3000:]
    return root, warehouse, home, finished


def test_a_full_run_works_under_quotes_spaces_and_non_ascii_in_every_path(odd_run):
    root, warehouse, home, finished = odd_run
    assert all(f"Warehouse: {warehouse}" in output for output, _errors, _code in finished)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM core_list").fetchone()[0] > 0


def test_two_first_runs_at_once_on_a_new_home_both_succeed_one_after_the_other(odd_run):
    _root, _warehouse, home, finished = odd_run
    assert sum("waiting for it to finish" in errors for _output, errors, _code in finished) == 1
    instance = dg.DagsterInstance.from_config(str(home))
    assert [run.status for run in instance.get_runs()] == [dg.DagsterRunStatus.SUCCESS] * 2


def test_the_address_book_holds_one_card_per_person_despite_an_injected_url(odd_run):
    _root, warehouse, _home, _finished = odd_run
    cards = list(vobject.readComponents(warehouse.with_suffix(".vcf").read_text(encoding="utf-8")))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        people = connection.execute("SELECT count(*) FROM person").fetchone()[0]
        ivy_linkedin = connection.execute("SELECT linkedin_url FROM person WHERE display_name = 'Ivy Quinn'").fetchall()
    assert len(cards) == people
    assert "Forged" not in {card.fn.value for card in cards}
    assert ivy_linkedin == [(None,)]  # the decoded slug is not an identifier


def test_nothing_the_run_writes_is_readable_by_others(odd_run):
    root, _warehouse, _home, _finished = odd_run
    written = {path: mode for path, mode in modes_under(root).items() if not path.startswith("inbox")}
    for path, mode in written.items():
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
    assert {"dagster home/dagster.yaml", "warehouse 'w'/strongties.duckdb", "warehouse 'w'/strongties.vcf",
            "warehouse 'w'/.strongties.work.duckdb", "dagster home/history/runs/index.db"} <= set(written)
    # A folder that existed before the run keeps the mode its owner gave it.
    assert stat.S_IMODE(root.stat().st_mode) == 0o755


def test_the_run_history_holds_no_names_or_addresses(odd_run):
    _root, _warehouse, home, finished = odd_run
    assert "Priya Shah" in finished[0][0]  # the printed report names people; the history must not
    for path in home.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for personal in PERSONAL_DATA:
                assert personal.encode() not in content, f"{personal!r} is in {path.relative_to(home)}"


def test_the_ui_core_list_preview_shows_person_ids_and_names_only_when_asked(odd_run, tmp_path):
    _root, warehouse, home, _finished = odd_run
    instance = dg.DagsterInstance.from_config(str(home))
    anonymous = instance.get_latest_materialization_event(
        dg.AssetKey("published_warehouse")).asset_materialization.metadata["core_list"].value
    assert "person_id" in anonymous and "display_name" not in anonymous
    # Opted in: publishing again from a copy of the run's working database shows names.
    published = tmp_path / "named.duckdb"
    shutil.copy(working_path_for(warehouse), working_path_for(published))
    named_warehouse = StrongtiesWarehouse(database=str(working_path_for(published)), inbox=str(TINY_INBOX),
                                          published_path=str(published), as_of=SAMPLE_AS_OF, names_in_ui=True)
    with dg.instance_for_test() as test_instance:
        assert dg.materialize([published_warehouse], resources={"warehouse": named_warehouse},
                              instance=test_instance).success
        named = test_instance.get_latest_materialization_event(dg.AssetKey("published_warehouse"))
    assert "Priya Shah" in named.asset_materialization.metadata["core_list"].value


def test_a_world_writable_home_is_refused_in_one_line_and_left_as_it_was(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    process = start_pipeline(pipeline_environment(TINY_INBOX, tmp_path / "w.duckdb", shared))
    _output, errors = process.communicate(timeout=60)
    assert process.returncode == 2
    assert errors.strip().count("\n") == 0 and "anyone can write to" in errors and "DAGSTER_HOME=" in errors
    assert stat.S_IMODE(shared.stat().st_mode) == 0o777 and list(shared.iterdir()) == []


def test_a_sticky_shared_folder_of_our_own_is_used_without_changing_its_mode(tmp_path, monkeypatch):
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    monkeypatch.setenv("DAGSTER_HOME", str(sticky))
    ensure_dagster_home()
    assert stat.S_IMODE(sticky.stat().st_mode) == 0o1777
    assert (sticky / "dagster.yaml").exists()
    # An existing private folder keeps its mode too: only folders we create are set.
    kept = tmp_path / "kept"
    kept.mkdir()
    kept.chmod(0o750)
    monkeypatch.setenv("DAGSTER_HOME", str(kept))
    ensure_dagster_home()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o750
    created = tmp_path / "created" / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(created))
    ensure_dagster_home()
    assert stat.S_IMODE(created.stat().st_mode) == 0o700


def another_run_creates_the_home_after_the_check(monkeypatch, home: Path, mode: int) -> None:
    """Path.exists says no for `home`, and the folder appears at that moment, with `mode`: what a
    second first run sees when both start at once (5 of 20 such pairs failed before the fix)."""
    exists = Path.exists

    def exists_until_checked(path: Path, *args, **kwargs) -> bool:
        if path == home and not exists(path):
            home.mkdir()
            home.chmod(mode)
            return False
        return exists(path, *args, **kwargs)

    monkeypatch.setattr(Path, "exists", exists_until_checked)


def test_a_home_created_by_another_first_run_at_the_same_moment_is_used(tmp_path, monkeypatch):
    home = tmp_path / "new home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    another_run_creates_the_home_after_the_check(monkeypatch, home, 0o700)
    assert ensure_dagster_home() == home
    assert (home / "dagster.yaml").exists()


def test_a_home_made_world_writable_by_someone_else_at_that_moment_is_still_refused(tmp_path, monkeypatch):
    home = tmp_path / "new home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    another_run_creates_the_home_after_the_check(monkeypatch, home, 0o777)
    with pytest.raises(HomeError, match="anyone can write to"):
        ensure_dagster_home()
    assert not (home / "dagster.yaml").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_sticky_shared_folder_of_someone_else_is_refused(tmp_path, monkeypatch):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    theirs.chmod(0o1777)
    os.chown(theirs, 65534, 65534)
    monkeypatch.setenv("DAGSTER_HOME", str(theirs))
    with pytest.raises(HomeError, match="anyone can write to"):
        ensure_dagster_home()


def dead_process_identity() -> str:
    sleeper = subprocess.Popen(["sleep", "30"])
    identity = process_identity(sleeper.pid)
    sleeper.kill()
    sleeper.wait()
    return identity


def started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> DagsterRun:
    return instance.add_run(DagsterRun(job_name="refresh_warehouse", status=dg.DagsterRunStatus.STARTED, tags=tags))


def test_only_runs_whose_process_is_gone_are_failed():
    with dg.instance_for_test() as instance:
        dead = started_run(instance, {RUN_PROCESS_TAG: dead_process_identity()})
        alive = started_run(instance, {RUN_PROCESS_TAG: process_identity(os.getpid())})
        untagged = started_run(instance, {})
        host, pid, _started = process_identity(os.getpid()).split(":")
        reused_pid = started_run(instance, {RUN_PROCESS_TAG: f"{host}:{pid}:1"})  # same pid, an older process
        elsewhere = started_run(instance, {RUN_PROCESS_TAG: "another-machine:1:1"})
        launcher = ProcessWatchingRunLauncher()
        assert launcher.supports_check_run_worker_health
        assert launcher.check_run_worker_health(dead).status.value == "FAILED"
        assert launcher.check_run_worker_health(alive).status.value == "RUNNING"
        assert set(fail_runs_whose_process_is_gone(instance)) == {dead.run_id, reused_pid.run_id}
        status = {run.run_id: run.status for run in instance.get_runs()}
        assert status[dead.run_id] == status[reused_pid.run_id] == dg.DagsterRunStatus.FAILURE
        assert {status[alive.run_id], status[untagged.run_id], status[elsewhere.run_id]} == {dg.DagsterRunStatus.STARTED}


def test_the_inbox_sensor_fails_a_dead_run_before_asking_for_its_own(tmp_path):
    from pipelines.sensors import inbox_changed

    warehouse = StrongtiesWarehouse(database=str(working_path_for(tmp_path / "w.duckdb")), inbox=str(TINY_INBOX),
                                    published_path=str(tmp_path / "w.duckdb"), as_of=SAMPLE_AS_OF)
    with dg.instance_for_test() as instance:
        dead = started_run(instance, {RUN_PROCESS_TAG: dead_process_identity()})
        with dg.build_sensor_context(instance=instance, resources={"warehouse": warehouse}) as context:
            assert isinstance(inbox_changed(context), dg.RunRequest)
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE


def test_a_killed_run_is_marked_failed_by_the_next_run_and_leaves_only_private_files(tmp_path):
    inbox = copy_of_tiny_inbox(tmp_path)
    published, home = tmp_path / "out" / "w.duckdb", tmp_path / "home"
    environment = pipeline_environment(inbox, published, home, STRONGTIES_LOG_LEVEL="DEBUG")
    killed = subprocess.Popen([sys.executable, "-m", "pipelines.run"], cwd=REPO_ROOT, env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    for line in killed.stdout:
        if 'Started execution of step "resolve_people"' in line:
            os.killpg(killed.pid, signal.SIGKILL)
            break
    killed.wait(timeout=60)
    assert killed.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    # What the killed run left (the working file, its WAL) is the owner's alone.
    left = modes_under(tmp_path / "out")
    assert left and all(mode & 0o077 == 0 for mode in left.values()), left
    instance = dg.DagsterInstance.from_config(str(home))
    (stuck,) = instance.get_runs()
    assert stuck.status == dg.DagsterRunStatus.STARTED
    rerun = start_pipeline(environment)
    _output, errors = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, errors[-3000:]
    assert f"An earlier run ({stuck.run_id}) was killed" in errors
    statuses = {run.run_id: run.status for run in dg.DagsterInstance.from_config(str(home)).get_runs()}
    assert statuses.pop(stuck.run_id) == dg.DagsterRunStatus.FAILURE
    assert list(statuses.values()) == [dg.DagsterRunStatus.SUCCESS]


def test_dagster_yaml_turns_on_run_monitoring_with_the_process_watching_launcher(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / ODD_FOLDER))
    home = ensure_dagster_home()
    instance = dg.DagsterInstance.from_config(str(home))
    assert isinstance(instance.run_launcher, ProcessWatchingRunLauncher)
    assert instance.run_monitoring_enabled and instance.run_monitoring_max_resume_run_attempts == 0
    assert instance.event_log_storage._base_dir == str(home / "history" / "runs")


def test_a_failed_check_shows_person_ids_but_no_names_in_its_sample():
    from assets.checks import SqlCheck

    connection = duckdb.connect()
    connection.execute("CREATE TABLE core_list AS SELECT 1 AS rank, 'p-1' AS person_id, 'Priya Shah' AS display_name, "
                       "'referred you once (intro to Dana Lee)' AS why")
    check = SqlCheck("core_list", "always_fails", "Fails on purpose.", "SELECT * FROM core_list")
    sample = check.evaluate(connection).metadata["sample"].value
    assert "p-1" in sample and "Priya" not in sample and "Dana" not in sample
