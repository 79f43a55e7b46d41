"""One arrival batch: the files logged since the last batch, ingested slice by slice.

A slice is one facility's files of one service day. The batch takes every slice an arrival
touched and re-reads *all* of that slice's landing files, not only the new ones (except where
the new files can be judged alone and their rows added, and, when none of them is a check-in,
the slice's check-in files, whose rows the lake keeps: realtime/append_slices.py): supersession
(corrections win), reconciliation (per facility, dataset and day) and the patient lookup of drug
lines are all computed within a facility's day, so re-reading the slice gives exactly the rows a
whole-day run gives that facility, whatever order its files arrived in, and the batch replaces
just those rows (`write_day.write_slices`). Other facilities' rows of the day are not read.
Within a slice, only the datasets the batch's files can change are judged again
(pipeline/judge_scope.py): a check-in leaves the hospital's imaging studies as they are.

Records are judged exactly as on the whole-day path (contracts.validate).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import polars as pl

from hanoi_health_lake.config import gx_audit_interval
from hanoi_health_lake.contracts.audit_schedule import EVERY_TIME, AuditEvery, AuditSchedule
from hanoi_health_lake.lake.delta_io import AppendRefused, tables_kept_open
from hanoi_health_lake.parsers.landing_paths import display_path
from hanoi_health_lake.pipeline.ingest_day import ingest_day
from hanoi_health_lake.pipeline.parse_day import parse_day
from hanoi_health_lake.pipeline.write_day import write_slices
from hanoi_health_lake.realtime import append_slices, arrivals_log

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    arrivals: int
    slices: dict[date, list[str]] = field(default_factory=dict)  # day → facility folders
    files_read: int = 0  # the files of the touched slices
    files_parsed: int = 0  # of which parsed now (the rest: the parse cache)
    records_judged: int = 0  # records of the datasets the batch judged (judge_scope)
    slices_appended: int = 0  # slices whose new files were judged alone (append_slices)
    seconds: float = 0.0

    @property
    def days(self) -> list[date]:
        return sorted(self.slices)


def group_slices(landing: Path, relpaths: list[str]) -> dict[date, list[str]]:
    slices: dict[date, set[str]] = defaultdict(set)
    for relpath in relpaths:
        placed = arrivals_log.slice_of(landing, relpath)
        if placed is None:
            log.warning("%s names no facility folder: left to the whole-day path", relpath)
            continue
        day, facility = placed
        slices[day].add(facility)
    return {day: sorted(facilities) for day, facilities in sorted(slices.items())}


def ingest_slices(
    landing: Path,
    lake_root: Path,
    slices: dict[date, list[str]],
    *,
    registry_codes: frozenset[str],
    key: bytes,
    run_id: str,
    days: list[date] | None = None,
    audits: AuditSchedule = EVERY_TIME,
    arrived: list[str] | None = None,
) -> tuple[int, int, int, int]:
    """Ingest and write each day's slices; returns the files of the slices read, how many of
    them were parsed (the others came from the parse cache), the records judged and the slices
    appended to. A batch parses
    in its own process: a batch is small, and starting a parse worker costs more CPU than it
    saves. With `arrived` (the batch's landing paths), each slice judges only the datasets
    those files can change (pipeline/judge_scope.py), and the slices whose new files can be
    judged alone are (realtime/append_slices.py); without, every dataset of every slice."""
    files = parsed = judged = appended_to = 0
    with tables_kept_open():  # a batch opens each table once (lake/delta_io.py)
        for day in sorted(slices):
            if days is not None and day not in days:
                continue
            folders = slices[day]
            ingest = partial(
                ingest_day, landing, day, registry_codes=registry_codes, key=key, run_id=run_id,
                facilities=folders, audits=audits, cache_lake=lake_root, workers=1, changed=arrived,
            )  # fmt: skip
            appended, parsed_first = _appended(
                landing, lake_root, day, folders, arrived, registry_codes, run_id
            )
            parsed += parsed_first
            unread = (
                append_slices.read_without(landing, day, folders, arrived, appended)
                if arrived is not None
                else {}
            )
            ingested = ingest(appended=appended, unread=unread)
            try:
                write_slices(lake_root, ingested, [display_path(f) for f in folders], run_id)
            except AppendRefused as refused:
                log.warning("%s: the day's slices are read whole instead", refused)
                parsed += ingested.files_parsed  # the files it parsed wait in the parse cache
                ingested = ingest(unread=unread)
                write_slices(lake_root, ingested, [display_path(f) for f in folders], run_id)
            files += ingested.tables["bronze_files"].num_rows
            parsed += ingested.files_parsed
            judged += ingested.records_judged
            appended_to += len(ingested.appended)
    return files, parsed, judged, appended_to


def _appended(
    landing: Path,
    lake_root: Path,
    day: date,
    folders: list[str],
    arrived: list[str] | None,
    registry_codes: frozenset[str],
    run_id: str,
) -> tuple[dict[str, list[str]], int]:
    """The slices whose new files the batch judges alone (realtime/append_slices.py), and the
    files parsed to choose them: their record ids come from parsing them, through the parse
    cache, where the ingest then finds them."""
    if arrived is None:
        return {}, 0
    chosen = append_slices.candidates(landing, lake_root, day, folders, arrived)
    parsed = 0

    def record_ids(relpaths: list[str]) -> pl.DataFrame:
        nonlocal parsed
        rows = parse_day(landing, day, registry_codes, run_id=run_id, relpaths=relpaths,
                         cache_lake=lake_root, workers=1)  # fmt: skip
        parsed += rows.files_parsed
        return pl.from_arrow(rows.bronze_records.select(["facility_code", "dataset", "record_id"]))

    return append_slices.without_repeats(lake_root, day, chosen, record_ids), parsed


def run_batch(
    home: Path,
    *,
    landing: Path,
    lake_root: Path,
    registry_codes: frozenset[str],
    key: bytes,
    run_id: str,
    max_lines: int | None = None,
) -> BatchResult | None:
    """Take the pending arrivals, write their slices, then mark them taken. None: nothing new."""
    started = time.perf_counter()
    log_dir = arrivals_log.arrivals_dir(home)
    taken = arrivals_log.pending(log_dir, max_lines)
    if not taken.arrivals:
        return None
    slices = group_slices(landing, sorted({a.relpath for a in taken.arrivals}))
    result = BatchResult(arrivals=len(taken.arrivals), slices=slices)
    # GX's audit of each suite at most once per HHL_GX_AUDIT_MINUTES, not in every batch.
    audits = AuditEvery(home / "state" / "gx_audit", gx_audit_interval())
    (result.files_read, result.files_parsed, result.records_judged,
     result.slices_appended) = ingest_slices(
        landing, lake_root, slices, registry_codes=registry_codes, key=key, run_id=run_id,
        audits=audits, arrived=sorted({a.relpath for a in taken.arrivals}),
    )  # fmt: skip
    arrivals_log.commit(log_dir, taken.ends)  # only now: a killed batch is taken again
    result.seconds = time.perf_counter() - started
    return result
