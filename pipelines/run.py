"""`strongties run` (and `make run`): materializes every asset on the inbox, one line per phase,
then prints the core list, the strong ties gone quiet and what waits for the user."""
from __future__ import annotations

import atexit
import gc
import logging
import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg
    import duckdb
    from rich.console import Console

    from warehouse.config import Settings
    from warehouse.progress import Progress

# A setting or DAGSTER_HOME that cannot be used ends the run before any work, with this code.
BAD_SETTING_EXIT_CODE = 2
RUN_FAILED_EXIT_CODE = 1
DORMANT_SHOWN = 5
# What each step is called on the terminal, and which asset's row count tells how it went.
PHASES = {
    "read_inbox": ("Inbox", None, None),
    "ingest_sql_models": ("Staged each source", None, None),
    "resolve_people": ("Resolved people across sources", "int_person_clusters", "records"),
    "resolve_sql_models": ("Built people and interactions", "person", "people"),
    "metrics_sql_models": ("Scored tie strength", "tie_strength", "ties"),
    "publish_sql_models": ("Built the core list", "core_list", "people on it"),
    "published_warehouse": ("Warehouse", None, None),
    "address_book": ("Wrote the address book", "address_book", "cards"),
    "reconnect_reminders": ("Wrote the keep-in-touch reminders", "reconnect_reminders", "reminders"),
}
# What the spinner says while each step runs.
RUNNING = {
    "read_inbox": "Reading the inbox", "ingest_sql_models": "Staging each source",
    "resolve_people": "Resolving people across sources", "resolve_sql_models": "Building people and interactions",
    "metrics_sql_models": "Scoring tie strength", "publish_sql_models": "Building the core list",
    "published_warehouse": "Publishing the warehouse", "address_book": "Writing the address book",
    "reconnect_reminders": "Writing the keep-in-touch reminders",
}
# Live counts (warehouse.progress) redraw the spinner's line at most this often: ten a second
# reads as smooth and costs nothing next to reading a file.
PROGRESS_REDRAW_SECONDS = 0.1
# The core list as the terminal shows it: sorted by core_score, and that is the score shown.
CORE_LIST_QUERY = "SELECT rank, display_name, round(core_score, 3) AS score, why FROM core_list ORDER BY rank"
DORMANT_QUERY = (f"SELECT rank, display_name, strftime(last_contact, '%Y-%m-%d') AS last_contact, why "
                 f"FROM dormant_ties ORDER BY rank LIMIT {DORMANT_SHOWN}")
# Strong ties losing strength, and people overdue by their own rhythm: the few worth a word now.
FADING_QUERY = f"SELECT rank, display_name, why FROM fading_ties ORDER BY rank LIMIT {DORMANT_SHOWN}"
OVERDUE_QUERY = f"SELECT rank, display_name, why FROM reconnect ORDER BY rank LIMIT {DORMANT_SHOWN}"
# Quarantine rows that cost a whole file or item; `property` rows are notes on items that were kept.
UNREAD_QUERY = "SELECT count(*) FROM quarantine WHERE scope IN ('file', 'item')"


def console(stderr: bool = False) -> Console:
    """Rich output: colour and live progress on a terminal, plain lines when piped or logged."""
    from rich.console import Console

    class QuietOnBrokenPipe(Console):
        # Rich leaves with code 1 when the reader goes (`| head`); the command's entry point
        # handles that case for every kind of output alike.
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return QuietOnBrokenPipe(stderr=stderr, highlight=False, soft_wrap=False)


class PhaseReporter(logging.Handler):
    """Turns the run's Dagster events into one line per finished phase; on a terminal, a spinner
    beside the running phase with its live counts (files read, records resolved).

    It only reads counts and the steps' INFO messages, which hold no names."""

    def __init__(self, output: Console):
        super().__init__(level=logging.DEBUG)
        self.output = output
        self.started: dict[str, float] = {}
        self.notes: dict[str, list[str]] = {}
        self.row_counts: dict[str, int] = {}
        self.failed: list[str] = []
        self.status = output.status("Starting…") if output.is_terminal else None
        self.redrawn_at, self.redrawn_for = 0.0, ""
        if self.status is not None:
            self.status.start()

    def progress(self, progress: Progress) -> None:
        """A live count from a long step: shown on the spinner's line, never as a line of its own."""
        now = time.monotonic()
        # A step's first count and its last always show; those between, at most every PROGRESS_REDRAW_SECONDS.
        first = progress.step != self.redrawn_for
        last = progress.done is None or progress.done >= progress.total
        if self.status is None or (now - self.redrawn_at < PROGRESS_REDRAW_SECONDS and not (first or last)):
            return
        self.redrawn_at, self.redrawn_for = now, progress.step
        count = f"{progress.total:,}" if progress.done is None else f"{progress.done:,} of {progress.total:,}"
        self.status.update(f"{RUNNING.get(progress.step, progress.step)}… {count} {progress.unit}")

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event, step = meta.get("dagster_event"), meta.get("step_key")
        kind = event.event_type_value if event is not None else None
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            if self.status is not None:
                self.status.update(f"{RUNNING.get(step, step)}…")
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            count = materialization.metadata.get("dagster/row_count")
            if count is not None:
                self.row_counts[materialization.asset_key.to_user_string()] = count.value
        elif kind == "STEP_SUCCESS":
            self._finished(step)
        elif kind == "STEP_FAILURE":
            error = event.event_specific_data.error
            self.failed.append(step)
            self.output.print(f"[red]✗[/] {PHASES.get(step, (step,))[0]} failed: {error.message.strip().splitlines()[0]}",
                              markup=True, soft_wrap=True)
        elif event is None and record.levelno >= logging.WARNING:
            self.output.print(f"[yellow]![/] {meta.get('orig_message', record.getMessage())}", markup=True, soft_wrap=True)
        elif event is None and record.levelno >= logging.INFO and step:
            self.notes.setdefault(step, []).append(meta.get("orig_message", record.getMessage()))

    def _finished(self, step: str) -> None:
        label, asset, noun = PHASES.get(step, (step, None, None))
        seconds = time.monotonic() - self.started.get(step, time.monotonic())
        details = list(self.notes.get(step, []))
        if asset and asset in self.row_counts:
            details.append(f"{self.row_counts[asset]:,} {noun}")
        detail = f": {'; '.join(details)}" if details else ""
        self.output.print(f"[green]✓[/] {label}{detail} ({seconds:.1f} s)", markup=True, soft_wrap=True)

    def finish(self) -> None:
        """Stops the spinner. Not `close`: Dagster configures logging from the instance as a run
        starts, which closes every handler there is, and the spinner stopped with it."""
        if self.status is not None:
            self.status.stop()


def phase_logger(reporter: PhaseReporter):
    import dagster as dg

    @dg.logger(description="One line per phase on the terminal (strongties run).")
    def phases(_init_context) -> logging.Logger:
        logger = logging.Logger("strongties.phases", level=logging.DEBUG)
        logger.addHandler(reporter)
        return logger

    return phases


def main() -> int:
    from pipelines.home import HomeError, dagster_home_path, ensure_dagster_home, holding_dagster_home, owner_only_files
    from warehouse.config import SettingsError, settings_into_environment

    owner_only_files()
    try:
        settings = settings_into_environment()
        home = ensure_dagster_home()
    except (SettingsError, HomeError) as error:
        print(f"strongties: {error}", file=sys.stderr)
        return BAD_SETTING_EXIT_CODE
    except OSError as error:
        print(f"strongties: DAGSTER_HOME={dagster_home_path()} cannot be prepared: {error.strerror}", file=sys.stderr)
        return BAD_SETTING_EXIT_CODE
    with holding_dagster_home(home):
        return run_and_report(settings)


def run_quietly_or_with_phases(settings: Settings, output: Console) -> dg.ExecuteInProcessResult:
    """Runs the main job. At DEBUG, Dagster's own console log shows every event as well;
    otherwise the phases are the only lines."""
    # Python's cycle collector would run thousands of times while Dagster, pandas and the
    # definitions load, finding almost nothing to free: paused, startup takes 0.5 s less.
    # What loading leaves behind is then frozen (never scanned again) and collection resumes.
    gc.disable()
    import dagster as dg  # after DAGSTER_HOME is set, so the run lands in the UI's history

    from assets.resource import RUN_PROCESS_TAG, process_identity, run_tags
    from pipelines.definitions import defs
    from pipelines.run_health import fail_runs_whose_process_is_gone
    from warehouse.progress import listening

    instance = dg.DagsterInstance.get()
    gc.freeze()
    gc.enable()

    # A run killed earlier still shows as started, and would hold the UI's run queue.
    for run_id in fail_runs_whose_process_is_gone(instance):
        print(f"An earlier run ({run_id}) was killed before it finished; it is now marked failed.", file=sys.stderr)
    reporter = PhaseReporter(output)
    loggers = {"phases": phase_logger(reporter)}
    logger_config: dict = {"phases": {}}
    if settings.log_level == "DEBUG":
        loggers["console"] = dg.colored_console_logger
        logger_config["console"] = {"config": {"log_level": "DEBUG"}}
    job = defs.resolve_job_def("refresh_warehouse").with_logger_defs(loggers)
    try:
        with listening(reporter.progress):
            result = job.execute_in_process(
                run_config={"loggers": logger_config}, instance=instance, raise_on_error=False,
                tags={RUN_PROCESS_TAG: process_identity(os.getpid()), **run_tags(settings.inbox, settings.warehouse)})
    finally:
        reporter.finish()
    return result


def run_and_report(settings: Settings) -> int:
    import duckdb

    output = console()
    result = run_quietly_or_with_phases(settings, output)
    if not result.success:
        print("The run failed; see the lines above, or the run in `strongties ui`.", file=sys.stderr)
        return RUN_FAILED_EXIT_CODE
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        print_report(connection, output)
    output.print(f"\nWarehouse: {settings.warehouse}", markup=False, soft_wrap=True)
    return 0


def print_report(connection: duckdb.DuckDBPyConnection, output: Console) -> None:
    """The core list, the strong ties gone quiet, then one line for each thing that needs the user."""
    from rich.table import Table

    def table(title: str, query: str, headers: list[str], why_column: int) -> None:
        rows = connection.execute(query).fetchall()
        output.print()
        if not rows:
            output.print(f"{title}: none", markup=False)
            return
        shown = Table(title=title, title_justify="left", title_style="bold", expand=False, show_lines=False,
                      pad_edge=False, box=None, header_style="bold")
        for index, header in enumerate(headers):
            numeric = header in ("rank", "score")
            # A name is never broken across lines; `why` takes what width is left, wrapped.
            shown.add_column(header, justify="right" if numeric else "left", no_wrap=index != why_column,
                             overflow="fold", ratio=1 if index == why_column else None)
        for row in rows:
            shown.add_row(*("" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
                            for value in row))
        output.print(shown)

    table("Your core list", CORE_LIST_QUERY, ["rank", "name", "score", "why"], why_column=3)
    table("Strong ties gone quiet", DORMANT_QUERY, ["rank", "name", "last contact", "why"], why_column=3)
    table("Fading: strong ties losing strength", FADING_QUERY, ["rank", "name", "why"], why_column=2)
    table("Overdue for a word, by your usual rhythm", OVERDUE_QUERY, ["rank", "name", "why"], why_column=2)
    pairs = connection.execute("SELECT count(*) FROM match_review").fetchone()[0]
    unread = connection.execute(UNREAD_QUERY).fetchone()[0]
    output.print()
    if pairs:
        output.print(f"{pairs} pair{'s' if pairs != 1 else ''} of records wait for your review: strongties review",
                     markup=False, soft_wrap=True)
    if unread:
        output.print(f"{unread} item{'s' if unread != 1 else ''} could not be read: strongties show --quarantine",
                     markup=False, soft_wrap=True)


def exit_now(code: int) -> None:
    """Exit without tearing down every imported module one by one: with Dagster, pandas and
    DuckDB loaded that takes a second, a tenth of a run. Exit handlers still run first."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
