"""Mart figures against the simulator's ground truth, computed here independently of the SQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from hanoi_health_lake.config import warehouse_path
from tests.integration.lake_helpers import INGESTED, ground_truth

FIRST, LAST = (d.isoformat() for d in INGESTED)


def _mart(home: Path, name: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse_path(home)), read_only=True) as con:
        frame = con.sql(f"select * from main.{name}").pl()
    if "service_date" in frame.columns:
        frame = frame.with_columns(pl.col("service_date").cast(pl.Utf8))
    return frame


def _in_window(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("service_date").is_between(pl.lit(FIRST), pl.lit(LAST)))


def test_encounters_per_facility_day_equal_the_clean_counts(ingested_home: Path):
    clean = _in_window(ground_truth(ingested_home, "clean_counts")).filter(
        (pl.col("dataset") == "encounters") & (pl.col("accepted") > 0)
    )
    activity = _mart(ingested_home, "mart_facility_activity_daily").filter(pl.col("encounters") > 0)
    joined = clean.join(activity, on=["facility_code", "service_date"], how="full", coalesce=True)
    differ = joined.filter(pl.col("accepted").fill_null(0) != pl.col("encounters").fill_null(0))
    assert clean.height > 20
    assert differ.height == 0, differ.select(
        "facility_code", "service_date", "accepted", "encounters"
    ).to_dicts()


def test_delivered_and_on_time_per_facility_dataset_day_follow_the_deliveries(
    ingested_home: Path,
):
    deliveries = _in_window(ground_truth(ingested_home, "deliveries")).filter(
        pl.col("expected") > 0
    )
    coverage = _mart(ingested_home, "mart_coverage_daily")
    joined = deliveries.join(coverage, on=["facility_code", "dataset", "service_date"], how="left")
    assert joined.filter(pl.col("is_delivered").is_null()).height == 0
    # A day whose first delivery landed at all is delivered; on time exactly when the simulator
    # exported it by the SLA.
    landed = joined.filter(pl.col("first_export_ts").is_not_null())
    assert landed.height > 20 and landed["is_delivered"].all()
    wrong_time = landed.filter(pl.col("is_on_time") != (pl.col("on_time") == 1))
    assert wrong_time.height == 0, wrong_time.head(5).to_dicts()
    never = joined.filter(pl.col("first_export_ts").is_null())
    assert never.height > 0, "the simulation should leave some expected days undelivered"
    assert not never["is_delivered"].any()
    assert not never["is_on_time"].any()


def test_silent_and_late_facilities_show_as_such(ingested_home: Path):
    deliveries = _in_window(ground_truth(ingested_home, "deliveries"))
    late = deliveries.filter(pl.col("silent") == "late")
    coverage = _mart(ingested_home, "mart_coverage_daily")
    if late.height == 0:
        pytest.skip("this simulation has no late delivery in the window")
    flagged = late.join(coverage, on=["facility_code", "dataset", "service_date"])
    assert flagged.height == late.height and not flagged["is_on_time"].any()
    quiet = deliveries.filter((pl.col("silent") == "silent_stretch") & (pl.col("expected") > 0))
    assert quiet.height > 0, "the simulation should make some facility go silent"
    quiet = quiet.join(coverage, on=["facility_code", "dataset", "service_date"])
    assert not quiet["is_delivered"].any()
    assert (quiet["days_since_delivery"] >= 1).all(), quiet.select(
        "facility_code", "days_since_delivery"
    ).to_dicts()
    on_last = deliveries.filter((pl.col("service_date") == LAST) & (pl.col("expected") > 0))
    # A facility in a silent stretch is expected (past go-live) and must be on the laggard list.
    stretch = on_last.filter(pl.col("silent") == "silent_stretch")
    laggards = _mart(ingested_home, "mart_laggards")
    assert laggards["as_of_date"].unique().to_list() == [date.fromisoformat(LAST)]
    listed = set(zip(laggards["facility_code"], laggards["dataset"], strict=True))
    pairs = set(zip(stretch["facility_code"], stretch["dataset"], strict=True))
    assert pairs <= listed, pairs - listed
    # One rule decides "due" everywhere (int_facility_due): a never-connected facility is
    # overdue against the phase-2 target once its go-live has passed, and not yet due before.
    never = set(on_last.filter(pl.col("silent") == "never_connected")["facility_code"])
    assert never, "the simulation should leave some facilities unconnected"
    registry = pl.read_csv(ingested_home / "registry" / "facilities.csv", infer_schema=False)
    go_live = dict(zip(registry["facility_code"], registry["go_live_date"], strict=True))
    phase2 = _mart(ingested_home, "mart_phase_status").filter(pl.col("phase") == 2)
    status = dict(zip(phase2["facility_code"], phase2["status"], strict=True))
    expected = {f: "overdue" if go_live[f] and go_live[f] <= LAST else "not_due" for f in never}
    assert {f: status.get(f) for f in never} == expected
