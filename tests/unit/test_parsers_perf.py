"""The synthetic city-like day that `hhl bench parsers` times parses completely and correctly.

The throughput figures themselves are a benchmark, not a test: `hhl bench parsers --rows 100000`
(hanoi_health_lake/benchmarks/parsers.py).
"""

from __future__ import annotations

from hanoi_health_lake.benchmarks.parsers import bench_parsers, check_csv, check_ndjson


def test_generated_day_parses_completely(tmp_path):
    relpaths, counted, _ = check_csv(tmp_path / "csv", 500)
    assert (counted, len(relpaths)) == (500, 20)
    relpaths, counted, total, _ = check_ndjson(tmp_path / "ndjson", 340)
    assert (counted, total, len(relpaths)) == (340, 1020, 30)


def test_the_benchmark_reports_figures_for_both_formats():
    figures = bench_parsers(rows=300)
    assert figures["qd130_csv"]["rows"] == 300
    assert figures["fhir_ndjson"]["encounters"] == 100
    assert figures["fhir_ndjson"]["resources"] == 300
