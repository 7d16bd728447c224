"""Prepares DAGSTER_HOME: an owner-only folder with a dagster.yaml, so command-line runs show in the UI."""
from __future__ import annotations

import os
from pathlib import Path

from warehouse.config import REPO_ROOT

DEFAULT_HOME = REPO_ROOT / ".dagster_home"
WRITTEN_BY_US = "# Written by strongties (pipelines/home.py); remove this line to keep your own edits.\n"
# One run at a time: the working warehouse has a single writer. Run history and logs are
# kept in SQLite files inside DAGSTER_HOME, by Dagster's SQLite event log with its
# connections kept open (pipelines/event_log.py); telemetry is off because contact data is private.
DAGSTER_YAML = WRITTEN_BY_US + """\
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
event_log_storage:
  module: pipelines.event_log
  class: KeptOpenSqliteEventLogStorage
  config:
    base_dir: {event_log_dir}
"""
# What the first release wrote, without the marker line.
FIRST_DAGSTER_YAML = "run_queue:\n  max_concurrent_runs: 1\ntelemetry:\n  enabled: false\n"


def ensure_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    config = home / "dagster.yaml"
    wanted = DAGSTER_YAML.format(event_log_dir=home / "history" / "runs")
    # Rewritten while it is ours (the home may have moved, or this file changed); a
    # dagster.yaml somebody wrote themselves is left alone.
    current = config.read_text() if config.exists() else None
    if current != wanted and (current is None or current == FIRST_DAGSTER_YAML or current.startswith(WRITTEN_BY_US)):
        config.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


if __name__ == "__main__":
    print(f"DAGSTER_HOME: {ensure_dagster_home()}")
