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

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from warehouse.config import ScoringConfig, set_sql_variables

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


def run_tags(inbox: str | Path, published: str | Path) -> dict[str, str]:
    return {INBOX_TAG: str(Path(inbox).resolve()), WAREHOUSE_TAG: str(Path(published).resolve())}


class StrongtiesWarehouse(DuckDBResource):
    """Settings from `STRONGTIES_*` and the working database the assets build in."""

    # Empty: the working file beside the published one (working_path_for); a test may name another.
    database: str = ""
    inbox: str
    published_path: str
    as_of: str = ""  # YYYY-MM-DD; empty means today (UTC)
    core_list_size: int = 10
    # The UI's run history shows people by person_id only, unless the owner opts in to names
    # (STRONGTIES_NAMES_IN_UI=1): it is kept in DAGSTER_HOME, apart from the warehouse. 0 or 1,
    # an int because Dagster has an EnvVar for whole numbers and none for booleans.
    names_in_ui: int = 0
    # Within a run, every step shares one connection: opening the working file and
    # checkpointing it on close cost 30 ms a step, a tenth of a personal run's work.
    _in_dagster_run: bool = PrivateAttr(default=False)
    _run_connection: tuple[ExitStack, duckdb.DuckDBPyConnection] | None = PrivateAttr(default=None)

    @classmethod
    def from_env_vars(cls) -> "StrongtiesWarehouse":
        """The code location's resource: each field names its `STRONGTIES_*` variable, read when
        a run, sensor or schedule starts, not while the definitions load. Every entry point
        (`strongties`, `dg dev` through `strongties ui`, `python -m pipelines.run`) first checks
        the settings and writes them back with their defaults (warehouse.config.settings_into_environment),
        so that none of these is unset and each holds a value already checked."""
        return cls(
            inbox=dg.EnvVar("STRONGTIES_INBOX"),
            published_path=dg.EnvVar("STRONGTIES_WAREHOUSE"),
            as_of=dg.EnvVar("STRONGTIES_AS_OF"),
            core_list_size=dg.EnvVar.int("STRONGTIES_CORE_LIST_SIZE"),
            names_in_ui=dg.EnvVar.int("STRONGTIES_NAMES_IN_UI"),
        )

    @property
    def working_path(self) -> Path:
        return Path(self.database) if self.database else working_path_for(Path(self.published_path))

    def run_tags(self) -> dict[str, str]:
        return run_tags(self.inbox, self.published_path)

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
        path = self.working_path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Contact data is personal: the file is the owner's alone from its first byte.
            duckdb.connect(str(path)).close()
            path.chmod(0o600)
        # DuckDBResource's own connect, which retries while another process holds the file's lock.
        working = DuckDBResource(database=str(path), connection_config=self.connection_config)
        with working.get_connection() as connection:
            set_sql_variables(connection, self.scoring, self.as_of_date.isoformat())
            # Recorded in the published warehouse (warehouse_build), so that review refuses a
            # warehouse another inbox built.
            connection.execute("SET VARIABLE inbox = ?", [str(Path(self.inbox).resolve())])
            yield connection
