"""The long fuzz budget's seed sweep: many seeds of `hhl simulate --scale tiny --days 1
--fault-rate 0.05`, each ingested and its reconciliation compared with the simulator's
ground_truth/clean_counts.csv, so that a fault the ingest misses one time in thousands shows
(the ground-truth tests run on a few fixed seeds). Each seed's delivery mixes QĐ 130 CSV, FHIR
Bundle and NDJSON, and DICOM facilities.

Runs only with `--fuzz-minutes N` (for N minutes); a mismatch names the seed, so it reproduces
with `hhl simulate --seed S …`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import polars as pl
import pytest

from hanoi_health_lake.simulator.run import simulate
from tests.fuzz import pipeline
from tests.fuzz.deliveries import BASE_DAY

pytestmark = pytest.mark.fuzz
FIRST_SEED = 100
FAULT_RATE = 0.05
KEYS = ["facility_code", "dataset", "service_date"]
MEASURES = ["delivered", "accepted", "quarantined", "superseded"]


def count_differences(seed: int) -> pl.DataFrame:
    """Rows of (facility, dataset, day) whose counts differ from the ground truth."""
    with tempfile.TemporaryDirectory(prefix="hhl-sweep-") as tmp:
        home = Path(tmp)
        simulate(BASE_DAY, 1, "tiny", seed, home, fault_rate=FAULT_RATE)
        pipeline.ingest(home, [BASE_DAY])
        truth = pl.read_csv(
            home / "ground_truth" / "clean_counts.csv",
            schema_overrides={"facility_code": pl.Utf8, "service_date": pl.Utf8},
        ).filter(pl.col("delivered") > 0)
        got = (
            pipeline.read(home, "reconciliation")
            .with_columns(pl.col("service_date").cast(pl.Utf8))
            .filter(pl.col("delivered") > 0)
            .group_by(KEYS)
            .agg(pl.col(m).sum() for m in MEASURES)
        )
    joined = truth.join(got, on=KEYS, how="full", coalesce=True, suffix="_lake")
    differ = pl.any_horizontal(
        pl.col(m).fill_null(-1) != pl.col(f"{m}_lake").fill_null(-1) for m in MEASURES
    )
    return joined.filter(differ).select(KEYS + [c for m in MEASURES for c in (m, f"{m}_lake")])


def test_many_seeds_count_exactly_what_the_ground_truth_says(pytestconfig: pytest.Config):
    minutes = float(pytestconfig.getoption("--fuzz-minutes") or 0)
    if not minutes:
        pytest.skip("the seed sweep runs in the long fuzz budget only (--fuzz-minutes N)")
    deadline = time.monotonic() + 60 * minutes
    seed, misses = FIRST_SEED, {}
    while time.monotonic() < deadline:
        differences = count_differences(seed)
        if differences.height:
            misses[seed] = differences.to_dicts()
        seed += 1
    assert not misses, f"{len(misses)} of {seed - FIRST_SEED} seeds miscounted: {misses}"
