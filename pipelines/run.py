"""`make run`: materializes every asset on the inbox, then prints the core list and where the warehouse is."""
from __future__ import annotations

import atexit
import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

DORMANT_QUERY = "SELECT rank, display_name, strftime(last_contact, '%Y-%m-%d') AS last_contact, why FROM dormant_ties ORDER BY rank LIMIT 5"


def print_table(title: str, connection: duckdb.DuckDBPyConnection, query: str) -> None:
    frame = connection.execute(query).fetch_df()
    print(f"\n{title}")
    print(frame.to_markdown(index=False) if len(frame) else "(none)")


# A setting or DAGSTER_HOME that cannot be used ends the run before any work, with this code.
BAD_SETTING_EXIT_CODE = 2


def main() -> int:
    from pipelines.home import HomeError, dagster_home_path, ensure_dagster_home, holding_dagster_home, owner_only_files
    from warehouse.config import SettingsError, settings_from_environment

    owner_only_files()
    try:
        settings = settings_from_environment()
        home = ensure_dagster_home()
    except (SettingsError, HomeError) as error:
        print(f"strongties: {error}", file=sys.stderr)
        return BAD_SETTING_EXIT_CODE
    except OSError as error:
        print(f"strongties: DAGSTER_HOME={dagster_home_path()} cannot be prepared: {error.strerror}", file=sys.stderr)
        return BAD_SETTING_EXIT_CODE
    with holding_dagster_home(home):
        return run_and_report(settings.log_level)


def run_and_report(log_level: str) -> int:
    # Python's cycle collector would run thousands of times while Dagster, pandas and the
    # definitions load, finding almost nothing to free: paused, startup takes 0.5 s less.
    # What loading leaves behind is then frozen (never scanned again) and collection resumes.
    gc.disable()
    import duckdb
    import dagster as dg  # after DAGSTER_HOME is set, so the run lands in the UI's history

    from pipelines.definitions import defs
    from pipelines.run_health import fail_runs_whose_process_is_gone
    from warehouse.publish import CORE_LIST_PREVIEW_QUERY
    from assets.resource import RUN_PROCESS_TAG, process_identity

    instance = dg.DagsterInstance.get()
    gc.freeze()
    gc.enable()

    # A run killed earlier still shows as started, and would hold the UI's run queue.
    for run_id in fail_runs_whose_process_is_gone(instance):
        print(f"An earlier run ({run_id}) was killed before it finished; it is now marked failed.", file=sys.stderr)
    warehouse = defs.resources["warehouse"]
    # Step-by-step progress at INFO; Dagster's per-event DEBUG lines are in the UI's run view.
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    result = defs.resolve_job_def("refresh_warehouse").execute_in_process(
        run_config=run_config, instance=instance, raise_on_error=False,
        tags={RUN_PROCESS_TAG: process_identity(os.getpid())})
    if not result.success:
        print("The run failed; see the messages above or the run in `make ui`.", file=sys.stderr)
        return 1
    with duckdb.connect(warehouse.published_path, read_only=True) as connection:
        print_table("Your core list", connection, CORE_LIST_PREVIEW_QUERY)
        print_table("Strong ties gone quiet", connection, DORMANT_QUERY)
        quarantined = connection.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    print(f"\nWarehouse: {warehouse.published_path}")
    if quarantined:
        print(f"{quarantined} input item(s) could not be used: SELECT * FROM quarantine")
    return 0


def exit_now(code: int) -> None:
    """Exit without tearing down every imported module one by one: with Dagster, pandas and
    DuckDB loaded that takes a second, a tenth of a run. Exit handlers still run first."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
