"""A table's data files of one service day, and which facilities each holds (lake.facility_index).

An arrival batch needs both for every table it writes: the files of the day from the table's add
actions, the index from beside the table, and the files the index does not list yet read for
their facility column. That cost about a fifth of writing a table in a batch, and a table whose
only writer is the arrivals run changes between its batches by that run's own commits alone.
So within `remembered` (one arrivals run: lake/delta_io.tables_kept_open), what a day held is
kept in memory with the table version it describes, and a commit updates it: the next batch
reads nothing when the table is still at that version (no other writer committed since), and
everything again when it is not. The index on disk is then written when the run ends (or
when another writer's commit makes the kept one stale), not after every commit: it is only a
shortcut (a file it does not list is read, a file it lists that is gone is dropped), so a run
killed before writing it costs the next run some reading, never a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable
from deltalake.transaction import AddAction, RemoveAction

from hanoi_health_lake.lake import facility_index, kept_reads, row_hashes
from hanoi_health_lake.lake.catalog import FACILITY_COLUMN, PARTITION_COLUMN
from hanoi_health_lake.lake.delta_commit import TableHead

# (table root, day) → what the day held at a version, within `remembered`; None outside it.
_KEPT: ContextVar[dict[tuple[str, date], DayFiles] | None] = ContextVar(
    "hhl_day_files", default=None
)


@contextmanager
def remembered() -> Iterator[None]:
    """Within: `DayFiles.of` keeps each table's day between calls (nested: the outer one's);
    the indexes it changed are written on the way out."""
    if _KEPT.get() is not None:
        yield
        return
    token = _KEPT.set({})
    try:
        with kept_reads.remembered():  # and what it read of the files it looked in
            yield
    finally:
        kept = _KEPT.get() or {}
        _KEPT.reset(token)
        for day in kept.values():
            day.save()


def forget(root: Path, service_date: date) -> None:
    """Drop what is kept of a table's day (a commit that failed may have left it wrong)."""
    kept = _KEPT.get()
    if kept is not None:
        kept.pop((str(root), service_date), None)


@dataclass(frozen=True)
class DayFile:
    path: str  # relative to the table root
    size: int


@dataclass
class DayFiles:
    """The day's data files at `version` and the facility index of them (files it did not list
    yet — a whole-day run's, a compaction's — read once and learned). `indexed` False: a table
    without facilities (the completion record), of which only the files are kept."""

    root: Path
    service_date: date
    version: int
    stored: list[DayFile]
    index: pa.Table  # facility_index.SCHEMA, of the stored files only
    unsaved: bool = False  # the index differs from the one on disk
    gone: bool = False  # files left the day: their row hashes are still on disk
    indexed: bool = True

    @classmethod
    def of(cls, head: TableHead, service_date: date, indexed: bool = True) -> DayFiles:
        """The day at `head.version`: kept, or read from the table object (brought up to date
        first when commits written by hand are ahead of it)."""
        kept, key = _KEPT.get(), (str(head.root), service_date)
        known = kept.get(key) if kept is not None else None
        if known is not None and known.version == head.version:
            return known
        if known is not None:
            known.save()  # another writer committed since: what it kept is read again
        day = cls._read(head.current(), head.root, service_date, head.version, indexed)
        if kept is not None:
            kept[key] = day
        return day

    @classmethod
    def _read(
        cls, table: DeltaTable, root: Path, service_date: date, version: int, indexed: bool
    ) -> DayFiles:
        stored = day_files(table, service_date)
        if not indexed:
            return cls(root, service_date, version, stored, facility_index.SCHEMA.empty_table(),
                       indexed=False)  # fmt: skip
        index = facility_index.load(root, service_date)
        listed = set(index["path"].unique().to_pylist())
        live = {f.path for f in stored}
        learned = [
            facility_index.entries(f.path, _facility_column(root, f))
            for f in stored
            if f.path not in listed
        ]
        stale = bool(listed - live)
        if stale:
            index = index.filter(pc.is_in(index["path"], value_set=_paths(live)))
        return cls(root, service_date, version, stored, pa.concat_tables([index, *learned]),
                   unsaved=bool(learned) or stale, gone=stale)  # fmt: skip

    def holding(self, codes: list[str]) -> list[DayFile]:
        held = facility_index.files_holding(self.index, codes)
        return [f for f in self.stored if f.path in held]

    def committed(
        self, version: int, actions: list[AddAction | RemoveAction], entries: list[pa.Table]
    ) -> None:
        """The day after a commit of `actions`, which added the files of the index `entries`;
        written to disk now outside `remembered`, on the way out of it within. The table's
        other days kept at the version before are still what they were: that commit changed
        this day only."""
        _moved_on(self.root, self.service_date, version)
        removed = {a.path for a in actions if isinstance(a, RemoveAction)}
        added = [DayFile(a.path, a.size) for a in actions if isinstance(a, AddAction)]
        index = self.index
        if removed:
            index = index.filter(pc.invert(pc.is_in(index["path"], value_set=_paths(removed))))
        self.stored = [f for f in self.stored if f.path not in removed] + added
        self.index = pa.concat_tables([index, *entries])
        self.version, self.unsaved, self.gone = version, True, self.gone or bool(removed)
        self.settle()

    def settle(self) -> None:
        """Outside `remembered`, write the index now (a later call reads it from disk)."""
        if _KEPT.get() is None:
            self.save()

    def save(self) -> None:
        """Write the index if it changed, and drop the row hashes of files gone."""
        if not self.indexed:
            return
        if self.unsaved:
            facility_index.save(self.root, self.service_date, self.index, live=None)
        if self.gone:
            row_hashes.drop_unlisted(self.root, self.service_date, {f.path for f in self.stored})
        self.unsaved = self.gone = False


def _moved_on(root: Path, committed_day: date, version: int) -> None:
    """A commit of `committed_day` made `version`: the table's other days kept at the version
    before are that version's too."""
    kept = _KEPT.get() or {}
    for (kept_root, day), other in kept.items():
        if kept_root == str(root) and day != committed_day and other.version == version - 1:
            other.version = version


def day_files(table: DeltaTable, service_date: date) -> list[DayFile]:
    # Not flattened: flattening makes a column of every statistic of every file (4.8 ms
    # against 0.4 on `bronze_records`, whose whole-day files carry every column's statistics).
    actions = pa.table(table.get_add_actions(flatten=False))  # arro3 → pyarrow
    if actions.num_rows == 0:
        return []
    partition = pc.struct_field(actions["partition"], PARTITION_COLUMN)
    day = pc.equal(partition.cast(pa.date32()), service_date)
    actions = actions.filter(day)
    return [
        DayFile(path, size)
        for path, size in zip(
            actions["path"].to_pylist(), actions["size_bytes"].to_pylist(), strict=True
        )
    ]


def _paths(paths: set[str]) -> pa.Array:
    return pa.array(sorted(paths), pa.string())


def _facility_column(root: Path, day_file: DayFile) -> pa.ChunkedArray:
    # Kept: a batch then looks for its facilities' rows in the same column (lake.slice_commit).
    data = kept_reads.DataFile(root / day_file.path)
    return data.read_all([FACILITY_COLUMN])[FACILITY_COLUMN]
