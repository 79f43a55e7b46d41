"""The forecast marts, materialised by Dagster into a real DuckDB warehouse and published to the
analysts' file, from simulated counts laid out as the marts and the gold case counts hold them.

A hospital that stopped delivering for its last two days (zero encounters) and a facility type
whose delivered share fell must be flagged; the others must not. Ward counts of a tiny city are
mostly below the publication threshold and must come out withheld.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import duckdb
import polars as pl
import pytest

from hanoi_health_lake.assets.forecasts import mart_forecast_cases, mart_forecast_visits
from hanoi_health_lake.config import warehouse_path
from hanoi_health_lake.forecasting.marts import (
    CASES_MART,
    VISITS_MART,
    ForecastSettings,
    forecast_series,
)
from hanoi_health_lake.forecasting.simulated import simulated_counts
from hanoi_health_lake.lake.delta_io import overwrite_table
from hanoi_health_lake.outbreaks.settings import publication_threshold
from hanoi_health_lake.outbreaks.tables import to_arrow
from hanoi_health_lake.reports.forecast_panel import forecast_section
from hanoi_health_lake.reports.model import Chart, Note, Table
from hanoi_health_lake.reports.period import day_period
from hanoi_health_lake.reports.source import open_source
from hanoi_health_lake.resources import LakeResource
from hanoi_health_lake.simulator.registry import build_registry
from hanoi_health_lake.simulator.scales import SCALES
from hanoi_health_lake.sqlmodels.publish import analysts_path

DAYS = 70
START = date(2025, 3, 3)
LAST = START + timedelta(days=DAYS - 1)
GAP_TYPE = "health_station"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("forecast_home")
    counts = simulated_counts("tiny", DAYS, START, seed=5)
    hospitals = counts.filter(pl.col("level") == "facility")
    silent = sorted(hospitals["key"].unique())[0]
    gap_days = [LAST - timedelta(days=1), LAST]
    types = {f.code: f.facility_type for f in build_registry(SCALES["tiny"], 5, START)}
    activity = pl.concat([
        hospitals.select(
            "service_date", pl.col("key").alias("facility_code"),
            pl.col("key").replace_strict(types).alias("facility_type"),
            pl.col("count").alias("encounters"),
        ),
        counts.filter((pl.col("level") == "facility_type") & ~pl.col("key").str.ends_with("tal"))
        .select("service_date", pl.col("key").alias("facility_code"),
                pl.col("key").alias("facility_type"), pl.col("count").alias("encounters")),
    ]).with_columns(
        pl.when((pl.col("facility_code") == silent) & pl.col("service_date").is_in(gap_days))
        .then(0).otherwise("encounters").alias("encounters")
    )  # fmt: skip
    rollup = (
        activity.select("service_date", pl.lit("facility_type").alias("dimension"),
                        pl.col("facility_type").alias("group_value")).unique()
        .vstack(activity.select("service_date", pl.lit("city").alias("dimension"),
                                pl.lit("hanoi").alias("group_value")).unique())
        .with_columns(pl.lit("encounters").alias("dataset"),
                      pl.when((pl.col("group_value") == GAP_TYPE)
                              & (pl.col("service_date") > LAST - timedelta(days=3)))
                      .then(0.5).otherwise(1.0).alias("delivered_share"))
    )  # fmt: skip
    coverage = hospitals.select(
        "service_date", pl.col("key").alias("facility_code"), pl.lit("encounters").alias("dataset"),
        pl.lit(True).alias("is_expected"),
        ~((pl.col("key") == silent) & pl.col("service_date").is_in(gap_days)).alias("is_delivered"),
    )  # fmt: skip
    path = warehouse_path(home)
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        for name, frame in (
            ("mart_facility_activity_daily", activity),
            ("mart_coverage_rollup_daily", rollup),
            ("mart_coverage_daily", coverage),
        ):
            arrow = frame.to_arrow()  # noqa: F841
            con.execute(f"create table {name} as select * from arrow")
    wards = sorted(counts.filter(pl.col("level") == "ward")["key"].unique())[:3]
    cases = counts.filter(
        (pl.col("measure") != "encounters")
        & ((pl.col("level") == "city") | pl.col("key").is_in(wards))
    ).select(
        "service_date", pl.col("measure").alias("group_id"), pl.col("level").alias("geo_level"),
        pl.when(pl.col("level") == "ward").then("key").alias("ward_code"),
        pl.col("count").alias("cases"),
    )  # fmt: skip
    overwrite_table(home / "lake" / "gold" / "case_counts", to_arrow("case_counts", cases),
                    run_id="test")  # fmt: skip
    result = dg.materialize(
        [mart_forecast_visits, mart_forecast_cases],
        resources={"lake": LakeResource(home=str(home))},
    )
    assert result.success
    return home, silent


def _published(home, name) -> pl.DataFrame:
    with duckdb.connect(str(analysts_path(warehouse_path(home))), read_only=True) as con:
        return con.sql(f"select * from {name}").pl()


def test_visit_forecasts_are_published_with_method_error_and_flags(home):
    home, silent = home
    rows = _published(home, VISITS_MART)
    ahead = rows.filter(pl.col("row_kind") == "forecast")
    per_series = ahead.group_by("series_level", "series_key").agg(
        pl.len().alias("n"), pl.col("method").n_unique().alias("methods"),
        pl.col("history_incomplete").first(), pl.col("backtest_mase").first(),
        pl.col("target_date").min().alias("first"),
    )  # fmt: skip
    assert set(per_series["series_level"]) == {"city", "facility_type", "facility"}
    assert (per_series["n"] == 28).all() and (per_series["methods"] == 1).all()
    assert "all-zero" not in set(ahead["method"])  # every series here has visits
    assert (per_series["first"] == LAST + timedelta(days=1)).all()
    assert per_series["backtest_mase"].is_not_null().all(), per_series.filter(
        pl.col("backtest_mase").is_null()
    ).rows()
    flagged = set(per_series.filter(pl.col("history_incomplete"))["series_key"])
    assert flagged == {silent, GAP_TYPE}
    numbers = ahead.select("forecast", "lo_80", "hi_80", "lo_95", "hi_95")
    assert (numbers.fill_null(0).min_horizontal() >= 0).all()
    history = rows.filter(pl.col("row_kind") == "observed")
    assert history["target_date"].max() == LAST and (history["step"] <= 0).all()


def test_case_forecasts_withhold_small_counts(home):
    home, _ = home
    rows = _published(home, CASES_MART)
    threshold = publication_threshold()
    assert set(rows["series_level"]) == {"city", "ward"}
    withheld = rows.filter(pl.col("suppressed"))
    assert withheld.height > 0
    assert withheld.select("observed", "forecast", "hi_95").null_count().row(0) == (
        withheld.height,) * 3  # fmt: skip
    shown = rows.filter(~pl.col("suppressed"))
    value = shown.select(pl.coalesce("observed", "forecast")).to_series()
    assert ((value == 0) | (value >= threshold)).all()
    city = rows.filter((pl.col("series_level") == "city") & (pl.col("row_kind") == "forecast"))
    assert city.group_by("group_id").len()["len"].to_list() == [14] * city["group_id"].n_unique()
    assert rows.filter(pl.col("group_id") == "dengue")["group_name_vi"][0].startswith("Sốt")


def test_dashboard_panel_draws_history_forecast_and_the_error_in_words(home):
    home, _ = home
    with open_source(warehouse_path(home)) as src:
        section = forecast_section(src, day_period(LAST))
    charts_ = [b for b in section.blocks if isinstance(b, Chart)]
    tables = [b for b in section.blocks if isinstance(b, Table)]
    assert [c.id for c in charts_] == ["forecast_visits", "forecast_cases"]
    visits = charts_[0].figures["vi"]["data"]
    # Per facility type: the 80% band, the observed line, the forecast line.
    assert len(visits) == 3 * 6 and {t.get("fill") for t in visits[::3]} == {"toself"}
    by_id = {t.id: t for t in tables}
    words = [row[5].vi for row in by_id["forecast_visits_table"].rows]
    assert all(w.startswith("thường sai khoảng ±") and w.endswith("lượt/ngày") for w in words)
    flagged = [r[0].vi for r in by_id["forecast_visits_table"].rows if r[7].vi]
    assert flagged == ["Trạm y tế"]
    assert any(isinstance(b, Note) and b.tone == "warn" for b in section.blocks)
    groups = {r[0].en for r in by_id["forecast_cases_table"].rows}
    assert "dengue" in groups and "ili" not in groups  # notifiable groups only
    assert all(r[5].vi.endswith("ca/ngày") for r in by_id["forecast_cases_table"].rows)


def test_a_recently_connected_hospital_is_forecast_without_backtest_figures():
    counts = simulated_counts("tiny", DAYS, START, seed=5, wards=False)
    hospitals = counts.filter(pl.col("level") == "facility").with_columns(
        pl.col("key").alias("series"),
        (pl.col("service_date") - pl.col("service_date").min()).dt.total_days().alias("ds"),
    )
    new = sorted(hospitals["key"].unique())[0]
    # Its first 30 days are before it connected: 40 days of history, too few to backtest 28.
    hospitals = hospitals.filter((pl.col("key") != new) | (pl.col("ds") >= 30)).with_columns(
        pl.col("ds") - pl.col("ds").min().over("series")
    )
    ahead, metrics = forecast_series(hospitals, 28, ForecastSettings())
    assert ahead.group_by("unique_id").len()["len"].to_list() == [28] * hospitals["key"].n_unique()
    assert new not in set(metrics["unique_id"])
    assert set(metrics["unique_id"]) == set(hospitals["key"]) - {new}
