"""Starts a run when files in the inbox are new or changed; an unchanged inbox starts nothing."""

import hashlib
import os
from pathlib import Path

import dagster as dg

from pipelines.jobs import refresh_warehouse
from pipelines.run_health import fail_runs_whose_process_is_gone
from assets.resource import StrongtiesWarehouse


def inbox_fingerprint(inbox: str) -> str:
    """A digest of every file's path, size and modification time: cheap, no file is read."""
    digest = hashlib.sha256()
    root = Path(inbox)
    if not root.is_dir():
        return ""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"{path.relative_to(root).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    job=refresh_warehouse,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a refresh when a file in the inbox is added, changed or removed.",
)
def inbox_changed(context: dg.SensorEvaluationContext, warehouse: StrongtiesWarehouse):
    # A killed run left STARTED would hold the one-run queue, and this run would wait behind it.
    try:
        instance = context.instance
    except dg.DagsterInvariantViolationError:
        instance = None  # a context built without an instance (a test): no runs to look at
    if instance is not None:
        fail_runs_whose_process_is_gone(instance)
    fingerprint = inbox_fingerprint(warehouse.inbox)
    if not fingerprint or fingerprint == context.cursor:
        return dg.SkipReason("the inbox has not changed since the last run")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)
