"""The volume band has one rule and one implementation: the `facility_volume` asset check runs
`int_volume_bands` itself, so it judges a day exactly as the warehouse model that
`mart_coverage_daily` takes its `band_verdict` from.

The series: nine weeks of daily encounter deliveries of three facilities with day-to-day noise
and quiet Sundays, written to the lake's reconciliation Delta table by the lake's own writer;
on the last day one facility delivers a third of its usual volume.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from hanoi_health_lake.checks import ingest_checks
from hanoi_health_lake.checks.volume import SQL_DIR, volume_outliers, volume_verdicts
from hanoi_health_lake.lake.delta_io import write_partition
from hanoi_health_lake.pipeline.reconcile import RECONCILIATION_SCHEMA
from hanoi_health_lake.pipeline.write_day import table_path
from hanoi_health_lake.sqlmodels.build import build, with_upstream
from hanoi_health_lake.sqlmodels.loader import find_seeds, load_models
from hanoi_health_lake.sqlmodels.warehouse import Warehouse

FIRST = date(2026, 1, 5)  # a Monday
LAST = FIRST + timedelta(days=62)  # a Sunday: nine weeks
USUAL = {"01001": 400, "01002": 120, "01003": 40}
DROPPED = "01001"


def _series(lake) -> None:
    rnd = random.Random(3)
    for i in range((LAST - FIRST).days + 1):
        day = FIRST + timedelta(days=i)
        rows = []
        for facility, usual in USUAL.items():
            n = int(usual * (0.4 if day.weekday() == 6 else 1.0) * rnd.uniform(0.9, 1.1))
            if day == LAST and facility == DROPPED:
                n //= 3
            rows.append(
                {"service_date": day, "facility_code": facility, "dataset": "encounters",
                 "files": 1, "files_failed": 0, "delivered": n, "accepted": n,
                 "quarantined": 0, "superseded": 0, "run_id": "series"}
            )  # fmt: skip
        table = pa.Table.from_pylist(rows, RECONCILIATION_SCHEMA)
        write_partition(table_path(lake, "reconciliation"), table, day, run_id="series")


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("volume") / "lake"
    _series(root)
    return root


def _warehouse_verdicts(lake, tmp_path) -> pl.DataFrame:
    """int_volume_bands as the marts job builds it: the warehouse file, day by day."""
    models = with_upstream(load_models(SQL_DIR), "int_volume_bands")
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    seeds = find_seeds(SQL_DIR)
    for day in (LAST - timedelta(days=1), LAST):
        build(warehouse, lake, models, seeds, day, day)
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        rows = con.sql(f"select * from int_volume_bands where service_date = '{LAST}'")
        return pl.from_arrow(rows.to_arrow_table()).sort("dataset", "facility_code")


def test_the_check_and_the_mart_model_judge_the_day_alike(lake, tmp_path):
    check = volume_verdicts(lake, LAST)
    mart = _warehouse_verdicts(lake, tmp_path)
    assert check.equals(mart)
    verdicts = dict(zip(check["facility_code"], check["completeness"], strict=True))
    # The drop is caught; the others' quiet Sunday is judged against earlier Sundays: in band.
    assert verdicts == {"01001": "below_band", "01002": "within_band", "01003": "within_band"}


def test_the_check_warns_about_the_facility_outside_its_band(lake):
    result = ingest_checks.volume_check("encounters", volume_outliers(lake, LAST), {})
    assert not result.passed
    assert result.metadata["culprits"].value == [{"facility_code": DROPPED}]


def test_a_day_with_no_drop_passes(lake):
    result = ingest_checks.volume_check(
        "encounters", volume_outliers(lake, LAST - timedelta(days=1))
    )
    assert result.passed
