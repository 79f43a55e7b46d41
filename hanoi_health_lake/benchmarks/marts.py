"""Benchmark of the marts: one day's incremental refresh on 30 and on 90 days of history, and a
full rebuild.

History is one service day replicated across dates (every date and timestamp column shifted):
the latest day of the lake under HHL_HOME when it has one, else a synthetic day. Each history
gets its own lake and warehouse under `<home>/bench/marts/`, so the real warehouse is untouched.
A one-day refresh should cost the same whatever the history; the ratio of the two refresh times
is the figure to watch (at most MAX_RATIO).
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from hanoi_health_lake.benchmarks.lake_tables import (
    PARTITIONED_SCHEMAS,
    reference_tables,
    shift_days,
    write_lake,
)
from hanoi_health_lake.benchmarks.synthetic_day import synthetic_day, synthetic_facilities
from hanoi_health_lake.config import PROJECT_ROOT, lake_dir
from hanoi_health_lake.lake.catalog import is_partitioned
from hanoi_health_lake.lake.delta_io import partitions, read_table, table_exists
from hanoi_health_lake.sqlmodels.build import build
from hanoi_health_lake.sqlmodels.loader import find_seeds, load_models
from hanoi_health_lake.sqlmodels.sources import SOURCE_TABLES, source_paths
from hanoi_health_lake.sqlmodels.warehouse import Warehouse

MAX_RATIO = 1.3
SQL_DIR = PROJECT_ROOT / "dbt_like_sql"
SYNTHETIC_DAY = date(2026, 3, 2)


def bench_marts(
    home: Path,
    histories: Sequence[int] = (30, 90),
    repeats: int = 5,
    synthetic_facilities_n: int = 500,
    synthetic_encounters: int = 5000,
    sql_dir: Path = SQL_DIR,
    progress: Callable[[str], None] = lambda message: None,
) -> dict:
    """Time the marts on each history; a JSON-ready dict with seconds, rows and the ratio.

    `progress` receives a line per step (a CLI passes a print to stderr)."""
    home = Path(home)
    work = home / "bench" / "marts"
    shutil.rmtree(work, ignore_errors=True)
    source_day, day_tables, reference, origin = _one_day(
        home, work, synthetic_facilities_n, synthetic_encounters
    )
    models = load_models(sql_dir)
    seeds = find_seeds(sql_dir)
    target = source_day + timedelta(days=max(histories))
    report: dict = {
        "source": origin,
        "source_day": source_day.isoformat(),
        "rows_per_day": {name: t.num_rows for name, t in sorted(day_tables.items())},
        "facilities": reference["facilities"].num_rows,
        "models": len(models),
        "repeats": repeats,
        "histories": {},
    }
    built: dict[int, tuple[Path, Warehouse]] = {}
    for days in histories:
        lake = work / f"history_{days}" / "lake"
        dates = [target - timedelta(days=k) for k in range(days, -1, -1)]
        progress(f"history {days}: writing {len(dates)} days of {origin} to {lake}")
        write_lake(lake, reference | _replicate(day_tables, source_day, dates))
        warehouse = Warehouse(work / f"history_{days}" / "warehouse.duckdb")
        progress(f"history {days}: full rebuild of {len(models)} models")
        started = time.perf_counter()
        build(warehouse, lake, models, seeds)
        report["histories"][str(days)] = {
            "days_of_history": days,
            "full_rebuild_seconds": round(time.perf_counter() - started, 3),
            "incremental_day": target.isoformat(),
        }
        built[days] = lake, warehouse
    # Interleaved, so that a busy spell of the machine falls on both histories alike.
    runs: dict[int, list[tuple[float, dict]]] = {days: [] for days in histories}
    for repeat in range(repeats):
        for days, (lake, warehouse) in built.items():
            progress(f"history {days}: refresh of {target}, run {repeat + 1} of {repeats}")
            started = time.perf_counter()
            results = build(warehouse, lake, models, seeds, target, target)
            runs[days].append((time.perf_counter() - started, results))
    for days, timed in runs.items():
        seconds = [t for t, _ in timed]
        _, results = sorted(timed, key=lambda r: r[0])[len(timed) // 2]
        slowest = sorted(results.items(), key=lambda kv: -kv[1]["seconds"])[:5]
        report["histories"][str(days)] |= {
            "incremental_seconds_median": round(statistics.median(seconds), 3),
            "incremental_seconds_runs": [round(t, 3) for t in seconds],
            "incremental_models_seconds": round(sum(r["seconds"] for r in results.values()), 3),
            "slowest_models": {name: r["seconds"] for name, r in slowest},
        }
    first, last = (report["histories"][str(d)] for d in (min(histories), max(histories)))
    ratio = last["incremental_seconds_median"] / first["incremental_seconds_median"]
    report["ratio"] = round(ratio, 3)
    report["max_ratio"] = MAX_RATIO
    report["ok"] = ratio <= MAX_RATIO
    return report


def _one_day(home: Path, work: Path, n_facilities: int, encounters: int):
    """(day, partitioned tables of that day, reference tables, where they came from)."""
    lake = lake_dir(home)
    paths = source_paths(lake)
    days = partitions(paths["encounters"])
    if days and table_exists(paths["facilities"]):
        day = days[-1]
        tables = {
            name: read_table(paths[name], [day])
            for name in PARTITIONED_SCHEMAS
            if table_exists(paths[name])
        }
        reference = {
            name: read_table(paths[name])
            for name in SOURCE_TABLES
            if not is_partitioned(name) and table_exists(paths[name])
        }
        return day, tables, reference, f"lake day {day} under {lake}"
    facilities = synthetic_facilities(n_facilities, work)
    tables = synthetic_day(SYNTHETIC_DAY, facilities, encounters)
    return SYNTHETIC_DAY, tables, reference_tables(facilities), "synthetic day"


def _replicate(tables: dict[str, pa.Table], day: date, dates: list[date]) -> dict[str, pa.Table]:
    return {
        name: pa.concat_tables([shift_days(table, (d - day).days) for d in dates])
        for name, table in tables.items()
    }
