"""The marts benchmark on a tiny lake: its history lakes, its figures, its source day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hanoi_health_lake.benchmarks.lake_tables import reference_tables, write_lake
from hanoi_health_lake.benchmarks.marts import MAX_RATIO, bench_marts
from hanoi_health_lake.benchmarks.synthetic_day import synthetic_day, synthetic_facilities
from hanoi_health_lake.config import lake_dir
from hanoi_health_lake.lake.delta_io import partitions
from hanoi_health_lake.sqlmodels.sources import source_paths

REAL_DAY = date(2026, 2, 14)


@pytest.mark.slow
def test_bench_replicates_the_lakes_latest_day_over_each_history(tmp_path):
    facilities = synthetic_facilities(12, tmp_path)
    write_lake(
        lake_dir(tmp_path),
        reference_tables(facilities) | synthetic_day(REAL_DAY, facilities, encounters=30),
    )
    report = bench_marts(tmp_path, histories=(2, 4), repeats=1)

    assert report["source_day"] == REAL_DAY.isoformat()
    assert str(REAL_DAY) in report["source"]
    assert report["facilities"] == 12
    target = REAL_DAY + timedelta(days=4)
    for days in (2, 4):
        figures = report["histories"][str(days)]
        assert figures["incremental_day"] == target.isoformat()
        assert figures["full_rebuild_seconds"] > 0 and len(figures["incremental_seconds_runs"]) == 1
        lake = tmp_path / "bench" / "marts" / f"history_{days}" / "lake"
        expected = [target - timedelta(days=k) for k in range(days, -1, -1)]
        assert partitions(source_paths(lake)["encounters"]) == expected
    medians = [report["histories"][h]["incremental_seconds_median"] for h in ("2", "4")]
    assert report["ratio"] == pytest.approx(medians[1] / medians[0], abs=1e-3)
    assert report["ok"] == (report["ratio"] <= MAX_RATIO)
