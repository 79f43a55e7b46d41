"""Signature faults the simulator injects into QĐ 130 XML dossiers (a dossier left unsigned, one
changed after signing) are caught by the real ingest under `signature.missing` /
`signature.invalid` where the facility's registry policy quarantines them, the two attacks
(entity bomb, external entity) under `xml.forbidden_dtd`, and the rejected
dossier's records are in no count: accepted, quarantined and superseded equal the ground truth
per facility, dataset and day (check-ins included)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from hanoi_health_lake.pipeline.ingest_day import ingest_day
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from hanoi_health_lake.simulator.run import simulate
from hanoi_health_lake.simulator.xml_delivery import STRICT_POLICY
from tests.integration.lake_helpers import ground_truth

DAY = date(2026, 3, 1)
# Seeds of a one-day tiny city (every hospital on XML, fault rate 0.5) with each fault: the two
# signature faults, and the two attacks (refused unread, `xml.forbidden_dtd`). Chosen by
# simulating seeds in turn; adding a fault kind changes the draws, so they are chosen again then.
SEEDS = {
    30: "xml_signature_missing",
    3: "xml_signature_tampered",
    9: "xml_entity_bomb",
    2: "xml_external_entity",
}
KEYS = ["facility_code", "dataset", "service_date"]


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_signature_faults_are_quarantined_and_the_counts_stay_exact(seed: int, tmp_path: Path):
    simulate(DAY, 1, "tiny", seed=seed, out=tmp_path, fault_rate=0.5, xml_share=1.0)
    registry = load_registry(tmp_path / "registry" / "facilities.csv")
    day = ingest_day(
        tmp_path / "landing", DAY, registry_codes=registry_codes(registry), key=b"k" * 32,
        run_id="t",
    )  # fmt: skip
    faults = ground_truth(tmp_path, "faults")
    signature = faults.filter(pl.col("kind") == SEEDS[seed])
    assert signature.height > 0
    policies = pl.read_csv(tmp_path / "registry" / "facilities.csv", infer_schema=False)
    strict = policies.filter(pl.col("signature_policy") == STRICT_POLICY)["facility_code"]
    if SEEDS[seed].startswith("xml_signature"):  # injected only where the policy quarantines
        assert set(signature["facility_code"]) <= set(strict)
    quarantine = pl.from_arrow(day.tables["quarantine"]).explode("rule_ids")
    for row in signature.iter_rows(named=True):
        caught = quarantine.filter(
            (pl.col("source_file") == row["file"]) & (pl.col("rule_ids") == row["rule_id"])
        )
        assert caught.height == 1, row
        assert row["file"] in caught["reason"][0]
    if SEEDS[seed] == "xml_external_entity":  # what the entity names is never read
        secret = Path("/etc/passwd")
        if secret.exists():
            line = secret.read_text().splitlines()[0]
            for table in day.tables.values():
                assert line not in str(table.to_pylist())
    expected = ground_truth(tmp_path, "clean_counts").filter(pl.col("delivered") > 0)
    got = (
        pl.from_arrow(day.tables["reconciliation"])
        .with_columns(pl.col("service_date").cast(pl.Utf8))
        .filter(pl.col("delivered") > 0)
    )
    joined = expected.join(got, on=KEYS, how="full", coalesce=True, suffix="_lake")
    for measure in ("delivered", "accepted", "quarantined", "superseded"):
        differ = joined.filter(
            pl.col(measure).fill_null(-1) != pl.col(f"{measure}_lake").fill_null(-1)
        )
        assert differ.height == 0, (measure, differ.head(5).to_dicts())
    assert expected.filter(pl.col("dataset") == "checkins")["accepted"].sum() > 0
