"""The arrivals log, the slice writes and the replay: each on small real files and tables."""

from __future__ import annotations

import os
from datetime import date, datetime

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from hanoi_health_lake.lake.delta_io import read_facility_slices, read_table, write_facility_slices
from hanoi_health_lake.lake.maintenance import compact_lake, files_per_day, vacuum_lake
from hanoi_health_lake.realtime import arrivals_log
from hanoi_health_lake.realtime.replay import day_exports, replay

D = date(2026, 3, 2)


def _landing(tmp_path, relpaths):
    for rel in relpaths:
        path = tmp_path / "landing" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    return tmp_path / "landing"


def test_pending_lines_are_taken_once_committed_and_a_half_written_line_waits(tmp_path):
    rels = ["01001/2026-03-02/encounters__20260303T010000.csv",
            "01002/2026-03-01/referrals__20260303T020000.json"]  # fmt: skip
    landing = _landing(tmp_path, rels)
    log_dir = tmp_path / "arrivals"
    assert not arrivals_log.has_pending(log_dir)
    assert arrivals_log.record_arrivals(log_dir, landing, rels) == 2
    assert arrivals_log.record_arrivals(log_dir, landing, ["01003/gone.csv"]) == 0
    taken = arrivals_log.pending(log_dir)
    assert [a.relpath for a in taken.arrivals] == rels
    assert arrivals_log.pending(log_dir, max_lines=1).arrivals[0].relpath == rels[0]
    # Not committed (a batch killed before the end): the same lines again.
    assert [a.relpath for a in arrivals_log.pending(log_dir).arrivals] == rels
    log = next(log_dir.glob("*.log"))
    with open(log, "ab") as fh:
        fh.write(b"01004/2026-03-02/enc")  # a writer halfway through its line
    arrivals_log.commit(log_dir, taken.ends)
    assert arrivals_log.pending(log_dir).arrivals == []
    assert arrivals_log.has_pending(log_dir)  # the bytes are there, the line is not complete
    with open(log, "ab") as fh:
        fh.write(b"ounters__20260303T030000.csv\t1\t1\n")
    assert [a.relpath for a in arrivals_log.pending(log_dir).arrivals] == [
        "01004/2026-03-02/encounters__20260303T030000.csv"
    ]


def test_a_file_belongs_to_its_day_folder_or_else_to_the_day_it_arrived(tmp_path):
    landing = _landing(tmp_path, ["01001/2026-03-02/a.csv", "01001/misc/b.csv"])
    os.utime(landing / "01001/misc/b.csv", (0, datetime(2026, 3, 5, 12).timestamp()))
    assert arrivals_log.slice_of(landing, "01001/2026-03-02/a.csv") == (D, "01001")
    assert arrivals_log.slice_of(landing, "01001/misc/b.csv") == (date(2026, 3, 5), "01001")
    assert arrivals_log.slice_of(landing, "stray.csv") is None


def test_the_listing_fallback_logs_only_what_no_writer_logged(tmp_path):
    today = datetime.now().date().isoformat()
    rels = [f"01001/{today}/encounters__x.csv", f"01002/{today}/encounters__y.csv"]
    landing = _landing(tmp_path, rels)
    log_dir = tmp_path / "arrivals"
    arrivals_log.record_arrivals(log_dir, landing, rels[:1])
    assert arrivals_log.log_unlisted(log_dir, landing) == 1
    assert arrivals_log.log_unlisted(log_dir, landing) == 0
    assert sorted(a.relpath for a in arrivals_log.pending(log_dir).arrivals) == rels


def _rows(codes, value):
    return pa.table(
        {
            "service_date": pa.array([D] * len(codes), pa.date32()),
            "facility_code": codes,
            "value": [value] * len(codes),
        }
    )


def test_a_slice_write_replaces_its_facilities_and_nothing_else(tmp_path):
    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(["A", "B", "C"], 1), D, ["A", "B", "C"], run_id="r1")
    other_day = pa.table({"service_date": pa.array([date(2026, 3, 3)], pa.date32()),
                          "facility_code": ["B"], "value": [7]})  # fmt: skip
    write_facility_slices(path, other_day, date(2026, 3, 3), ["B"], run_id="r2")
    write_facility_slices(path, _rows(["B"], 2), D, ["B", "C"], run_id="r3")  # C sent nothing
    rows = sorted((r["service_date"], r["facility_code"], r["value"])
                  for r in read_table(path).to_pylist())  # fmt: skip
    assert rows == [(D, "A", 1), (D, "B", 2), (date(2026, 3, 3), "B", 7)]
    with pytest.raises(ValueError, match="outside the slices"):
        write_facility_slices(path, _rows(["A"], 3), D, ["B"], run_id="r4")


def _day_rows(path) -> list[tuple]:
    table = read_table(path, [D])
    return sorted(zip(*(table[c].to_pylist() for c in ("facility_code", "value")), strict=True))


def _file_actions(path, version: int) -> tuple[set[str], set[str]]:
    """The paths one commit of a table removed and added."""
    import json

    log = path / "_delta_log" / f"{version:020d}.json"
    actions = [json.loads(line) for line in log.read_text().splitlines()]
    return (
        {a["remove"]["path"] for a in actions if "remove" in a},
        {a["add"]["path"] for a in actions if "add" in a},
    )


def test_a_slice_that_only_gained_rows_is_appended_and_earlier_files_stay(tmp_path):
    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(["A", "B"], 1), D, ["A", "B"], run_id="r1")
    version = write_facility_slices(path, _rows(["C", "D"], 1), D, ["C", "D"], run_id="r2")
    # B sends again: its earlier row is still among its rows, one more came (a duplicate too).
    gained = pa.table({"service_date": pa.array([D] * 3, pa.date32()),
                       "facility_code": ["B", "B", "B"], "value": [1, 1, 5]})  # fmt: skip
    after = write_facility_slices(path, gained, D, ["B"], run_id="r3")
    removed, added = _file_actions(path, after)
    assert removed == set() and len(added) == 1  # nothing rewritten
    assert _day_rows(path) == [("A", 1), ("B", 1), ("B", 1), ("B", 5), ("C", 1), ("D", 1)]
    assert after == version + 1


def test_a_slice_whose_rows_changed_rewrites_only_the_files_holding_it(tmp_path):
    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(["A", "B"], 1), D, ["A", "B"], run_id="r1")
    write_facility_slices(path, _rows(["C", "D"], 1), D, ["C", "D"], run_id="r2")
    files_cd = set(DeltaTable(str(path)).file_uris())
    version = write_facility_slices(path, _rows(["B"], 9), D, ["B"], run_id="r3")  # corrected
    removed, added = _file_actions(path, version)
    assert len(removed) == 1 and len(added) == 2  # A's row moved to a file of its own
    assert _day_rows(path) == [("A", 1), ("B", 9), ("C", 1), ("D", 1)]
    assert files_cd - set(DeltaTable(str(path)).file_uris()) == {
        u for u in files_cd if u.endswith(next(iter(removed)))
    }
    # A facility that sent nothing this time loses its rows; duplicates count as rows.
    write_facility_slices(path, _rows(["D"], 1).slice(0, 0), D, ["D"], run_id="r4")
    assert _day_rows(path) == [("A", 1), ("B", 9), ("C", 1)]


def test_the_facility_index_learns_other_files_and_a_damaged_index_is_only_a_shortcut(tmp_path):
    from hanoi_health_lake.lake import facility_index
    from hanoi_health_lake.lake.delta_io import write_partition

    path = tmp_path / "silver" / "t"
    write_partition(path, _rows(["A", "B"], 1), D, run_id="whole-day")  # written by delta-rs
    write_facility_slices(path, _rows(["C"], 1), D, ["C"], run_id="r1")
    live = {a["path"] for a in _live_adds(path)}
    index = facility_index.load(path, D).to_pylist()
    assert {row["path"] for row in index} == live
    by_file = {}
    for row in index:
        by_file.setdefault(row["path"], set()).add(row["facility_code"])
    assert sorted(map(sorted, by_file.values())) == [["A", "B"], ["C"]]
    (path / facility_index.FOLDER / f"{D.isoformat()}.arrow").write_text("not arrow")
    write_facility_slices(path, _rows(["A"], 2), D, ["A"], run_id="r2")  # a correction
    assert _day_rows(path) == [("A", 2), ("B", 1), ("C", 1)]
    index = facility_index.load(path, D)
    assert set(index["path"].to_pylist()) == {a["path"] for a in _live_adds(path)}


def test_a_run_remembers_a_days_files_between_batches_and_sees_another_writers_commit(
    tmp_path, monkeypatch
):
    from deltalake import write_deltalake

    from hanoi_health_lake.lake import day_files, facility_index
    from hanoi_health_lake.lake.delta_io import tables_kept_open

    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(["A", "B"], 1), D, ["A", "B"], run_id="r0")  # creates it
    listed = []
    real = day_files.day_files
    monkeypatch.setattr(day_files, "day_files", lambda *a: listed.append(a) or real(*a))
    with tables_kept_open():  # one arrivals run
        write_facility_slices(path, _rows(["C"], 1), D, ["C"], run_id="r1")
        write_facility_slices(path, _rows(["B"], 9), D, ["B"], run_id="r2")  # a correction
        assert len(listed) == 1  # the second batch found the day as the first one left it
        assert _day_rows(path) == [("A", 1), ("B", 9), ("C", 1)]
        # Another process replaces the day (a whole-day rerun): its commit is seen.
        write_deltalake(str(path), _rows(["A", "E"], 5), mode="overwrite",
                        predicate=f"service_date = '{D.isoformat()}'")  # fmt: skip
        write_facility_slices(path, _rows(["E"], 6), D, ["E"], run_id="r3")
        assert len(listed) == 2
        assert _day_rows(path) == [("A", 5), ("E", 6)]
    # The index on disk, written as the run ended, lists the day's files and nothing else.
    index = facility_index.load(path, D)
    assert set(index["path"].to_pylist()) == {a["path"] for a in _live_adds(path)}
    pairs = sorted(zip(*(index[c].to_pylist() for c in ("path", "facility_code")), strict=True))
    assert sorted(code for _, code in pairs) == ["A", "E"]


def _live_adds(path) -> list[dict]:
    table = pa.table(DeltaTable(str(path)).get_add_actions(flatten=True))
    return table.select(["path"]).to_pylist()


def test_compaction_keeps_every_row_and_vacuum_deletes_the_replaced_files(tmp_path):
    lake = tmp_path / "lake"
    path = lake / "silver" / "encounters"
    codes = [f"0100{i}" for i in range(10)]
    for i, code in enumerate(codes):  # one small batch a facility, then a correction each
        write_facility_slices(path, _rows([code], i), D, [code], run_id=f"b{i}")
    for i, code in enumerate(codes[:5]):
        write_facility_slices(path, _rows([code], 100 + i), D, [code], run_id=f"c{i}")
    before = sorted(read_table(path).to_pylist(), key=str)
    assert files_per_day(path)[D.isoformat()] >= 8
    hashes = path / "_facility_index" / "rows" / D.isoformat()
    assert len(list(hashes.iterdir())) >= 8
    report = compact_lake(lake, min_files=8)
    assert report.compacted == {"encounters": [D.isoformat()]}
    assert files_per_day(path)[D.isoformat()] < 8
    assert list(hashes.iterdir()) == []  # the compacted files' row hashes went with them
    assert sorted(read_table(path).to_pylist(), key=str) == before
    on_disk = len(list(path.glob("service_date=*/*.parquet")))
    vacuumed = vacuum_lake(lake, hours=0)
    assert vacuumed.vacuumed["encounters"] > 0
    assert len(list(path.glob("service_date=*/*.parquet"))) < on_disk
    assert sorted(read_table(path).to_pylist(), key=str) == before
    assert DeltaTable(str(path)).version() > 15


def test_replay_lands_the_days_exports_in_export_order_and_logs_each(tmp_path):
    source = _landing(tmp_path / "sim", [
        "01001/2026-03-02/encounters__20260303T050000.csv",
        "01002/2026-03-02/encounters__20260303T010000.csv",
        "01002/2026-03-02/encounters__20260306T010000.csv",  # a correction three days later
        "01003/2026-03-01/encounters__20260302T010000.csv",  # another day
    ])  # fmt: skip
    assert [e.relpath[:5] for e in day_exports(source, D)] == ["01002", "01001"]
    assert len(day_exports(source, D, until=datetime(2026, 3, 7))) == 3
    slept = []
    home = tmp_path / "home"
    assert replay(source, home, D, speed=3600, sleep=slept.append) == 2
    assert sum(slept) <= 4 * 3600 / 3600 + 1  # 01:00 → 05:00 at 3600× is about 4 s
    logged = [a.relpath for a in arrivals_log.pending(arrivals_log.arrivals_dir(home)).arrivals]
    assert logged == [e.relpath for e in day_exports(source, D)]
    assert (home / "landing" / logged[0]).read_text() == logged[0]
    assert not list((home / ".replay-staging").iterdir())


def test_held_rows_are_compared_by_the_row_hashes_kept_beside_each_file(tmp_path, monkeypatch):
    """A batch compares a returning facility's rows through the hashes written with its files,
    without reading them back; a file whose hashes are damaged is read instead, and the hashes
    of a file the commit removed go with it."""
    import pyarrow.parquet as pq

    from hanoi_health_lake.lake import row_hashes, slice_commit

    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(["Z"], 1), D, ["Z"], run_id="r0")  # creates it: delta-rs
    first = {os.path.basename(a["path"]) + ".arrow" for a in _live_adds(path)}
    write_facility_slices(path, _rows(["A", "B"], 1), D, ["A", "B"], run_id="r1")
    write_facility_slices(path, _rows(["C", "D"], 1), D, ["C", "D"], run_id="r2")
    folder = path / "_facility_index" / "rows" / D.isoformat()
    live = {os.path.basename(a["path"]) + ".arrow" for a in _live_adds(path)}
    assert {p.name for p in folder.iterdir()} == live - first
    opened = []
    real = pq.ParquetFile
    monkeypatch.setattr(
        slice_commit.pq, "ParquetFile", lambda *a, **k: opened.append(a) or real(*a, **k)
    )
    gained = pa.table({"service_date": pa.array([D] * 2, pa.date32()),
                       "facility_code": ["D", "D"], "value": [1, 4]})  # fmt: skip
    version = write_facility_slices(path, gained, D, ["D"], run_id="r3")
    assert opened == []  # D's held row came from the hashes
    removed, added = _file_actions(path, version)
    assert removed == set() and len(added) == 1
    for hashes in folder.iterdir():  # damaged: the rows are read, the outcome is the same
        hashes.write_bytes(b"not arrow")
    version = write_facility_slices(path, _rows(["B"], 9), D, ["B"], run_id="r4")  # corrected
    assert opened  # read instead
    removed, _ = _file_actions(path, version)
    assert len(removed) == 1
    assert _day_rows(path) == [("A", 1), ("B", 9), ("C", 1), ("D", 1), ("D", 4), ("Z", 1)]
    live = {os.path.basename(a["path"]) + ".arrow" for a in _live_adds(path)}
    assert {p.name for p in folder.iterdir()} == live - first  # the removed file's went too
    kept = [p for p in folder.iterdir() if p.name.startswith("part-")]
    names = [p.name[:-6] for p in kept]
    held, unhashed = row_hashes.load_many(path, D, names, ["A", "B", "C", "D"], "x")
    assert kept and unhashed == list(range(len(kept)))  # another signature: ignored
    assert held.is_empty()


def test_a_batchs_rows_go_in_small_files_so_that_a_correction_rewrites_little(
    tmp_path, monkeypatch
):
    """A batch's rows are cut, between facilities, into files of at most FILE_ROWS rows: a
    facility corrected later rewrites the small file that holds it, not the whole batch's rows.
    The rows kept from a rewritten file keep their hashes, so the next comparison still reads
    no data file."""
    import pyarrow.parquet as pq

    from hanoi_health_lake.lake import slice_commit

    monkeypatch.setattr(slice_commit, "FILE_ROWS", 2)
    path = tmp_path / "silver" / "t"
    write_facility_slices(path, _rows(["Z"], 1), D, ["Z"], run_id="r0")  # creates it: delta-rs
    codes = ["A", "B", "B", "B", "C", "D"]
    version = write_facility_slices(path, _rows(codes, 1), D, sorted(set(codes)), run_id="r1")
    _, added = _file_actions(path, version)
    held = sorted(tuple(pq.read_table(path / a)["facility_code"].to_pylist()) for a in added)
    assert held == [("A",), ("B", "B", "B"), ("C", "D")]  # B alone has more than 2 rows

    version = write_facility_slices(path, _rows(["C"], 9), D, ["C"], run_id="r2")  # corrected
    removed, added = _file_actions(path, version)
    assert len(removed) == 1  # the file of C and D only
    held = sorted(tuple(pq.read_table(path / a)["facility_code"].to_pylist()) for a in added)
    assert held == [("C",), ("D",)]
    assert _day_rows(path) == [("A", 1), ("B", 1), ("B", 1), ("B", 1), ("C", 9), ("D", 1), ("Z", 1)]

    opened = []
    real = pq.ParquetFile
    monkeypatch.setattr(
        slice_commit.pq, "ParquetFile", lambda *a, **k: opened.append(a) or real(*a, **k)
    )
    version = write_facility_slices(path, _rows(["D", "D"], 1), D, ["D"], run_id="r3")
    assert opened == []  # D's row in the rewritten file was compared by its kept hashes
    removed, added = _file_actions(path, version)
    assert removed == set() and len(added) == 1
    assert _day_rows(path).count(("D", 1)) == 2


def test_a_small_days_table_is_written_again_whole_and_only_when_it_changed(tmp_path):
    path = tmp_path / "audit" / "t"
    write_facility_slices(path, _rows(["A", "B"], 1), D, ["A", "B"], run_id="r0")  # creates it
    write_facility_slices(path, _rows(["C"], 1), D, ["C"], run_id="r1", small_day=True)
    write_facility_slices(path, _rows(["B"], 2), D, ["B", "D"], run_id="r2", small_day=True)
    assert _day_rows(path) == [("A", 1), ("B", 2), ("C", 1)]
    assert len(_live_adds(path)) == 1  # the day in one file
    version = DeltaTable(str(path)).version()
    assert write_facility_slices(path, _rows(["B"], 2), D, ["B"], run_id="r3",
                                 small_day=True) == version  # fmt: skip
    assert DeltaTable(str(path)).version() == version  # nothing changed: no commit
    empty = _rows(["B"], 0).slice(0, 0)
    write_facility_slices(path, empty, date(2026, 3, 3), ["B"], run_id="r3", small_day=True)
    assert DeltaTable(str(path)).version() == version  # no rows before, none now
    # The index lists the one file, so a slice read finds each facility's rows.
    held = read_facility_slices(path, D, ["C"], ["facility_code", "value"])
    assert held.to_pylist() == [{"facility_code": "C", "value": 1}]
    with pytest.raises(ValueError, match="rewritten whole"):
        write_facility_slices(path, _rows(["B"], 3), D, ["B"], run_id="r4", small_day=True,
                              appending=frozenset({"B"}))  # fmt: skip
