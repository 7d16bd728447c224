"""A run whose process is gone (killed, crashed, the machine restarted) is marked failed, so it no longer holds the run queue.

Dagster records a run as STARTED and waits for its process to say it finished. A process
killed outright never says so: the run stays STARTED for good and, with one run allowed at
a time (dagster.yaml's run queue), every run the sensor or the schedule asks for waits
behind it. Each run records the process running it (assets.resource.RUN_PROCESS_TAG);
a run on this machine whose process no longer exists is failed by `make run` before it
starts, by the inbox sensor before it asks for a run, and by Dagster's run monitoring
daemon under `make ui` through the run launcher below.
"""
from __future__ import annotations

import socket

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus

from assets.resource import RUN_PROCESS_TAG, process_identity

# Queued runs have no process yet; these have, or are about to.
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
DEAD_RUN_MESSAGE = "The process running this run has ended without finishing it (killed or crashed); marked failed so later runs can start."


def process_is_gone(run: dg.DagsterRun) -> bool:
    """True only when the run's process is known, on this machine, and no longer the same live process."""
    recorded = run.tags.get(RUN_PROCESS_TAG)
    if not recorded:
        return False  # a run from before this tag, or one whose process has not started yet
    host, pid, _started = recorded.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's process cannot be looked up from here
    return process_identity(int(pid)) != recorded


def fail_runs_whose_process_is_gone(instance: dg.DagsterInstance) -> list[str]:
    """Marks every in-progress run whose process is gone as failed; returns their run ids."""
    failed = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        if process_is_gone(run):
            instance.report_run_failed(run, DEAD_RUN_MESSAGE)
            failed.append(run.run_id)
    return failed


class ProcessWatchingRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher, able to tell the run monitoring daemon when a run's process is gone.

    Dagster's own launcher cannot say whether a run's process is alive, so its run
    monitoring never fails a run whose process was killed."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        if process_is_gone(run):
            return CheckRunHealthResult(WorkerStatus.FAILED, DEAD_RUN_MESSAGE)
        # Unknown is reported as running: the daemon fails any run not reported running.
        return CheckRunHealthResult(WorkerStatus.RUNNING)
