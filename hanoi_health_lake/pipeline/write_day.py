"""Write one ingested day, or some of its facilities, to the lake.

Each table's rows are written in one Delta commit, between the removal and the writing of the
day's completion record (lake.completion), so that a run killed halfway leaves a day the marts
do not read, until a rerun (or the next arrival batch, which retries what a killed one left)
completes it. The whole-day path replaces each table's partition; the arrival path replaces the
rows of the batch's facilities on that day (`delta_io.write_facility_slices`). Both hold the
day's writer lock throughout, so two writers never interleave their commits on one day.

Every file row in `bronze_files` gets `silver_at`, when its records first reached silver: a
rerun over the same file (same path and bytes) keeps the earlier time, so freshness measures the
first arrival in silver, not the latest rerun. A whole-day run reads the day's earlier times; an
arrival batch does not need to: a file the lake holds unchanged keeps its row where it is, and
a facility rewritten whole hands each file's earlier time on in the commit (CARRIED).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable

from hanoi_health_lake.config import TIMEZONE
from hanoi_health_lake.lake.catalog import PARTITION_COLUMN, names, table, table_path
from hanoi_health_lake.lake.completion import is_complete, mark_complete, mark_incomplete
from hanoi_health_lake.lake.delta_commit import TableHead
from hanoi_health_lake.lake.delta_io import (
    AppendRefused,
    existing_head,
    open_table,
    read_facility_slices,
    read_table,
    table_exists,
    write_facility_slices,
    write_partition,
)
from hanoi_health_lake.lake.locks import day_writer_lock
from hanoi_health_lake.lake.slice_commit import Carried
from hanoi_health_lake.pipeline import judge_scope
from hanoi_health_lake.pipeline.bronze import BRONZE_FILES_SCHEMA
from hanoi_health_lake.pipeline.ingest_day import DayIngest

INGEST_TABLES = names(written_by="ingest")  # every table one ingested day writes
# Tables whose rows of an appended slice are recomputed with the earlier counts, not added.
SUMMED_TABLES = frozenset({"reconciliation"})
# A bronze record row is what its file's bytes (sha256) hold: an arrival batch that finds a
# file's rows already in the lake keeps them, comparing the file, not each row's payload.
COMPARED_BY_FILE = {"bronze_records": ("facility_code", "source_file", "sha256")}
# Tables of one row per file or record, named by `source_file`: of a slice read without some
# datasets' files (DayIngest.unread), the rows of the files not read stay as they are.
BY_SOURCE_FILE = frozenset({"bronze_files", "bronze_records"})
# A file keeps the time it first reached silver when its facility's rows are replaced.
CARRIED = {"bronze_files": Carried("silver_at", ("source_file", "sha256"))}
# A row per facility and dataset whose counts change with nearly every batch: the day, a tenth
# of a megabyte at city scale, is written again whole (delta_io.write_facility_slices).
SMALL_DAY_TABLES = frozenset({"reconciliation"})


def write_day(lake_root: Path, day: DayIngest, run_id: str) -> dict[str, int]:
    """Returns the Delta version each table reached."""
    with day_writer_lock(lake_root, day.service_date):
        _stamp_silver_at(lake_root, day, earlier_from_lake=True)
        mark_incomplete(lake_root, day.service_date, run_id)
        versions = {
            name: write_partition(
                table_path(lake_root, name), day.tables[name], day.service_date, run_id=run_id
            )
            for name in INGEST_TABLES
        }
        mark_complete(lake_root, day.service_date, run_id)
    return versions


def write_slices(
    lake_root: Path, day: DayIngest, facilities: list[str], run_id: str
) -> dict[str, int]:
    """Replace the rows of `facilities` on the day (the slices an arrival batch touched) in
    every table; returns the Delta version each table reached. When the batch judged only some
    datasets (`day.scope`), a silver table is written for the facilities that judged its
    dataset (and not at all when none did), and the quarantine and reconciliation keep the rows
    of the other datasets. The slices of `day.appended` get their rows added, and their counts
    added to their reconciliation rows (realtime/append_slices.py); AppendRefused, before any
    commit, when the lake no longer allows that (the caller then reads those slices whole)."""
    appending = day.appended
    with day_writer_lock(lake_root, day.service_date):
        if appending:
            _check_appendable(lake_root, day)
        # Stamped now without reading the lake: a file the lake holds unchanged keeps its row,
        # and its time, where it is; a replaced one is handed its earlier time by the commit
        # (CARRIED).
        _stamp_silver_at(lake_root, day, earlier_from_lake=False)
        files_read = _files_read(day)
        mark_incomplete(lake_root, day.service_date, run_id)
        versions = {}
        for name in INGEST_TABLES:
            path = table_path(lake_root, name)
            data, written = day.tables[name], facilities
            if day.scope is not None and name in judge_scope.SHARED_TABLES:
                summed = appending if name in SUMMED_TABLES else frozenset()
                kept = [f for f in facilities if f in summed or f not in appending]
                data = _with_rows_not_judged(existing_head(path), path, data, day, kept, summed)
            elif day.scope is not None and table(name).fed_by is not None:
                judging = set(judge_scope.facilities_judging(day.scope, table(name).fed_by))
                if not judging & set(facilities) and table_exists(path):
                    continue  # no facility of the batch judged this table's dataset
                written = [f for f in facilities if f in judging] or facilities  # or: create it
            versions[name] = write_facility_slices(
                path, data, day.service_date, written, run_id=run_id,
                compare=COMPARED_BY_FILE.get(name),
                appending=frozenset() if name in SUMMED_TABLES else appending,
                carried=CARRIED.get(name),
                only_files=files_read if name in BY_SOURCE_FILE else None,
                small_day=name in SMALL_DAY_TABLES,
            )  # fmt: skip
        mark_complete(lake_root, day.service_date, run_id)
    return versions


def _files_read(day: DayIngest) -> dict[str, frozenset[str]]:
    """Of the slices read without some datasets' files (`day.unread`), the files read."""
    if not day.unread:
        return {}
    read = _source_files(day, day.unread)
    by_facility = {facility: frozenset() for facility in day.unread}
    for facility, sources in read.group_by("facility_code").agg("source_file").iter_rows():
        by_facility[facility] = frozenset(sources)
    return by_facility


def _source_files(day: DayIngest, facilities: Collection[str]) -> pl.DataFrame:
    """(facility_code, source_file) of the files the batch read for `facilities`."""
    files = pl.from_arrow(day.tables["bronze_files"].select(["facility_code", "source_file"]))
    return files.filter(pl.col("facility_code").is_in(sorted(facilities)))


def _check_appendable(lake_root: Path, day: DayIngest) -> None:
    """Under the day's writer lock: the day's last writer completed, and the lake holds none of
    the appended slices' new files (a whole-day run since the batch began may have taken them)."""
    if not is_complete(lake_root, day.service_date):
        raise AppendRefused(f"{day.service_date}: a writer of the day did not complete")
    new = _source_files(day, day.appended)["source_file"]
    held = held_source_files(lake_root, day.service_date, sorted(day.appended))
    again = sorted(held.intersection(new.to_list()))
    if again:
        raise AppendRefused(f"{day.service_date}: the lake already holds {again[0]}")


def held_source_files(lake_root: Path, service_date: date, facilities: list[str]) -> set[str]:
    """The source files `bronze_files` holds for the facilities on the day."""
    path = table_path(lake_root, "bronze_files")
    head = existing_head(path)
    if not facilities or head is None:
        return set()
    rows = read_facility_slices(path, service_date, facilities, ["source_file"], opened=head)
    return set(rows["source_file"].to_pylist())


def _with_rows_not_judged(
    head: TableHead | None,
    path: Path,
    data: pa.Table,
    day: DayIngest,
    facilities: list[str],
    summed: frozenset[str] = frozenset(),
) -> pa.Table:
    """`data` (rows of the datasets the batch judged) and the rows the lake holds for the
    facilities' other datasets: together, the facilities' rows as a whole judging gives them.
    For the facilities in `summed` (appended slices' reconciliation), the rows the lake holds
    for the datasets judged are added to `data`'s counts: the new files' and the earlier ones'."""
    if head is None:
        return data
    stored = _stored_columns(head.table)  # commits written by hand never change it
    columns = [c for c in data.column_names if c != PARTITION_COLUMN and c in stored]
    held = read_facility_slices(path, day.service_date, facilities, columns, opened=head)
    if held.num_rows == 0:
        return data
    held_rows = pl.from_arrow(held).with_columns(pl.lit(day.service_date).alias(PARTITION_COLUMN))
    kept = judge_scope.outside(held_rows, day.scope)
    rows = pl.concat([pl.from_arrow(data), kept], how="diagonal_relaxed")
    if summed:
        earlier = judge_scope.within(held_rows, day.scope).filter(
            pl.col("facility_code").is_in(sorted(summed))
        )
        rows = _summed(rows, earlier, data.column_names)
    return rows.select(data.column_names).to_arrow().cast(data.schema)


def _summed(rows: pl.DataFrame, earlier: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Reconciliation rows with the counts of `earlier` (same facility and dataset) added; the
    run that wrote them is the new row's."""
    if earlier.is_empty():
        return rows
    keys = [PARTITION_COLUMN, "facility_code", "dataset"]
    counts = [c for c in columns if c not in (*keys, "run_id")]
    added = (
        pl.concat([rows, earlier.select(rows.columns)], how="vertical_relaxed")
        .group_by(keys, maintain_order=True)
        .agg(*(pl.col(c).sum() for c in counts), pl.col("run_id").first())
    )
    return added.select(columns)


def _stored_columns(table: DeltaTable) -> set[str]:
    return set(table.schema().to_arrow().names)


def _stamp_silver_at(lake_root: Path, day: DayIngest, *, earlier_from_lake: bool) -> None:
    """Set `bronze_files.silver_at`: now, or (`earlier_from_lake`) the time the day's table
    already records for the same file."""
    files = day.tables["bronze_files"]
    now = datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None)
    frame = pl.from_arrow(files.drop_columns(["silver_at"]) if "silver_at" in files.column_names
                          else files)  # fmt: skip
    earlier = _earlier_silver_at(lake_root, day) if earlier_from_lake else None
    if earlier is not None and earlier.height:
        frame = frame.join(earlier, on=["source_file", "sha256"], how="left", nulls_equal=True)
        frame = frame.with_columns(pl.col("silver_at").fill_null(now))
    else:
        frame = frame.with_columns(silver_at=pl.lit(now, dtype=pl.Datetime("us")))
    day.tables["bronze_files"] = (
        frame.select(BRONZE_FILES_SCHEMA.names).to_arrow().cast(BRONZE_FILES_SCHEMA)
    )


def _earlier_silver_at(lake_root: Path, day: DayIngest) -> pl.DataFrame | None:
    path = table_path(lake_root, "bronze_files")
    if not table_exists(path) or "silver_at" not in _stored_columns(open_table(path)):
        return None  # no table yet, or one older than the column
    columns = ["source_file", "sha256", "silver_at"]
    existing = read_table(path, [day.service_date], columns)
    if existing.num_rows == 0:
        return None
    frame = pl.from_arrow(existing.select(columns))
    return (
        frame.drop_nulls("silver_at")
        .group_by("source_file", "sha256")
        .agg(pl.col("silver_at").min())
        .with_columns(pl.col("silver_at").cast(pl.Datetime("us")))
    )
