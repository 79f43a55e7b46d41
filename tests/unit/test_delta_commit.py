"""Commits written by hand (lake/delta_commit.py), read back by delta-rs on real Delta tables."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from hanoi_health_lake.lake.delta_commit import CHECKPOINT_EVERY, ENGINE, CommitRaced
from hanoi_health_lake.lake.delta_io import (
    open_table,
    read_facility_slices,
    read_table,
    tables_kept_open,
    write_facility_slices,
)

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def _rows(day, codes, value):
    return pa.table({"service_date": pa.array([day] * len(codes), pa.date32()),
                     "facility_code": codes, "value": [value] * len(codes)})  # fmt: skip


def _rows_of(path, day=None):
    table = DeltaTable(str(path)).to_pyarrow_table()  # a fresh reader: delta-rs alone
    rows = zip(*(table[c].to_pylist() for c in ("service_date", "facility_code", "value")),
               strict=True)  # fmt: skip
    return sorted(r for r in rows if day is None or r[0] == day)


def test_a_run_commits_by_hand_and_delta_rs_reads_every_version(tmp_path):
    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(D1, ["A", "B"], 1), D1, ["A", "B"], run_id="r0")
    created = DeltaTable(str(path)).version()
    with tables_kept_open():  # one arrivals run: two days, corrections, new facilities
        write_facility_slices(path, _rows(D1, ["C"], 1), D1, ["C"], run_id="r1")
        write_facility_slices(path, _rows(D2, ["A"], 2), D2, ["A"], run_id="r2")  # a new day
        write_facility_slices(path, _rows(D1, ["B"], 9), D1, ["B"], run_id="r3")  # replaced
        write_facility_slices(path, _rows(D2, ["A", "D"], 3), D2, ["A", "D"], run_id="r4")
        # Read within the run: the kept day, and the table object brought up to date.
        held = read_facility_slices(path, D1, ["B", "C"], ["facility_code", "value"])
        assert sorted(held.to_pylist(), key=str) == [
            {"facility_code": "B", "value": 9}, {"facility_code": "C", "value": 1}
        ]  # fmt: skip
        assert open_table(path).version() == created + 4
    assert _rows_of(path) == [(D1, "A", 1), (D1, "B", 9), (D1, "C", 1),
                              (D2, "A", 3), (D2, "D", 3)]  # fmt: skip
    history = DeltaTable(str(path)).history(4)
    assert {h["engineInfo"] for h in history} == {ENGINE}
    assert [h["run_id"] for h in history] == ["r4", "r3", "r2", "r1"]
    # Every version in between reads as what that commit left.
    assert _rows_of_version(path, created + 1, D1) == [(D1, "A", 1), (D1, "B", 1), (D1, "C", 1)]


def _rows_of_version(path, version, day):
    table = DeltaTable(str(path), version=version).to_pyarrow_table()
    rows = zip(*(table[c].to_pylist() for c in ("service_date", "facility_code", "value")),
               strict=True)  # fmt: skip
    return sorted(r for r in rows if r[0] == day)


def test_checkpoints_are_written_as_commits_by_hand_pass_them(tmp_path):
    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(D1, ["A"], 0), D1, ["A"], run_id="r0")
    with tables_kept_open():
        for i in range(1, CHECKPOINT_EVERY + 2):
            write_facility_slices(path, _rows(D1, [f"F{i:02d}"], i), D1, [f"F{i:02d}"],
                                  run_id=f"r{i}")  # fmt: skip
    log = path / "_delta_log"
    assert (log / f"{CHECKPOINT_EVERY:020d}.checkpoint.parquet").exists()
    assert not list(log.glob("*.tmp"))
    assert len(_rows_of(path)) == CHECKPOINT_EVERY + 2


def test_a_version_taken_by_a_writer_without_the_lock_fails_the_commit_and_leaves_it(
    tmp_path, monkeypatch
):
    from hanoi_health_lake.lake import delta_io

    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(D1, ["A"], 1), D1, ["A"], run_id="r0")
    with tables_kept_open():
        write_facility_slices(path, _rows(D1, ["B"], 1), D1, ["B"], run_id="r1")
        version = DeltaTable(str(path)).version()
        # Another writer's commit file appears between the run's stat and its write: the run
        # believes the table is still at `version` when it commits.
        racer = path / "_delta_log" / f"{version + 1:020d}.json"
        monkeypatch.setattr(delta_io, "_committed_since", lambda *a: False)
        racer.write_text((path / "_delta_log" / f"{version:020d}.json").read_text())
        with pytest.raises(CommitRaced, match=f"version {version + 1}"):
            write_facility_slices(path, _rows(D1, ["C"], 1), D1, ["C"], run_id="r2")
    assert racer.read_text() == (path / "_delta_log" / f"{version:020d}.json").read_text()
    assert not list((path / "_delta_log").glob("*.tmp"))


def test_a_table_asking_more_of_its_writers_is_committed_by_delta_rs(tmp_path):
    path = tmp_path / "silver" / "t"
    write_deltalake(str(path), _rows(D1, ["A"], 1), partition_by=["service_date"],
                    configuration={"delta.enableChangeDataFeed": "true"})  # fmt: skip
    with tables_kept_open():
        write_facility_slices(path, _rows(D1, ["A"], 2), D1, ["A"], run_id="r1")
        write_facility_slices(path, _rows(D1, ["B"], 2), D1, ["B"], run_id="r2")
    history = DeltaTable(str(path)).history(2)
    assert [h["run_id"] for h in history] == ["r2", "r1"]
    assert all(h["engineInfo"].startswith("delta-rs") for h in history)
    assert sorted(read_table(path).to_pylist(), key=str) == [
        {"service_date": D1, "facility_code": "A", "value": 2},
        {"service_date": D1, "facility_code": "B", "value": 2},
    ]
