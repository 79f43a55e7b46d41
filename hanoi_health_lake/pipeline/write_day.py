"""Write one ingested day to the lake: each table's partition in one Delta commit, between the
removal and the writing of the day's completion record (lake.completion), so that a run killed
halfway leaves a day the marts do not read."""

from __future__ import annotations

from pathlib import Path

from hanoi_health_lake.lake.catalog import names, table_path
from hanoi_health_lake.lake.completion import mark_complete, mark_incomplete
from hanoi_health_lake.lake.delta_io import write_partition
from hanoi_health_lake.pipeline.ingest_day import DayIngest

INGEST_TABLES = names(written_by="ingest")  # every table one ingested day writes


def write_day(lake_root: Path, day: DayIngest, run_id: str) -> dict[str, int]:
    """Returns the Delta version each table reached."""
    mark_incomplete(lake_root, day.service_date, run_id)
    versions = {
        name: write_partition(
            table_path(lake_root, name), day.tables[name], day.service_date, run_id=run_id
        )
        for name in INGEST_TABLES
    }
    mark_complete(lake_root, day.service_date, run_id)
    return versions
