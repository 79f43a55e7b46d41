"""Seeds found by sweeping the simulator (tiny, one day, fault rate 0.05) where an injected
fault once passed as clean; each must now be caught exactly, and nothing clean rejected."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from hanoi_health_lake.pipeline.ingest_day import ingest_day
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from hanoi_health_lake.simulator.run import simulate
from tests.integration.lake_helpers import ground_truth

DAY = date(2026, 3, 1)
KEYS = ["source_file", "record_no"]

# seed → the class of miss it exposed
SEEDS = {
    103: "MA_LOAI_KCB blank on an emergency (MA_DOITUONG_KCB 2) row read as `emergency`",
}


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_injected_fault_of_the_seed_is_quarantined_and_nothing_else(
    seed: int, tmp_path: Path
):
    simulate(DAY, 1, "tiny", seed=seed, out=tmp_path, fault_rate=0.05)
    codes = registry_codes(load_registry(tmp_path / "registry" / "facilities.csv"))
    day = ingest_day(tmp_path / "landing", DAY, registry_codes=codes, key=b"k" * 32, run_id="t")
    quarantined = pl.from_arrow(day.tables["quarantine"]).select(*KEYS, "rule_ids")
    faults = ground_truth(tmp_path, "faults").rename({"file": "source_file"})
    missed = faults.join(quarantined, on=KEYS, how="anti", nulls_equal=True)
    extra = quarantined.join(faults, on=KEYS, how="anti", nulls_equal=True)
    assert missed.height == 0, (
        SEEDS[seed],
        missed.select("kind", "source_file", "locator").to_dicts(),
    )
    assert extra.height == 0, extra.to_dicts()
    caught = faults.join(quarantined.explode("rule_ids"), on=KEYS, nulls_equal=True)
    assert (
        caught.filter(pl.col("rule_id") == pl.col("rule_ids")).select(KEYS).unique().height
        == faults.height
    )
