"""Build SQL models as a run does: seeds loaded, lake inputs refreshed for the window plus each
model's declared look-back, then the models run in dependency order.

A one-day refresh therefore copies a bounded number of days from the lake, whatever the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa

from hanoi_health_lake.lake.catalog import is_partitioned
from hanoi_health_lake.sqlmodels.dependencies import MODEL_SCHEMA
from hanoi_health_lake.sqlmodels.loader import find_seeds, load_models
from hanoi_health_lake.sqlmodels.model import SqlModel
from hanoi_health_lake.sqlmodels.publish import publish_marts
from hanoi_health_lake.sqlmodels.sources import open_lake_sources
from hanoi_health_lake.sqlmodels.warehouse import Warehouse

WHOLE = None  # the days of a source to copy: all of them


def window_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def source_days(
    models: Sequence[SqlModel], start: date | None, end: date | None
) -> dict[str, list[date] | None]:
    """Lake source → the days the models read of it (`None`: the whole table)."""
    needed: dict[str, set[date] | None] = {}
    for model in models:
        for source in model.sources:
            if needed.get(source, set()) is WHOLE:
                continue
            windowed = model.is_windowed and (start or end) and is_partitioned(source)
            if not windowed:
                needed[source] = WHOLE
                continue
            first, last = start or end, end or start
            days = window_days(first - timedelta(days=model.lookback(source)), last)
            needed[source] = needed.get(source, set()) | set(days)
    return {s: (None if d is WHOLE else sorted(d)) for s, d in sorted(needed.items())}


def refresh_inputs(
    warehouse: Warehouse,
    lake_root: Path,
    models: Sequence[SqlModel],
    start: date | None = None,
    end: date | None = None,
) -> dict[str, int]:
    """Copy the lake days the models need into the warehouse; rows copied per source."""
    by_days: dict[tuple[date, ...] | None, set[str]] = {}
    for source, days in source_days(models, start, end).items():
        by_days.setdefault(None if days is WHOLE else tuple(days), set()).add(source)
    copied: dict[str, int] = {}
    # One warehouse session per distinct set of days: opening the file dominates small copies.
    for days, sources in by_days.items():
        dates = None if days is None else list(days)
        held = partial(warehouse.holds_copy, dates=dates)
        datasets, origins = open_lake_sources(lake_root, sources, dates, held)
        if datasets:
            copied |= warehouse.refresh_sources(datasets, dates=dates, origins=origins)
    return copied


def build(
    warehouse: Warehouse,
    lake_root: Path,
    models: Sequence[SqlModel],
    seeds: dict[str, Path],
    start: date | None = None,
    end: date | None = None,
) -> dict[str, dict]:
    """Load the seeds the models read, refresh their inputs, run them; results by model."""
    wanted = set().union(*(m.seeds for m in models)) if models else set()
    missing = wanted - seeds.keys()
    if missing:
        raise FileNotFoundError(f"seeds not found: {', '.join(sorted(missing))}")
    with warehouse.session():
        warehouse.load_seeds({name: seeds[name] for name in sorted(wanted)})
        refresh_inputs(warehouse, lake_root, models, start, end)
        results = warehouse.run_all(models, start, end)
        # Analysts read a file of marts only; the row-level build file stays with engineers.
        with warehouse.connect() as con:
            publish_marts(con, warehouse.path, results)
        return results


def with_upstream(models: Sequence[SqlModel], name: str) -> list[SqlModel]:
    """Model `name` and every model it reads, directly or not."""
    by_name = {model.name: model for model in models}
    wanted, stack = set(), [name]
    while stack:
        current = stack.pop()
        if current not in wanted:
            wanted.add(current)
            stack.extend(by_name[current].depends_on)
    return [model for model in models if model.name in wanted]


def model_rows(lake_root: Path, sql_dir: Path, name: str, start: date, end: date) -> pa.Table:
    """The rows model `name` holds for the window, built with the models it reads in a
    throwaway in-memory warehouse over the lake: the model's own verdict, for a caller (an
    asset check) that must not judge otherwise than the marts do."""
    models = with_upstream(load_models(sql_dir), name)
    seeds = find_seeds(sql_dir)
    with Warehouse.in_memory() as warehouse:
        warehouse.load_seeds(
            {seed: seeds[seed] for seed in sorted(set().union(*(m.seeds for m in models)))}
        )
        refresh_inputs(warehouse, lake_root, models, start, end)
        warehouse.run_all(models, start, end)
        with warehouse.connect() as con:
            return con.sql(f'select * from {MODEL_SCHEMA}."{name}"').to_arrow_table()
