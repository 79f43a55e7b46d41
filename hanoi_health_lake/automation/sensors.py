"""Sensors the daemon evaluates: landing arrivals → ingest runs, run failures → alert lines, the
daily schedule's ingest → the same day's marts (automation/schedules.py)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from hanoi_health_lake.automation.alerts import append_alert, build_alert, find_culprits
from hanoi_health_lake.automation.jobs import ingest_job
from hanoi_health_lake.automation.landing_scan import (
    DayFiles,
    days_to_run,
    decode_cursor,
    encode_cursor,
    scan_landing,
)
from hanoi_health_lake.automation.schedules import CHAIN_SENSORS
from hanoi_health_lake.config import TIMEZONE, sensor_lookback_days
from hanoi_health_lake.partitions import service_day
from hanoi_health_lake.resources import LakeResource

# The ingest writes this table first; its materialisations tell which days were ingested when.
INGESTED_MARKER = dg.AssetKey("bronze_files")


def _already_ingested(instance: dg.DagsterInstance, days: dict[str, DayFiles]) -> dict[str, str]:
    """On a sensor's first tick, days ingested after their newest file count as seen, so turning
    the sensor on over a lake filled by `hhl run` does not re-ingest every day."""
    latest: dict[str, float] = {}
    cursor = None
    while True:
        page = instance.fetch_materializations(INGESTED_MARKER, limit=1000, cursor=cursor)
        for record in page.records:
            if record.partition_key:
                key = record.partition_key
                latest[key] = max(latest.get(key, 0.0), record.timestamp)
        if not page.has_more:
            break
        cursor = page.cursor
    return {
        day: files.fingerprint
        for day, files in days.items()
        if day in latest and files.newest_mtime < latest[day]
    }


def build_landing_sensor(
    *,
    name: str = "landing_sensor",
    minimum_interval_seconds: int = 60,
    settle_seconds: float = 60,
    watch_days: int | None = None,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """Ask for an ingest run of every service day of the last `watch_days` (default:
    `config.sensor_lookback_days()`, read when the sensor ticks) whose landing files changed
    (new, late or corrected), once they have not been written to for `settle_seconds`."""

    @dg.sensor(
        name=name,
        job=ingest_job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=(
            "Watches HHL_HOME/landing; a day whose file set changed gets one ingest run, keyed "
            "by a hash of its files (path, size, mtime), so the same files never run twice."
        ),
    )
    def _landing_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
        today = datetime.now(ZoneInfo(TIMEZONE)).date()
        since = today - timedelta(days=watch_days or sensor_lookback_days())
        days = {
            d: f
            for d, f in scan_landing(lake.landing, since).items()
            if service_day.has_partition_key(d)
        }
        seen = (
            decode_cursor(context.cursor)
            if context.cursor
            else _already_ingested(context.instance, days)
        )
        # Days that left the window leave the cursor too, so it stays small.
        seen = {d: f for d, f in seen.items() if d >= since.isoformat()}
        ready, settling = days_to_run(days, seen, now=time.time(), settle_seconds=settle_seconds)
        requests = [
            dg.RunRequest(
                run_key=day.run_key,
                partition_key=day.service_date,
                tags={"hhl/trigger": "landing", "hhl/landing_files": str(len(day.entries))},
            )
            for day in ready
        ]
        seen.update({day.service_date: day.fingerprint for day in ready})
        if requests:
            return dg.SensorResult(run_requests=requests, cursor=encode_cursor(seen))
        reason = "no new, late or corrected landing files"
        if settling:
            reason = "still being written: " + ", ".join(d.service_date for d in settling)
        return dg.SensorResult(skip_reason=reason, cursor=encode_cursor(seen))

    return _landing_sensor


def _error_texts(error) -> list[str]:
    texts = []
    while error is not None:
        texts.append(error.message)
        error = error.cause or error.context
    return texts


def _engine_errors(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """Dagster's own account of a crash (e.g. a step process killed by a signal), which the
    step failure itself only names by exception class."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records
    events = [r.event_log_entry.dagster_event for r in records]
    return [
        e.message for e in events if getattr(e.event_specific_data, "error", None) and e.message
    ]


def _failed_checks(instance: dg.DagsterInstance, run_id: str) -> list:
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    return [e for e in evaluations if not e.passed]


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=10,
    description=(
        "Appends one line per failed run to HHL_HOME/alerts/alerts.log naming the partition, "
        "facilities and landing files (from failed checks and the error), and tags the run."
    ),
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, lake: LakeResource) -> None:
    run = context.dagster_run
    checks = _failed_checks(context.instance, run.run_id)
    errors = [
        text
        for event in context.get_step_failure_events()
        for text in _error_texts(event.event_specific_data.error)
    ]
    reasons = [
        f"check {c.asset_key.to_user_string()}/{c.check_name} failed: {c.description or ''}"
        for c in checks
    ]
    reasons += _engine_errors(context.instance, run.run_id)
    reasons += errors or [context.failure_event.message or "run failed"]
    culprits = find_culprits(
        [{k: v.value for k, v in c.metadata.items()} for c in checks],
        [*errors, context.failure_event.message or ""],
    )
    alert = build_alert(
        run_id=run.run_id,
        job=run.job_name,
        partition=run.tags.get("dagster/partition"),
        reasons=reasons,
        culprits=culprits,
        landing=lake.landing,
    )
    line = alert.line(datetime.now(ZoneInfo(TIMEZONE)))
    append_alert(lake.root, line)
    context.instance.add_run_tags(run.run_id, alert.tags())
    context.log.info(line)


landing_sensor = build_landing_sensor()

SENSORS = [landing_sensor, run_failure_alert_sensor, *CHAIN_SENSORS]
