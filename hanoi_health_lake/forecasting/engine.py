"""Forecasts of many count series at once, with the error each series showed on its own history.

A panel is a pandas frame of `unique_id`, `ds` (0, 1, 2, … per series: the calendar is the
caller's) and `y` (counts). statsforecast fits every method on every series; the rolling-origin
backtest refits at each origin (`cutoff`) and forecasts `horizon` points, windows one horizon
apart, ending at the last point. Counts are never negative: forecasts and interval bounds are
cut at zero before anything is scored or written.

MASE divides a method's mean absolute error over the backtest windows by the mean absolute
one-season change of the history before the first window (Hyndman & Koehler 2006): below 1 the
method beat what the seasonal-naive rule does one step ahead in-sample. `relative_mae` divides it
by the seasonal-naive forecast's own error over the same windows: below 1 it beat seasonal naive
at the same horizons.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hanoi_health_lake.forecasting import yearly
from hanoi_health_lake.forecasting.methods import (
    ALL_ZERO,
    AUTO,
    METHODS,
    candidates,
    fallback,
    usable,
)

BASELINE = "seasonal-naive"
SELECTION_WINDOWS = 3  # backtest windows `auto` chooses on


class ForecastError(ValueError):
    """The series cannot be forecast or backtested as asked; the message says why."""


@dataclass(frozen=True)
class Backtest:
    points: pd.DataFrame  # unique_id, method, cutoff, ds, y, forecast, lo_<L>, hi_<L>
    metrics: pd.DataFrame  # unique_id, method, windows, points, mae, mase, relative_mae, ...
    chosen: dict[str, str]  # unique_id -> method `auto` chose (on the history before the windows)


def _statsforecast(methods: Sequence[str], season: int):
    from statsforecast import StatsForecast

    return StatsForecast(models=[METHODS[m].make(season) for m in methods], freq=1, n_jobs=1)


def _cross_validation(
    df: pd.DataFrame,
    methods: Sequence[str],
    season: int,
    horizon: int,
    windows: int,
    levels: Sequence[int] = (),
) -> pd.DataFrame:
    """statsforecast's cross-validation frame (unique_id, ds, cutoff, y, one column per method
    and bound) for any of our methods: statsforecast's own, and the yearly-adjusted one
    (forecasting/yearly.py), which is backtested at the same origins and joined on."""
    plain = [m for m in methods if not METHODS[m].yearly]
    kwargs = {"level": list(levels)} if levels else {}
    wide = _quiet(
        _statsforecast(plain, season).cross_validation,
        df=df, h=horizon, n_windows=windows, step_size=horizon, **kwargs,
    )  # fmt: skip
    keys = ["unique_id", "ds", "cutoff"]
    yearly_methods = [m for m in methods if METHODS[m].yearly]
    if not yearly_methods:
        return wide
    # Only series with a year behind the first origin; the others' cells stay empty (NaN), and
    # `auto` never chose the method for them (methods.usable).
    length = df.groupby("unique_id")["ds"].transform("size")
    ready = df[length - windows * horizon >= yearly.min_length(season)]
    for method in yearly_methods:
        columns = [method, *(f"{method}-{s}-{lv}" for lv in levels for s in ("lo", "hi"))]
        if ready.empty:
            wide = wide.assign(**dict.fromkeys(columns, np.nan))
            continue
        extra = _quiet(
            yearly.cross_validation_wide, ready, season, horizon, windows, horizon, levels, method
        )
        wide = wide.merge(extra[[*keys, *columns]], on=keys, how="left", validate="1:1")
    return wide


def _forecast_wide(
    df: pd.DataFrame, method: str, season: int, horizon: int, levels: Sequence[int]
) -> pd.DataFrame:
    if METHODS[method].yearly:
        return _quiet(yearly.forecast_wide, df, season, horizon, levels, method)
    sf = _statsforecast([method], season)
    return _quiet(sf.forecast, df=df, h=horizon, level=list(levels))


def _clip(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    for c in columns:
        frame[c] = frame[c].clip(lower=0.0)
    return frame


def _long(wide: pd.DataFrame, methods: Sequence[str], levels: Sequence[int], keys: list[str]):
    """statsforecast's one-column-per-method frame → one row per method and point."""
    parts = []
    for m in methods:
        part = wide[keys].copy()
        part["method"] = m
        part["forecast"] = wide[m].to_numpy(dtype=float)
        for level in levels:
            part[f"lo_{level}"] = wide[f"{m}-lo-{level}"].to_numpy(dtype=float)
            part[f"hi_{level}"] = wide[f"{m}-hi-{level}"].to_numpy(dtype=float)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    bounds = [f"{side}_{level}" for level in levels for side in ("lo", "hi")]
    return _clip(out, ["forecast", *bounds])


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        # pandas deprecations inside statsforecast and ETS's "not enough data for a seasonal
        # model" notes: the method is then non-seasonal, which the backtest judges anyway.
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def _zero_ids(panel: pd.DataFrame) -> set[str]:
    totals = panel.groupby("unique_id")["y"].sum()
    return set(totals.index[totals == 0])


def _zero_rows(ids, ds_by_id, levels, extra: dict) -> pd.DataFrame:
    rows = []
    for uid in sorted(ids):
        for ds in ds_by_id[uid]:
            row = {"unique_id": uid, "ds": ds, "method": ALL_ZERO, "forecast": 0.0, **extra}
            row.update({f"{s}_{lv}": 0.0 for lv in levels for s in ("lo", "hi")})
            rows.append(row)
    return pd.DataFrame(rows)


def windows_possible(length: int, horizon: int, season: int) -> int:
    """Backtest windows a series of `length` points allows: each origin keeps at least two
    seasons of history (one for the seasonal-naive baseline, one to scale MASE)."""
    return max(0, (length - 2 * season - 1) // horizon)


def backtest(
    panel: pd.DataFrame,
    season: int,
    horizon: int,
    windows: int,
    methods: Sequence[str],
    levels: Sequence[int] = (80, 95),
) -> Backtest:
    """Rolling-origin backtest of `methods` (AUTO allowed) on every series of `panel`; all
    series must be long enough for `windows` windows (windows_possible)."""
    lengths = panel.groupby("unique_id").size()
    if windows < 1 or (lengths.min() if len(lengths) else 0) < 2 * season + 1 + windows * horizon:
        shortest = int(lengths.min()) if len(lengths) else 0
        raise ForecastError(
            f"a backtest of {max(windows, 1)} window(s) of {horizon} points with a season of "
            f"{season} needs at least {2 * season + 1 + max(windows, 1) * horizon} points; "
            f"the series has {shortest}"
        )
    zeros = _zero_ids(panel)
    live = panel[~panel["unique_id"].isin(zeros)]
    fitted = [m for m in methods if m != AUTO]
    chosen: dict[str, str] = {}
    if AUTO in methods and not live.empty:
        # Chosen on the history before the first window only: the windows stay unseen.
        first_cutoff = live.groupby("unique_id")["ds"].transform("max") - windows * horizon
        chosen = choose(live[live["ds"] <= first_cutoff], season, horizon)
        # Zero before the windows but not after (a first outbreak): not an all-zero series.
        n = int(lengths.min())
        chosen = {u: fallback(n, season) if m == ALL_ZERO else m for u, m in chosen.items()}
        fitted = list(dict.fromkeys([*fitted, *chosen.values()]))
    run = list(dict.fromkeys([BASELINE, *fitted]))
    points = pd.DataFrame()
    if not live.empty:
        cv = _cross_validation(live, run, season, horizon, windows, levels)
        points = _long(cv, run, levels, ["unique_id", "cutoff", "ds", "y"])
    if zeros:
        last = panel.groupby("unique_id")["ds"].max()
        ds_by_id = {u: range(int(last[u]) - windows * horizon + 1, int(last[u]) + 1) for u in zeros}
        zero_points = _zero_rows(zeros, ds_by_id, levels, {"y": 0.0})
        first = zero_points["unique_id"].map({u: r.start for u, r in ds_by_id.items()})
        zero_points["cutoff"] = first - 1 + (zero_points["ds"] - first) // horizon * horizon
        points = pd.concat([points, zero_points], ignore_index=True)
        chosen.update(dict.fromkeys(zeros, ALL_ZERO))
    if AUTO in methods:
        picked = points.merge(
            pd.DataFrame({"unique_id": list(chosen), "method": list(chosen.values())}),
            on=["unique_id", "method"],
        )
        picked["method"] = AUTO
        points = pd.concat([points, picked], ignore_index=True)
    keep = set(methods) | {BASELINE, ALL_ZERO}
    points = points[points["method"].isin(keep)].reset_index(drop=True)
    return Backtest(points, _metrics(points, panel, season, levels, horizon), chosen)


def _scales(panel: pd.DataFrame, season: int, before: pd.Series) -> pd.Series:
    """Per series: mean |y_t - y_(t-season)| over the history before its first backtest origin."""
    out = {}
    for uid, g in panel.sort_values("ds").groupby("unique_id"):
        y = g.loc[g["ds"] <= before.get(uid, g["ds"].max()), "y"].to_numpy(dtype=float)
        diffs = np.abs(y[season:] - y[:-season])
        out[uid] = float(diffs.mean()) if diffs.size else math.nan
    return pd.Series(out)


def _metrics(points, panel, season, levels, horizon) -> pd.DataFrame:
    if points.empty:
        return pd.DataFrame()
    first_cutoff = points.groupby("unique_id")["cutoff"].min()
    scales = _scales(panel, season, first_cutoff)
    err = points["forecast"] - points["y"]
    frame = points.assign(abs_error=err.abs(), error=err)
    for level in levels:
        frame[f"in_{level}"] = (frame["y"] >= frame[f"lo_{level}"]) & (
            frame["y"] <= frame[f"hi_{level}"]
        )
    agg = {
        "windows": ("cutoff", "nunique"),
        "points": ("y", "size"),
        "mae": ("abs_error", "mean"),
        "bias": ("error", "mean"),
        "mean_observed": ("y", "mean"),
        **{f"coverage_{lv}": (f"in_{lv}", "mean") for lv in levels},
    }
    out = frame.groupby(["unique_id", "method"], as_index=False).agg(**agg)
    baseline = out[out["method"].isin([BASELINE, ALL_ZERO])].set_index("unique_id")["mae"]
    out["scale"] = out["unique_id"].map(scales)
    out["mase"] = _ratio(out["mae"], out["scale"])
    out["relative_mae"] = _ratio(out["mae"], out["unique_id"].map(baseline))
    out["horizon"] = horizon
    return out


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.astype(float)
    return (a / b.where(b > 0)).astype(float)


def choose(panel: pd.DataFrame, season: int, horizon: int) -> dict[str, str]:
    """unique_id -> the method with the lowest backtest MAE among its candidates (a tie goes to
    the earlier, simpler one); a series too short to backtest gets `fallback`, all zeros
    ALL_ZERO."""
    out: dict[str, str] = dict.fromkeys(_zero_ids(panel), ALL_ZERO)
    live = panel[~panel["unique_id"].isin(out)]
    lengths = live.groupby("unique_id").size()
    for length, ids in lengths.groupby(lengths):
        group = live[live["unique_id"].isin(ids.index)]
        options = [m for m in candidates(int(length), season) if not usable(m, int(length), season)]
        windows = min(SELECTION_WINDOWS, windows_possible(int(length), horizon, season))
        if windows < 1 or len(options) == 1:
            out.update(dict.fromkeys(ids.index, fallback(int(length), season)))
            continue
        cv = _cross_validation(group, options, season, horizon, windows)
        errors = {m: (cv[m].clip(lower=0) - cv["y"]).abs().groupby(cv["unique_id"]).mean()
                  for m in options}  # fmt: skip
        table = pd.DataFrame(errors)
        out.update(table.idxmin(axis=1).to_dict())
    return out


def forecast(
    panel: pd.DataFrame,
    season: int,
    horizon: int,
    method_of: dict[str, str],
    levels: Sequence[int] = (80, 95),
) -> pd.DataFrame:
    """The next `horizon` points of each series by its method: unique_id, ds, method, forecast,
    lo_<L>, hi_<L>."""
    last = panel.groupby("unique_id")["ds"].max()
    parts = []
    zeros = [u for u, m in method_of.items() if m == ALL_ZERO]
    if zeros:
        ds_by_id = {u: range(int(last[u]) + 1, int(last[u]) + 1 + horizon) for u in zeros}
        parts.append(_zero_rows(zeros, ds_by_id, levels, {}))
    for method in sorted(set(method_of.values()) - {ALL_ZERO}):
        ids = [u for u, m in method_of.items() if m == method]
        wide = _forecast_wide(panel[panel["unique_id"].isin(ids)], method, season, horizon, levels)
        parts.append(_long(wide, [method], levels, ["unique_id", "ds"]))
    out = pd.concat(parts, ignore_index=True)
    out["step"] = out["ds"] - out["unique_id"].map(last)
    return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)
