"""What arrival batches parsed, kept so that a later batch of the same slice parses only what is
new.

An arrival batch re-reads every file of each (service day, facility) slice it touches: the
slice's rows depend on all of its files (supersession, reconciliation, patient look-ups). A
hospital that sends check-ins every half hour had its earlier check-ins parsed again in every
batch — twice as many files parsed in a day as landed. Parsing a file gives the same rows
whenever it is parsed, as long as the file, the registry and the export-time tolerance are the
same; so each batch stores the Arrow rows of the slices it touched, and the next batch takes
those rows back for the files that have not changed (`parse_with_cache`).

A store is one folder per batch under `<lake>/bronze/_parsed/<service day>/`, in the
restricted zone (the rows hold identifiers as delivered): the bronze file rows, the bronze
record rows (with payloads) and the staged frame of each dataset, as Arrow IPC files, each row
tagged with its landing path. A file counts as unchanged when its path, size and modification
time (and, for an NDJSON file, those of the other files of its export), and the registry and
tolerance it was judged with, are those stored. A store is written
to a temporary folder and renamed into place, so a killed batch leaves none half-written; the
cache is only ever a shortcut, so a lost or pruned store costs a parse, never a row.
Stores of days more than `KEEP_DAYS` before the newest are pruned by `prune`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from hanoi_health_lake.arrow_take import gather_rows
from hanoi_health_lake.lake import kept_reads
from hanoi_health_lake.lake.restricted import restricted_writes
from hanoi_health_lake.parsers.landing_paths import display_path

CACHE_FOLDER = "_parsed"
KEEP_DAYS = 3  # late files and corrections of a day come within about a day and a half
RELPATH = "_relpath"
BRONZE_ROW = "_bronze_row"  # staged column: the record's row in the bronze records (parse_day)
_FILES, _RECORDS = "files.arrow", "records.arrow"
_STAGED_PREFIX = "staged-"
_IDENTITY = ("_size", "_mtime_ns", "_siblings")
_READY = "ready"  # the last file written: a store without it is ignored (and pruned)
_RANK = "_rank"
_RANGE = ("_first_record", "_records")  # where a file's records are in its store's


def cache_root(lake_root: Path) -> Path:
    return Path(lake_root) / "bronze" / CACHE_FOLDER


@functools.lru_cache(maxsize=4)  # a batch asks twice: hashing 15,000 codes costs 10 ms
def context_key(registry_codes: frozenset[str], tolerance: timedelta, trust: str) -> str:
    """What else a file's rows depend on: the registry (placement), the export-time tolerance
    (a future-stamped file) and the signature trust store (`xml_signature.trust_stamp`)."""
    text = "\n".join(sorted(registry_codes)) + f"\n{tolerance.total_seconds()}\n{trust}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Parsed:
    """Parsed rows of some files, each row tagged with its landing path (`RELPATH`); in
    `staged`, `bronze_row` is a row of `records`."""

    files: pa.Table
    records: pa.Table
    staged: dict[str, pl.DataFrame]


Identity = tuple[int, int, str]  # size, modification time, what its export's siblings are


def _identities(landing_root: Path, relpaths: list[str]) -> dict[str, Identity | None]:
    """Each file's identity. An NDJSON file's rows also depend on the other NDJSON files of its
    export (`encounters__TS.Patient.ndjson` beside `…Encounter.ndjson`: its patients are joined
    in, parsers/dispatch._sibling_resources), so theirs is part of its identity: an Encounter
    file parsed before its Patient file arrived is parsed again once it has."""
    stat: dict[str, tuple[int, int] | None] = {}
    root = str(landing_root)
    for relpath in relpaths:
        try:
            st = os.lstat(f"{root}/{relpath}")
            stat[relpath] = (st.st_size, st.st_mtime_ns)
        except OSError:
            stat[relpath] = None
    exports: dict[str, list[str]] = {}
    for relpath in relpaths:
        if relpath.endswith(".ndjson"):
            exports.setdefault(relpath.split(".", 1)[0], []).append(relpath)
    identities: dict[str, Identity | None] = {}
    for relpath, own in stat.items():
        if own is None:
            identities[relpath] = None
            continue
        siblings = [
            f"{other}:{stat[other]}"
            for other in exports.get(relpath.split(".", 1)[0], [])
            if other != relpath and relpath.endswith(".ndjson")
        ]
        digest = hashlib.sha256("\n".join(sorted(siblings)).encode()).hexdigest()[:16]
        identities[relpath] = (*own, digest if siblings else "")
    return identities


def parse_with_cache(
    lake_root: Path,
    landing_root: Path,
    service_date: date,
    relpaths: list[str],
    context: str,
    parse: Callable[[list[str]], Parsed],
) -> tuple[Parsed, int]:
    """The rows of `relpaths` (sorted), parsing only the files no store holds unchanged, and
    storing what was parsed. Returns the rows and the number of files parsed."""
    day_dir = cache_root(lake_root) / service_date.isoformat()
    identities = _identities(landing_root, relpaths)
    cached = _lookup(day_dir, identities, context)
    held = {relpath for paths in cached.values() for relpath in paths}
    todo = [r for r in relpaths if r not in held]
    parts = [_load(store, paths) for store, paths in cached.items()]
    if todo:
        parts.append(parse(todo))
    rows = _combine(parts, relpaths)
    if todo:
        # All the rows of the touched slices go into the new store, not only the fresh ones:
        # the next batch of a slice then reads one store, however many batches it came in.
        _store(day_dir, rows, identities, context, lake_root)
    return rows, len(todo)


def tag(parsed_files: pa.Table, records: pa.Table, staged: dict[str, pl.DataFrame],
        relpaths: list[str]) -> Parsed:  # fmt: skip
    """Tag freshly parsed rows (bronze files in `relpaths` order) with their landing paths."""
    if all(display_path(r) == r for r in relpaths):  # UTF-8 names: a row's path is its file's
        return Parsed(
            files=parsed_files.append_column(RELPATH, pa.array(relpaths, pa.string())),
            records=records.append_column(RELPATH, records["source_file"]),
            staged={ds: frame.with_columns(pl.col("source_file").alias(RELPATH))
                    for ds, frame in staged.items()},
        )  # fmt: skip
    by_shown = {display_path(r): r for r in relpaths}
    shown = pa.array([by_shown.get(s, s) for s in records["source_file"].to_pylist()], pa.string())
    return Parsed(
        files=parsed_files.append_column(RELPATH, pa.array(relpaths, pa.string())),
        records=records.append_column(RELPATH, shown),
        staged={
            ds: frame.with_columns(
                pl.col("source_file").replace_strict(by_shown, default=pl.col("source_file"))
                .alias(RELPATH)
            )
            for ds, frame in staged.items()
        },
    )  # fmt: skip


def _lookup(
    day_dir: Path, identities: dict[str, Identity | None], context: str
) -> dict[Path, list[str]]:
    """Store → the wanted files it holds unchanged (the newest store, when several do)."""
    if not day_dir.is_dir():
        return {}
    index = _day_index(day_dir)
    found: dict[Path, list[str]] = {}
    for relpath, identity in identities.items():
        if identity and (name := index.held.get(relpath, {}).get((*identity, context))):
            found.setdefault(day_dir / name, []).append(relpath)
    return found


@dataclass
class _DayStores:
    """What a day's stores hold: for each file, its stored identities (with their context)
    and the newest store holding each."""

    names: set[str] = field(default_factory=set)
    held: dict[str, dict[tuple, str]] = field(default_factory=dict)

    def add(self, name: str, files: pa.Table) -> None:
        self.names.add(name)
        columns = [files[c].to_pylist() for c in (RELPATH, *_IDENTITY, "_context")]
        for relpath, *identity in zip(*columns, strict=True):
            stored = self.held.setdefault(relpath, {})
            key = tuple(identity)
            if stored.get(key, "") < name:  # names start with the time: the newest wins
                stored[key] = name


# Per process, per day folder. A store never changes once in place (a new one gets a new name),
# and an arrivals run drains a day of batches, each looking up every store of the day: read
# each store's file list once, not once per batch (at a batch every three minutes, a day holds
# hundreds of stores, and scanning them all was the batches' largest cost that grew with them).
_INDEXES: dict[Path, _DayStores] = {}


def _day_index(day_dir: Path) -> _DayStores:
    """The day's stores indexed: the stores put in place since the last look are read, and the
    index is built again when one went (`prune`)."""
    present = {p.name for p in day_dir.iterdir() if not p.name.startswith(".")}
    index = _INDEXES.get(day_dir)
    if index is None or not index.names <= present:
        index = _INDEXES[day_dir] = _DayStores()
    for name in sorted(present - index.names):
        store = day_dir / name
        if (store / _READY).exists():  # a store without it is ignored (and pruned)
            index.add(name, _read_arrow(store / _FILES))
    return index


def _store(
    day_dir: Path,
    parsed: Parsed,
    identities: dict[str, Identity | None],
    context: str,
    lake_root: Path,
) -> None:
    shown = [identities.get(r) or (-1, -1, "") for r in parsed.files[RELPATH].to_pylist()]
    files = (
        parsed.files.append_column("_size", pa.array([i[0] for i in shown], pa.int64()))
        .append_column("_mtime_ns", pa.array([i[1] for i in shown], pa.int64()))
        .append_column("_siblings", pa.array([i[2] for i in shown], pa.string()))
        .append_column("_context", pa.array([context] * len(shown), pa.string()))
    )
    files = _with_record_ranges(files, parsed.records)
    name = f"{_now_key()}-{uuid.uuid4().hex[:8]}"
    with restricted_writes(cache_root(lake_root)):
        day_dir.mkdir(parents=True, exist_ok=True)
        tmp = day_dir / f".{name}"
        tmp.mkdir()
        tables = {_FILES: files, _RECORDS: parsed.records}
        for dataset, frame in parsed.staged.items():
            tables[f"{_STAGED_PREFIX}{dataset}.arrow"] = frame.to_arrow()
        for file_name, table in tables.items():
            _write_arrow(tmp / file_name, table)
        (tmp / _READY).touch()
        os.replace(tmp, day_dir / name)
    for file_name, table in tables.items():  # the run's next batches load it from memory
        kept_reads.keep(str(day_dir / name / file_name), table)


def _now_key() -> str:
    return f"{time.time_ns():020d}"


def _write_arrow(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_arrow(path: Path) -> pa.Table:
    kept = kept_reads.kept(str(path))  # a store this run wrote (stores never change)
    if kept is not None:
        return kept
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _with_record_ranges(files: pa.Table, records: pa.Table) -> pa.Table:
    """`files` with where each file's records are in `records` (`_RANGE`: first row, count),
    so that a load takes a few files' records as slices without scanning the store's: a
    file's records are consecutive (`_combine`)."""
    runs = pl.Series(records[RELPATH]).rle().struct.unnest()
    if runs["value"].n_unique() != runs.height:  # not consecutive after all: loads scan
        return files
    runs = runs.with_columns(first=pl.col("len").cum_sum() - pl.col("len"))
    ranges = (
        pl.DataFrame({RELPATH: files[RELPATH].to_pylist()})
        .join(runs.rename({"value": RELPATH}), on=RELPATH, how="left", maintain_order="left")
        .fill_null(0)
    )
    first, count = _RANGE
    return files.append_column(first, ranges["first"].cast(pl.Int64).to_arrow()).append_column(
        count, ranges["len"].cast(pl.Int64).to_arrow()
    )


def _load(store: Path, relpaths: list[str]) -> Parsed:
    """The rows of `relpaths` in a store (memory-mapped: a file's records are consecutive, so
    they are slices of the store's, copied only when read)."""
    wanted = pa.array(relpaths, pa.string())
    stored = _read_arrow(store / _FILES)
    files = stored.filter(pc.is_in(stored[RELPATH], value_set=wanted))
    records = _read_arrow(store / _RECORDS)
    if _RANGE[0] in files.column_names:
        first, count = (files[c].to_numpy() for c in _RANGE)
        rows = np.concatenate([np.arange(f, f + n) for f, n in zip(first, count, strict=True)]
                              or [np.zeros(0, np.int64)])  # fmt: skip
    else:  # a store written before the ranges were
        rows = np.flatnonzero(pc.is_in(records[RELPATH], value_set=wanted).to_numpy(False))
    # Every file of the store (a batch's check-ins, parsed to choose them, then ingested): its
    # staged rows as they are.
    whole = files.num_rows == stored.num_rows and np.array_equal(rows, np.arange(records.num_rows))
    new_row = np.full(records.num_rows, -1, dtype=np.int64)
    new_row[rows] = np.arange(len(rows))
    staged = {}
    for path in store.glob(f"{_STAGED_PREFIX}*.arrow"):
        table = _read_arrow(path)
        if not whole:
            # A staged row belongs to a wanted file when its record does.
            table = gather_rows(table, np.flatnonzero(new_row[table[BRONZE_ROW].to_numpy()] >= 0))
        if table.num_rows:
            dataset = path.name.removeprefix(_STAGED_PREFIX).removesuffix(".arrow")
            frame = pl.from_arrow(table)
            staged[dataset] = frame if whole else _remap(frame, new_row)
    return Parsed(
        files=files.drop_columns([c for c in (*_IDENTITY, "_context", *_RANGE)
                                  if c in files.column_names]),
        records=gather_rows(records, rows),
        staged=staged,
    )  # fmt: skip


def _remap(frame: pl.DataFrame, rows: np.ndarray, column: str = BRONZE_ROW) -> pl.DataFrame:
    if frame.is_empty():
        return frame
    return frame.with_columns(pl.Series(column, rows[frame[column].to_numpy()], pl.Int64))


def _combine(parts: list[Parsed], relpaths: list[str]) -> Parsed:
    """One set of rows for `relpaths`: files in path order, and the staged rows in the order
    parsing them in one go gives (files in path order, each file's records in their order),
    each pointing at its record (`BRONZE_ROW`). The records stay in the parts' order: putting
    them in path order too would copy every payload of the slice again (2 CPU-s a city day),
    and nothing reads them in order but through the staged rows."""
    ranks = pa.array(relpaths, pa.string())  # sorted and unique: a path's index is its rank
    files = pa.concat_tables([p.files for p in parts], promote_options="permissive")
    file_rank = pc.index_in(files[RELPATH], value_set=ranks).to_numpy(zero_copy_only=False)
    if len(parts) == 1 and bool(np.all(np.diff(file_rank) > 0)):
        # One part with its files in path order (one parse, or one store: each is written
        # in that order) is already in the order wanted: most batches parse all they read.
        return parts[0]
    files = files.take(pa.array(np.argsort(file_rank, kind="stable")))
    offsets = np.cumsum([0] + [p.records.num_rows for p in parts])
    records = pa.concat_tables([p.records for p in parts])
    ranked = pl.DataFrame({RELPATH: relpaths, _RANK: np.arange(len(relpaths))})
    staged: dict[str, pl.DataFrame] = {}
    datasets = {ds for p in parts for ds in p.staged}
    for dataset in sorted(datasets):
        pieces = [
            p.staged[dataset].with_columns(pl.col(BRONZE_ROW) + int(offset))
            for p, offset in zip(parts, offsets, strict=False)
            if dataset in p.staged and not p.staged[dataset].is_empty()
        ]
        if not pieces:
            continue
        frame = pl.concat(pieces, how="vertical")
        # A file's records are consecutive within its part: by file rank, then record.
        staged[dataset] = (
            frame.join(ranked, on=RELPATH, how="left", maintain_order="left")
            .sort(_RANK, BRONZE_ROW)
            .drop(_RANK)
        )
    return Parsed(files=files, records=records, staged=staged)


def prune(lake_root: Path, keep_days: int = KEEP_DAYS) -> int:
    """Delete the stores of days more than `keep_days` before the newest day held, and folders
    a killed batch left half-written; returns the folders deleted."""
    root = cache_root(lake_root)
    if not root.is_dir():
        return 0
    days = sorted(p for p in root.iterdir() if p.is_dir())
    deleted = 0
    newest = None
    for folder in reversed(days):
        try:
            newest = date.fromisoformat(folder.name)
            break
        except ValueError:
            continue
    for folder in days:
        try:
            day = date.fromisoformat(folder.name)
        except ValueError:
            continue
        if newest is not None and (newest - day).days > keep_days:
            shutil.rmtree(folder)
            deleted += 1
            continue
        for store in folder.iterdir():
            stale = time.time() - store.stat().st_mtime > 3600  # not a batch still writing it
            if stale and not (store / _READY).exists():
                shutil.rmtree(store, ignore_errors=True)
                deleted += 1
    return deleted
