"""A sensor that starts a job for a day once that day's ingest run has succeeded: the marts after
the daily schedule's ingest, the look-up serving store after every ingest. One factory, so the
run key, the partition and the link back to the ingest run are built alike for both."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from hanoi_health_lake.automation.jobs import ingest_job


def after_ingest_sensor(
    name: str,
    request_job: dg.UnresolvedAssetJobDefinition,
    description: str,
    key_prefix: str,
    skip: Callable[[dg.DagsterRun], str | None],
    tags: dict[str, str] | None = None,
) -> dg.SensorDefinition:
    """Runs `request_job` for the partition of each successful `ingest_job` run, once per run,
    unless `skip(run)` gives a reason; a run with no service day is always skipped."""

    @dg.run_status_sensor(
        name=name,
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[ingest_job],
        request_job=request_job,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description=description,
    )
    def _sensor(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        partition = run.tags.get("dagster/partition")
        reason = skip(run) or (None if partition else f"run {run.run_id} had no service day")
        if reason:
            return dg.SkipReason(reason)
        return dg.RunRequest(
            run_key=f"{key_prefix}-after-{run.run_id}",
            partition_key=partition,
            tags={**(tags or {}), "hhl/after_ingest_run": run.run_id},
        )

    return _sensor
