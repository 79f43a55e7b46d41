"""ETS with last year's seasonal shape divided out: for daily series that have a year behind them.

Disease counts follow the seasons (dengue in the autumn, hand-foot-mouth twice a year, influenza
in the winter), and statsforecast's ETS has no season longer than 24 points; MSTL's yearly
season needs two whole years before every backtest origin, which two years of history never
give. This method takes the season from the series itself, one year back:

    index(t) = (mean of y over the 4 weeks around t - 364, + 1) / (the same means' average + 1)

(364 days: the same weekday a year before; 4 whole weeks, so the weekday pattern cancels; +1 so
that a sparse series tends to a flat index rather than dividing by zero). ETS with a weekly
season (AutoETS "ZNZ", as `ets`) is fitted to y / index over the days that have a year behind
them, and its forecast and interval bounds are multiplied back by the index of the days ahead.
So a rise that came at this time last year is expected again, at today's level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

YEAR = 364
HALF = 14  # the index averages the 28 days [t - YEAR - HALF, t - YEAR + HALF)
MIN_FIT = 8 * 7  # days of the deseasonalised series ETS is fitted on, at least


def min_length(season: int) -> int:
    """The shortest series the method forecasts: a year and two weeks of index, then MIN_FIT."""
    return YEAR + HALF + max(MIN_FIT, 2 * season)


def _smooth(y: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each position p, the mean of y[p - YEAR - HALF : p - YEAR + HALF]."""
    cumulative = np.concatenate([[0.0], np.cumsum(y, dtype=float)])
    lo, hi = positions - YEAR - HALF, positions - YEAR + HALF
    return (cumulative[hi] - cumulative[lo]) / (hi - lo)


def _index(y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(index of the fitted days, index of the `horizon` days ahead, first fitted position)."""
    first = YEAR + HALF
    if len(y) <= first:
        raise ValueError(f"the yearly index needs more than {first} days; the series has {len(y)}")
    if horizon > YEAR - HALF:
        raise ValueError(f"the yearly index reaches {YEAR - HALF} days ahead, not {horizon}")
    fitted = _smooth(y, np.arange(first, len(y)))
    ahead = _smooth(y, np.arange(len(y), len(y) + horizon))
    mean = fitted.mean()
    return (fitted + 1) / (mean + 1), (ahead + 1) / (mean + 1), first


def forecast_wide(
    panel: pd.DataFrame, season: int, horizon: int, levels: Sequence[int], alias: str
) -> pd.DataFrame:
    """statsforecast's wide layout (unique_id, ds, `alias`, `alias`-lo-L, `alias`-hi-L) for the
    next `horizon` days of each series of `panel` (ds 0, 1, 2, … per series, every series at
    least `min_length(season)` long)."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    adjusted, ahead_index, last_ds = [], {}, {}
    for uid, g in panel.sort_values("ds").groupby("unique_id", sort=False):
        y = g["y"].to_numpy(dtype=float)
        fitted_index, ahead_index[uid], first = _index(y, horizon)
        ds = g["ds"].to_numpy()
        last_ds[uid] = int(ds[-1])
        adjusted.append(
            pd.DataFrame({"unique_id": uid, "ds": ds[first:], "y": y[first:] / fitted_index})
        )
    model = AutoETS(season_length=season, model="ZNZ", alias=alias)
    kwargs = {"level": list(levels)} if levels else {}
    wide = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(
        df=pd.concat(adjusted, ignore_index=True), h=horizon, **kwargs
    )
    step = wide["ds"] - wide["unique_id"].map(last_ds) - 1
    factor = np.array([ahead_index[u][s] for u, s in zip(wide["unique_id"], step, strict=True)])
    columns = [alias, *(f"{alias}-{side}-{lv}" for lv in levels for side in ("lo", "hi"))]
    for column in columns:
        wide[column] = wide[column].to_numpy(dtype=float) * factor
    return wide[["unique_id", "ds", *columns]]


def cross_validation_wide(
    panel: pd.DataFrame,
    season: int,
    horizon: int,
    windows: int,
    step: int,
    levels: Sequence[int],
    alias: str,
) -> pd.DataFrame:
    """The rolling-origin backtest in statsforecast's layout (unique_id, ds, cutoff, y, …),
    with statsforecast's origins: the last `windows` cutoffs `step` apart, the last one
    `horizon` before the end of each series."""
    panel = panel.sort_values(["unique_id", "ds"])
    last = panel.groupby("unique_id")["ds"].transform("max")
    parts = []
    for w in range(windows):
        back = horizon + step * (windows - 1 - w)
        train = panel[panel["ds"] <= last - back]
        cutoff = train.groupby("unique_id")["ds"].max().rename("cutoff")
        wide = forecast_wide(train, season, horizon, levels, alias).merge(
            cutoff, left_on="unique_id", right_index=True
        )
        parts.append(wide.merge(panel[["unique_id", "ds", "y"]], on=["unique_id", "ds"]))
    return pd.concat(parts, ignore_index=True)
