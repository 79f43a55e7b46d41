"""Reruns, backfills, late files and killed runs leave the lake exactly as one clean run would."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from deltalake import DeltaTable

from hanoi_health_lake.automation.inprocess import run_days
from hanoi_health_lake.lake.completion import completed_days
from hanoi_health_lake.sqlmodels import Warehouse, build, find_seeds, load_models
from tests.integration.lake_helpers import (
    INGESTED,
    SILVER,
    ZONES,
    committed_partitions,
    copy_home,
    kill_at_first_bronze_commit,
    read,
    table_path,
)

FIRST, LAST = INGESTED
SQL_DIR = Path(__file__).parents[2] / "dbt_like_sql"


def _content(home: Path, name: str) -> pl.DataFrame:
    frame = read(home, name).drop("run_id")
    return frame.sort(frame.columns)


def test_a_backfill_of_three_days_writes_exactly_three_partitions(ingested_home: Path):
    expected = [d.isoformat() for d in (FIRST, date(2026, 3, 2), LAST)]
    for name in ZONES:
        assert committed_partitions(ingested_home, name) == expected, name
    assert sorted(read(ingested_home, "bronze_files")["service_date"].unique()) == [
        date.fromisoformat(d) for d in expected
    ]


def test_rerunning_a_day_gives_identical_tables_and_one_commit_each(
    ingested_home: Path, tmp_path: Path
):
    home = copy_home(ingested_home, tmp_path / "home")
    before = {name: _content(home, name) for name in ZONES}
    versions = {name: DeltaTable(str(table_path(home, name))).version() for name in ZONES}
    assert all(r.success for r in run_days(home, date(2026, 3, 2), date(2026, 3, 2)))
    for name in ZONES:
        assert DeltaTable(str(table_path(home, name))).version() == versions[name] + 1, name
        assert _content(home, name).equals(before[name]), name


def _late_correction(home: Path, day: date) -> tuple[str, int]:
    """Re-send one facility's CSV encounters for `day` a week later, one diagnosis changed."""
    landing = home / "landing"
    sources = sorted(landing.glob(f"*/{day.isoformat()}/encounters__*.csv"))
    clean = read(home, "encounters").filter(pl.col("service_date") == day)
    for source in sources:
        rel = source.relative_to(landing).as_posix()
        accepted = clean.filter(pl.col("source_file") == rel).height
        text = source.read_bytes()
        if accepted and b"J06.9" in text:
            late = source.with_name(
                f"encounters__{(day.replace(day=day.day + 7)):%Y%m%d}T090000.csv"
            )
            late.write_bytes(text.replace(b"J06.9", b"J02.9", 1))
            return rel, accepted
    raise AssertionError("no CSV encounters file to correct")


def test_a_late_correction_changes_only_its_day(ingested_home: Path, tmp_path: Path):
    home = copy_home(ingested_home, tmp_path / "home")
    before = {name: read(home, name) for name in SILVER}
    original, n = _late_correction(home, FIRST)
    assert all(r.success for r in run_days(home, FIRST, FIRST))
    for name in SILVER:
        after = read(home, name)
        for day in (date(2026, 3, 2), LAST):
            old = before[name].filter(pl.col("service_date") == day).drop("run_id")
            new = after.filter(pl.col("service_date") == day).drop("run_id")
            assert new.sort(new.columns).equals(old.sort(old.columns)), (name, day)
    rec = read(home, "reconciliation").filter(pl.col("service_date") == FIRST)
    facility = original.split("/", 1)[0]
    row = rec.filter((pl.col("facility_code") == facility) & (pl.col("dataset") == "encounters"))
    assert row["superseded"].item() >= n  # the earlier export's records were replaced
    encounters = read(home, "encounters").filter(pl.col("service_date") == FIRST)
    assert encounters.filter(pl.col("source_file") == original).height == 0


def _warehouse_days(home: Path, path: Path) -> list[date]:
    """The days of the encounters mart and lake copy in a warehouse built from the lake."""
    warehouse = Warehouse(path)
    build(warehouse, home / "lake", load_models(SQL_DIR), find_seeds(SQL_DIR))
    with duckdb.connect(str(path), read_only=True) as con:
        days = {
            table: [d for (d,) in con.execute(
                f"select distinct service_date from {table} where {rows} order by 1"
            ).fetchall()]
            for table, rows in (
                ("lake.encounters", "true"),
                ("lake.reconciliation", "delivered > 0"),
                ("main.mart_facility_activity_daily", "encounters > 0"),
            )
        }  # fmt: skip
    assert len({tuple(d) for d in days.values()}) == 1, days
    return days["lake.encounters"]


def _kill_after_first_commit(home: Path, day: date) -> None:
    """Start `hhl run` for `day`; SIGKILL it once bronze_files (its first table) commits."""
    kill_at_first_bronze_commit(
        home,
        [sys.executable, "-m", "hanoi_health_lake.cli", "run", "--from", str(day), "--to",
         str(day)],
        "the run",
        env={**os.environ, "HHL_HOME": str(home)},
    )  # fmt: skip


def test_a_day_a_killed_rerun_left_half_written_stays_out_of_the_marts_until_rerun(
    ingested_home: Path, tmp_path: Path
):
    home = copy_home(ingested_home, tmp_path / "home")
    _kill_after_first_commit(home, LAST)
    # bronze_files holds the new run's day, silver the old one's: the day is not complete.
    assert completed_days(home / "lake") == {FIRST, date(2026, 3, 2)}
    assert _warehouse_days(home, tmp_path / "killed.duckdb") == [FIRST, date(2026, 3, 2)]
    assert all(r.success for r in run_days(home, LAST, LAST))
    assert completed_days(home / "lake") == {FIRST, date(2026, 3, 2), LAST}
    assert _warehouse_days(home, tmp_path / "rerun.duckdb") == [FIRST, date(2026, 3, 2), LAST]


def test_a_run_killed_while_writing_leaves_readable_tables_and_a_rerun_completes(
    ingested_home: Path, tmp_path: Path
):
    home = copy_home(ingested_home, tmp_path / "home")
    shutil.rmtree(home / "lake" / "silver")  # the day's silver must be written again from scratch
    _kill_after_first_commit(home, LAST)
    for name in ZONES:  # every table that exists is readable
        if DeltaTable.is_deltatable(str(table_path(home, name))):
            read(home, name)
    assert LAST not in completed_days(home / "lake")
    assert all(r.success for r in run_days(home, LAST, LAST))
    for name in ZONES:
        got = _content(home, name).filter(pl.col("service_date") == LAST)
        want = _content(ingested_home, name).filter(pl.col("service_date") == LAST)
        assert got.equals(want), name
