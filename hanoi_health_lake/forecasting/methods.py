"""The forecasting methods, all from statsforecast, and which of them `auto` weighs per series.

Only methods that give prediction intervals of their own are offered: a forecast without its
error is what this package exists to avoid. Croston-type models (statsforecast has them) give no
interval, so sparse series are left to ETS and the historic average, whose intervals are cut at
zero like every count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hanoi_health_lake.forecasting import yearly

Step = Literal["day", "week"]
# The season a forecast must beat: the same weekday last week for daily data, the same week last
# year for weekly data.
SEASON = {"day": 7, "week": 52}
AUTO = "auto"
ALL_ZERO = "all-zero"


@dataclass(frozen=True)
class Method:
    name: str
    seasonal: bool  # needs at least one full season of history
    make: Callable[[int], object] | None  # season length -> a statsforecast model
    about: str
    yearly: bool = False  # forecasting/yearly.py: a year of history divides the season out


def _seasonal_naive(season: int):
    from statsforecast.models import SeasonalNaive

    return SeasonalNaive(season_length=season, alias="seasonal-naive")


def _naive(season: int):
    from statsforecast.models import Naive

    return Naive(alias="naive")


def _average(season: int):
    from statsforecast.models import HistoricAverage

    return HistoricAverage(alias="historic-average")


def _ets(season: int):
    from statsforecast.models import AutoETS

    # statsforecast's ETS has no seasonal component beyond 24 points a season (weekly data).
    # No trend term ("ZNZ"): a trend carried weeks ahead is what Theta's drift is for, and the
    # full search (ZZZ) took seven times as long a fit for no gain on the benchmark's series.
    return AutoETS(season_length=season if season <= 24 else 1, model="ZNZ", alias="ets")


def _theta(season: int):
    from statsforecast.models import AutoTheta

    return AutoTheta(season_length=season if season <= 24 else 1, alias="theta")


def _arima(season: int):
    from statsforecast.models import AutoARIMA

    return AutoARIMA(season_length=season if season <= 24 else 1, alias="arima")


METHODS = {
    m.name: m
    for m in (
        Method("seasonal-naive", True, _seasonal_naive, "the same day last week (week last year)"),
        Method("naive", False, _naive, "the last value"),
        Method("historic-average", False, _average, "the mean of the whole history"),
        Method(
            "ets", False, _ets, "exponential smoothing (AutoETS, no trend) with a weekly season"
        ),
        Method("theta", False, _theta, "the Theta method (AutoTheta), deseasonalised"),
        Method("arima", False, _arima, "AutoARIMA with a weekly season (slow on long series)"),
        Method(
            "ets-yearly",
            False,
            None,
            "exponential smoothing with a weekly season, after last year's seasonal shape is "
            "divided out (daily series with more than a year of history)",
            yearly=True,
        ),
    )
}
METHOD_NAMES = (AUTO, *METHODS)
# What `auto` weighs, cheapest first (a tie goes to the simpler method). ARIMA and Theta are left
# out for their cost: statsforecast's backtest of AutoTheta took 7 CPU-s a series (ETS 0.3 s),
# AutoARIMA seconds a fit, too slow for hundreds of series each week; both stay on --method.
AUTO_CANDIDATES = ("seasonal-naive", "ets", "ets-yearly")
SHORT_CANDIDATES = ("naive", "historic-average", "ets")


# statsforecast's model fits refuse "tiny datasets": below this many points only naive and the
# historic average are offered.
MIN_FIT_POINTS = 10


def candidates(length: int, season: int) -> tuple[str, ...]:
    """The methods `auto` compares on a series of `length` points."""
    if length > 2 * season:
        return tuple(m for m in AUTO_CANDIDATES if not usable(m, length, season))
    return tuple(m for m in SHORT_CANDIDATES if not usable(m, length, season))


def fallback(length: int, season: int) -> str:
    """The method of a series too short to backtest."""
    return "ets" if length >= MIN_FIT_POINTS else "naive"


def usable(method: str, length: int, season: int) -> str | None:
    """Why `method` cannot forecast a series of `length` points, or None."""
    if METHODS[method].seasonal and length <= season:
        return (
            f"{method} needs more than one season ({season} points) of history; "
            f"the series has {length}"
        )
    if METHODS[method].yearly:
        if season != SEASON["day"]:
            return f"{method} is for daily series (a weekly series' yearly season is its own)"
        if length < yearly.min_length(season):
            return (
                f"{method} needs {yearly.min_length(season)} days of history (a year and "
                f"{yearly.min_length(season) - yearly.YEAR} days); the series has {length}"
            )
    if length < 3:
        return f"the series has {length} point(s); at least 3 are needed"
    if method in ("ets", "theta", "arima") and length < MIN_FIT_POINTS:
        return f"{method} needs at least {MIN_FIT_POINTS} points; the series has {length}"
    return None
