"""Prepares DAGSTER_HOME: an owner-only folder with a dagster.yaml, so command-line runs show in the UI."""
from __future__ import annotations

import os
from pathlib import Path

from warehouse.resource import REPO_ROOT

DEFAULT_HOME = REPO_ROOT / ".dagster_home"
# One run at a time: the working warehouse has a single writer. Run history and logs are
# kept in SQLite files inside DAGSTER_HOME; telemetry is off because contact data is private.
DAGSTER_YAML = """\
run_queue:
  max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


if __name__ == "__main__":
    print(f"DAGSTER_HOME: {ensure_dagster_home()}")
