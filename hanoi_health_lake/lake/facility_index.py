"""Which facilities each data file of a table's day holds, kept beside the table.

An arrival batch must find the rows its facilities already have in the day (lake.slice_commit).
File statistics give only a facility range, and a batch's file spans the whole code range, so
without this every batch opened every file of the day to read its facility column. Data files
never change once written, so what a file holds is recorded once: by the batch that writes it,
or by the first batch that meets a file written another way (a whole-day run, a compaction) and
reads its facility column. The index is only a shortcut: a file it does not list is read, and
a listed file no longer in the table is dropped on the next write.

`<table>/_facility_index/<service day>.arrow`, one row per (data file, facility): delta-rs and
vacuum leave folders starting with `_` alone. Written whole to a temporary name and renamed,
under the table's writer lock.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

FOLDER = "_facility_index"
SCHEMA = pa.schema([("path", pa.string()), ("facility_code", pa.string())])


def _path(root: Path, service_date: date) -> Path:
    return root / FOLDER / f"{service_date.isoformat()}.arrow"


def load(root: Path, service_date: date) -> pa.Table:
    """(path, facility_code) rows; empty when there is no index yet or it cannot be read."""
    try:
        with pa.memory_map(str(_path(root, service_date))) as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid):
        return SCHEMA.empty_table()  # every file is read instead
    return table if table.schema.equals(SCHEMA) else SCHEMA.empty_table()


def entries(path: str, facilities: pa.Array | pa.ChunkedArray) -> pa.Table:
    """The index rows of one data file, from its facility column."""
    codes = pc.unique(facilities).drop_null().cast(pa.string())
    return pa.table({"path": pa.repeat(pa.scalar(path), len(codes)), "facility_code": codes},
                    schema=SCHEMA)  # fmt: skip


def files_holding(index: pa.Table, codes: list[str]) -> set[str]:
    held = pc.is_in(index["facility_code"], value_set=pa.array(codes, pa.string()))
    return set(pc.unique(index["path"].filter(held)).to_pylist())


def save(root: Path, service_date: date, index: pa.Table, live: set[str] | None) -> None:
    """Keep the rows of the `live` data files only (None: every row, none is of a file gone)."""
    if live is not None:
        index = index.filter(pc.is_in(index["path"], value_set=pa.array(sorted(live), pa.string())))
    write_whole(_path(root, service_date), index.cast(SCHEMA))


def write_whole(path: Path, table: pa.Table) -> None:
    """An Arrow file written to a temporary name and renamed: a reader finds the old file or the
    new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(tmp, path)
