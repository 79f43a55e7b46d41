"""Parsing a day in worker processes gives exactly the tables of parsing it file by file, and a
file whose parser raises, or whose worker dies, still never stops the others."""

from __future__ import annotations

import multiprocessing as mp
import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from hanoi_health_lake import config
from hanoi_health_lake.config import landing_dir, registry_path
from hanoi_health_lake.parsers.dispatch import parse_file
from hanoi_health_lake.pipeline import parse_day as parse_day_module
from hanoi_health_lake.pipeline import quarantine
from hanoi_health_lake.pipeline.ingest_day import ingest_day
from hanoi_health_lake.pipeline.parse_day import BRONZE_ROW, ParsedDay, parse_day
from hanoi_health_lake.records import ParsedFile
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from hanoi_health_lake.simulator.run import simulate

DAY = date(2026, 3, 2)
KEY = b"parallel-test-key-0123456789"
VICTIM_ENV = "HHL_TEST_VICTIM_FILE"  # the file the test parsers pick on; workers inherit it


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("parallel")
    simulate(DAY, 1, "tiny", seed=4, out=home, fault_rate=0.1, xml_share=0.0)  # has corrections
    landing = landing_dir(home)
    folder = next(p for p in sorted(landing.iterdir()) if (p / DAY.isoformat()).is_dir())
    day_dir = folder / DAY.isoformat()
    (day_dir / "encounters__not a landing name.csv").write_text("MA_LK\n1\n")  # unsafe name
    outside = home / "outside.csv"
    outside.write_text("secret\n")
    (day_dir / "encounters__20260302T230000.csv").symlink_to(outside)  # leads out of landing
    return home


@pytest.fixture(scope="module")
def codes(home: Path) -> frozenset[str]:
    return registry_codes(load_registry(registry_path(home)))


@pytest.fixture(scope="module")
def reference(home: Path, codes: frozenset[str]) -> ParsedDay:
    return parse_day(landing_dir(home), DAY, codes, run_id="r1", workers=1)


CHUNK = 9  # files per chunk in the tests below; the first chunks always go to a worker


@pytest.fixture
def victim(reference: ParsedDay, monkeypatch: pytest.MonkeyPatch) -> str:
    """A readable file with records, in the first chunk (parsed by a worker process), not its
    first file."""
    files = pl.from_arrow(reference.bronze_files).slice(1, CHUNK - 1)
    readable = files.filter(pl.col("status") == "ok", pl.col("n_records") > 1)
    relpath = readable["source_file"][0]
    monkeypatch.setenv(VICTIM_ENV, relpath)
    return relpath


def raising_parser(landing_root: Path, relpath: str, **kwargs) -> ParsedFile:
    """parse_file, except that it raises on the victim file (a parser bug)."""
    if relpath == os.environ[VICTIM_ENV]:
        raise RuntimeError("parser bug on purpose")
    return parse_file(landing_root, relpath, **kwargs)


def dying_parser(landing_root: Path, relpath: str, **kwargs) -> ParsedFile:
    """parse_file, except that a worker process dies on the victim file (as if killed)."""
    if relpath == os.environ[VICTIM_ENV] and mp.parent_process() is not None:
        os._exit(3)
    return parse_file(landing_root, relpath, **kwargs)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in a canonical order: the tables' contents are compared, not their row order."""
    keys = [
        pl.struct(name).struct.json_encode().alias(f"_key_{name}")
        if dtype.is_nested()
        else pl.col(name).alias(f"_key_{name}")
        for name, dtype in frame.schema.items()
    ]
    names = [key.meta.output_name() for key in keys]
    return frame.with_columns(keys).sort(names, nulls_last=True).drop(names)


def _ingest(home: Path, codes: frozenset[str], monkeypatch, workers: int, progress=None):
    monkeypatch.setenv("HHL_PARSE_WORKERS", str(workers))
    return ingest_day(
        landing_dir(home), DAY, registry_codes=codes, key=KEY, run_id="r1", progress=progress
    )


def test_a_pool_of_workers_gives_the_same_day_as_one_process(home, codes, monkeypatch):
    pooled_runs = []
    real = parse_day_module._parse_pooled

    def spy(job, chunks, *args):
        results = real(job, chunks, *args)
        pooled_runs.append((len(chunks), dict(results)))
        return results

    monkeypatch.setattr(parse_day_module, "_parse_pooled", spy)
    monkeypatch.setattr(parse_day_module, "MIN_POOL_FILES", 0)
    monkeypatch.setattr(parse_day_module, "MAX_CHUNK_FILES", 7)
    calls: list[tuple[int, int]] = []
    single = _ingest(home, codes, monkeypatch, 1)
    assert pooled_runs == []
    pooled = _ingest(home, codes, monkeypatch, 2, progress=lambda *a: calls.append(a))
    total = single.tables["bronze_files"].num_rows
    [(chunks, results)] = pooled_runs
    assert chunks >= -(-total // 7) and sorted(results) == list(range(chunks))
    parsers = {result.parsed_by for result in results.values()}
    assert os.getpid() in parsers and len(parsers) == 2  # this process and one worker
    assert calls[-1] == (total, total) and [d for d, _ in calls] == sorted(d for d, _ in calls)

    assert set(pooled.tables) == set(single.tables)
    for name, table in single.tables.items():
        assert pooled.tables[name].schema == table.schema, name
        assert _sorted(pl.from_arrow(pooled.tables[name])).equals(_sorted(pl.from_arrow(table))), (
            name
        )
    assert pooled.rules == single.rules
    assert pooled.suite_success == single.suite_success

    # The day has what the comparison is about: failed files, quarantined and superseded records.
    files = pl.from_arrow(single.tables["bronze_files"])
    assert files.filter(pl.col("status") == "error").height >= 10
    unsafe = files.filter(pl.col("error_rule") == "file.unsafe_path")["source_file"].to_list()
    assert any(path.endswith("not a landing name.csv") for path in unsafe)
    assert any(path.endswith("encounters__20260302T230000.csv") for path in unsafe)
    outcomes = pl.from_arrow(single.tables["reconciliation"])
    assert outcomes["quarantined"].sum() > 100
    assert outcomes["superseded"].sum() > 0
    quarantined = pl.from_arrow(single.tables["quarantine"]).filter(
        pl.col("record_no").is_not_null()
    )
    assert quarantined["payload"].null_count() == 0


def test_staged_rows_point_at_their_record_in_bronze(home, codes):
    day = parse_day(
        landing_dir(home), DAY, codes, run_id="r1", workers=2, chunk_files=11, min_pool_files=0
    )
    bronze = pl.from_arrow(day.bronze_records).with_row_index(BRONZE_ROW)
    bronze = bronze.with_columns(pl.col(BRONZE_ROW).cast(pl.Int64))
    for dataset, staged in day.staged.items():
        assert "payload" not in staged.columns
        joined = staged.select(BRONZE_ROW, "source_file", "record_no", "record_id").join(
            bronze, on=BRONZE_ROW, how="left", suffix="_bronze"
        )
        assert joined.height == staged.height
        assert (joined["source_file"] == joined["source_file_bronze"]).all(), dataset
        assert (joined["record_no"] == joined["record_no_bronze"]).all(), dataset
        assert (joined["dataset"] == dataset).all()
        assert not joined["is_auxiliary"].any()


def _pooled_parse(home, codes, parser):
    """The day parsed by a pool of two, whatever its size, with `parser` in the workers."""
    return parse_day(
        landing_dir(home),
        DAY,
        codes,
        run_id="r1",
        workers=2,
        chunk_files=CHUNK,
        min_pool_files=0,
        parse=parser,
    )


def test_a_parser_that_raises_in_a_worker_fails_only_its_file(home, codes, reference, victim):
    day = _pooled_parse(home, codes, raising_parser)
    files = pl.from_arrow(day.bronze_files)
    row = files.filter(pl.col("source_file") == victim)
    assert row.height == 1
    assert row["status"].item() == "error"
    assert row["error_rule"].item() == "file.unreadable"
    message = row["error_message"].item()
    assert victim in message and "RuntimeError: parser bug on purpose" in message
    expected = pl.from_arrow(reference.bronze_files).filter(pl.col("source_file") == victim)
    assert row["sha256"].item() == expected["sha256"].item()  # the bytes were still read
    assert row["size_bytes"].item() == expected["size_bytes"].item()
    assert row["n_records"].item() == 0
    # Every other file parsed as it would have.
    others = files.filter(pl.col("source_file") != victim)
    ref_others = pl.from_arrow(reference.bronze_files).filter(pl.col("source_file") != victim)
    assert _sorted(others).equals(_sorted(ref_others))
    bronze = pl.from_arrow(day.bronze_records)
    ref_bronze = pl.from_arrow(reference.bronze_records)
    assert bronze.filter(pl.col("source_file") == victim).height == 0
    assert _sorted(bronze).equals(_sorted(ref_bronze.filter(pl.col("source_file") != victim)))
    staged = pl.concat([frame.select("source_file") for frame in day.staged.values()])
    assert victim not in staged["source_file"].to_list()

    rows = pl.from_arrow(quarantine.file_rows(day.bronze_files, "r1"))
    mine = rows.filter(pl.col("source_file") == victim)
    assert mine.height == 1
    assert mine["rule_ids"].to_list() == [["file.unreadable"]]
    assert mine["locator"].item() == "whole file"
    assert victim in mine["reason"].item()


def test_a_worker_that_dies_leaves_its_chunks_to_the_parent(home, codes, reference, victim, caplog):
    day = _pooled_parse(home, codes, dying_parser)
    assert "parse worker pool broke" in caplog.text
    for name in ("bronze_files", "bronze_records"):
        got, want = getattr(day, name), getattr(reference, name)
        assert _sorted(pl.from_arrow(got)).equals(_sorted(pl.from_arrow(want))), name
    for dataset, frame in reference.staged.items():
        assert _sorted(day.staged[dataset]).equals(_sorted(frame)), dataset


def test_parse_workers_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("HHL_PARSE_WORKERS", "3")
    assert config.parse_workers() == 3
    monkeypatch.setenv("HHL_PARSE_WORKERS", "0")
    assert config.parse_workers() == 1
    monkeypatch.delenv("HHL_PARSE_WORKERS")
    assert config.parse_workers() == min(2, os.cpu_count() or 1)
    monkeypatch.setenv("HHL_PARSE_WORKERS", "many")
    with pytest.raises(ValueError, match="HHL_PARSE_WORKERS"):
        config.parse_workers()
