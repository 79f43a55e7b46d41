"""Write one ingested day to the lake: each table's partition in one Delta commit."""

from __future__ import annotations

from pathlib import Path

from hanoi_health_lake.lake.delta_io import write_partition
from hanoi_health_lake.lake.zones import TABLE_ZONES
from hanoi_health_lake.pipeline.ingest_day import DayIngest


def table_path(lake_root: Path, name: str) -> Path:
    return lake_root / TABLE_ZONES[name] / name


def write_day(lake_root: Path, day: DayIngest, run_id: str) -> dict[str, int]:
    """Returns the Delta version each table reached."""
    return {
        name: write_partition(
            table_path(lake_root, name), day.tables[name], day.service_date, run_id=run_id
        )
        for name in TABLE_ZONES
    }
