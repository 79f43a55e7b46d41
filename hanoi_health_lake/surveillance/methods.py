"""The method registry, `detect` (one series, one method) and `choose_method` (by history length).

Choosing a method. Farrington-type methods compare a day with the same time in earlier years, so
they need b = 5 years plus the window: from 1,830 days of history (5 years with two leap days,
1,827 days, plus the 3-day window) we run Noufaily 2013, which keeps Farrington's seasonal
baseline with far fewer false alarms (Noufaily et al. 2013). With less history, EARS: the
textbook C3 from 11 earlier days, C2 from 9, C1 from 7, so EARS works from day 8. With fewer than
7 days no method can run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from hanoi_health_lake.surveillance import cusum, ears, farrington
from hanoi_health_lake.surveillance.result import MethodResult
from hanoi_health_lake.surveillance.series import Series, make_series, parse_date

_EARS_PARAMS = ("baseline", "alpha", "min_sigma")
_FARRINGTON_PARAMS = (
    "b",
    "w",
    "no_periods",
    "past_weeks_not_included",
    "weights_threshold",
    "p_threshold_trend",
    "alpha",
    "limit54",
    "reweight",
    "trend",
    "frequency",
)


@dataclass(frozen=True)
class Method:
    name: str
    summary: str
    params: tuple[str, ...]
    run: Callable[..., MethodResult]  # run(series, start, **params)


def _counts_only(function: Callable[..., MethodResult]) -> Callable[..., MethodResult]:
    # EARS and CUSUM are cheap and CUSUM's state needs every point, so they ignore `start`.
    return lambda series, start, **params: function(series.counts, **params)


def _farrington_with(defaults: farrington.FarringtonParams) -> Callable[..., MethodResult]:
    def run(
        series: Series, start: int, frequency: int | None = None, **params: object
    ) -> MethodResult:
        return farrington.farrington_flexible(series, replace(defaults, **params), frequency, start)

    return run


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ears-c1", "EARS C1: last 7 points as baseline", _EARS_PARAMS,
               _counts_only(ears.ears_c1)),
        Method("ears-c2", "EARS C2: baseline t-9..t-3 (2-point guard band)", _EARS_PARAMS,
               _counts_only(ears.ears_c2)),
        Method("ears-c3", "EARS C3, textbook: C2 excesses of the last 3 points", _EARS_PARAMS,
               _counts_only(ears.ears_c3)),
        Method("ears-c3-r", "EARS C3 as R surveillance::earsC computes it", _EARS_PARAMS,
               _counts_only(ears.ears_c3_r)),
        Method("cusum", "Poisson CUSUM as R algo.cusum (m = mean of the first points)",
               ("baseline", "k", "h", "m", "reset"), _counts_only(cusum.cusum)),
        Method("farrington", "Farrington 1996 (R farringtonFlexible, original settings)",
               _FARRINGTON_PARAMS, _farrington_with(farrington.FARRINGTON_1996)),
        Method("noufaily", "Improved Farrington, Noufaily 2013 (R farringtonFlexible)",
               _FARRINGTON_PARAMS, _farrington_with(farrington.NOUFAILY_2013)),
    )
}  # fmt: skip

EARS_MIN_HISTORY_DAYS = 7
FARRINGTON_MIN_HISTORY_DAYS = 1830


def detect(
    series_dates: Sequence[dt.date | str] | None,
    counts: Sequence[float],
    method: str,
    **params: object,
) -> pl.DataFrame:
    """Run one method on one series (dates may be None); see `detect_series`."""
    return detect_series(make_series(series_dates, counts), method, **params)


def detect_series(
    series: Series,
    method: str,
    evaluate_from: int | dt.date | str | None = None,
    **params: object,
) -> pl.DataFrame:
    """Run one method on one checked series; one row per point, in order.

    `evaluate_from` (a position, or a date of a dated series) drops the rows before it; earlier
    points still serve as history. Columns: method, index (0-based position), date (null if
    undated), observed, expected, upperbound, alarm, status (ok | short_history | low_counts |
    no_fit) and note (why, for any status but ok). short_history rows have no bound and never
    alarm.
    """
    chosen = METHODS.get(method)
    if chosen is None:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    unknown = sorted(set(params) - set(chosen.params))
    if unknown:
        raise ValueError(
            f"{method} takes no parameter {', '.join(unknown)}; it takes {', '.join(chosen.params)}"
        )
    start = _start_position(series, evaluate_from)
    result = chosen.run(series, start, **params)
    return to_frame(method, series, result).slice(start)


def _start_position(series: Series, evaluate_from: int | dt.date | str | None) -> int:
    if evaluate_from is None:
        return 0
    if isinstance(evaluate_from, int):
        if evaluate_from < 0:
            raise ValueError(f"evaluate_from must be a position >= 0, got {evaluate_from}")
        return min(evaluate_from, len(series))
    if series.dates is None:
        raise ValueError("evaluate_from is a date but the series is undated: give a position")
    day = parse_date(evaluate_from, "evaluate_from: ")
    return int(np.searchsorted(np.array(series.dates, dtype="datetime64[D]"), np.datetime64(day)))


def to_frame(method: str, series: Series, result: MethodResult) -> pl.DataFrame:
    observed = series.counts
    integral = bool(np.all(observed == np.round(observed)))
    status = result.status.astype(str)
    return pl.DataFrame(
        {
            "method": [method] * len(series),
            "index": np.arange(len(series), dtype=np.int64),
            "date": list(series.dates) if series.dates else [None] * len(series),
            "observed": observed.astype(np.int64) if integral else observed,
            "expected": result.expected,
            "upperbound": result.upperbound,
            "alarm": result.alarm.astype(bool),
            "status": status,
            "note": [result.notes.get(s) for s in status],
        },
        schema_overrides={"date": pl.Date},
        nan_to_null=True,
    )


def choose_method(history_days: int) -> tuple[str | None, str]:
    """The method for a daily series with `history_days` earlier days, and why (see module doc)."""
    if history_days >= FARRINGTON_MIN_HISTORY_DAYS:
        return "noufaily", (
            f"{history_days} days of history cover 5 years and the 3-day window: seasonal "
            "baseline from the same days in 5 earlier years (Noufaily 2013)"
        )
    short = f"{history_days} days of history, fewer than the {FARRINGTON_MIN_HISTORY_DAYS}"
    if history_days >= 11:
        return "ears-c3", f"{short} Farrington needs; EARS C3 needs 11"
    if history_days >= 9:
        return "ears-c2", f"{short} Farrington needs; EARS C3 needs 11, C2 needs 9"
    if history_days >= EARS_MIN_HISTORY_DAYS:
        return "ears-c1", f"{short} Farrington needs; EARS C2 needs 9, C1 needs 7"
    return None, f"{history_days} days of history: every method needs at least 7 earlier days"
