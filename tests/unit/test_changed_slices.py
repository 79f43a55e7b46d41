"""What a marts refresh copies again of a lake day: the facilities an arrival batch's commits
replaced, the whole day after any other change of it, nothing after a compaction or a commit of
another day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable

from hanoi_health_lake.lake.changed_slices import changed_facilities
from hanoi_health_lake.lake.delta_io import tables_kept_open, write_facility_slices, write_partition

DAY, OTHER = date(2026, 3, 2), date(2026, 3, 3)


def _rows(day: date, facilities: list[str], value: int) -> pa.Table:
    return pa.table(
        {
            "service_date": pa.array([day] * len(facilities), pa.date32()),
            "facility_code": facilities,
            "value": [value] * len(facilities),
        }
    )


def _day_rows(path: Path, day: date, version: int) -> set[tuple[str, int]]:
    rows = DeltaTable(str(path), version=version).to_pyarrow_table().to_pylist()
    return {(r["facility_code"], r["value"]) for r in rows if r["service_date"] == day}


def _version(path: Path) -> int:
    return DeltaTable(str(path)).version()


def test_a_batchs_commits_name_the_facilities_they_replaced(tmp_path: Path):
    path = tmp_path / "visits"
    write_partition(path, _rows(DAY, ["A", "B", "C"], 1), DAY, run_id="day")
    write_partition(path, _rows(OTHER, ["A", "B"], 1), OTHER, run_id="day")
    start = _version(path)
    with tables_kept_open():
        write_facility_slices(path, _rows(DAY, ["B"], 2), DAY, ["B"], run_id="batch-1")
        write_facility_slices(path, _rows(OTHER, ["A"], 2), OTHER, ["A"], run_id="batch-1")
        write_facility_slices(path, _rows(DAY, ["D"], 2), DAY, ["C", "D"], run_id="batch-2")
    end = _version(path)
    assert end == start + 3
    assert changed_facilities(path, start, end, DAY) == {"B", "C", "D"}
    assert changed_facilities(path, start, end, OTHER) == {"A"}
    assert changed_facilities(path, end, end, DAY) == frozenset()
    # The rows the facilities hold now differ from what they held at `start`, and no others.
    held, now = _day_rows(path, DAY, start), _day_rows(path, DAY, end)
    assert {code for code, _ in held ^ now} == {"B", "C", "D"}


def test_a_whole_day_write_asks_for_the_whole_day_and_leaves_other_days_alone(tmp_path: Path):
    path = tmp_path / "visits"
    write_partition(path, _rows(DAY, ["A", "B"], 1), DAY, run_id="day")
    write_partition(path, _rows(OTHER, ["A"], 1), OTHER, run_id="day")
    start = _version(path)
    with tables_kept_open():
        write_facility_slices(path, _rows(DAY, ["A"], 2), DAY, ["A"], run_id="batch")
    write_partition(path, _rows(DAY, ["A", "B"], 3), DAY, run_id="backfill")
    end = _version(path)
    assert changed_facilities(path, start, end, DAY) is None
    assert changed_facilities(path, start, end, OTHER) == frozenset()


def test_compaction_changes_no_rows_and_a_lost_log_asks_for_the_whole_day(tmp_path: Path):
    path = tmp_path / "visits"
    write_partition(path, _rows(DAY, ["A", "B"], 1), DAY, run_id="day")
    with tables_kept_open():
        for value, code in enumerate(["A", "B", "A"], start=2):
            write_facility_slices(path, _rows(DAY, [code], value), DAY, [code], run_id="batch")
    before = _version(path)
    metrics = DeltaTable(str(path)).optimize.compact()
    assert metrics["numFilesRemoved"] > 1  # the compaction did rewrite the day's files
    after = _version(path)
    assert after == before + 1
    assert changed_facilities(path, before, after, DAY) == frozenset()
    (path / "_delta_log" / f"{before:020d}.json").unlink()
    assert changed_facilities(path, before - 1, after, DAY) is None
