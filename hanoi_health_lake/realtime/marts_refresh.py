"""After an arrival batch: the marts of just the service days it touched.

The same build a `marts_job` run over a day range does (every model; incremental ones replace
only the window's days, table models are rebuilt from the warehouse, reading only reference data
from the lake), once per run of consecutive touched days. Of the lake, only what the batches
changed since the last refresh is copied into the warehouse: their facilities' rows of the day
(sqlmodels/copied_days.py). Then the refresh is recorded
(lake/freshness.py) and mart_freshness_daily is built once more for those days, so that it
counts this refresh as the time the batch's files reached the marts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.lake.freshness import record_marts_refresh
from hanoi_health_lake.sqlmodels import Warehouse, build, find_seeds, load_models

SQL_DIR = PROJECT_ROOT / "dbt_like_sql"
FRESHNESS_MART = "mart_freshness_daily"


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges."""
    runs: list[list[date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return [(run[0], run[-1]) for run in runs]


def ensure_reference_tables(lake_root: Path, registry: Path) -> list[str]:
    """Write the reference tables the marts join that the lake lacks (the reference assets'
    work, for a lake the arrival path fills before any `marts_job` ran); the names written."""
    from hanoi_health_lake.lake.delta_io import overwrite_table, table_exists
    from hanoi_health_lake.reference import tables

    builders = {
        "facilities": lambda: tables.facilities_table(registry),
        "wards": tables.wards_table,
        "icd10": tables.icd10_table,
        "drugs": tables.drugs_table,
        "disease_groups": tables.disease_groups_table,
    }
    written = []
    for name, make in builders.items():
        path = Path(lake_root) / "reference" / name
        if not table_exists(path):
            overwrite_table(path, make(), run_id="arrivals")
            written.append(name)
    return written


_LOADED: dict[Path, tuple[tuple, list, dict[str, Path]]] = {}


def models_and_seeds(sql_dir: Path) -> tuple[list, dict[str, Path]]:
    """The SQL models and seeds under `sql_dir`, loaded again only when one of its files
    changed: parsing every model (sqlglot) costs 0.34 CPU-s, and a draining arrivals run
    (realtime/drain.py) refreshes the marts after each of its batches."""
    sql_dir = Path(sql_dir)
    stamps = tuple(
        (str(path), stat.st_mtime_ns, stat.st_size)
        for path in sorted(sql_dir.rglob("*"))
        if path.is_file() and (stat := path.stat())
    )
    loaded = _LOADED.get(sql_dir)
    if loaded is None or loaded[0] != stamps:
        loaded = _LOADED[sql_dir] = (stamps, load_models(sql_dir), find_seeds(sql_dir))
    return loaded[1], loaded[2]


def refresh_marts(
    lake_root: Path,
    warehouse_path: Path,
    days: Iterable[date],
    run_id: str,
    sql_dir: Path = SQL_DIR,
) -> list[tuple[date, date]]:
    """Rebuild the marts for `days`; returns the day ranges built."""
    models, seeds = models_and_seeds(sql_dir)
    warehouse = Warehouse(warehouse_path)
    freshness = [m for m in models if m.name == FRESHNESS_MART]
    ranges = day_runs(days)
    for first, last in ranges:
        build(warehouse, lake_root, models, seeds, first, last)
        span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        record_marts_refresh(lake_root, span, run_id)
        if freshness:
            build(warehouse, lake_root, freshness, seeds, first, last)
    return ranges
