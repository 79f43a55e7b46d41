"""The daily schedule: yesterday's service day and everything built on it, after the SLA.

Facilities must deliver a day by 08:00 the next morning (Asia/Ho_Chi_Minh); at 09:00 the
schedule runs the previous day's partition of `ingest_job`; when that run succeeds,
`marts_after_ingest_sensor` runs the same day's partition of `marts_job` (marts, signals,
report), so the marts see on-time files. Two jobs because each holds one backfill policy
(automation/jobs.py).
"""

import dagster as dg

from hanoi_health_lake.automation.after_ingest import after_ingest_sensor
from hanoi_health_lake.automation.jobs import ingest_job, marts_job

SCHEDULE_HOUR = 9
SCHEDULE_NAME = "daily_schedule"

daily_schedule = dg.build_schedule_from_partitioned_job(
    ingest_job,
    name=SCHEDULE_NAME,
    description=(
        "09:00 Hanoi time: ingest yesterday; marts_after_ingest_sensor then rebuilds the marts, "
        "signals and report of that day."
    ),
    hour_of_day=SCHEDULE_HOUR,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


marts_after_ingest_sensor = after_ingest_sensor(
    "marts_after_ingest_sensor",
    marts_job,
    description=(
        "When the daily schedule's ingest of a day succeeds, runs marts_job for the same day "
        "(once per ingest run)."
    ),
    key_prefix="marts",
    skip=lambda run: (
        None
        if run.tags.get("dagster/schedule_name") == SCHEDULE_NAME
        else f"run {run.run_id} was not the daily schedule's ingest"
    ),
    tags={"hhl/trigger": "daily_schedule"},
)


SCHEDULES = [daily_schedule]
CHAIN_SENSORS = [marts_after_ingest_sensor]
