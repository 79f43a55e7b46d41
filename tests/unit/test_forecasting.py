"""Forecasts and backtests of count series (hanoi_health_lake/forecasting), through `hhl forecast`
on CSV files as a user runs it, on series from the simulator's patterns and real surveillance data.

Short series and few backtest windows keep this cheap; statsforecast's import is the slow part.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from hanoi_health_lake.cli import main
from hanoi_health_lake.forecasting.simulated import simulated_counts

FIXTURES = Path(__file__).parents[1] / "fixtures" / "surveillance"


@cache
def _simulated() -> pl.DataFrame:
    return simulated_counts("tiny", days=280, start=date(2025, 1, 6), seed=3, wards=False)


def _series_csv(tmp_path: Path, level: str, key: str, measure: str, days: int | None = None):
    frame = _simulated().filter(
        (pl.col("level") == level) & (pl.col("key") == key) & (pl.col("measure") == measure)
    )
    assert frame.height, (level, key, measure)
    if days:
        frame = frame.head(days)
    path = tmp_path / f"{level}_{key}_{measure}.csv"
    frame.select(pl.col("service_date").alias("date"), pl.col("count").alias("observed")).write_csv(
        path
    )
    return path


def _forecast(tmp_path, csv, *extra) -> tuple[int, pl.DataFrame | None]:
    out = tmp_path / "out.csv"
    code = main(["forecast", "--input", str(csv), "--output", str(out), *extra])
    return code, (pl.read_csv(out) if code == 0 else None)


def _backtest(tmp_path, csv, methods: str) -> dict[str, dict]:
    """`hhl forecast --backtest` over 4 windows of 14 days: method -> its metrics row."""
    out = tmp_path / "backtest.csv"
    code = main([
        "forecast", "--backtest", "--input", str(csv), "--output", str(out),
        "--horizon", "14", "--windows", "4", "--method", methods,
    ])  # fmt: skip
    assert code == 0
    return {r["method"]: r for r in pl.read_csv(out).iter_rows(named=True)}


def _weekly_widths(out: pl.DataFrame) -> tuple[float, float]:
    width = (out["hi_80"] - out["lo_80"]).to_list()
    return sum(width[:7]) / 7, sum(width[-7:]) / 7


def test_intervals_widen_with_the_horizon(tmp_path):
    # Influenza-like illness moves with the season, so its level four weeks on is less certain
    # than tomorrow's; every method's interval must say so.
    csv = _series_csv(tmp_path, "city", "hanoi", "ili", days=120)
    for method in ("auto", "ets", "theta", "seasonal-naive"):
        code, out = _forecast(tmp_path, csv, "--horizon", "28", "--method", method)
        assert code == 0
        first_week, last_week = _weekly_widths(out)
        assert last_week > first_week * 1.05, (method, first_week, last_week)
        assert ((out["hi_95"] - out["lo_95"]) >= (out["hi_80"] - out["lo_80"]) - 1e-9).all()
        assert out["date"][0] == "2025-05-06" and out["step"].to_list() == list(range(1, 29))


def test_intervals_never_narrow_on_a_steady_series(tmp_path):
    # A health station's visits keep one level: ETS may rightly find the level fixed, but the
    # interval must not shrink further out.
    csv = _series_csv(tmp_path, "facility_type", "health_station", "encounters", days=120)
    for method in ("auto", "seasonal-naive"):
        code, out = _forecast(tmp_path, csv, "--horizon", "28", "--method", method)
        assert code == 0
        first_week, last_week = _weekly_widths(out)
        assert last_week >= first_week - 1e-6, (method, first_week, last_week)


def test_counts_are_never_negative(tmp_path):
    # A falling count (the tail of an outbreak) that a trend would carry below zero, and a
    # sparse disease count of mostly zeros.
    falling = tmp_path / "falling.csv"
    counts = [max(0, 60 - 3 * k) for k in range(21)] + [0] * 7
    pl.DataFrame({"observed": counts}).write_csv(falling)
    sparse = _series_csv(tmp_path, "city", "hanoi", "measles", days=150)
    assert (_simulated().filter(pl.col("measure") == "measles")["count"] == 0).mean() > 0.5
    runs = [(falling, ["--frequency", "day", "--method", m]) for m in ("naive", "ets", "theta")] + [
        (sparse, ["--method", m]) for m in ("auto", "ets", "historic-average")
    ]
    for csv, extra in runs:
        code, out = _forecast(tmp_path, csv, "--horizon", "21", *extra)
        assert code == 0, extra
        numbers = out.select(pl.exclude("date", "index", "step", "method"))
        assert (numbers.min_horizontal() >= 0).all(), extra


def test_a_strong_weekly_pattern_beats_seasonal_naive_on_a_backtest(tmp_path):
    csv = _series_csv(tmp_path, "facility_type", "city_hospital", "encounters")
    metrics = _backtest(tmp_path, csv, "auto,ets,seasonal-naive")
    assert set(metrics) == {"auto", "ets", "seasonal-naive"}
    assert metrics["seasonal-naive"]["relative_mae"] == pytest.approx(1.0)
    assert metrics["auto"]["relative_mae"] < 0.9
    assert metrics["auto"]["mase"] < metrics["seasonal-naive"]["mase"]
    for row in metrics.values():
        assert row["windows"] == 4 and row["points"] == 56
        assert 0 <= row["coverage_80"] <= row["coverage_95"] <= 1


def test_an_all_zero_series_gets_a_zero_forecast_and_says_so(tmp_path, capsys):
    csv = tmp_path / "zeros.csv"
    pl.DataFrame({"observed": [0] * 60}).write_csv(csv)
    code, out = _forecast(tmp_path, csv, "--horizon", "7", "--frequency", "day")
    assert code == 0
    assert set(out["method"]) == {"all-zero"}
    assert out.select(pl.exclude("index", "step", "method")).to_numpy().max() == 0
    assert "all 60 counts are 0" in capsys.readouterr().err
    bt = tmp_path / "bt.csv"
    code = main([
        "forecast", "--backtest", "--input", str(csv), "--output", str(bt), "--horizon", "7",
        "--windows", "2", "--frequency", "day", "--method", "auto",
    ])  # fmt: skip
    assert code == 0
    row = pl.read_csv(bt).filter(pl.col("method") == "auto").row(0, named=True)
    assert row["mae"] == 0 and row["mase"] is None


def test_a_series_shorter_than_a_season_gets_a_clear_answer(tmp_path, capsys):
    csv = _series_csv(tmp_path, "city", "hanoi", "encounters", days=5)
    code, out = _forecast(tmp_path, csv, "--horizon", "3")
    err = capsys.readouterr().err
    assert code == 0 and out.height == 3
    assert "shorter than two seasons" in err and out["method"][0] in {
        "naive",
        "ets",
        "historic-average",
    }
    code, _ = _forecast(tmp_path, csv, "--horizon", "3", "--method", "seasonal-naive")
    assert code == 2
    assert "needs more than one season (7 points)" in capsys.readouterr().err
    code, _ = _forecast(tmp_path, csv, "--horizon", "3", "--backtest")
    assert code == 2
    assert "the series has 5 points" in capsys.readouterr().err


def test_weekly_real_surveillance_counts_backtest_against_last_year(tmp_path):
    # Salmonella Newport, Germany, weekly (R surveillance's salmNewport): the seasonal-naive
    # baseline of weekly data is the same week a year (52 points) before.
    out, points = tmp_path / "weekly.csv", tmp_path / "points.csv"
    code = main([
        "forecast", "--backtest", "--input", str(FIXTURES / "series_weekly.csv"),
        "--output", str(out), "--points", str(points), "--horizon", "4", "--windows", "3",
        "--method", "auto,seasonal-naive",
    ])  # fmt: skip
    assert code == 0
    metrics = pl.read_csv(out)
    assert set(metrics["method"]) == {"auto", "seasonal-naive"}
    series = pl.read_csv(FIXTURES / "series_weekly.csv")
    detail = pl.read_csv(points).filter(pl.col("method") == "seasonal-naive")
    observed = dict(zip(series["date"], series["observed"], strict=True))
    assert detail.height == 12
    for row in detail.iter_rows(named=True):
        day = date.fromisoformat(row["date"])
        assert 0 < (day - date.fromisoformat(row["cutoff"])).days <= 28
        assert row["forecast"] == observed[(day - timedelta(weeks=52)).isoformat()]


@cache
def _two_years() -> pl.DataFrame:
    # City scale: the counts are large enough that the season, not the noise, decides.
    return simulated_counts(
        "city", days=580, start=date(2024, 4, 1), seed=5, facilities=False, wards=False
    )


def test_a_yearly_season_is_expected_again_a_year_later(tmp_path):
    """Influenza-like illness moves with the seasons every year: with more than a year of
    history, `ets-yearly` expects the change where ETS, which has no yearly season, follows it
    late, and `auto` picks it."""
    frame = (
        _two_years()
        .filter((pl.col("level") == "city") & (pl.col("measure") == "ili"))
        .filter(pl.col("service_date") <= date(2025, 10, 31))
    )  # the backtest: Sep.–Oct.
    csv = tmp_path / "ili.csv"
    frame.select(pl.col("service_date").alias("date"), pl.col("count").alias("observed")).write_csv(
        csv
    )
    metrics = _backtest(tmp_path, csv, "auto,ets,ets-yearly,seasonal-naive")
    assert metrics["ets-yearly"]["mae"] < 0.8 * metrics["ets"]["mae"]
    assert metrics["ets-yearly"]["mase"] < 1 < metrics["seasonal-naive"]["mase"]
    assert metrics["auto"]["mae"] == pytest.approx(metrics["ets-yearly"]["mae"])
    assert 0.6 <= metrics["ets-yearly"]["coverage_80"] <= metrics["ets-yearly"]["coverage_95"]
    code, future = _forecast(tmp_path, csv, "--horizon", "14", "--method", "ets-yearly")
    assert code == 0 and future.height == 14 and future["lo_80"].min() >= 0


def test_the_yearly_method_says_why_it_cannot_forecast_a_short_series(tmp_path, capsys):
    csv = _series_csv(tmp_path, "city", "hanoi", "ili", days=200)
    code, _ = _forecast(tmp_path, csv, "--horizon", "7", "--method", "ets-yearly")
    assert code == 2
    assert "ets-yearly needs 434 days of history" in capsys.readouterr().err
    code, out = _forecast(tmp_path, csv, "--horizon", "7")  # auto leaves it out
    assert code == 0 and "ets-yearly" not in set(out["method"])
