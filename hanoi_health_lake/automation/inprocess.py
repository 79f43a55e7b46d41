"""`hhl run`: materialise service days in this process, on the instance under HHL_HOME.

The same two jobs the daily schedule runs (automation/jobs.py), so the UI shows the runs under
names an engineer knows: `ingest_job` once per service day (a failure on one day is reported and
the next day still runs), then `marts_job` over the days in runs of up to 31 days, as a backfill
would (reference data, the DuckDB marts and the surveillance signals; the reports are left to
`hhl report`, which runs once the marts are complete). The marts run only when every day
succeeded, never on top of a day that just failed. Ctrl-C or SIGTERM stops: the current run
fails, nothing further runs, and `RunStopped` says so (automation.stopping).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from hanoi_health_lake.automation.stopping import RunStopped, StopSignals
from hanoi_health_lake.config import lake_dir, registry_path
from hanoi_health_lake.health_book.keys import identity_key
from hanoi_health_lake.instance import open_instance
from hanoi_health_lake.lake.freshness import record_marts_refresh
from hanoi_health_lake.lake.key_fingerprint import check_key
from hanoi_health_lake.partitions import SERVICE_DAY_START, service_day
from hanoi_health_lake.pseudonym_key import ensure_pseudonym_key, key_source
from hanoi_health_lake.resources import LakeResource, PseudonymizerResource

INGEST_JOB, MARTS_JOB = "ingest_job", "marts_job"
RUN_TAGS = {"hhl/source": "hhl run"}
# Dagster's console logger prints every engine event; a terminal user wants one line a day.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
COUNTS = ("delivered", "accepted", "quarantined", "superseded")


def days_between(first: date, last: date) -> Iterator[date]:
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@dataclass
class DayRun:
    service_date: date
    run_id: str
    success: bool
    scope: str = "day"  # "day", or "marts" for a marts_job run over days up to service_date
    first_date: date | None = None  # a marts run's first day
    counts: dict[str, int] = field(default_factory=dict)  # a day's delivered/accepted/…

    @property
    def job(self) -> str:
        return INGEST_JOB if self.scope == "day" else MARTS_JOB


def _say(line: str) -> None:
    print(f"[hhl run] {line}", file=sys.stderr, flush=True)


def _day_counts(result) -> dict[str, int]:
    """The day's totals from the reconciliation table's materialisation."""
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == dg.AssetKey("reconciliation"):
            meta = materialization.metadata
            return {k: int(meta[k].value) for k in COUNTS if k in meta}
    return {}


def _chunks(days: list[date], size: int) -> Iterator[list[date]]:
    """Runs of consecutive days, at most `size` long: a day whose ingest failed is not built."""
    run: list[date] = []
    for day in days:
        if run and (len(run) == size or day - run[-1] != timedelta(days=1)):
            yield run
            run = []
        run.append(day)
    if run:
        yield run


def run_days(
    home: Path,
    first: date,
    last: date,
    *,
    create_key: bool = False,
    say: Callable[[str], None] = _say,
) -> list[DayRun]:
    """Ingest each day with `ingest_job`, then build the marts over the days with `marts_job`."""
    service_days = list(days_between(first, last))
    outside = [d for d in service_days if not service_day.has_partition_key(d.isoformat())]
    if outside:
        raise ValueError(
            f"{outside[0]} is not a service-day partition: they run from {SERVICE_DAY_START} to "
            f"{service_day.get_last_partition_key()}"
        )
    if not registry_path(home).exists():
        raise FileNotFoundError(
            f"no facility registry at {registry_path(home)}: run `hhl simulate` first, or place "
            "the Department's registry there"
        )
    key = ensure_pseudonym_key(create=create_key)
    # Refuse a key the lake was not written with before any day starts (one clear line).
    check_key(lake_dir(home), key.encode("utf-8"))
    say(f"pseudonymisation key: {key_source()}")
    # The health book's key: a first run without one creates a local key file (owner-only, said
    # on stderr) rather than refusing the ingest; production sets HHL_IDENTITY_KEY (docs).
    identity_key(create=True)
    from hanoi_health_lake.assets.marts import BACKFILL_DAYS_PER_RUN
    from hanoi_health_lake.definitions import build_defs

    # The home and key reach the assets as resources, in place of the EnvVar-bound defaults.
    defs = build_defs(
        {"lake": LakeResource(home=str(home)), "pseudonymizer": PseudonymizerResource(key=key)}
    )

    instance = open_instance(home)
    ingest = defs.resolve_job_def(INGEST_JOB)
    marts = defs.resolve_job_def(MARTS_JOB)
    graph = defs.resolve_asset_graph()
    # Reports read the whole-table marts of the last day, so `hhl report` writes them after.
    warehouse_keys = [
        k for k in marts.asset_layer.selected_asset_keys if graph.get(k).group_name != "reports"
    ]

    runs: list[DayRun] = []
    with StopSignals() as stop:

        def check(where: str) -> None:
            if stop.received is not None:
                raise RunStopped(stop.received, where, runs)

        for day in service_days:
            check(f"{day} (before it started)")
            say(f"{day}: ingesting")
            result = ingest.execute_in_process(
                run_config=QUIET,
                instance=instance,
                partition_key=day.isoformat(),
                raise_on_error=False,
                tags=RUN_TAGS,
            )
            run = DayRun(day, result.run_id, result.success, counts=_day_counts(result))
            runs.append(run)
            check(f"{day} (run {result.run_id}, failed)")
            if result.success:
                c = run.counts
                say(
                    f"{day}: delivered {c.get('delivered', 0):,}, "
                    f"accepted {c.get('accepted', 0):,}, "
                    f"quarantined {c.get('quarantined', 0):,}, "
                    f"superseded {c.get('superseded', 0):,} ({INGEST_JOB} run {result.run_id[:8]})"
                )
            else:
                say(f"{day}: FAILED ({INGEST_JOB} run {result.run_id})")
        failed = [r.service_date.isoformat() for r in runs if not r.success]
        if failed:
            say(f"marts: skipped, {', '.join(failed)} failed (rerun the day, then the marts)")
            return runs
        for days in _chunks([r.service_date for r in runs], BACKFILL_DAYS_PER_RUN):
            span = f"{days[0]} … {days[-1]}" if len(days) > 1 else str(days[0])
            say(f"{span}: building the marts and surveillance signals")
            result = marts.execute_in_process(
                run_config=QUIET,
                instance=instance,
                asset_selection=warehouse_keys,
                raise_on_error=False,
                tags={
                    **RUN_TAGS,
                    "dagster/asset_partition_range_start": days[0].isoformat(),
                    "dagster/asset_partition_range_end": days[-1].isoformat(),
                },
            )
            runs.append(DayRun(days[-1], result.run_id, result.success, "marts", days[0]))
            if result.success:  # the time these days' files reached the marts (freshness)
                record_marts_refresh(lake_dir(home), days, result.run_id)
            check(f"the marts (run {result.run_id}, failed)")
            status = "ok" if result.success else "FAILED"
            say(f"{span}: marts {status} ({MARTS_JOB} run {result.run_id[:8]})")
    return runs
