"""Which service days the ingest has completed: `audit/ingest_completed`, one row per day.

Each table's partition is written in one commit, but a day is a dozen tables: a run killed
between two of them leaves the day half old, half new. So writing a day starts by removing its
completion row and ends by writing it (with the run id), and the marts read only days that have
one (sqlmodels.sources). A day a killed run left behind stays out of the marts and reports until
a rerun completes it.

A lake with no completion table at all predates this record (or is a synthetic test lake written
table by table): every day of it counts as complete.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hanoi_health_lake.lake.catalog import PARTITION_COLUMN, schema, table_path
from hanoi_health_lake.lake.day_files import DayFiles
from hanoi_health_lake.lake.delta_io import existing_head, read_table, table_exists, write_partition

COMPLETION_TABLE = "ingest_completed"
SCHEMA = schema(COMPLETION_TABLE)


def completion_path(lake_root: Path) -> Path:
    return table_path(lake_root, COMPLETION_TABLE)


def mark_incomplete(lake_root: Path, service_date: date, run_id: str) -> None:
    """Before the first table of a day is rewritten: the day leaves the marts' view."""
    write_partition(
        completion_path(lake_root), SCHEMA.empty_table(), service_date, run_id=run_id,
        few_rows=True,
    )  # fmt: skip


def mark_complete(lake_root: Path, service_date: date, run_id: str) -> None:
    """After the last table of a day is written."""
    row = pa.table(
        {
            PARTITION_COLUMN: [service_date],
            "run_id": [run_id],
            "completed_at": [datetime.now(UTC)],
        },
        schema=SCHEMA,
    )
    write_partition(completion_path(lake_root), row, service_date, run_id=run_id, few_rows=True)


def completed_days(lake_root: Path) -> set[date] | None:
    """The days whose ingest completed; None when the lake keeps no completion record."""
    path = completion_path(lake_root)
    if not table_exists(path):
        return None
    days = read_table(path, columns=[PARTITION_COLUMN])[PARTITION_COLUMN]
    return {d for d in pc.unique(days).to_pylist() if d is not None}


def is_complete(lake_root: Path, service_date: date) -> bool:
    """Whether the day's last writer completed it (a lake without the record: every day).
    Every arrival batch asks, twice: the day's files are known without reading the table
    (lake.day_files keeps them within an arrivals run), and only their row counts are read."""
    head = existing_head(completion_path(lake_root))
    if head is None:
        return True
    files = DayFiles.of(head, service_date, indexed=False).stored
    return any(pq.read_metadata(head.root / f.path).num_rows for f in files)
