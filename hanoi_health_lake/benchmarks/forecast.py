"""`hhl bench forecast`: backtest error and interval coverage per group of series, on two
simulated years, and on public real-world surveillance series through `hhl forecast --backtest`.

Per group: every series is backtested over its last `windows` horizons with `auto` (chosen on
the history before the first window) and the seasonal-naive baseline. MASE per series, then the
mean and median over the group; coverage pooled over all backtest points of the group.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
import polars as pl

from hanoi_health_lake.config import PROJECT_ROOT
from hanoi_health_lake.forecasting.engine import BASELINE, backtest
from hanoi_health_lake.forecasting.methods import AUTO, SEASON
from hanoi_health_lake.forecasting.simulated import simulated_counts

# (name, level, measure filter, horizon, goal on mean MASE)
# The groups with a goal first, then the real-world series, then the many-series groups.
GROUPS = (
    ("city_visits", "city", "encounters", 28, 0.9),
    ("facility_type_visits", "facility_type", "encounters", 28, 0.9),
    ("city_disease_groups", "city", "cases", 14, 1.0),
    ("hospital_visits", "facility", "encounters", 28, None),
    ("ward_disease_groups", "ward", "cases", 14, None),
)
COVERAGE_GOAL = (0.75, 0.85)
# Real-world series shipped with the R package surveillance (tests/fixtures/surveillance).
REAL_SERIES = (
    ("salmonella_newport_germany_weekly", "series_weekly.csv", "week", 4),
    ("hepatitis_a_berlin_weekly", "series_undated.csv", "week", 4),
    ("meningococcal_germany_daily", "series_sparse.csv", "day", 14),
)
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "surveillance"


def _panel(frame: pl.DataFrame) -> pd.DataFrame:
    frame = frame.sort("series", "service_date").with_columns(
        pl.int_range(pl.len()).over("series").alias("ds")
    )
    return frame.select(
        pl.col("series").alias("unique_id"), "ds", pl.col("count").cast(pl.Float64).alias("y")
    ).to_pandas()


def _group_figures(metrics: pd.DataFrame, chosen: dict[str, str], goal: float | None) -> dict:
    auto = metrics[metrics["method"] == AUTO]
    base = metrics[metrics["method"] == BASELINE]
    weights = auto["points"]
    figures = {
        "series": len(auto),
        "mase_mean": round(float(auto["mase"].mean()), 3),
        "mase_median": round(float(auto["mase"].median()), 3),
        "seasonal_naive_mase_mean": round(float(base["mase"].mean()), 3),
        "relative_mae_mean": round(float(auto["relative_mae"].mean()), 3),
        "bias_share_of_mean": round(
            float(auto["bias"].sum() / max(auto["mean_observed"].sum(), 1e-9)), 3
        ),
        "coverage_80": round(float((auto["coverage_80"] * weights).sum() / weights.sum()), 3),
        "coverage_95": round(float((auto["coverage_95"] * weights).sum() / weights.sum()), 3),
        "methods_chosen": pd.Series(list(chosen.values())).value_counts().to_dict(),
    }
    if goal is not None:
        figures["mase_goal"] = f"< {goal}"
        figures["mase_goal_met"] = bool(figures["mase_mean"] < goal)
    low, high = COVERAGE_GOAL
    figures["coverage_80_goal_met"] = bool(low <= figures["coverage_80"] <= high)
    return figures


def bench_forecast(
    scale: str = "city",
    days: int = 730,
    windows: int = 8,
    wards: int = 12,
    seed: int = 1,
    progress=lambda message: print(message, file=sys.stderr, flush=True),
    checkpoint=lambda figures: None,
) -> dict:
    """The figures; `checkpoint` gets them after every group (a long run keeps what it did)."""
    started = time.perf_counter()
    counts = simulated_counts(scale, days, start=date(2024, 1, 1), seed=seed)
    ward_keys = sorted(counts.filter(pl.col("level") == "ward")["key"].unique())[:wards]
    counts = counts.filter((pl.col("level") != "ward") | pl.col("key").is_in(ward_keys))
    counts = counts.with_columns(
        (pl.col("level") + ":" + pl.col("key") + ":" + pl.col("measure")).alias("series")
    )
    figures: dict = {
        "simulated": {"scale": scale, "days": days, "seed": seed, "windows": windows,
                      "wards_sampled": len(ward_keys)},
        "groups": {},
    }  # fmt: skip
    progress(f"simulated {counts.height} daily counts in {time.perf_counter() - started:.1f}s")
    for k, (name, level, measure, horizon, goal) in enumerate(GROUPS):
        if k == 3:
            figures["real_world"] = real_world_backtests(progress)
            checkpoint(figures)
        is_visits = pl.col("measure") == "encounters"
        group = counts.filter(
            (pl.col("level") == level) & (is_visits if measure == "encounters" else ~is_visits)
        )
        t0 = time.perf_counter()
        result = backtest(_panel(group), SEASON["day"], horizon, windows, [AUTO])
        figures["groups"][name] = {
            "horizon_days": horizon,
            **_group_figures(result.metrics, result.chosen, goal),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        progress(f"{name}: {figures['groups'][name]}")
        checkpoint(figures)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def real_world_backtests(progress) -> dict:
    """Each real series through `hhl forecast --backtest` (the CLI, end to end)."""
    from hanoi_health_lake.cli import main

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, file, step, horizon in REAL_SERIES:
            target = Path(tmp) / f"{name}.csv"
            argv = ["forecast", "--backtest", "--input", str(FIXTURES / file), "--output",
                    str(target), "--horizon", str(horizon), "--windows", "8",
                    "--frequency", step]  # fmt: skip
            if main(argv) != 0:
                out[name] = {"error": "hhl forecast --backtest failed"}
                continue
            metrics = pd.read_csv(target).set_index("method")
            out[name] = {
                "file": f"tests/fixtures/surveillance/{file}",
                "frequency": step,
                "horizon": horizon,
                "points": int(metrics.loc[AUTO, "points"]),
                "auto": _row(metrics, AUTO),
                "seasonal_naive": _row(metrics, BASELINE),
            }
            progress(f"{name}: {out[name]}")
    return out


def _row(metrics: pd.DataFrame, method: str) -> dict:
    keys = ("mae", "mase", "relative_mae", "bias", "coverage_80", "coverage_95")
    return {k: round(float(metrics.loc[method, k]), 3) for k in keys}
