"""The lake tables SQL models may read (`lake.<table>`), and where their Delta tables live.

Both come from lake/catalog.py: the tables with `sql_source`, minus their `identifiers` columns.
Mostly the pseudonymous zones: reference, silver, audit and gold (docs/lake-tables.md). Two
restricted tables come in for the coverage and data-quality marts, without what identifies a
person: `bronze_files` (one row per delivered file: arrival facts only) and `quarantine` minus
its `payload` and `reason` columns (the rejected record as delivered, with names and citizen ids,
and a reason that may quote it). Records from `bronze_records` never reach a warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable

from hanoi_health_lake.lake import catalog
from hanoi_health_lake.lake.catalog import PARTITION_COLUMN
from hanoi_health_lake.lake.completion import completed_days
from hanoi_health_lake.lake.delta_io import naming_table

# Source → zone, for every lake table the SQL models may read.
SOURCE_TABLES: dict[str, str] = {t.name: t.zone for t in catalog.TABLES.values() if t.sql_source}

# Columns that never leave the lake, per source: they hold what identifies a person.
SOURCE_EXCLUDED_COLUMNS: dict[str, frozenset[str]] = {
    name: catalog.table(name).identifiers
    for name in SOURCE_TABLES
    if catalog.table(name).identifiers
}


def source_paths(lake_root: Path) -> dict[str, Path]:
    """Delta table path of every known source: `<lake_root>/<zone>/<table>`."""
    return {name: catalog.table_path(lake_root, name) for name in SOURCE_TABLES}


def without_excluded(name: str, dataset: ds.Dataset) -> ds.Dataset:
    """The dataset minus the source's excluded columns, which are then never read from its files."""
    excluded = SOURCE_EXCLUDED_COLUMNS.get(name, frozenset())
    if not excluded & set(dataset.schema.names):
        return dataset
    kept = [f for f in dataset.schema if f.name not in excluded]
    return dataset.replace_schema(pa.schema(kept))


def declared_schema(name: str) -> pa.Schema | None:
    """The schema of a source written after the ingest (gold, the health book, the marts'
    refresh log), else None.

    Surveillance runs after the ingest; until its first run a gold table does not exist, and a
    mart over it must read as empty rather than fail the whole warehouse build.
    """
    if name not in SOURCE_TABLES:
        return None
    table = catalog.table(name)
    if table.written_by in ("ingest", "reference") or table.schema is None:
        return None
    return table.schema


@dataclass(frozen=True)
class SourceOrigin:
    """Where a source's dataset was read from: its Delta table at `version`, showing `days` of
    it (None: every day the table holds). A copy by day records it, and the next one copies
    only what the table's log says changed since (sqlmodels/warehouse.py)."""

    root: Path
    table_id: str  # the Delta table's id: a table deleted and written again is another
    version: int
    days: frozenset[date] | None


def open_sources(
    lake_root: Path, names: set[str] | None = None, dates: list[date] | None = None
) -> dict[str, ds.Dataset]:
    """Arrow datasets over the sources that exist (all known ones, or just `names`); a gold table
    asked for by name but not yet written opens empty with its declared schema.

    With `dates`, partitioned sources list only those days' files: opening a Delta table as a
    dataset costs time per file, so a day's refresh would otherwise grow with history. Either
    way, partitioned sources show only days whose ingest completed (lake.completion): a day a
    killed run left half-written never reaches the marts.
    """
    return open_lake_sources(lake_root, names, dates)[0]


def open_lake_sources(
    lake_root: Path,
    names: set[str] | None = None,
    dates: list[date] | None = None,
    held: Callable[[str, SourceOrigin], bool] = lambda name, origin: False,
) -> tuple[dict[str, ds.Dataset], dict[str, SourceOrigin]]:
    """`open_sources`, with the origin of each dataset read from a Delta table. A source the
    warehouse `held` as it is at its origin is left out: listing a table's files as a dataset
    cost a marts refresh 0.8 CPU-s of 3 over a city day's tables (2026-12-05)."""
    wanted = SOURCE_TABLES.keys() if names is None else names
    unknown = set(wanted) - SOURCE_TABLES.keys()
    if unknown:
        raise KeyError(f"not lake sources: {', '.join(sorted(unknown))}")
    paths = source_paths(lake_root)
    completed = completed_days(lake_root)  # None: a lake that keeps no completion record
    opened, origins = {}, {}
    for name in sorted(wanted):
        if not DeltaTable.is_deltatable(str(paths[name])):
            schema = declared_schema(name) if names is not None else None
            if schema is not None:
                opened[name] = ds.dataset(schema.empty_table())
            continue
        pruning, days = None, None
        if catalog.is_partitioned(name):
            days = None if dates is None else set(dates)
            if completed is not None:
                days = completed if days is None else days & completed
            if days is not None:
                pruning = [(PARTITION_COLUMN, "in", sorted(days))]
        with naming_table(paths[name], "read it"):
            table = DeltaTable(str(paths[name]))
            shown = None if days is None else frozenset(days)
            origin = SourceOrigin(paths[name], table.metadata().id, table.version(), shown)
            if held(name, origin):
                continue
            opened[name] = table.to_pyarrow_dataset(file_pruning_predicate=pruning)
        origins[name] = origin
    return opened, origins
