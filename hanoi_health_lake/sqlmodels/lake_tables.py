"""Lake tables built in memory with the ingest's own schemas, written as real Delta tables: the
inputs of the marts in tests and in the benchmark."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import write_deltalake

from hanoi_health_lake.conform.silver_schemas import SILVER_SCHEMAS
from hanoi_health_lake.health_book.tables import SCHEMAS as HEALTH_BOOK_SCHEMAS
from hanoi_health_lake.lake.delta_io import PARTITION_COLUMN, overwrite_table
from hanoi_health_lake.pipeline.bronze import BRONZE_FILES_SCHEMA
from hanoi_health_lake.pipeline.quarantine import QUARANTINE_SCHEMA
from hanoi_health_lake.pipeline.reconcile import RECONCILIATION_SCHEMA
from hanoi_health_lake.reference.registry import CONTACT_COLUMNS, REGISTRY_SCHEMA, load_registry
from hanoi_health_lake.reference.tables import disease_groups_table, drugs_table, wards_table
from hanoi_health_lake.sqlmodels.sources import is_partitioned, source_paths

PARTITIONED_SCHEMAS: dict[str, pa.Schema] = {
    **SILVER_SCHEMAS,
    "bronze_files": BRONZE_FILES_SCHEMA,
    "reconciliation": RECONCILIATION_SCHEMA,
    "quarantine": QUARANTINE_SCHEMA,
    "health_book_entries": HEALTH_BOOK_SCHEMAS["health_book_entries"],
}


def lake_table(name: str, rows: Iterable[Mapping[str, object]]) -> pa.Table:
    """A partitioned lake table from rows; absent columns are NULL, unknown ones an error."""
    schema = PARTITIONED_SCHEMAS[name]
    rows = list(rows)
    for row in rows:
        unknown = set(row) - set(schema.names)
        if unknown:
            raise KeyError(f"{name} has no columns {sorted(unknown)}")
    return pa.Table.from_pylist([{c: row.get(c) for c in schema.names} for row in rows], schema)


def facilities_table(rows: Iterable[Mapping[str, object]], workdir: Path) -> pa.Table:
    """The registry as the reference asset lands it: rows of registry CSV values, read back
    through `load_registry` (dates as `YYYY-MM-DD`, datasets joined by `;`). The optional contact
    columns are written only when some row has them, so rows without stand for an older registry."""
    rows = list(rows)
    columns = list(REGISTRY_SCHEMA) + [c for c in CONTACT_COLUMNS if any(c in r for r in rows)]
    path = Path(workdir) / "facilities.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return load_registry(path).to_arrow()


def reference_tables(facilities: pa.Table) -> dict[str, pa.Table]:
    return {
        "facilities": facilities,
        "wards": wards_table(),
        "drugs": drugs_table(),
        "disease_groups": disease_groups_table(),
    }


def write_lake(lake_root: Path, tables: Mapping[str, pa.Table], run_id: str = "synthetic") -> None:
    """Write each table to `<lake_root>/<zone>/<name>`, replacing what was there.

    A partitioned table is written whole in one commit, partitioned by service_date as
    `delta_io.write_partition` lays it out; replace single days with `write_partition`.
    """
    paths = source_paths(lake_root)
    for name, table in tables.items():
        if not is_partitioned(name):
            overwrite_table(paths[name], table, run_id=run_id)
            continue
        paths[name].parent.mkdir(parents=True, exist_ok=True)
        write_deltalake(
            str(paths[name]),
            table,
            mode="overwrite",
            partition_by=[PARTITION_COLUMN],
            schema_mode="overwrite",
        )


def write_gold(lake_root: Path, facilities: pa.Table, days: Iterable) -> dict[str, int]:
    """The surveillance tables of `days`, computed by the pipeline's own code from the silver
    and bronze_files tables already written; rows per table."""
    import polars as pl

    from hanoi_health_lake.outbreaks.day import surveil_days

    return surveil_days(lake_root, pl.from_arrow(facilities), list(days), run_id="synthetic")


def shift_days(table: pa.Table, days: int) -> pa.Table:
    """The table moved `days` days in time: every date and timestamp column shifted."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_date32(field.type):
            column = pc.add(column.cast(pa.int32()), pa.scalar(days, pa.int32())).cast(pa.date32())
        elif pa.types.is_timestamp(field.type):
            column = pc.add(column, pa.scalar(timedelta(days=days), pa.duration(field.type.unit)))
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)
