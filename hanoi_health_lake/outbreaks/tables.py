"""The gold tables of the surveillance pipeline, as lake/catalog.py declares them.

None holds a person identifier: counts, signals and facility-level reporting facts only.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa

from hanoi_health_lake.lake import catalog

ZONE = "gold"
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    name: catalog.polars_schema(name) for name in catalog.names(zone=ZONE)
}


def gold_path(lake_root: Path, name: str) -> Path:
    return catalog.table_path(lake_root, name)


def to_arrow(name: str, frame: pl.DataFrame) -> pa.Table:
    """`frame` in the table's column order and types, dates as date32 (the partition column)."""
    schema = SCHEMAS[name]
    return frame.select(list(schema)).cast(schema).to_arrow().cast(arrow_schema(name))


def arrow_schema(name: str) -> pa.Schema:
    return catalog.schema(name)
