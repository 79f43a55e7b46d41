"""Compaction and vacuum of the day-partitioned lake tables, on a schedule.

Arrival batches each add a few small files to a day's partition (one per table per batch), and
every slice rewrite leaves the replaced files behind. `compact_lake` rewrites a partition that
has gathered `min_files` files or more into few files, z-ordered by facility so each file covers
a narrow range of facility codes, in row groups of a few thousand rows, so that a later batch
reads little of them (lake.slice_commit) and delta-rs's full statistics replace the minimal
ones the batches write. `vacuum_lake` deletes the files no version within the retention still
needs.

Neither blocks ingest for long: each partition of each table is compacted under that table's
writer lock (lake.locks), so a batch waits at most for one partition of one table, and a batch
holding the day's lock is never half-overtaken (compaction changes files, never rows). Vacuum
only deletes files outside the retention, which no reader or writer of the current version opens.

Retention (HHL_VACUUM_RETENTION_HOURS, default 168): the reports and marts read the current
version only; a week of versions is what an operator needs to look at or restore a table
after a bad write (docs/operators-guide.md, "A damaged Delta table"), so files are kept a week.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from deltalake import DeltaTable, WriterProperties

from hanoi_health_lake.config import setting
from hanoi_health_lake.lake import catalog, row_hashes
from hanoi_health_lake.lake.delta_io import PARTITION_COLUMN, naming_table, table_exists
from hanoi_health_lake.lake.locks import table_writer_lock
from hanoi_health_lake.lake.slice_commit import ROW_GROUP_ROWS

RETENTION_ENV = "HHL_VACUUM_RETENTION_HOURS"
DEFAULT_RETENTION_HOURS = 168
DEFAULT_MIN_FILES = 8
ORDER_COLUMN = "facility_code"


def retention_hours() -> int:
    value = setting(RETENTION_ENV)
    hours = int(value) if value else DEFAULT_RETENTION_HOURS
    if hours < 0:
        raise ValueError(f"{RETENTION_ENV} must not be negative, got {value!r}")
    return hours


@dataclass
class MaintenanceReport:
    compacted: dict[str, list[str]] = field(default_factory=dict)  # table → days compacted
    files_removed: int = 0
    files_added: int = 0
    vacuumed: dict[str, int] = field(default_factory=dict)  # table → files deleted


def _table_paths(lake_root: Path) -> dict[str, Path]:
    return {
        name: catalog.table_path(lake_root, name) for name in catalog.names(written_by="ingest")
    }


def files_per_day(path: Path) -> Counter[str]:
    """Data files of the current version, per service day."""
    return Counter(day for _, day in _paths_and_days(DeltaTable(str(path))))


def _paths_and_days(table: DeltaTable) -> list[tuple[str, str]]:
    """(path, service day) of each data file of the table's current version."""
    actions = table.get_add_actions(flatten=True)
    column = f"partition.{PARTITION_COLUMN}"
    if column not in actions.column_names:
        return []
    days = [str(d) for d in actions.column(column).to_pylist()]
    return list(zip(actions.column("path").to_pylist(), days, strict=True))


def compact_lake(
    lake_root: Path,
    *,
    days: list[date] | None = None,
    min_files: int = DEFAULT_MIN_FILES,
    run_id: str = "maintenance",
) -> MaintenanceReport:
    """Compact every partition (of `days`, if given) holding at least `min_files` files."""
    report = MaintenanceReport()
    wanted = None if days is None else {d.isoformat() for d in days}
    for name, path in _table_paths(lake_root).items():
        if not table_exists(path):
            continue
        for day, count in sorted(files_per_day(path).items()):
            if count < min_files or (wanted is not None and day not in wanted):
                continue
            with table_writer_lock(str(path)), naming_table(path, f"compact {day}"):
                table = DeltaTable(str(path))
                metrics = table.optimize.z_order(
                    [ORDER_COLUMN],
                    partition_filters=[(PARTITION_COLUMN, "=", day)],
                    # Row groups of a few facilities: a later batch reads little of a file.
                    writer_properties=WriterProperties(max_row_group_size=ROW_GROUP_ROWS),
                )
                # The files compacted away take their row hashes with them (lake.row_hashes).
                table.update_incremental()
                live = {p for p, d in _paths_and_days(table) if d == day}
                row_hashes.drop_unlisted(Path(path), date.fromisoformat(day), live)
            report.compacted.setdefault(name, []).append(day)
            report.files_removed += int(metrics.get("numFilesRemoved", 0))
            report.files_added += int(metrics.get("numFilesAdded", 0))
    return report


def vacuum_lake(lake_root: Path, hours: int | None = None) -> MaintenanceReport:
    """Delete files older than the retention that the current versions no longer reference."""
    report = MaintenanceReport()
    keep = retention_hours() if hours is None else hours
    for name, path in _table_paths(lake_root).items():
        if not table_exists(path):
            continue
        with table_writer_lock(str(path)), naming_table(path, "vacuum"):
            deleted = DeltaTable(str(path)).vacuum(
                retention_hours=keep, dry_run=False, enforce_retention_duration=False
            )
        report.vacuumed[name] = len(deleted)
    return report
