"""The one resource every asset uses: where the inbox and the warehouse are, and connections to it.

The pipeline builds in a working DuckDB file of its own next to the published one; readers
only ever open the published file, which `warehouse.publish` replaces atomically at the end
of a run, so an analyst's open session never blocks a run or sees half of one.
"""
from __future__ import annotations

import os
import socket
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from warehouse.config import ScoringConfig, settings_from_environment, sql_variables

# Calendars hold decades of history and recurring events without end: expand ten years back
# and one year ahead (the upcoming year feeds meeting preparation).
CALENDAR_YEARS_BACK = 10
CALENDAR_DAYS_AHEAD = 365


# The process running a run is recorded on the run as host:pid:start-time (the start time
# so that a pid the system has since reused is not taken for it): a run whose process is
# gone is marked failed by pipelines/run_health.py instead of blocking the run queue.
RUN_PROCESS_TAG = "strongties/process"
# Every run is tagged with the inbox it read and the warehouse it published, so that the
# UI's runs list tells runs of different inboxes apart (and can filter on them).
INBOX_TAG, WAREHOUSE_TAG = "strongties/inbox", "strongties/warehouse"


def process_identity(pid: int) -> str | None:
    """`host:pid:start-time` of a live process, None when there is no such process."""
    try:
        # Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. The command
        # name (field 2) is in parentheses and may itself hold spaces, so split after it.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        started = fields[19]
    except FileNotFoundError:
        return None
    except (OSError, IndexError):  # no /proc (macOS): whether the pid is alive is all we can tell
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        started = "?"
    return f"{socket.gethostname()}:{pid}:{started}"


def working_path_for(published: Path) -> Path:
    return published.with_name(f".{published.stem}.work.duckdb")


class StrongtiesWarehouse(DuckDBResource):
    """Settings from `STRONGTIES_*` and the working database the assets build in."""

    inbox: str
    published_path: str
    as_of: str = ""  # YYYY-MM-DD; empty means today (UTC)
    core_list_size: int = 10
    # The UI's run history shows people by person_id only, unless the owner opts in to names
    # (STRONGTIES_NAMES_IN_UI=1): it is kept in DAGSTER_HOME, apart from the warehouse.
    names_in_ui: bool = False
    # Within a run, every step shares one connection: opening the working file and
    # checkpointing it on close cost 30 ms a step, a tenth of a personal run's work.
    _in_dagster_run: bool = PrivateAttr(default=False)
    _run_connection: tuple[ExitStack, duckdb.DuckDBPyConnection] | None = PrivateAttr(default=None)

    @classmethod
    def from_environment(cls) -> "StrongtiesWarehouse":
        settings = settings_from_environment()  # raises SettingsError naming a bad variable
        return cls(
            database=str(working_path_for(settings.warehouse)),
            inbox=str(settings.inbox),
            published_path=str(settings.warehouse),
            as_of=settings.as_of,
            core_list_size=settings.core_list_size,
            names_in_ui=settings.names_in_ui,
        )

    def run_tags(self) -> dict[str, str]:
        return {INBOX_TAG: str(Path(self.inbox).resolve()), WAREHOUSE_TAG: str(Path(self.published_path).resolve())}

    @property
    def as_of_date(self) -> date:
        return date.fromisoformat(self.as_of) if self.as_of else datetime.now(timezone.utc).date()

    @property
    def scoring(self) -> ScoringConfig:
        return ScoringConfig(core_list_size=self.core_list_size)

    def calendar_window(self) -> tuple[datetime, datetime]:
        """Snapped to month starts so that a daily run reuses last run's calendar parse."""
        as_of = self.as_of_date.replace(day=1)
        start = datetime(as_of.year - CALENDAR_YEARS_BACK, as_of.month, 1, tzinfo=timezone.utc)
        end_day = (as_of + timedelta(days=CALENDAR_DAYS_AHEAD + 31)).replace(day=1)
        return start, datetime(end_day.year, end_day.month, 1, tzinfo=timezone.utc)

    def setup_for_execution(self, context) -> None:
        self._in_dagster_run = True
        if context.instance is not None and context.run is not None:
            context.instance.add_run_tags(context.run.run_id, {RUN_PROCESS_TAG: process_identity(os.getpid()),
                                                               **self.run_tags()})

    def teardown_after_execution(self, context) -> None:
        if self._run_connection is not None:
            self._run_connection[0].close()
            self._run_connection = None
        self._in_dagster_run = False

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the working database with the run's settings as SQL variables.

        Inside a Dagster run the first call opens it and later steps reuse it until the run
        ends; outside one (tests, scripts) each call opens its own, closed on leaving. Sensors
        and schedules never call this, so they never lock the working file."""
        if self._run_connection is None:
            if not self._in_dagster_run:
                with self._open() as connection:
                    yield connection
                return
            stack = ExitStack()
            self._run_connection = (stack, stack.enter_context(self._open()))
        yield self._run_connection[1]

    @contextmanager
    def _open(self) -> Iterator[duckdb.DuckDBPyConnection]:
        path = Path(self.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Contact data is personal: the file is the owner's alone from its first byte.
            duckdb.connect(str(path)).close()
            path.chmod(0o600)
        with self.get_connection() as connection:
            for name, value in sql_variables(self.scoring, self.as_of_date.isoformat()).items():
                connection.execute(f"SET VARIABLE {name} = ?", [value])
            # Recorded in the published warehouse (warehouse_build), so that review refuses a
            # warehouse another inbox built.
            connection.execute("SET VARIABLE inbox = ?", [str(Path(self.inbox).resolve())])
            yield connection
