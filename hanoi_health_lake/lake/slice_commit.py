"""Replace some facilities' rows of one service day without rewriting the rest of the day.

A predicate overwrite (`facility_code IN (…)`) makes delta-rs rewrite every file of the day
whose facility range could hold a batch's facilities. Arrival batches bring facilities from the
whole code range, so that was nearly every file of the day, in every batch: the cost of a batch
grew with the day, not with what arrived. Here the batch's commit is built by hand instead:

1. The rows a batch facility holds are found in the day's files that hold it
   (lake.facility_index). A file a batch wrote has its rows' facility and hashes beside it
   (lake.row_hashes), so its rows are not read back; of any other file, the row groups whose
   statistics allow a batch facility are read, the facility column first, then the compared
   columns (not `payload`) of the row groups that do hold one.
2. Per facility, the rows it holds now are compared with the rows the batch computed for it, as
   multisets of rows, by two 64-bit hashes of each (ingestion facts such as `run_id` and
   `silver_at` aside; `compare` narrows the columns, e.g. bronze records are compared by file
   and checksum). When every row it holds
   is still among the new ones — a later file only added records, the usual case — only the
   rows it gained are appended, and its earlier rows stay where they are, untouched.
3. A facility some of whose rows changed or went (a correction superseded them, a drug line
   found its patient, a reconciliation count grew) is replaced: the files holding its rows are
   rewritten without them (only those files) and all its new rows are added.
4. One commit carries the removed files and the added ones (lake.delta_commit), so a reader
   sees the day before or after the batch, never between, as with the overwrite. A table with
   nothing to change gets no commit.

The added files are sorted by facility in row groups of ROW_GROUP_ROWS rows. Their statistics
are the row count and the facility range; the scheduled compaction (lake.maintenance) rewrites
them with delta-rs's full statistics.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable
from deltalake.transaction import AddAction, RemoveAction

from hanoi_health_lake.arrow_take import gather_rows, take_column
from hanoi_health_lake.lake import facility_index, kept_reads, row_hashes
from hanoi_health_lake.lake.catalog import FACILITY_COLUMN, PARTITION_COLUMN
from hanoi_health_lake.lake.day_files import DayFile, DayFiles, forget
from hanoi_health_lake.lake.delta_commit import TableHead, commit

# Columns that say when and by which run a row was written, not what it holds, and columns
# determined by others (a record's payload by its file's sha256 and its place in it).
NOT_COMPARED = ("run_id", "silver_at", "payload")
ROW_GROUP_ROWS = 4096
# A batch's data files hold at most this many rows: a facility whose rows change is removed
# by rewriting the files that hold it, so the smaller they are, the less is rewritten. Not
# smaller: at 1,024 rows a city day of batches rewrote a third as much (1.2 CPU-s against
# 1.9) but wrote 1,461 files instead of 820, which cost more than that (write_slices 11.3
# against 10.6 CPU-s).
FILE_ROWS = ROW_GROUP_ROWS
_HASH, _HASH2, _ROW = row_hashes.HASH, row_hashes.HASH2, row_hashes.ROW
_SOURCE = row_hashes.SOURCE_COLUMN
_SEEN = "_occurrence"
_FILE = row_hashes.FILE_COLUMN


@dataclass(frozen=True)
class Carried:
    """A column whose value a replaced row keeps: a row removed to replace its facility hands
    its value to the new row with the same `key` (the earliest, when several do). For
    `bronze_files.silver_at`: a file keeps the time it first reached silver when a correction of
    another file replaces its facility. Rows that stay where they are keep theirs anyway."""

    column: str
    key: tuple[str, ...]


def _stored_type(type_: pa.DataType) -> pa.DataType:
    """Delta keeps an instant as UTC: a time zone is how it is shown, not what it holds."""
    if pa.types.is_timestamp(type_) and type_.tz is not None:
        return pa.timestamp(type_.unit, tz="UTC")
    return type_


def _as_stored(table: DeltaTable, data: pa.Table) -> pa.Table | None:
    """`data` typed as the table stores it, or None when the columns differ (then the caller
    overwrites, which also merges a changed schema)."""
    stored = pa.schema(table.schema().to_arrow())
    ours = [(f.name, _stored_type(f.type)) for f in data.schema]
    if [(f.name, f.type) for f in stored] != ours:
        return None
    return data.cast(
        pa.schema([f.with_type(t) for f, (_, t) in zip(data.schema, ours, strict=True)])
    )


def commit_slices(
    head: TableHead,
    data: pa.Table,
    service_date: date,
    facilities: list[str],
    metadata: dict[str, str],
    compare: tuple[str, ...] | None = None,
    appending: frozenset[str] = frozenset(),
    carried: Carried | None = None,
    only_files: Mapping[str, frozenset[str]] | None = None,
) -> int | None:
    """Make the rows of `facilities` on `service_date` exactly `data`'s (see the module doc) in
    one commit; returns the version reached, or None (nothing written) when `data`'s columns
    are not the table's. `compare` narrows the columns rows are compared on (default: all but
    NOT_COMPARED). For the facilities in `appending`, `data` holds only rows to add, from files
    the lake does not hold (the caller made sure): the rows they hold stay, untouched and
    unread. `carried`: a column replaced rows hand on (Carried). `only_files` (facility →
    `source_file` values): of these facilities, `data` holds the rows of these files only, and
    the rows they hold of their other files stay as they are. The caller holds the table's
    writer lock."""
    data = _as_stored(head.table, data)
    if data is None:
        return None
    root = head.root
    # An appended facility's rows come from files the lake does not hold (its writer checked
    # that under the day's lock): none of them can be held already, so they are not compared.
    codes = sorted(set(facilities) - appending)
    day = DayFiles.of(head, service_date)
    try:
        return _commit_slices(head, data, day, codes, metadata, compare, appending, carried,
                              only_files)  # fmt: skip
    except BaseException:
        forget(root, service_date)  # what it kept may no longer be what the table holds
        raise


def _commit_slices(
    head: TableHead,
    data: pa.Table,
    day: DayFiles,
    codes: list[str],
    metadata: dict[str, str],
    compare: tuple[str, ...] | None,
    appending: frozenset[str],
    carried: Carried | None,
    only_files: Mapping[str, frozenset[str]] | None,
) -> int:
    root, service_date, candidates = day.root, day.service_date, day.holding(codes)
    compared = [c for c in data.column_names if c not in NOT_COMPARED and c != PARTITION_COLUMN]
    if compare is not None:
        compared = [c for c in compared if c in compare]
    new = pl.from_arrow(data.select(compared))
    new_hashes = row_hashes.hashes(new)
    signed = row_hashes.signature(new.schema)
    sourced = bool(only_files) and _SOURCE in compared
    held = _held_keys(root, service_date, candidates, codes, compared, new.schema, signed, sourced)
    if only_files and held.height:
        held = _without_other_files(held, only_files)
    replaced: set[str] = set()
    keep_new = np.ones(data.num_rows, dtype=bool)
    if held.height:
        key = [FACILITY_COLUMN, _HASH, _HASH2, _SEEN]
        # Only the facilities holding rows are compared; the others' rows are all new.
        new_keys = _counted(
            new_hashes.with_columns(new[FACILITY_COLUMN], _index=pl.int_range(pl.len()))
            .filter(pl.col(FACILITY_COLUMN).is_in(held[FACILITY_COLUMN].unique().implode()))
        )  # fmt: skip
        held_keys = _counted(held)
        gone = held_keys.join(new_keys, on=key, how="anti")
        replaced = set(gone[FACILITY_COLUMN].unique().to_list()) - appending
        # Rows already held stay where they are, unless their facility is replaced whole.
        already = new_keys.join(held_keys.select(key), on=key, how="semi").filter(
            ~pl.col(FACILITY_COLUMN).is_in(list(replaced))
        )
        keep_new[already["_index"].to_numpy()] = False
    actions: list[AddAction | RemoveAction] = []
    now_ms = int(time.time() * 1000)
    written = _Written(root, service_date, now_ms, [], signed)
    removed: list[pa.Table] = []  # of the rows removed, the `carried` column and its key
    if replaced:
        touched = held.filter(pl.col(FACILITY_COLUMN).is_in(list(replaced)))
        for file_no in touched[_FILE].unique().sort().to_list():
            day_file = candidates[file_no]
            actions.append(_remove(day_file, service_date, now_ms))
            kept = pq.read_table(root / day_file.path)
            drop = touched.filter(pl.col(_FILE) == file_no)[_ROW].to_numpy()
            if carried is not None:
                removed.append(kept.select([*carried.key, carried.column]).take(drop))
            mask = ~_positions(kept.num_rows, drop)
            kept = kept.filter(pa.array(mask))
            if kept.num_rows:
                hashes = row_hashes.load_all(root, service_date, day_file.path, signed)
                if hashes is None or hashes.height != len(mask):
                    typed = pl.from_arrow(kept.select(compared)).cast(dict(new.schema))
                    hashes = row_hashes.hashes(typed)
                else:
                    hashes = hashes.filter(pl.Series(mask))
                actions.extend(written.files(kept, hashes))
    # The rows gained, sorted by facility, taken in one copy (the records' payloads are large).
    gaining = np.flatnonzero(keep_new)
    facility = take_column(data[FACILITY_COLUMN], gaining)
    rows = gaining[pc.sort_indices(facility).to_numpy()]  # stable: a file's records keep order
    if len(rows):
        added = gather_rows(data.drop_columns([PARTITION_COLUMN]), rows)
        if removed:
            added = _carry(added, pa.concat_tables(removed), carried)
        actions.extend(written.files(added, new_hashes[rows]))
    if not actions:  # nothing gained, nothing changed: no commit
        day.settle()  # files it learned the facilities of
        return head.version
    counts = {"facilities_replaced": str(len(replaced)), "rows_added": str(len(rows))}
    return _commit_day(head, day, actions, {**metadata, **counts}, written.index)


def replace_day(
    head: TableHead, data: pa.Table, service_date: date, metadata: dict[str, str]
) -> int | None:
    """Make the day's rows exactly `data` in one hand-built commit; returns the version, or
    None when `data`'s columns are not the table's. For a table of a few rows rewritten by
    every batch (the completion record): delta-rs's predicate overwrite costs several times
    more there than the commit itself."""
    data = _as_stored(head.table, data)
    if data is None:
        return None
    now_ms = int(time.time() * 1000)
    day = DayFiles.of(head, service_date, indexed=False)
    actions: list[AddAction | RemoveAction] = [_remove(f, service_date, now_ms) for f in day.stored]
    if data.num_rows:
        rows = data.drop_columns([PARTITION_COLUMN])
        actions.append(_write_file(head.root, rows, service_date, now_ms, {}))
    return _commit_day(head, day, actions, metadata, [])


def replace_facilities_in_day(
    head: TableHead,
    data: pa.Table,
    service_date: date,
    facilities: list[str],
    metadata: dict[str, str],
) -> int | None:
    """Make the rows of `facilities` on `service_date` exactly `data`'s by writing the whole
    day again as one file, when that changed anything; returns the version, or None when
    `data`'s columns are not the table's. For a small table whose rows of many facilities
    change in every batch (reconciliation: a row per facility and dataset, 19,000 rows of a
    city day, a tenth of a megabyte): its 4,096-row files each hold a thousand facilities, so
    a batch rewrote nearly all of them anyway, through the row comparison made for large
    tables (30 ms a batch, against about 8 for reading and writing the day)."""
    data = _as_stored(head.table, data)
    if data is None:
        return None
    day = DayFiles.of(head, service_date)
    codes = pa.array(sorted(set(facilities)), pa.string())
    rows = data.drop_columns([PARTITION_COLUMN])
    held = [
        _with_columns(kept_reads.DataFile(head.root / f.path).whole(), rows.schema)
        for f in day.stored
    ]
    if held:
        before = pa.concat_tables(held)
        ours = pc.is_in(before[FACILITY_COLUMN], value_set=codes)
        # The day is unchanged when the facilities' rows are (the others' are kept as they are).
        if _same_rows(before.filter(ours), rows):
            return head.version
        rows = pa.concat_tables([before.filter(pc.invert(ours)), rows])
    rows = rows.take(pc.sort_indices(rows, [(FACILITY_COLUMN, "ascending")]))
    now_ms = int(time.time() * 1000)
    actions: list[AddAction | RemoveAction] = [_remove(f, service_date, now_ms) for f in day.stored]
    index = []
    if rows.num_rows:
        stats = _facility_stats(rows[FACILITY_COLUMN])
        action = _write_file(head.root, rows, service_date, now_ms, stats)
        actions.append(action)
        index.append(facility_index.entries(action.path, rows[FACILITY_COLUMN]))
        kept_reads.DataFile(head.root / action.path).wrote(rows)  # the next batch's read
    return _commit_day(head, day, actions, metadata, index)


def _commit_day(
    head: TableHead,
    day: DayFiles,
    actions: list[AddAction | RemoveAction],
    metadata: dict[str, str],
    entries: list[pa.Table],
) -> int:
    """Commit the actions of one day (none: no commit) and keep what the day holds after it."""
    if not actions:
        return head.version
    try:
        version = commit(head, actions, metadata, [PARTITION_COLUMN])
    except BaseException:
        forget(head.root, day.service_date)  # what it kept may no longer be what the table holds
        raise
    day.committed(version, actions, entries)
    return version


def _with_columns(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with `schema`'s columns in its order; a column a file predates is null."""
    return pa.table(
        [table[f.name].cast(f.type) if f.name in table.column_names
         else pa.nulls(table.num_rows, f.type) for f in schema],
        schema=schema,
    )  # fmt: skip


def _same_rows(a: pa.Table, b: pa.Table) -> bool:
    """Whether two tables hold the same rows, in any order (ingestion facts aside)."""
    if a.num_rows != b.num_rows:
        return False
    columns = [c for c in a.column_names if c not in NOT_COMPARED]
    frames = [pl.from_arrow(t.select(columns)) for t in (a, b)]
    return frames[0].sort(columns).equals(frames[1].sort(columns))


def read_slices(
    head: TableHead, service_date: date, facilities: list[str], columns: list[str]
) -> pl.DataFrame:
    """`columns` of the rows `facilities` hold on the day, opening only the files that hold
    them (lake.facility_index) and, of those, the row groups that do."""
    root = head.root
    codes = sorted(set(facilities))
    candidates = DayFiles.of(head, service_date).holding(codes)
    held = _held_rows(root, candidates, codes, columns, None)
    if held.height:
        return held.drop(_ROW, _FILE)
    # No rows (the facilities hold none yet that day): still the columns asked for.
    stored = pa.schema(head.table.schema().to_arrow())
    return pl.from_arrow(pa.schema([stored.field(c) for c in columns]).empty_table())


def _may_hold(low: str, high: str, codes: list[str]) -> bool:
    """Whether a facility range [low, high] holds one of the sorted `codes`."""
    i = bisect_left(codes, low)
    return i < len(codes) and codes[i] <= high


def _held_rows(
    root: Path,
    candidates: list[DayFile],
    codes: list[str],
    columns: list[str],
    types: pl.Schema | None,
) -> pl.DataFrame:
    """The rows of `codes` in the candidate files, with the file (index) and row of each. Only
    the facility column of the row groups whose statistics allow a code is read first; the other
    columns only of the row groups that do hold one (most of a batch's facilities are new)."""
    wanted = pa.array(codes, pa.string())
    parts = []
    for index, day_file in enumerate(candidates):
        data = kept_reads.DataFile(root / day_file.path)
        groups, starts, lengths = [], [], []
        for g, (start, rows, low, high) in enumerate(data.row_groups()):
            if low is None or _may_hold(low, high, codes):
                groups.append(g)
                starts.append(start)
                lengths.append(rows)
        if not groups:
            continue
        facility = data.read(groups, [FACILITY_COLUMN])[FACILITY_COLUMN]
        matches = pc.is_in(facility, value_set=wanted).to_numpy(zero_copy_only=False)
        if not matches.any():
            continue
        bounds = np.cumsum([0, *lengths])
        holding = [i for i in range(len(groups)) if matches[bounds[i] : bounds[i + 1]].any()]
        part = data.read([groups[i] for i in holding], columns)
        rows = np.concatenate([np.arange(starts[i], starts[i] + lengths[i]) for i in holding])
        mask = np.concatenate([matches[bounds[i] : bounds[i + 1]] for i in holding])
        part = part.append_column(_ROW, pa.array(rows, pa.int64())).filter(pa.array(mask))
        frame = pl.from_arrow(part)
        if types is not None:
            frame = frame.cast(dict(types))  # as the batch's rows are typed
        parts.append(frame.with_columns(pl.lit(index, dtype=pl.Int64).alias(_FILE)))
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts, how="vertical_relaxed")


def _without_other_files(
    held: pl.DataFrame, only_files: Mapping[str, frozenset[str]]
) -> pl.DataFrame:
    """`held` without the rows of `only_files`' facilities that come from other source files:
    the batch did not read those files, so it neither compares nor removes their rows."""
    if _SOURCE not in held.columns:  # the caller compares rows not named by file
        raise ValueError("only_files needs the held rows' source_file")
    read = pl.DataFrame(
        [(code, name) for code, names in only_files.items() for name in names],
        schema={FACILITY_COLUMN: pl.Utf8, _SOURCE: pl.Utf8},
        orient="row",
    )
    partial = pl.col(FACILITY_COLUMN).is_in(sorted(only_files))
    other = held.filter(partial).join(read, on=[FACILITY_COLUMN, _SOURCE], how="anti")
    return held.join(other.select(_FILE, _ROW), on=[_FILE, _ROW], how="anti").drop(_SOURCE)


def _counted(keys: pl.DataFrame) -> pl.DataFrame:
    """`keys` (facility, the two hashes of each row) with which copy of that row within its
    facility each is (multiset semantics: a duplicated row counts twice)."""
    return keys.with_columns(
        pl.int_range(pl.len()).over(FACILITY_COLUMN, _HASH, _HASH2).alias(_SEEN)
    )


def _held_keys(
    root: Path,
    service_date: date,
    candidates: list[DayFile],
    codes: list[str],
    compared: list[str],
    types: pl.Schema,
    signed: str,
    sourced: bool = False,
) -> pl.DataFrame:
    """(facility, hashes, file, row) of the rows of `codes` in the candidate files: from the
    files' row hashes (lake.row_hashes), or, for a file without them, by reading the rows.
    `sourced`: with each row's `source_file` too (one of `compared`)."""
    paths = [day_file.path for day_file in candidates]
    held, unhashed = row_hashes.load_many(root, service_date, paths, codes, signed, sourced)
    parts = [held] if held.height else []
    sources = [_SOURCE] if sourced else []
    columns = [FACILITY_COLUMN, _HASH, _HASH2, _FILE, _ROW, *sources]
    if unhashed:
        rows = _held_rows(root, [candidates[i] for i in unhashed], codes, compared, types)
        if rows.height:
            file_no = pl.Series(unhashed, dtype=pl.Int64).gather(rows[_FILE].to_numpy())
            keys = row_hashes.hashes(rows.select(compared))
            kept = rows.select(FACILITY_COLUMN, _ROW, *sources)
            parts.append(keys.with_columns(*kept, file_no.alias(_FILE)))
    if not parts:
        return pl.DataFrame()
    return pl.concat([part.select(columns) for part in parts])


def _carry(added: pa.Table, removed: pa.Table, carried: Carried) -> pa.Table:
    """`added` with the `carried` column of the removed row of the same key, where one was."""
    column, key = carried.column, list(carried.key)
    earlier = (
        pl.from_arrow(removed)
        .drop_nulls(column)
        .group_by(key)
        .agg(pl.col(column).min().alias("_earlier"))
    )
    ours = pl.from_arrow(added.select([*key, column]))
    values = ours.join(earlier, on=key, how="left", maintain_order="left", nulls_equal=True)
    merged = values.select(pl.coalesce("_earlier", column).alias(column)).to_arrow()[column]
    field = added.schema.field(column)
    return added.set_column(added.schema.get_field_index(column), field, merged.cast(field.type))


def _positions(n: int, rows: np.ndarray) -> np.ndarray:
    flags = np.zeros(n, dtype=bool)
    flags[rows] = True
    return flags


def _remove(day_file: DayFile, service_date: date, now_ms: int) -> RemoveAction:
    return RemoveAction(
        day_file.path,
        True,
        now_ms,
        size=day_file.size,
        partition_values={PARTITION_COLUMN: service_date.isoformat()},
    )


@dataclass
class _Written:
    """Where a commit's data files go, and what each holds: its facilities into the facility
    index, its rows' hashes beside it (lake.row_hashes)."""

    root: Path
    service_date: date
    now_ms: int
    index: list[pa.Table]
    signed: str

    def files(self, rows: pa.Table, hashes: pl.DataFrame) -> list[AddAction]:
        """`rows` (sorted by facility) in data files of at most FILE_ROWS rows, cut between
        facilities (a facility with more rows gets a file of its own)."""
        cuts = _cuts(rows[FACILITY_COLUMN], FILE_ROWS)
        return [
            self.file(rows.slice(start, end - start), hashes.slice(start, end - start))
            for start, end in itertools.pairwise(cuts)
        ]

    def file(self, rows: pa.Table, hashes: pl.DataFrame) -> AddAction:
        """One data file of the day. Its statistics: the row count and the facility range."""
        facilities = rows[FACILITY_COLUMN]
        stats = _facility_stats(facilities)
        action = _write_file(self.root, rows, self.service_date, self.now_ms, stats)
        self.index.append(facility_index.entries(action.path, facilities))
        sources = rows[_SOURCE] if _SOURCE in rows.column_names else None
        row_hashes.save(
            self.root, self.service_date, action.path, facilities, hashes, self.signed, sources
        )
        return action


def _facility_stats(facilities: pa.ChunkedArray) -> dict:
    """A data file's statistics for the facility column: the only ones this module reads."""
    low, high = pc.min_max(facilities).values()
    return {
        "minValues": {FACILITY_COLUMN: low.as_py()},
        "maxValues": {FACILITY_COLUMN: high.as_py()},
        "nullCount": {FACILITY_COLUMN: facilities.null_count},
    }


def _cuts(facilities: pa.ChunkedArray, most: int) -> list[int]:
    """Row positions [0, …, n] that cut `facilities` (sorted) into runs of at most `most` rows,
    cutting only where the facility changes (a facility with more rows is a run of its own)."""
    n = len(facilities)
    if n <= most:
        return [0, n]
    values = facilities.combine_chunks()
    changes = pc.not_equal(values.slice(1), values.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    cuts, previous = [0], 0
    for boundary in [*(np.flatnonzero(changes) + 1).tolist(), n]:
        if boundary - cuts[-1] > most and previous > cuts[-1]:
            cuts.append(previous)  # the last boundary that kept the file within `most`
        previous = boundary
    cuts.append(n)
    return cuts


def _write_file(
    root: Path, rows: pa.Table, service_date: date, now_ms: int, stats: dict
) -> AddAction:
    """One data file of the day (without the partition column, as Delta stores them)."""
    folder = f"{PARTITION_COLUMN}={service_date.isoformat()}"
    relative = f"{folder}/part-00000-{uuid.uuid4()}-c000.snappy.parquet"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    # Column statistics of the facility only: the only ones this module reads; the scheduled
    # compaction rewrites the files with every column's (a fifth of the writing time).
    stats_of = [FACILITY_COLUMN] if FACILITY_COLUMN in rows.column_names else False
    # No dictionary encoding: on every column it made writing a batch's files a quarter slower
    # for files 5–25 % smaller; on the three that say where a row came from (facility, file,
    # dataset), writing took 10–20 % longer than on none, for files 2 % smaller and no faster to
    # read (2026-12-05, a city day's batch files). The compaction rewrites them with delta-rs's.
    pq.write_table(rows, target, row_group_size=ROW_GROUP_ROWS, compression="snappy",
                   write_statistics=stats_of, use_dictionary=False)  # fmt: skip
    return AddAction(
        path=relative,
        size=target.stat().st_size,
        partition_values={PARTITION_COLUMN: service_date.isoformat()},
        modification_time=now_ms,
        data_change=True,
        stats=json.dumps({"numRecords": rows.num_rows, **stats}),
    )
