"""When the warehouse refreshes on its own: daily by default, cron and timezone configurable."""
import os
import warnings
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from pipelines.jobs import refresh_warehouse

DEFAULT_CRON = "0 6 * * *"  # early morning, before the working day's meetings
DEFAULT_TIMEZONE = "UTC"
DESCRIPTION = "Refreshes the warehouse on a schedule (STRONGTIES_SCHEDULE_CRON, STRONGTIES_SCHEDULE_TIMEZONE)."


def build_daily_refresh(cron: str, timezone: str, problem: str | None = None) -> dg.ScheduleDefinition:
    """The schedule, running; with a `problem`, stopped and saying what is wrong (the UI shows it)."""
    return dg.ScheduleDefinition(
        name="daily_refresh",
        job=refresh_warehouse,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED if problem else dg.DefaultScheduleStatus.RUNNING,
        description=f"OFF: {problem}. Fix the setting and reload. {DESCRIPTION}" if problem else DESCRIPTION,
    )


def schedule_problem(cron: str, timezone: str) -> str | None:
    """One line naming the setting that cannot be used, or None when both can."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"STRONGTIES_SCHEDULE_TIMEZONE={timezone!r} is not a time zone name (for example Europe/London or UTC)"
    try:
        build_daily_refresh(cron, timezone)
    except dg.DagsterInvalidDefinitionError:
        return f"STRONGTIES_SCHEDULE_CRON={cron!r} is not a cron expression of five fields (for example {DEFAULT_CRON!r})"
    return None


def schedule_from_environment() -> dg.ScheduleDefinition:
    """The schedule as configured; with a bad setting, a stopped schedule whose description
    says what is wrong (the UI shows it), so that `make run`, which uses no schedule, still runs."""
    cron = os.environ.get("STRONGTIES_SCHEDULE_CRON") or DEFAULT_CRON
    timezone = os.environ.get("STRONGTIES_SCHEDULE_TIMEZONE") or DEFAULT_TIMEZONE
    problem = schedule_problem(cron, timezone)
    if problem is None:
        return build_daily_refresh(cron, timezone)
    warnings.warn(f"{problem}; the daily_refresh schedule is off until it is fixed", stacklevel=2)
    return build_daily_refresh(DEFAULT_CRON, DEFAULT_TIMEZONE, problem)


daily_refresh = schedule_from_environment()
