"""`hhl bench realtime --by-hour` on a tiny day: the hourly batches give the whole-day tables, and
the figures it reports are the ones it measured (the whole day timed before and after them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanoi_health_lake.benchmarks.realtime import bench_realtime


def test_the_hourly_stand_in_reports_cpu_and_gives_the_whole_day_tables(tmp_path: Path):
    figures = bench_realtime(tmp_path, "tiny", every=60)
    assert figures["scale"] == "tiny" and figures["window_minutes"] == 60
    assert figures["batches"] > 5 and figures["files_landed"] > figures["batches"]
    assert all(figures["same_tables_as_whole_day"].values()), figures["same_tables_as_whole_day"]
    cpu = figures["cpu_seconds"]
    before, after = cpu["whole_day_ingest_before_and_after"]
    assert cpu["batches_ingest"] > 0 and before > 0 and after > 0
    # The batches are compared with the mean of the whole day timed before and after them.
    assert cpu["whole_day_ingest"] == pytest.approx((before + after) / 2, abs=0.06)
    assert cpu["ratio_ingest"] == pytest.approx(
        cpu["batches_ingest"] / cpu["whole_day_ingest"], rel=0.05
    )
    assert cpu["ratio_ingest_before_and_after"] == pytest.approx(
        [cpu["batches_ingest"] / before, cpu["batches_ingest"] / after], rel=0.05
    )
    judged = figures["records_judged"]
    assert judged["batches"] >= judged["whole_day"] > 0  # a slice that came back is judged again
    # A real arrivals run was started as the daemon starts one (a new process loading the code
    # location; it fails the bench if the run fails): that alone costs seconds of CPU.
    assert figures["arrivals_run_start_cpu_s"] > 1
