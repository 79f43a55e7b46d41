"""The arrival path in Dagster: `arrivals_sensor` → `arrivals_job` (arrival batches, each followed
by the marts of the days it touched), and `lake_maintenance_job` on `lake_maintenance_schedule`.

The sensor reads no landing folder: it compares the arrivals logs' sizes with the offsets the
last batch committed (realtime.arrivals_log), one stat per log file. It asks for a run only
when none is queued or running, so batches never overlap; a batch that failed or was killed left
its offsets uncommitted, and the next run takes its arrivals again. A run drains: batch after
batch while arrivals keep coming, in the run's own process (realtime/drain.py: starting a run
cost five times a batch). Both the sensor and the
whole-day `landing_sensor` can run: a whole-day run and a batch of the same day take the day's
writer lock in turn (docs/operators-guide.md, "Two paths: arrivals and backfills").
"""

from datetime import timedelta

import dagster as dg

from hanoi_health_lake.config import arrivals_idle, arrivals_interval, arrivals_lifetime
from hanoi_health_lake.lake.key_fingerprint import check_key
from hanoi_health_lake.lake.maintenance import compact_lake, vacuum_lake
from hanoi_health_lake.pipeline import parse_cache
from hanoi_health_lake.pipeline.write_day import INGEST_TABLES
from hanoi_health_lake.realtime import arrivals_log
from hanoi_health_lake.realtime.batch import BatchResult, run_batch
from hanoi_health_lake.realtime.drain import POLL_SECONDS, DrainLimits, drain
from hanoi_health_lake.realtime.marts_refresh import ensure_reference_tables, refresh_marts
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from hanoi_health_lake.resources import LakeResource, PseudonymizerResource

ARRIVALS_JOB = "arrivals_job"
ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


class ArrivalsRunConfig(dg.Config):
    """When a draining run ends (realtime/drain.py); the defaults come from the environment."""

    idle_minutes: float | None = None  # HHL_ARRIVALS_IDLE_MINUTES (default 10); 0: once drained
    run_minutes: float | None = None  # HHL_ARRIVALS_RUN_MINUTES (default 360)
    batch_minutes: float | None = None  # HHL_ARRIVALS_BATCH_MINUTES (default 3)
    poll_seconds: float = POLL_SECONDS

    def limits(self) -> DrainLimits:
        idle, run, every = self.idle_minutes, self.run_minutes, self.batch_minutes
        return DrainLimits(
            idle=arrivals_idle() if idle is None else timedelta(minutes=idle),
            lifetime=arrivals_lifetime() if run is None else timedelta(minutes=run),
            interval=arrivals_interval() if every is None else timedelta(minutes=every),
            poll_seconds=self.poll_seconds,
        )


@dg.op(
    description=(
        "Ingest the files logged since the last batch, slice by slice (service day, facility), "
        "then refresh the marts of the days touched; again while more arrive."
    ),
)
def arrival_batch(
    context: dg.OpExecutionContext,
    config: ArrivalsRunConfig,
    lake: LakeResource,
    pseudonymizer: PseudonymizerResource,
) -> None:

    def one_batch() -> BatchResult | None:
        # Checked before every batch: a re-key while the run lasts (`hhl rekey` records the new
        # key's fingerprint) fails the run at its next batch instead of mixing the old key in;
        # the next run starts with the key then set.
        check_key(lake.lake, pseudonymizer.key_bytes())
        result = run_batch(
            lake.root,
            landing=lake.landing,
            lake_root=lake.lake,
            # Read again for every batch: a facility registered while the run lasts is placed.
            registry_codes=registry_codes(load_registry(lake.registry)),
            key=pseudonymizer.key_bytes(),
            run_id=context.run.run_id,
        )
        if result is not None:
            _report(context, lake, result)
        return result

    drained = drain(one_batch, config.limits())
    context.log.info(f"{len(drained.results)} batches; the run ended ({drained.ended})")


def _report(context: dg.OpExecutionContext, lake: LakeResource, result: BatchResult) -> None:
    """A batch's log line and materializations, then its days' marts."""
    slices = sum(len(f) for f in result.slices.values())
    context.log.info(
        f"{result.arrivals} arrivals → {slices} slices on {len(result.slices)} days, "
        f"{result.files_read} files read ({result.files_parsed} parsed, the rest from the parse "
        f"cache) in {result.seconds:.1f} s"
    )
    for day, facilities in result.slices.items():
        for table in INGEST_TABLES:
            context.log_event(
                dg.AssetMaterialization(
                    asset_key=table,
                    partition=day.isoformat(),
                    metadata={"mode": "arrival slices", "facilities": len(facilities)},
                )
            )
    ensure_reference_tables(lake.lake, lake.registry)
    ranges = refresh_marts(lake.lake, lake.warehouse, result.days, context.run.run_id)
    context.log.info("marts refreshed: " + ", ".join(f"{a} … {b}" for a, b in ranges))


@dg.job(
    name=ARRIVALS_JOB,
    description="Arrival batches (new, late and corrected files, then their days' marts) while "
    "arrivals keep coming.",
    tags={"hhl/kind": "arrivals"},
    # One op: a process of its own would only add an interpreter and the code location's import.
    executor_def=dg.in_process_executor,
)
def arrivals_job() -> None:
    arrival_batch()


def build_arrivals_sensor(
    *,
    minimum_interval_seconds: int = 30,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    @dg.sensor(
        name="arrivals_sensor",
        job=arrivals_job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=(
            "Reads HHL_HOME/arrivals/*.log (no landing listing); asks for an arrival batch when "
            "lines are pending and no batch is queued or running."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
        log_dir = arrivals_log.arrivals_dir(lake.root)
        if not arrivals_log.has_pending(log_dir):
            return dg.SkipReason("no arrivals pending")
        active = context.instance.get_runs(
            dg.RunsFilter(job_name=ARRIVALS_JOB, statuses=ACTIVE), limit=1
        )
        if active:
            return dg.SkipReason(f"batch {active[0].run_id[:8]} still running")
        # No run key: the batch takes whatever is pending when it starts, and a failed or
        # killed batch (offsets not committed) must be asked for again.
        return dg.RunRequest(tags={"hhl/trigger": "arrivals"})

    return _sensor


arrivals_sensor = build_arrivals_sensor()


@dg.op(
    description="Compact partitions with many small files, vacuum old files, prune the arrival "
    "batches' parse cache."
)
def lake_maintenance(context: dg.OpExecutionContext, lake: LakeResource) -> None:
    compacted = compact_lake(lake.lake, run_id=context.run.run_id)
    vacuumed = vacuum_lake(lake.lake)
    pruned = parse_cache.prune(lake.lake)
    context.log.info(
        f"compacted {sum(map(len, compacted.compacted.values()))} partitions "
        f"({compacted.files_removed} files → {compacted.files_added}); "
        f"vacuum deleted {sum(vacuumed.vacuumed.values())} files; "
        f"{pruned} parse-cache folders pruned"
    )


@dg.job(name="lake_maintenance_job", tags={"hhl/kind": "maintenance"})
def lake_maintenance_job() -> None:
    lake_maintenance()


lake_maintenance_schedule = dg.ScheduleDefinition(
    name="lake_maintenance_schedule",
    job=lake_maintenance_job,
    cron_schedule="17 * * * *",
    execution_timezone="Asia/Ho_Chi_Minh",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly: compaction of busy partitions, then vacuum (HHL_VACUUM_RETENTION_HOURS).",
)

REALTIME_JOBS = [arrivals_job, lake_maintenance_job]
REALTIME_SENSORS = [arrivals_sensor]
REALTIME_SCHEDULES = [lake_maintenance_schedule]
