"""When the marts were refreshed for a service day: `audit/marts_refreshed`, appended to.

A file's way to the reports has three times: it arrived (`bronze_files.arrived_at`), its records
reached silver (`bronze_files.silver_at`), and the marts were next refreshed for its day (the
first `refreshed_at` of that day at or after `silver_at`). mart_freshness_daily reads all three.
Times are local (Asia/Ho_Chi_Minh), naive, like `arrived_at`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
from deltalake import CommitProperties, write_deltalake

from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.lake import catalog
from hanoi_health_lake.lake.delta_io import naming_table
from hanoi_health_lake.lake.locks import table_writer_lock

TABLE = "marts_refreshed"
SCHEMA = catalog.schema(TABLE)  # declared in lake/catalog.py


def refreshed_path(lake_root: Path) -> Path:
    return catalog.table_path(lake_root, TABLE)


def record_marts_refresh(
    lake_root: Path, days: Iterable[date], run_id: str, when: datetime | None = None
) -> None:
    """Append one row per day whose marts a run has just refreshed."""
    days = sorted(set(days))
    if not days:
        return
    at = (when or datetime.now(ZoneInfo(TIMEZONE))).astimezone(ZoneInfo(TIMEZONE))
    rows = pa.table(
        {
            catalog.PARTITION_COLUMN: days,
            "refreshed_at": [at.replace(tzinfo=None)] * len(days),
            "run_id": [run_id] * len(days),
        },
        schema=SCHEMA,
    )
    path = refreshed_path(lake_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with table_writer_lock(str(path)), naming_table(path, "append refresh times"):
        write_deltalake(
            str(path),
            rows,
            mode="append",
            partition_by=[catalog.PARTITION_COLUMN],
            commit_properties=CommitProperties(custom_metadata={"run_id": run_id}),
        )
