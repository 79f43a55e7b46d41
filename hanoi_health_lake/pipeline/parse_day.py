"""Read every file delivered for one service day: each parse is independent, so one bad file
never stops the others.

Files are parsed in chunks (consecutive landing paths) by `workers` processes (default
`config.parse_workers()`: HHL_PARSE_WORKERS, else up to 2): this one and, when the day is large
enough, `workers` - 1 worker processes started for the day ("spawn", never "fork": the caller
may run threads, as a Dagster step does). 1 parses in this process only. A chunk comes back as
Arrow only — its bronze rows and, per dataset, its staged frame — so the day's records are never
held as Python objects beyond one chunk, and never twice: the staged frames carry no payload,
only the row of the record in `bronze_records`, where the payload is. A file whose parser raises
becomes one failed file; a worker that dies leaves its chunks to this process.

Concatenating the chunks in path order gives the same tables, in the same order, as parsing the
day file by file.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa

from hanoi_health_lake.config import parse_workers
from hanoi_health_lake.conform.staging import staged_frame
from hanoi_health_lake.parsers import rejection as r
from hanoi_health_lake.parsers import xml_signature
from hanoi_health_lake.parsers.dispatch import parse_file, read_capped
from hanoi_health_lake.parsers.landing_paths import (
    DOSSIER,
    LandingName,
    UnsafePathError,
    discover,
    display_path,
    parse_landing_path,
    safe_landing_path,
)
from hanoi_health_lake.pipeline import bronze, parse_cache, versions
from hanoi_health_lake.pipeline.delivered import DeliveredFile
from hanoi_health_lake.pipeline.placement import placement_fault
from hanoi_health_lake.records import DATASETS, ParsedFile, ParsedRecord

log = logging.getLogger(__name__)

BRONZE_ROW = parse_cache.BRONZE_ROW  # staged column: the record's row in the day's bronze_records
# A task is a run of consecutive files of about CHUNK_BYTES (at most MAX_CHUNK_FILES files, and
# about 4 tasks per process on a small day): few enough that per-task costs stay small, small
# enough to keep each process's memory low and the processes evenly loaded.
CHUNK_BYTES = 16 * 2**20
MAX_CHUNK_FILES = 1024
MIN_POOL_FILES = 400  # below this, starting worker processes costs more than it saves

Parser = Callable[..., ParsedFile]  # parse_file's signature


@dataclass
class ParsedDay:
    """One service day's deliveries as Arrow: `bronze_files` (one row per file),
    `bronze_records` (one row per delivered record) and, per dataset, the staged frame of the
    counted records of readable files (`staged_frame` without `payload`, plus `BRONZE_ROW`)."""

    bronze_files: pa.Table
    bronze_records: pa.Table
    staged: dict[str, pl.DataFrame]
    files_parsed: int = 0  # fewer than the files when some came from the parse cache


@dataclass(frozen=True)
class _Job:
    landing_root: Path
    service_date: date
    registry_codes: frozenset[str]
    run_id: str
    parse: Parser  # a module-level function: workers receive it by reference
    future_tolerance: timedelta = versions.DEFAULT_TOLERANCE


@dataclass
class _Chunk:
    files: int
    bronze_files: pa.Table
    bronze_records: pa.Table
    staged: dict[str, pl.DataFrame]  # datasets with rows only; BRONZE_ROW local to the chunk
    parsed_by: int  # process id


def _folder_facility(relpath: str) -> str:
    return display_path(relpath.split("/", 1)[0])


def deliver(
    landing_root: Path,
    relpath: str,
    registry_codes: frozenset[str] | None,
    parse: Parser = parse_file,
    *,
    future_tolerance: timedelta | None = None,
) -> DeliveredFile:
    """One landed file, parsed and judged on where it was filed; whatever goes wrong with it
    stays with it. `future_tolerance` defaults to `versions.future_tolerance()`."""
    try:
        name: LandingName | None = parse_landing_path(relpath)
    except UnsafePathError:
        name = None
    try:
        parsed = parse(landing_root, relpath, registry_codes=registry_codes)
    except Exception as exc:  # parse_file never raises on bad input: a parser bug, then
        parsed = _crashed(landing_root, relpath, name, exc)
    facility = name.facility_code if name else _folder_facility(relpath)
    delivered = DeliveredFile(parsed=parsed, name=name, facility_code=facility)
    if name is not None:
        delivered.arrived_at = versions.arrived_at(Path(landing_root) / relpath)
        tolerance = versions.future_tolerance() if future_tolerance is None else future_tolerance
        _judge_placement(delivered, name, registry_codes, tolerance)
    return delivered


def _judge_placement(
    delivered: DeliveredFile,
    name: LandingName,
    registry_codes: frozenset[str] | None,
    tolerance: timedelta,
) -> None:
    """Reject a readable file stamped after it arrived, or filed under a facility or day its
    records do not belong to (pipeline/versions.py, pipeline/placement.py)."""
    parsed = delivered.parsed
    if parsed.status != "ok":
        return
    fault = None
    if delivered.arrived_at is not None:
        message = versions.future_stamp_message(
            parsed.path, name.export_ts, delivered.arrived_at, tolerance
        )
        fault = (versions.EXPORT_TS_FUTURE, message) if message else None
    fault = fault or placement_fault(
        parsed, name.dataset, name.facility_code, name.service_date, registry_codes
    )
    if fault:
        parsed.status, (parsed.error_rule, parsed.error_message) = "error", fault
        parsed.records, parsed.auxiliary = [], []


def _crashed(
    landing_root: Path, relpath: str, name: LandingName | None, exc: Exception
) -> ParsedFile:
    size, sha = 0, ""
    if name is not None:  # still record what was delivered, if it may be read at all
        try:
            data = read_capped(safe_landing_path(Path(landing_root), relpath), relpath, name.format)
            size, sha = len(data), hashlib.sha256(data).hexdigest()
        except (OSError, UnsafePathError, r.FileRejected):
            pass
    return ParsedFile(
        path=display_path(relpath),
        format=name.format if name else "unknown",
        size=size,
        sha256=sha,
        status="error",
        error_rule=r.UNREADABLE,
        error_message=f"{display_path(relpath)}: cannot be parsed ({type(exc).__name__}: {exc})",
    )


def parse_day(
    landing_root: Path,
    service_date: date,
    registry_codes: frozenset[str],
    progress: Callable[[int, int], None] | None = None,
    *,
    run_id: str,
    workers: int | None = None,
    chunk_files: int | None = None,
    min_pool_files: int | None = None,
    parse: Parser = parse_file,
    relpaths: list[str] | None = None,
    cache_lake: Path | None = None,
) -> ParsedDay:
    """Parse every file landed for `service_date` (or just `relpaths`, an arrival batch's
    slices, in sorted order); `progress(done, total)` after each chunk.

    `workers` (default `parse_workers()`), `chunk_files` and `min_pool_files` (default
    MIN_POOL_FILES) tune the pool; `parse` stands in for `parse_file` (tests). With
    `cache_lake`, files an earlier arrival batch parsed unchanged come from that lake's parse
    cache (pipeline/parse_cache.py) and the files parsed now are stored there."""
    relpaths = discover(landing_root, service_date) if relpaths is None else sorted(relpaths)
    job = _Job(
        Path(landing_root),
        service_date,
        frozenset(registry_codes),
        run_id,
        parse,
        versions.future_tolerance(),
    )

    def parse_paths(todo: list[str]) -> ParsedDay:
        return _parse_paths(job, todo, workers, chunk_files, min_pool_files, progress)

    if cache_lake is None:
        return parse_paths(relpaths)
    trust = xml_signature.trust_stamp(Path(landing_root).parent / "registry")  # as dispatch
    context = parse_cache.context_key(job.registry_codes, job.future_tolerance, trust)

    def parse_fresh(todo: list[str]) -> parse_cache.Parsed:
        day = parse_paths(todo)
        return parse_cache.tag(day.bronze_files, day.bronze_records, day.staged, todo)

    rows, parsed = parse_cache.parse_with_cache(
        cache_lake, Path(landing_root), service_date, relpaths, context, parse_fresh
    )
    staged = {
        dataset: rows.staged[dataset].drop(parse_cache.RELPATH)
        if dataset in rows.staged
        else _empty_staged(dataset)
        for dataset in DATASETS
    }
    return ParsedDay(
        bronze_files=_with_run_id(rows.files.drop_columns([parse_cache.RELPATH]), run_id),
        bronze_records=_with_run_id(rows.records.drop_columns([parse_cache.RELPATH]), run_id),
        staged=staged,
        files_parsed=parsed,
    )


def _with_run_id(table: pa.Table, run_id: str) -> pa.Table:
    """Rows taken from the parse cache carry the run that parsed them: this run writes them."""
    at = table.schema.get_field_index("run_id")
    return table.set_column(at, "run_id", pa.repeat(pa.scalar(run_id, pa.string()), table.num_rows))


@functools.cache
def _empty_staged(dataset: str) -> pl.DataFrame:
    """A dataset's staged frame without rows (built once: no row, so no day in it)."""
    empty = staged_frame(dataset, [], service_date=date.min, payload=False)
    return empty.with_columns(pl.Series(BRONZE_ROW, [], pl.Int64))


def _parse_paths(
    job: _Job,
    relpaths: list[str],
    workers: int | None,
    chunk_files: int | None,
    min_pool_files: int | None,
    progress: Callable[[int, int], None] | None,
) -> ParsedDay:
    workers = parse_workers() if workers is None else max(1, workers)
    if chunk_files:
        chunks = [relpaths[i : i + chunk_files] for i in range(0, len(relpaths), chunk_files)]
    else:
        # Several tasks a process balance the workers; one process parses in as few as memory
        # allows (each task stages every dataset once: an arrival batch's 4 tasks cost it more).
        chunks = _chunks(job.landing_root, relpaths, 4 * workers if workers > 1 else 1)
    pooled = (
        workers > 1
        and len(chunks) > 1
        and len(relpaths) >= (MIN_POOL_FILES if min_pool_files is None else min_pool_files)
        and not mp.current_process().daemon  # a daemonic process may not start children
    )
    results = _parse_pooled(job, chunks, workers, progress) if pooled else {}
    done = sum(result.files for result in results.values())
    for i, chunk in enumerate(chunks):
        if i not in results:  # in this process, or what a broken pool left
            results[i] = _parse_chunk(job, chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, len(relpaths))
    ordered = [results.pop(i) for i in range(len(chunks))]
    day = _assemble(ordered)
    day.files_parsed = len(relpaths)
    return day


def _chunks(landing_root: Path, relpaths: list[str], at_least: int) -> list[list[str]]:
    """Consecutive runs of files of about CHUNK_BYTES (by size on disk, links not followed)."""
    sizes = []
    for relpath in relpaths:
        try:
            sizes.append(os.lstat(landing_root / relpath).st_size)
        except OSError:
            sizes.append(0)  # its parse reports it
    target = max(1, min(CHUNK_BYTES, sum(sizes) // at_least))
    chunks: list[list[str]] = []
    current: list[str] = []
    filled = 0
    for relpath, size in zip(relpaths, sizes, strict=True):
        current.append(relpath)
        filled += size
        if filled >= target or len(current) >= MAX_CHUNK_FILES:
            chunks.append(current)
            current, filled = [], 0
    if current:
        chunks.append(current)
    return chunks


def _parse_pooled(
    job: _Job,
    chunks: list[list[str]],
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> dict[int, _Chunk]:
    """Chunks in path order to whoever is free: `workers - 1` worker processes, kept a few chunks
    ahead, and this process in between."""
    total = sum(map(len, chunks))
    results: dict[int, _Chunk] = {}
    done = 0

    def finished(i: int, chunk: _Chunk) -> None:
        nonlocal done
        results[i] = chunk
        done += len(chunks[i])
        if progress is not None:
            progress(done, total)

    pool = ProcessPoolExecutor(
        max_workers=workers - 1,
        mp_context=mp.get_context("spawn"),
        initializer=_init_worker,
        initargs=(job,),
    )
    ahead = 3 * (workers - 1)  # chunks handed to the workers and not yet collected
    queued: dict[int, Future[_Chunk]] = {}
    following = 0  # the next chunk nobody has taken
    try:
        while following < len(chunks) or queued:
            while following < len(chunks) and len(queued) < ahead:
                queued[following] = pool.submit(_parse_in_worker, chunks[following])
                following += 1
            for i in [i for i, future in queued.items() if future.done()]:
                finished(i, queued.pop(i).result())
            if following < len(chunks):
                finished(following, _parse_chunk(job, chunks[following]))
                following += 1
            elif queued:
                wait(queued.values(), return_when=FIRST_COMPLETED)
    except BrokenProcessPool as exc:
        # A worker died (killed, out of memory): the chunks it held are parsed here instead.
        log.warning("parse worker pool broke (%s); parsing %d chunks in-process",
                    exc, len(chunks) - len(results))  # fmt: skip
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


_WORKER_JOB: _Job | None = None


def _init_worker(job: _Job) -> None:
    global _WORKER_JOB
    _WORKER_JOB = job


def _parse_in_worker(relpaths: list[str]) -> _Chunk:
    assert _WORKER_JOB is not None, "worker not initialised"
    return _parse_chunk(_WORKER_JOB, relpaths)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic collector off while a chunk is parsed. Parsing allocates millions of small
    containers and almost no cycles, so the collector's passes cost a fifth of the parse and
    free nothing; what a chunk allocates is freed by reference counting when it is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_chunk(job: _Job, relpaths: list[str]) -> _Chunk:
    with _gc_paused():
        return _parse_chunk_now(job, relpaths)


def _parse_chunk_now(job: _Job, relpaths: list[str]) -> _Chunk:
    """Parse consecutive files; only Arrow leaves, the Python records die with the chunk."""
    files = [
        deliver(
            job.landing_root,
            r,
            job.registry_codes,
            job.parse,
            future_tolerance=job.future_tolerance,
        )
        for r in relpaths
    ]
    items: dict[str, list[tuple[ParsedFile, ParsedRecord]]] = {ds: [] for ds in DATASETS}
    rows: dict[str, list[int]] = {ds: [] for ds in DATASETS}
    offset = 0  # bronze_records rows of the files before: each file's records, then auxiliary
    for f in files:
        p = f.parsed
        if p.status == "ok" and f.dataset in items:
            items[f.dataset].extend((p, record) for record in p.records)
            rows[f.dataset].extend(range(offset, offset + len(p.records)))
        elif p.status == "ok" and f.dataset == DOSSIER:  # one file, several datasets
            for row, record in enumerate(p.records, start=offset):
                items[record.dataset].append((p, record))
                rows[record.dataset].append(row)
        if f.name is not None:
            offset += len(p.records) + len(p.auxiliary)
    records = bronze.bronze_records(job.service_date, files, job.run_id)
    assert records.num_rows == offset
    # The payloads now live in Arrow; their Python copies (2 bytes a character, plus the UTF-8
    # copy CPython caches once a str is encoded) are the largest part of a chunk's records.
    # Dropping them before staging lowers the peak (a 40 MB CSV: 1477 → 1371 MB).
    for f in files:
        for record in (*f.parsed.records, *f.parsed.auxiliary):
            record.payload = ""
    staged = {}
    for dataset, pairs in items.items():
        if pairs:
            frame = staged_frame(dataset, pairs, service_date=job.service_date, payload=False)
            staged[dataset] = frame.with_columns(pl.Series(BRONZE_ROW, rows[dataset], pl.Int64))
    return _Chunk(
        files=len(files),
        bronze_files=bronze.bronze_files(job.service_date, files, job.run_id),
        bronze_records=records,
        staged=staged,
        parsed_by=os.getpid(),
    )


def _assemble(chunks: list[_Chunk]) -> ParsedDay:
    staged: dict[str, list[pl.DataFrame]] = {ds: [] for ds in DATASETS}
    offset = 0
    for chunk in chunks:
        for dataset, frame in chunk.staged.items():
            staged[dataset].append(frame.with_columns(pl.col(BRONZE_ROW) + offset))
        offset += chunk.bronze_records.num_rows
        chunk.staged = {}
    frames = {}
    for dataset, parts in staged.items():
        if parts:
            frames[dataset] = pl.concat(parts, how="vertical", rechunk=True)
        else:
            frames[dataset] = _empty_staged(dataset)
        parts.clear()
    return ParsedDay(
        bronze_files=_concat([c.bronze_files for c in chunks], bronze.BRONZE_FILES_SCHEMA),
        bronze_records=_concat([c.bronze_records for c in chunks], bronze.BRONZE_RECORDS_SCHEMA),
        staged=frames,
    )


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    return pa.concat_tables(tables) if tables else schema.empty_table()
