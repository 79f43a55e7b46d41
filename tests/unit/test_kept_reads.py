"""What an arrivals run keeps of files that never change (lake/kept_reads.py), and a slice read
through it: the same rows as a fresh read, after the table moved on too."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from hanoi_health_lake.lake import kept_reads
from hanoi_health_lake.lake.delta_io import (
    read_facility_slices,
    tables_kept_open,
    write_facility_slices,
)

D1 = date(2026, 3, 2)


def _rows(codes, value):
    return pa.table({"service_date": pa.array([D1] * len(codes), pa.date32()),
                     "facility_code": codes, "value": [value] * len(codes)})  # fmt: skip


def _values(table):
    return sorted(zip(table["facility_code"].to_pylist(), table["value"].to_pylist(), strict=True))


def test_kept_only_within_a_run_and_dropped_whole_past_the_limit(monkeypatch):
    small = pa.table({"x": list(range(100))})
    kept_reads.keep("outside", small)
    assert kept_reads.kept("outside") is None  # no run: nothing is kept
    monkeypatch.setattr(kept_reads, "KEPT_BYTES", small.nbytes * 2)
    with kept_reads.remembered():
        kept_reads.keep("a", small)
        kept_reads.keep("b", small)
        assert kept_reads.kept("a") is small and kept_reads.kept("b") is small
        kept_reads.keep("c", small)  # past the limit: what was kept is dropped, then c kept
        assert kept_reads.kept("a") is None and kept_reads.kept("c") is small
    assert kept_reads.kept("c") is None


def test_slices_read_within_a_run_are_the_tables_rows_as_it_moves_on(tmp_path):
    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(["A", "B", "C"], 1), D1, ["A", "B", "C"], run_id="r0")
    with tables_kept_open():
        first = read_facility_slices(path, D1, ["A", "B"], ["facility_code", "value"])
        assert _values(first) == [("A", 1), ("B", 1)]
        # B is replaced: its file is rewritten under a new name, the old one left unread.
        write_facility_slices(path, _rows(["B"], 2), D1, ["B"], run_id="r1")
        again = read_facility_slices(path, D1, ["A", "B", "C"], ["facility_code", "value"])
        assert _values(again) == [("A", 1), ("B", 2), ("C", 1)]
    fresh = read_facility_slices(path, D1, ["A", "B", "C"], ["facility_code", "value"])
    assert _values(fresh) == [("A", 1), ("B", 2), ("C", 1)]


def test_a_file_written_within_a_run_is_read_whole_from_what_was_kept(tmp_path):
    path = tmp_path / "day.parquet"
    rows = _rows(["01001", "01002"], 7)
    pq.write_table(rows, path)
    with kept_reads.remembered():
        kept_reads.DataFile(path).wrote(rows)
        path.unlink()  # what the run wrote is not read again
        assert kept_reads.DataFile(path).whole() is rows
    pq.write_table(_rows(["01003"], 8), path)
    assert _values(kept_reads.DataFile(path).whole()) == [("01003", 8)]  # outside: read
