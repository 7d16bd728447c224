"""When the warehouse refreshes on its own: daily by default, cron and timezone configurable."""
import os

import dagster as dg

from pipelines.jobs import refresh_warehouse

DEFAULT_CRON = "0 6 * * *"  # early morning, before the working day's meetings

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_warehouse,
    cron_schedule=os.environ.get("STRONGTIES_SCHEDULE_CRON", DEFAULT_CRON),
    execution_timezone=os.environ.get("STRONGTIES_SCHEDULE_TIMEZONE", "UTC"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refreshes the warehouse every day (STRONGTIES_SCHEDULE_CRON, STRONGTIES_SCHEDULE_TIMEZONE).",
)
