"""The ingest against the simulator's ground truth: every fault caught by its rule, nothing
else rejected, accepted counts equal to the clean counts, every partition reconciled."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from hanoi_health_lake.faults import RULE_FOR_KIND
from tests.integration.lake_helpers import (
    INGESTED,
    assert_counts_reconcile,
    day_text,
    ground_truth,
    missed_faults,
    read,
    unexplained_quarantine,
)


def _ingested(frame: pl.DataFrame) -> pl.DataFrame:
    first, last = (d.isoformat() for d in INGESTED)
    return frame.filter(pl.col("service_date").is_between(pl.lit(first), pl.lit(last)))


def test_every_injected_fault_is_quarantined_under_the_rule_of_its_kind(ingested_home: Path):
    faults = _ingested(ground_truth(ingested_home, "faults"))
    assert faults.height > 10, "the simulation should inject faults to find"
    assert set(faults["rule_id"]) <= set(RULE_FOR_KIND.values())
    missed = missed_faults(faults, ingested_home)
    assert missed.height == 0, missed.select("kind", "file", "locator").to_dicts()


def test_no_clean_record_or_file_is_quarantined(ingested_home: Path):
    faults = _ingested(ground_truth(ingested_home, "faults"))
    assert day_text(read(ingested_home, "quarantine")).height > 0
    extra = unexplained_quarantine(faults, ingested_home)
    assert extra.height == 0, extra.select("source_file", "locator", "reason").to_dicts()


def test_counts_equal_the_clean_counts_per_facility_dataset_and_day(ingested_home: Path):
    # Rows of zero records (a facility-day with an empty export) carry no count to compare.
    expected = _ingested(ground_truth(ingested_home, "clean_counts")).filter(
        pl.col("delivered") > 0
    )
    assert_counts_reconcile(expected, ingested_home)


def test_every_partition_reconciles_and_silver_holds_exactly_the_accepted(ingested_home: Path):
    rec = read(ingested_home, "reconciliation")
    assert (rec["delivered"] == rec["accepted"] + rec["quarantined"] + rec["superseded"]).all()
    accepted = rec.group_by("service_date", "dataset").agg(pl.col("accepted").sum())
    silver_of = {
        "encounters": "encounters",
        "prescriptions": "prescription_items",
        "referrals": "referrals",
        "appointments": "appointments",
        "imaging_studies": "imaging_studies",
    }
    for dataset, table in silver_of.items():
        # An imaging study's row rolls up every accepted instance of it (records_received).
        held = pl.col("records_received").sum() if table == "imaging_studies" else pl.len()
        silver = read(ingested_home, table).group_by("service_date").agg(held.alias("len"))
        want = accepted.filter(pl.col("dataset") == dataset).select("service_date", "accepted")
        joined = want.join(silver, on="service_date", how="full", coalesce=True)
        assert (joined["accepted"].fill_null(0) == joined["len"].fill_null(0)).all(), dataset
    counted = read(ingested_home, "bronze_records").filter(~pl.col("is_auxiliary"))
    assert counted.height == int(rec["delivered"].sum())


def test_every_bad_file_is_one_quarantine_entry_naming_the_file(ingested_home: Path):
    files = read(ingested_home, "bronze_files")
    failed = files.filter(pl.col("status") == "error")
    assert failed.height > 0
    whole = read(ingested_home, "quarantine").filter(pl.col("record_no").is_null())
    assert sorted(whole["source_file"]) == sorted(failed["source_file"])
    for row in whole.iter_rows(named=True):
        name = row["source_file"].rsplit("/", 1)[-1]
        assert name in row["reason"], row
