"""After each successful ingest of a day (which writes that day's health-book feed), load the
feed into the look-up API's serving store and rebuild the Department's look-up mart.

Its own job because the serving store is optional: a deployment without the look-up API sets
no HHL_LOOKUP_DSN, and the sensor then skips instead of failing runs.
"""

import dagster as dg

from hanoi_health_lake.automation.jobs import ingest_job
from hanoi_health_lake.config import setting
from hanoi_health_lake.lookup.settings import DSN_ENV

lookup_job = dg.define_asset_job(
    "lookup_job",
    selection=dg.AssetSelection.groups("lookup"),
    description=(
        "Load one service day's health-book feed into the look-up API's PostgreSQL serving "
        "store, then rebuild the look-up mart and its volume check."
    ),
    tags={"hhl/kind": "lookup"},
)


@dg.run_status_sensor(
    name="lookup_after_ingest_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=lookup_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "When an ingest of a day succeeds (its health-book feed written), loads that day into "
        "the look-up API's serving store; skips where HHL_LOOKUP_DSN is not set."
    ),
)
def lookup_after_ingest_sensor(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    partition = run.tags.get("dagster/partition")
    if not setting(DSN_ENV):
        return dg.SkipReason(f"{DSN_ENV} is not set: no look-up API serving store to load")
    if not partition:
        return dg.SkipReason(f"run {run.run_id} had no service day")
    return dg.RunRequest(
        run_key=f"lookup-after-{run.run_id}",
        partition_key=partition,
        tags={"hhl/after_ingest_run": run.run_id},
    )


LOOKUP_JOBS = [lookup_job]
LOOKUP_SENSORS = [lookup_after_ingest_sensor]
