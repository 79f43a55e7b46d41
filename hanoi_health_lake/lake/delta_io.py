"""Write and read one service-day partition of a Delta table, atomically.

Each partition is replaced by a single predicate overwrite: one commit, so a reader sees the old
day or the new day, never half of it, and delta-rs refuses the write if a row falls outside the
predicate. Every commit carries the run id and partition in its metadata. A table delta-rs cannot
read or write (a damaged `_delta_log` entry: "Kernel error: Json error …") raises
`LakeTableError` naming the table; docs/operators-guide.md says how to recover.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError

from hanoi_health_lake.lake import day_files
from hanoi_health_lake.lake.catalog import FACILITY_COLUMN, PARTITION_COLUMN
from hanoi_health_lake.lake.changed_slices import facilities_metadata
from hanoi_health_lake.lake.delta_commit import TableHead
from hanoi_health_lake.lake.locks import table_writer_lock
from hanoi_health_lake.lake.restricted import restricted_writes
from hanoi_health_lake.lake.slice_commit import (
    Carried,
    commit_slices,
    read_slices,
    replace_day,
    replace_facilities_in_day,
)


class LakeTableError(RuntimeError):
    """A lake table cannot be read or written: a fault of the lake, not of any one delivery."""


@contextmanager
def naming_table(path: str | Path, action: str) -> Iterator[None]:
    """delta-rs errors name no table (and carry a native backtrace): say which one, in a line."""
    try:
        yield
    except DeltaError as exc:
        first = str(exc).strip().split("\n", 1)[0]
        raise LakeTableError(
            f"Delta table {path}: cannot {action}: {first} (recovery: docs/operators-guide.md, "
            "'A damaged Delta table')"
        ) from exc


def table_exists(path: str | Path) -> bool:
    kept = _KEPT.get()
    if kept is not None and str(path) in kept:
        return True  # opened within this run (asking delta-rs reads the log: 1–3 ms)
    return DeltaTable.is_deltatable(str(path))


# The tables opened so far within `tables_kept_open`, by path; None outside it.
_KEPT: ContextVar[dict[str, TableHead] | None] = ContextVar("hhl_kept_tables", default=None)


@contextmanager
def tables_kept_open() -> Iterator[None]:
    """Within: each table is opened once and, asked for again, brought up to date. An arrival
    batch asks for the completion table four times and for most others twice: opening a table
    replays its log from the last checkpoint (3 to 4 ms), bringing an open one up to date reads
    only the commits since, and only when there is one. What each table's days hold is kept
    too (lake/day_files.remembered), so a writer needs the table object brought up to date
    only after another writer's commit (lake/delta_commit.TableHead). Nested (the batches of
    one arrivals run, realtime/drain.py): the outer one's tables are kept."""
    if _KEPT.get() is not None:
        yield
        return
    token = _KEPT.set({})
    try:
        with day_files.remembered():  # and what each table's days hold (lake/day_files.py)
            yield
    finally:
        _KEPT.reset(token)


def existing_table(path: str | Path) -> DeltaTable | None:
    """The table at its latest version as `open_table` gives it, or None when there is none."""
    head = existing_head(path)
    return None if head is None else head.current()


def open_table(path: str | Path) -> DeltaTable:
    """The table at its latest version (opened, or kept open and brought up to date)."""
    return open_head(path).current()


def existing_head(path: str | Path) -> TableHead | None:
    """`open_head`, or None when there is no table."""
    return open_head(path) if table_exists(path) else None


def open_head(path: str | Path) -> TableHead:
    """The table as a writer needs it (lake/delta_commit.TableHead): its latest version, and
    the object delta-rs opened, brought up to date only when another writer committed since."""
    kept, key = _KEPT.get(), str(path)
    if kept is None:
        return TableHead.of(DeltaTable(key))
    head = kept.get(key)
    if head is None:
        kept[key] = head = TableHead.of(DeltaTable(key))
    elif _committed_since(key, head.version):
        head.reopen()
    return head


def _committed_since(path: str, version: int) -> bool:
    """Whether a commit follows `version`: every Delta version has its commit file, so one stat
    tells, where bringing the table up to date lists its log (a few milliseconds, asked for
    twenty times a batch)."""
    return (Path(path) / "_delta_log" / f"{version + 1:020d}.json").exists()


def _check_partition_column(data: pa.Table, table_path: str) -> None:
    # dagster #34064: a non-date partition column once turned a predicate overwrite into a full
    # table overwrite. Refuse anything but a date column.
    field = data.schema.field(PARTITION_COLUMN)
    if field.type != pa.date32():
        raise TypeError(
            f"{table_path}: partition column {PARTITION_COLUMN} must be date32, got {field.type}"
        )


def write_partition(
    table_path: str | Path,
    data: pa.Table,
    service_date: date,
    *,
    run_id: str,
    extra_metadata: dict[str, str] | None = None,
    few_rows: bool = False,
) -> int:
    """Replace one service day of `table_path` with `data` in one commit; returns the version.
    `few_rows`: a table of a few rows a day rewritten by every arrival batch (the completion
    record), whose commit is built by hand (slice_commit.replace_day): the predicate overwrite
    costs about five times more, and its column statistics are of no use on such a table."""
    path = str(table_path)
    _check_partition_column(data, path)
    outside = pc.sum(pc.not_equal(data[PARTITION_COLUMN], pa.scalar(service_date))).as_py()
    if outside:
        raise ValueError(f"{path}: {outside} rows are not in partition {service_date}")
    metadata = {"run_id": run_id, "partition": service_date.isoformat(), **(extra_metadata or {})}
    if few_rows and table_exists(path):
        action = f"write partition {service_date}"
        with table_writer_lock(path), restricted_writes(path), naming_table(path, action):
            version = replace_day(open_head(path), data, service_date, metadata)
        if version is not None:
            return version
    predicate = f"{PARTITION_COLUMN} = '{service_date.isoformat()}'"
    return _replace_rows(path, data, predicate, metadata, f"write partition {service_date}")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def slice_predicate(service_date: date, facilities: list[str]) -> str:
    """The rows of some facilities on one service day: the partition column prunes to the day's
    files, and the facility's min/max statistics to the files that may hold its rows."""
    listed = ", ".join(_sql_text(code) for code in sorted(set(facilities)))
    return f"{PARTITION_COLUMN} = '{service_date.isoformat()}' AND {FACILITY_COLUMN} IN ({listed})"


class AppendRefused(RuntimeError):
    """Rows could not be added to a slice as they are: the caller writes the slice whole."""


def write_facility_slices(
    table_path: str | Path,
    data: pa.Table,
    service_date: date,
    facilities: list[str],
    *,
    run_id: str,
    compare: tuple[str, ...] | None = None,
    appending: frozenset[str] = frozenset(),
    carried: Carried | None = None,
    only_files: Mapping[str, frozenset[str]] | None = None,
    small_day: bool = False,
) -> int:
    """Replace the rows of `facilities` on `service_date` with `data` in one commit; the rest of
    the day is untouched, and its files too (lake.slice_commit, which takes `compare`,
    `carried` and `only_files`). Returns the version. The table is brought up to date under its
    writer lock (kept open within `tables_kept_open`). `appending`: facilities whose rows in
    `data` are only added (slice_commit.commit_slices); never given for a new table.
    `small_day`: a table of a few small rows per facility, whose day is written again whole
    instead (slice_commit.replace_facilities_in_day); none of the others is then given."""
    if small_day and (compare or appending or carried or only_files):
        raise ValueError(f"{table_path}: a small day is rewritten whole, not compared")
    path = str(table_path)
    _check_partition_column(data, path)
    outside_day = pc.sum(pc.not_equal(data[PARTITION_COLUMN], pa.scalar(service_date))).as_py()
    codes = pa.array(sorted(set(facilities)), pa.string())
    outside = pc.sum(pc.invert(pc.is_in(data[FACILITY_COLUMN], value_set=codes))).as_py()
    if outside_day or outside:
        raise ValueError(f"{path}: {outside_day + outside} rows are outside the slices written")
    if not facilities:
        return open_head(path).version if table_exists(path) else -1
    metadata = {
        "run_id": run_id,
        "facilities": str(len(set(facilities))),
        # Which rows changed, for a marts refresh to copy only those (lake/changed_slices.py).
        **facilities_metadata(service_date, facilities),
    }
    action = f"write facilities of {service_date}"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with table_writer_lock(path), restricted_writes(path), naming_table(path, action):
        head = existing_head(path)
        if head is not None:
            if small_day:
                version = replace_facilities_in_day(head, data, service_date, facilities,
                                                    metadata)  # fmt: skip
            else:
                version = commit_slices(
                    head, data, service_date, facilities, metadata, compare, appending, carried,
                    only_files,
                )  # fmt: skip
            if version is not None:
                return version
            if appending:
                raise AppendRefused(f"{path}: its columns are not the rows', so nothing is added")
    # A new table, or one whose columns differ (written before a column was added): the
    # predicate overwrite creates it or merges the schema, rewriting the day's files once.
    data = data.sort_by([(FACILITY_COLUMN, "ascending")])
    predicate = slice_predicate(service_date, facilities)
    return _replace_rows(path, data, predicate, metadata, action)


def _replace_rows(path: str, data: pa.Table, predicate: str, metadata: dict, action: str) -> int:
    """Replace the rows matching `predicate` with `data` in one commit (creating the table,
    split by service day, on its first write); returns the version reached."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with table_writer_lock(path), restricted_writes(path), naming_table(path, action):
        commit = CommitProperties(custom_metadata=metadata)
        if not table_exists(path):
            write_deltalake(
                path, data, mode="overwrite", partition_by=[PARTITION_COLUMN],
                commit_properties=commit,
            )  # fmt: skip
            return open_table(path).version()
        head = open_head(path)  # opened once: the write and the version read it
        table = head.current()
        write_deltalake(
            table, data, mode="overwrite", predicate=predicate, schema_mode="merge",
            commit_properties=commit,
        )  # fmt: skip
        table.update_incremental()
        head.caught_up()
        return table.version()


def overwrite_table(
    table_path: str | Path, data: pa.Table, *, run_id: str, description: str | None = None
) -> int:
    """Replace a whole (reference) table in one commit."""
    path = str(table_path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with table_writer_lock(path), restricted_writes(path), naming_table(path, "replace it"):
        write_deltalake(
            path,
            data,
            mode="overwrite",
            schema_mode="overwrite",
            description=description,
            commit_properties=CommitProperties(custom_metadata={"run_id": run_id}),
        )
        return DeltaTable(path).version()


def read_table(
    table_path: str | Path,
    service_dates: list[date] | None = None,
    columns: list[str] | None = None,
    facilities: list[str] | None = None,
) -> pa.Table:
    """The rows of some days (all when None), of some facilities (all when None: the row
    groups' statistics let the reader skip the rest)."""
    path = str(table_path)
    flt = None
    if service_dates is not None:
        flt = pc.field(PARTITION_COLUMN).isin(pa.array(service_dates, pa.date32()))
    if facilities is not None:
        of = pc.field(FACILITY_COLUMN).isin(pa.array(sorted(set(facilities)), pa.string()))
        flt = of if flt is None else flt & of
    with naming_table(path, "read it"):
        return open_table(path).to_pyarrow_dataset().to_table(filter=flt, columns=columns)


def read_facility_slices(
    table_path: str | Path,
    service_date: date,
    facilities: list[str],
    columns: list[str],
    opened: TableHead | None = None,
) -> pa.Table:
    """`columns` of the rows of some facilities on one day, reading only the data files and row
    groups that hold them (lake.facility_index): what an arrival batch reads of its slices.
    `opened`: the table, already opened by the caller."""
    path = str(table_path)
    with naming_table(path, "read its slices"):
        head = opened if opened is not None else open_head(path)
        return read_slices(head, service_date, facilities, columns).to_arrow()


def partitions(table_path: str | Path) -> list[date]:
    """The service days present in a table."""
    if not table_exists(table_path):
        return []
    days = read_table(table_path, columns=[PARTITION_COLUMN])[PARTITION_COLUMN]
    return sorted(d for d in pc.unique(days).to_pylist() if d is not None)
