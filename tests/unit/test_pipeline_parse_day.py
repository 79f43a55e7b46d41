"""Pieces of the day's parse and ingest that need no simulated day (tests/integration has those)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from hanoi_health_lake.pipeline import parse_day as parse_day_module
from hanoi_health_lake.pipeline.ingest_day import _rejected_flags
from hanoi_health_lake.pipeline.parse_day import deliver

DAY = "2026-03-02"


def _exploding(landing_root: Path, relpath: str, **kwargs):
    raise ValueError("boom")


def test_a_parser_that_raises_fails_its_file_with_the_bytes_it_was_given(tmp_path):
    relpath = f"01012/{DAY}/encounters__20260303T061500.csv"
    (tmp_path / relpath).parent.mkdir(parents=True)
    (tmp_path / relpath).write_bytes(b"MA_LK\n1\n")
    delivered = deliver(tmp_path, relpath, frozenset(), _exploding)
    parsed = delivered.parsed
    assert (parsed.status, parsed.error_rule, parsed.format) == ("error", "file.unreadable", "csv")
    assert parsed.error_message == f"{relpath}: cannot be parsed (ValueError: boom)"
    assert parsed.size == 8 and len(parsed.sha256) == 64
    assert (delivered.facility_code, delivered.dataset) == ("01012", "encounters")


def test_a_crashed_parse_never_reads_through_a_link_out_of_the_landing_zone(tmp_path):
    landing = tmp_path / "landing"
    relpath = f"01012/{DAY}/encounters__20260303T061500.csv"
    (landing / relpath).parent.mkdir(parents=True)
    (tmp_path / "secret.csv").write_bytes(b"not for the lake\n")
    (landing / relpath).symlink_to(tmp_path / "secret.csv")
    parsed = deliver(landing, relpath, frozenset(), _exploding).parsed
    assert (parsed.status, parsed.size, parsed.sha256) == ("error", 0, "")


def test_an_unsafe_name_is_never_opened_even_when_its_parser_raises(tmp_path):
    relpath = f"01012/{DAY}/../encounters__20260303T061500.csv"
    delivered = deliver(tmp_path, relpath, frozenset(), _exploding)
    assert delivered.name is None and delivered.parsed.size == 0
    assert delivered.facility_code == "01012" and delivered.dataset == "encounters"


def test_chunks_are_consecutive_runs_of_about_the_target_size(tmp_path, monkeypatch):
    monkeypatch.setattr(parse_day_module, "CHUNK_BYTES", 100)
    monkeypatch.setattr(parse_day_module, "MAX_CHUNK_FILES", 4)
    sizes = [60, 60, 10, 10, 10, 10, 10, 500, 0, 30]
    relpaths = []
    for i, size in enumerate(sizes):
        relpath = f"01012/{DAY}/encounters__20260303T0615{i:02d}.csv"
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_bytes(b"x" * size)
        relpaths.append(relpath)
    relpaths.append(f"01012/{DAY}/missing.csv")  # gone meanwhile: counts as empty
    chunks = parse_day_module._chunks(tmp_path, relpaths, at_least=1)
    assert [len(c) for c in chunks] == [2, 4, 2, 3]
    assert [p for chunk in chunks for p in chunk] == relpaths
    # A small day is still cut into about `at_least` chunks.
    monkeypatch.setattr(parse_day_module, "CHUNK_BYTES", 10**9)
    monkeypatch.setattr(parse_day_module, "MAX_CHUNK_FILES", 1000)
    even = relpaths[2:7]  # five files of 10 bytes
    assert [len(c) for c in parse_day_module._chunks(tmp_path, even, at_least=2)] == [3, 2]


def test_rejected_flags_spread_the_verdicts_over_superseded_rows():
    staged = pl.DataFrame({"is_superseded": [True, False, False, True, False]})
    verdicts = pl.Series([True, False, True])  # for the three current rows, in order
    flags = _rejected_flags(staged, verdicts)
    assert flags.to_list() == [False, True, False, False, True]
