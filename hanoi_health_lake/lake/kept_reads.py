"""What was read of files that never change, kept within one arrivals run.

A table's data files, and the row-hash files beside them (lake.row_hashes), are written once and
never changed: a new version of their rows gets a new file name. An arrivals run's batches look
in the same files again and again — a hospital's files of the day, for every batch that brings
it a check-in — so within `remembered` (one run: lake/delta_io.tables_kept_open) what was read of
them is kept by the file's path and the part read. Nothing has to be dropped when the table
moves on: a file the table no longer holds is simply not asked for again. Past KEPT_BYTES,
everything kept is dropped and read again. `DataFile` reads a data file's row groups this way.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from hanoi_health_lake.lake.catalog import FACILITY_COLUMN

KEPT_BYTES = 256 * 1024 * 1024


@dataclass
class _Kept:
    tables: dict[Hashable, pa.Table] = field(default_factory=dict)
    size: int = 0


_KEPT: ContextVar[_Kept | None] = ContextVar("hhl_kept_reads", default=None)


@contextmanager
def remembered() -> Iterator[None]:
    """Within (nested: the outer one's), `kept` finds what `keep` was given."""
    if _KEPT.get() is not None:
        yield
        return
    token = _KEPT.set(_Kept())
    try:
        yield
    finally:
        _KEPT.reset(token)


def kept(key: Hashable) -> pa.Table | None:
    """What `keep` was given under `key` (a file's path, and which part of it), within
    `remembered`; None outside it or when it was not (or no longer) kept."""
    memo = _KEPT.get()
    return memo.tables.get(key) if memo is not None else None


def keep(key: Hashable, table: pa.Table) -> None:
    """Keep `table`, read of an unchanging file, under `key` (outside `remembered`: nothing)."""
    memo = _KEPT.get()
    if memo is None:
        return
    size = table.nbytes
    if memo.size + size > KEPT_BYTES:
        memo.tables.clear()
        memo.size = 0
    memo.tables[key] = table
    memo.size += size


@dataclass(frozen=True)
class DataFile:
    """A table's data file, read by row group: within `remembered`, each column of a row group
    is read once (a hospital's files are looked in by every batch of its day). Its row groups'
    facility statistics say which groups may hold a facility (lake.slice_commit)."""

    path: Path

    def row_groups(self) -> list[tuple[int, int, str | None, str | None]]:
        """(first row, rows, lowest and highest facility, None when unknown) of each group."""
        key = (str(self.path), "row_groups")
        table = kept(key)
        if table is None:
            meta = pq.read_metadata(self.path)
            column = meta.schema.to_arrow_schema().get_field_index(FACILITY_COLUMN)
            starts, rows, lows, highs, start = [], [], [], [], 0
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                stats = group.column(column).statistics
                ranged = stats is not None and stats.has_min_max
                starts.append(start)
                rows.append(group.num_rows)
                lows.append(stats.min if ranged else None)
                highs.append(stats.max if ranged else None)
                start += group.num_rows
            table = pa.table({"start": starts, "rows": rows,
                              "low": pa.array(lows, pa.string()),
                              "high": pa.array(highs, pa.string())})  # fmt: skip
            keep(key, table)
        return list(zip(*(table[c].to_pylist() for c in table.column_names), strict=True))

    def read(self, groups: list[int], columns: list[str]) -> pa.Table:
        """`columns` of the row groups, in order."""
        if not groups:  # a file without row groups: its columns, empty
            return pq.read_table(self.path, columns=columns)
        tables, handle = [], None
        for g in groups:
            found = {c: kept((str(self.path), g, c)) for c in columns}
            missing = [c for c, table in found.items() if table is None]
            if missing:
                handle = handle or pq.ParquetFile(self.path)  # opened once, if at all
                read = handle.read_row_group(g, columns=missing)
                for c in missing:
                    found[c] = read.select([c])
                    keep((str(self.path), g, c), found[c])
            tables.append(pa.table({c: found[c][c] for c in columns}))
        return pa.concat_tables(tables) if len(tables) != 1 else tables[0]

    def read_all(self, columns: list[str]) -> pa.Table:
        """`columns` of the whole file."""
        return self.read(list(range(len(self.row_groups()))), columns)

    def whole(self) -> pa.Table:
        """Every column and row of the file (a small table's day, read whole)."""
        table = kept((str(self.path), _WHOLE))
        if table is None:
            table = pq.read_table(self.path)
            self.wrote(table)
        return table

    def wrote(self, table: pa.Table) -> None:
        """The file was just written with `table`: `whole` then reads nothing."""
        keep((str(self.path), _WHOLE), table)


_WHOLE = "whole"
