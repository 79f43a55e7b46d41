"""The slices of an arrival batch whose new files are judged alone and added to the lake.

A hospital sends its check-ins every half hour, some thirty files a day. Re-reading its slice
for each of them — the earlier check-ins taken from the parse cache, judged again, hashed again
and compared with the lake — made the check-ins a third of the CPU of a city day of batches
(23 of 71 CPU-s without them, for 69,000 records judged 640,000 times), though each file
changes nothing the earlier ones gave.

Check-ins are judged record by record, and their one rule across records (uniqueness) is
within a file; what ties a file to the others of its day is supersession, which goes by record
id (pipeline/supersede.py). So when the new files of a slice are all check-ins and repeat no
record id of the slice's earlier check-ins, judging them alone gives exactly the rows a whole
judging gives them, and leaves the earlier rows as they are: the batch adds their rows to the
tables and their counts to the slice's reconciliation row (pipeline/write_day.py), reading
nothing else of the slice.

It must also be sure that the lake holds the rest of the slice, and nothing of the new files:
the day's last writer completed (lake.completion: a batch killed midway leaves it incomplete)
and no new file is in `bronze_files`. The first is checked when the batch chooses, both under
the day's writer lock (pipeline/write_day.py); where any of this fails, the slice is re-read
whole as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from hanoi_health_lake.lake.catalog import table_path
from hanoi_health_lake.lake.completion import is_complete
from hanoi_health_lake.lake.delta_io import read_facility_slices, table_exists
from hanoi_health_lake.parsers.landing_paths import (
    discover_facility,
    display_path,
    named_dataset,
)
from hanoi_health_lake.realtime import arrivals_log

log = logging.getLogger(__name__)

# Datasets whose rules look at one record, or within one file, and which lend nothing to other
# datasets (pipeline/judge_scope.py): their new files can be judged without the earlier ones.
APPENDED_DATASETS = frozenset({"checkins"})

Slices = dict[str, list[str]]  # facility folder → the new files to append (landing paths)


def candidates(
    landing: Path, lake_root: Path, day: date, folders: list[str], arrived: list[str]
) -> Slices:
    """The day's slices whose new files are all of APPENDED_DATASETS, on a day its last writer
    completed; judged on their names, before parsing. Whether the lake holds any of the files
    already (a file delivered again under its name, or taken by a whole-day run) is asked once,
    under the day's writer lock (write_day._check_appendable): rare, and then the slice is read
    whole."""
    if not folders or not is_complete(lake_root, day):
        return {}
    new: dict[str, list[str]] = {}
    wanted = set(folders)
    for relpath in arrived:
        placed = arrivals_log.slice_of(landing, relpath)
        if placed is not None and placed[0] == day and placed[1] in wanted:
            new.setdefault(placed[1], []).append(relpath)
    chosen = {
        folder: sorted(set(paths))
        for folder, paths in new.items()
        if all(_appended_dataset(path) for path in paths)
    }
    if not chosen:
        return {}
    for folder in list(chosen):
        listed = set(discover_facility(landing, day, folder))
        if not listed.issuperset(chosen[folder]):  # gone again, or not where discover looks
            del chosen[folder]
    return chosen


def without_repeats(
    lake_root: Path,
    day: date,
    chosen: Slices,
    record_ids: Callable[[list[str]], pl.DataFrame],
) -> Slices:
    """Of `chosen`, the slices whose new files repeat no record id the slice's earlier files of
    those datasets hold (a check-in sent again supersedes the earlier one: judged together).
    `record_ids(relpaths)`: facility_code, dataset and record_id of the new files' records."""
    if not chosen:
        return {}
    new = record_ids([p for paths in chosen.values() for p in paths]).drop_nulls("record_id")
    path = table_path(lake_root, "bronze_records")
    facilities = [display_path(f) for f in chosen]
    if new.is_empty() or not table_exists(path):
        return chosen
    earlier = pl.from_arrow(
        read_facility_slices(path, day, facilities, ["facility_code", "dataset", "record_id"])
    )
    if earlier.is_empty():
        return chosen
    repeated = set(
        new.join(earlier, on=["facility_code", "dataset", "record_id"], how="semi")[
            "facility_code"
        ].to_list()
    )
    if repeated:
        log.info("%d slices repeat an earlier record id: judged whole", len(repeated))
    return {f: paths for f, paths in chosen.items() if display_path(f) not in repeated}


def read_without(
    landing: Path, day: date, folders: list[str], arrived: list[str], appended: Slices
) -> dict[str, frozenset[str]]:
    """The day's slices read without their files of APPENDED_DATASETS (folder → those
    datasets): none of the batch's files of the slice is one, and the slice is not appended
    to. A hospital's overnight export then re-reads its encounters, drugs and dossiers, not the
    thirty check-in files of its day: nothing those files give depends on check-ins, and the
    lake keeps the check-ins' rows as they are (slice_commit's `only_files`, and the shared
    tables' rows of datasets not judged: pipeline/judge_scope.py)."""
    with_appended: set[str] = set()
    for relpath in arrived:
        placed = arrivals_log.slice_of(landing, relpath)
        if placed is not None and placed[0] == day and _appended_dataset(relpath):
            with_appended.add(placed[1])
    return {
        folder: APPENDED_DATASETS
        for folder in folders
        if folder not in appended and folder not in with_appended
    }


def _appended_dataset(relpath: str) -> bool:
    """Whether the file's name says one of APPENDED_DATASETS (its day and existence are
    `slice_of`'s and `discover_facility`'s to say)."""
    return named_dataset(relpath) in APPENDED_DATASETS
