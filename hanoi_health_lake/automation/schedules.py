"""The daily schedule: yesterday's service day and everything built on it, after the SLA.

Facilities must deliver a day by 08:00 the next morning (Asia/Ho_Chi_Minh); at 09:00 the
schedule runs the previous day's partition of `daily_job`, so the marts see on-time files.
"""

import dagster as dg

from hanoi_health_lake.automation.jobs import daily_job

SCHEDULE_HOUR = 9

daily_schedule = dg.build_schedule_from_partitioned_job(
    daily_job,
    name="daily_schedule",
    description="09:00 Hanoi time: ingest yesterday, rebuild the marts, signals and reports.",
    hour_of_day=SCHEDULE_HOUR,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

SCHEDULES = [daily_schedule]
