"""When the warehouse refreshes on its own: daily by default, cron and timezone configurable."""
import os

import dagster as dg

from pipelines.jobs import refresh_warehouse

DEFAULT_CRON = "0 6 * * *"  # early morning, before the working day's meetings
DEFAULT_TIMEZONE = "UTC"


def build_daily_refresh(cron: str, timezone: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="daily_refresh",
        job=refresh_warehouse,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Refreshes the warehouse on a schedule (STRONGTIES_SCHEDULE_CRON, STRONGTIES_SCHEDULE_TIMEZONE).",
    )


daily_refresh = build_daily_refresh(
    os.environ.get("STRONGTIES_SCHEDULE_CRON", DEFAULT_CRON),
    os.environ.get("STRONGTIES_SCHEDULE_TIMEZONE", DEFAULT_TIMEZONE),
)
