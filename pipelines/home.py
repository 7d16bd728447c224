"""Prepares DAGSTER_HOME: an owner-only folder with a dagster.yaml, so command-line runs show in the UI."""
from __future__ import annotations

import fcntl
import json
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.config import REPO_ROOT

DEFAULT_HOME = REPO_ROOT / ".dagster_home"
WRITTEN_BY_US = "# Written by strongties (pipelines/home.py); remove this line to keep your own edits.\n"
# One run at a time: the working warehouse has a single writer. Run history and logs are
# kept in SQLite files inside DAGSTER_HOME, by Dagster's SQLite event log with its
# connections kept open (pipelines/event_log.py); telemetry is off because contact data is private.
# Run monitoring fails a run whose process is gone (pipelines/run_health.py), checked every
# half minute: a killed run would otherwise hold the one-run queue for good. Dagster's
# first-visit pop-up (the "nux") is off: it covered the page on every new DAGSTER_HOME. A run that has
# not started within three minutes never will (starting takes seconds); nothing is resumed,
# since a run resumed half-way would publish from a working file of unknown state.
DAGSTER_YAML = WRITTEN_BY_US + """\
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
nux:
  enabled: false
run_launcher:
  module: pipelines.run_health
  class: ProcessWatchingRunLauncher
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
event_log_storage:
  module: pipelines.event_log
  class: KeptOpenSqliteEventLogStorage
  config:
    base_dir: {event_log_dir}
"""
# What the first release wrote, without the marker line.
FIRST_DAGSTER_YAML = "run_queue:\n  max_concurrent_runs: 1\ntelemetry:\n  enabled: false\n"
# Held by a run for as long as it uses DAGSTER_HOME: two runs creating Dagster's SQLite
# files at once collide (an IntegrityError), and share one working warehouse besides.
LOCK_FILE = ".strongties.lock"
# Files and folders the project creates are readable by the owner alone: they hold names.
OWNER_ONLY_UMASK = 0o077


class HomeError(Exception):
    """DAGSTER_HOME cannot be used; the message is one line saying why and what to do."""


def owner_only_files() -> None:
    """Everything this process creates from now on (DuckDB files and their WAL, Dagster's
    history, the address book) is readable by its owner alone, whoever else can read the folder."""
    os.umask(OWNER_ONLY_UMASK)


def dagster_home_path() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or DEFAULT_HOME).resolve()


def ensure_dagster_home() -> Path:
    """Creates DAGSTER_HOME owner-only if it is missing (a folder that exists keeps its mode),
    writes our dagster.yaml and points DAGSTER_HOME at it; raises HomeError for a folder anyone may write to."""
    owner_only_files()
    home = dagster_home_path()
    if home.exists():
        _refuse_shared_folder(home)
        if home == DEFAULT_HOME.resolve():
            home.chmod(0o700)  # the checkout's own home is ours to tighten; any other keeps its mode
    else:
        try:
            home.mkdir(parents=True, mode=0o700)
        except FileExistsError:  # two first runs at once: the other created it after our check
            _refuse_shared_folder(home)
    config = home / "dagster.yaml"
    # A JSON string is a YAML double-quoted scalar: a folder named `o'brien: #1` stays one value.
    wanted = DAGSTER_YAML.format(event_log_dir=json.dumps(str(home / "history" / "runs"), ensure_ascii=False))
    # Rewritten while it is ours (the home may have moved, or this file changed); a
    # dagster.yaml somebody wrote themselves is left alone.
    current = config.read_text() if config.exists() else None
    if current != wanted and (current is None or current == FIRST_DAGSTER_YAML or current.startswith(WRITTEN_BY_US)):
        # Written whole and renamed into place: a second run starting at the same moment
        # reads the old file or the new one, never half of one.
        staging = config.with_name(f".dagster.yaml.{os.getpid()}")
        staging.write_text(wanted)
        os.replace(staging, config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _refuse_shared_folder(home: Path) -> None:
    status = home.stat()
    if not stat.S_ISDIR(status.st_mode):
        raise HomeError(f"DAGSTER_HOME={home} is not a folder; set DAGSTER_HOME to a folder of your own.")
    # Anyone may create files in a world-writable folder, a dagster.yaml among them that
    # would run their code as you. A sticky folder of your own is safe from renames and
    # deletion by others, as the sticky bit intends.
    sticky_and_ours = status.st_mode & stat.S_ISVTX and status.st_uid == os.getuid()
    if status.st_mode & stat.S_IWOTH and not sticky_and_ours:
        raise HomeError(f"DAGSTER_HOME={home} is a folder anyone can write to; set DAGSTER_HOME to a folder of "
                        f"your own (it is created owner-only if missing), for example {DEFAULT_HOME}.")


@contextmanager
def holding_dagster_home(home: Path) -> Iterator[None]:
    """Waits until no other strongties run uses `home`, then keeps it to itself until the block ends."""
    descriptor = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Another strongties run is using DAGSTER_HOME={home}; waiting for it to finish.",
                  file=sys.stderr, flush=True)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock; a killed process's lock is released by the kernel


if __name__ == "__main__":
    # `python -m pipelines.home` prepares DAGSTER_HOME alone; a bad setting is named here in
    # one line (as `strongties ui` does before it starts `dg dev`).
    from warehouse.config import SettingsError, settings_into_environment

    try:
        settings_into_environment()
        print(f"DAGSTER_HOME: {ensure_dagster_home()}")
    except (SettingsError, HomeError) as error:
        print(f"strongties: {error}", file=sys.stderr)
        sys.exit(2)
