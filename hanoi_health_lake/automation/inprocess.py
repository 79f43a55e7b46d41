"""`hhl run`: materialise service-day partitions in this process, on the instance under HHL_HOME.

Each day is its own Dagster run, so the UI shows them exactly as a backfill would, and a failure
on one day is reported and the next day still runs; the whole-table marts run after the days
only when every day succeeded, never on top of a day that just failed. Ctrl-C or SIGTERM stops:
the current run fails, nothing further runs, and `RunStopped` says so (automation.stopping).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from hanoi_health_lake.automation.stopping import RunStopped, StopSignals
from hanoi_health_lake.config import lake_dir, registry_path
from hanoi_health_lake.instance import open_instance
from hanoi_health_lake.lake.key_fingerprint import check_key
from hanoi_health_lake.partitions import SERVICE_DAY_START, service_day
from hanoi_health_lake.secrets import ensure_pseudonym_key


def days_between(first: date, last: date) -> Iterator[date]:
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# Dagster's console logger prints every engine event; a terminal user wants one line a day.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class DayRun:
    service_date: date
    run_id: str
    success: bool
    scope: str = "day"  # "day", or "whole tables" for the unpartitioned marts after the days


def _reads_partitions(graph) -> dict[dg.AssetKey, bool]:
    """Whether each asset has a partitioned asset upstream of it."""
    memo: dict[dg.AssetKey, bool] = {}

    def visit(key: dg.AssetKey) -> bool:
        if key not in memo:
            parents = [p for p in graph.get(key).parent_keys if graph.has(p)]
            memo[key] = any(graph.get(p).is_partitioned or visit(p) for p in parents)
        return memo[key]

    for key in graph.get_all_asset_keys():
        visit(key)
    return memo


def run_days(home: Path, first: date, last: date, *, create_key: bool = False) -> list[DayRun]:
    """Materialise reference data once, then each day's partition of the partitioned assets."""
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
    os.environ["HHL_HOME"] = str(home)
    # Refuse a key the lake was not written with before any day starts (one clear line).
    check_key(lake_dir(home), ensure_pseudonym_key(create=create_key).encode("utf-8"))
    from hanoi_health_lake.definitions import defs  # after the environment is set

    instance = open_instance(home)
    graph = defs.resolve_asset_graph()
    all_assets = list(defs.assets or [])
    resources = defs.resources or {}
    keys = graph.get_all_asset_keys()
    # Daily assets run per day; others partitioned differently (the weekly report) are left to
    # the UI and the schedule. Reports read whole-table marts built after the days, so `hhl run`
    # leaves them to `hhl report` (and the demo), which run once the marts are complete.
    partitioned = [
        k
        for k in keys
        if graph.get(k).partitions_def == service_day and graph.get(k).group_name != "reports"
    ]
    # Whole tables that read no daily partition (reference data, settings) come before the days;
    # whole-table marts and reports that read what the days produce come after them.
    reads_days = _reads_partitions(graph)
    whole = [k for k in keys if not graph.get(k).is_partitioned]
    reference = [k for k in whole if not reads_days[k]]
    after_days = [k for k in whole if reads_days[k]]

    def materialize(keys: list[dg.AssetKey], partition_key: str | None = None):
        return dg.materialize(
            all_assets,
            instance=instance,
            resources=resources,
            partition_key=partition_key,
            selection=dg.AssetSelection.assets(*keys),
            raise_on_error=False,
            run_config=QUIET,
            tags={"hhl/source": "hhl run"},
        )

    runs: list[DayRun] = []
    with StopSignals() as stop:

        def check(where: str) -> None:
            if stop.received is not None:
                raise RunStopped(stop.received, where, runs)

        if reference:
            result = materialize(reference)
            check("reference data")
            if not result.success:
                raise RuntimeError(
                    f"reference data failed in run {result.run_id}; see the Dagster UI"
                )
        for day in service_days:
            check(f"{day} (before it started)")
            print(f"[hhl run] {day}: ingesting", file=sys.stderr, flush=True)
            result = materialize(partitioned, day.isoformat())
            runs.append(DayRun(day, result.run_id, result.success))
            check(f"{day} (run {result.run_id}, failed)")
            status = "ok" if result.success else "FAILED"
            print(f"[hhl run] {day}: {status} (run {result.run_id})", file=sys.stderr, flush=True)
        failed = [r.service_date.isoformat() for r in runs if not r.success]
        if after_days and failed:
            print(
                f"[hhl run] whole-table marts: skipped, {', '.join(failed)} failed "
                "(rerun the day, then the marts)",
                file=sys.stderr,
                flush=True,
            )
        elif after_days:
            print("[hhl run] whole-table marts", file=sys.stderr, flush=True)
            result = materialize(after_days)
            runs.append(DayRun(service_days[-1], result.run_id, result.success, "whole tables"))
            check(f"the whole-table marts (run {result.run_id}, failed)")
            status = "ok" if result.success else "FAILED"
            print(f"[hhl run] whole-table marts: {status}", file=sys.stderr, flush=True)
    return runs
