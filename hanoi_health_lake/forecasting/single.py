"""One series from a CSV file: forecast it, or backtest it, with the calendar put back on.

The engine counts points 0, 1, 2, …; here they become dates again (a dated series' step is
inferred: consecutive days or weeks) or stay positions (an undated series, whose step the caller
names). The season follows the step: 7 for daily data, 52 for weekly data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from hanoi_health_lake.forecasting.engine import (
    ForecastError,
    backtest,
    choose,
    forecast,
    windows_possible,
)
from hanoi_health_lake.forecasting.methods import ALL_ZERO, AUTO, SEASON, Step, usable
from hanoi_health_lake.surveillance.series import Series

SERIES_ID = "series"


@dataclass(frozen=True)
class Forecast:
    frame: pd.DataFrame  # date or index, step, forecast, lo_<L>, hi_<L>, method
    method: str
    note: str  # how the method was chosen, in one sentence


def step_of(series: Series, frequency: Step | None) -> Step:
    if series.step and frequency and series.step != frequency:
        raise ForecastError(f"--frequency {frequency} but the dates step by one {series.step}")
    step = series.step or frequency
    if step is None:
        raise ForecastError("an undated series needs --frequency day or week")
    return step


def _panel(series: Series) -> pd.DataFrame:
    n = len(series)
    return pd.DataFrame({"unique_id": [SERIES_ID] * n, "ds": range(n), "y": series.counts})


def _calendar(frame: pd.DataFrame, series: Series, step: Step) -> pd.DataFrame:
    frame = frame.drop(columns="unique_id")
    if series.dates is None:
        return frame.rename(columns={"ds": "index"})
    days = 1 if step == "day" else 7
    first = series.dates[0]
    frame.insert(0, "date", [first + timedelta(days=days * int(k)) for k in frame["ds"]])
    if "cutoff" in frame:  # the backtest origin: the last point the fit saw
        frame["cutoff"] = [first + timedelta(days=days * int(k)) for k in frame["cutoff"]]
    return frame.drop(columns="ds")


def forecast_one(
    series: Series,
    horizon: int,
    method: str = AUTO,
    levels: Sequence[int] = (80, 95),
    frequency: Step | None = None,
) -> Forecast:
    step = step_of(series, frequency)
    season = SEASON[step]
    if horizon < 1:
        raise ForecastError("--horizon must be at least 1")
    panel = _panel(series)
    if series.counts.sum() == 0:
        chosen, note = ALL_ZERO, f"all {len(series)} counts are 0: the forecast is 0, no model fit"
    elif method == AUTO:
        chosen = choose(panel, season, horizon)[SERIES_ID]
        note = _auto_note(chosen, len(series), horizon, season)
    else:
        problem = usable(method, len(series), season)
        if problem:
            raise ForecastError(problem)
        chosen, note = method, f"{method} as asked"
    frame = forecast(panel, season, horizon, {SERIES_ID: chosen}, levels)
    bounds = [f"{side}_{level}" for level in levels for side in ("lo", "hi")]
    frame = frame[["unique_id", "ds", "step", "forecast", *bounds, "method"]]
    return Forecast(_calendar(frame, series, step), chosen, note)


def _auto_note(chosen: str, length: int, horizon: int, season: int) -> str:
    if length <= 2 * season:
        return (
            f"the series ({length} points) is shorter than two seasons ({2 * season}): only "
            f"non-seasonal methods were weighed; {chosen} chosen"
        )
    if windows_possible(length, horizon, season) < 1:
        return f"too short to backtest a {horizon}-point horizon: {chosen} by default"
    return f"{chosen} had the lowest backtest error among the candidates"


def backtest_one(
    series: Series,
    horizon: int,
    windows: int,
    methods: Sequence[str],
    levels: Sequence[int] = (80, 95),
    frequency: Step | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """(metrics per method, backtest points, the method `auto` chose or None)."""
    step = step_of(series, frequency)
    season = SEASON[step]
    possible = windows_possible(len(series), horizon, season)
    if possible < 1:
        raise ForecastError(
            f"the series has {len(series)} points: a backtest of a {horizon}-point horizon "
            f"with a season of {season} needs at least {2 * season + 1 + horizon}"
        )
    result = backtest(_panel(series), season, horizon, min(windows, possible), methods, levels)
    metrics = result.metrics.drop(columns="unique_id")
    points = _calendar(result.points, series, step)
    return metrics, points, result.chosen.get(SERIES_ID)
