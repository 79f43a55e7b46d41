"""The gold tables of the surveillance pipeline: names, Arrow schemas, paths.

None holds a person identifier: counts, signals and facility-level reporting facts only.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa

from hanoi_health_lake.outbreaks.cases import CASE_SCHEMA
from hanoi_health_lake.outbreaks.reporting import COMPLETENESS_SCHEMA, SILENCE_SCHEMA
from hanoi_health_lake.outbreaks.signals import SIGNAL_SCHEMA

ZONE = "gold"
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "case_counts": CASE_SCHEMA,
    "outbreak_signals": SIGNAL_SCHEMA,
    "facility_silence": SILENCE_SCHEMA,
    "reporting_completeness": COMPLETENESS_SCHEMA,
}


def gold_path(lake_root: Path, name: str) -> Path:
    return Path(lake_root) / ZONE / name


def to_arrow(name: str, frame: pl.DataFrame) -> pa.Table:
    """`frame` in the table's column order and types, dates as date32 (the partition column)."""
    schema = SCHEMAS[name]
    return frame.select(list(schema)).cast(schema).to_arrow().cast(arrow_schema(name))


_ARROW_TYPES = {
    pl.Utf8: pa.string(),
    pl.Date: pa.date32(),
    pl.Int64: pa.int64(),
    pl.Float64: pa.float64(),
    pl.Boolean: pa.bool_(),
}


def arrow_schema(name: str) -> pa.Schema:
    return pa.schema([(column, _ARROW_TYPES[dtype]) for column, dtype in SCHEMAS[name].items()])
