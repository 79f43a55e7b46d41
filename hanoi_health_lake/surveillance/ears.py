"""EARS C1, C2 and C3 (CDC; Hutwagner 2003), with thresholds as in R `surveillance::earsC`.

The thresholds are normal quantiles z(1 - alpha), and the spread is max(s, min_sigma) with s the
sample standard deviation (n - 1) of the baseline, as in R.

Zero spread. A constant baseline with min_sigma = 0 gives s = 0. We read it as the limit s -> 0+:
a count above the baseline mean is infinitely unusual, one at the mean is not unusual, one below
is not a rise. C1 and C2 then need no special case (the bound is the mean, as in R). C3 would
divide by zero, where R returns NA; we apply the same limit to each C2 term. For sparse counts set
min_sigma to 0.5-1 instead, as R's documentation recommends.

Textbook C3 versus R. The textbook statistic sums max(0, C2 - 1) over t-2, t-1 and t and alarms
when the sum exceeds z(1 - alpha) (1.96 at the default alpha 0.025, the CDC's "C3 > 2"). Its
upper bound is the count at t that makes the sum reach the threshold given the two earlier terms.
When those two terms alone exceed it, any count alarms; we then require y_t > 0 (a day without
cases is not an outbreak day, as in R) and report the bound as 0. R's `earsC(method = "C3")`
leaves the current day's term out (see `ears_c3_r`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hanoi_health_lake.surveillance.result import OK, MethodResult, check_alpha

C1_GUARD = 0  # baseline t-7 .. t-1
C2_GUARD = 2  # baseline t-9 .. t-3: two days between baseline and today


def ears_c1(
    counts: np.ndarray, baseline: int = 7, alpha: float = 0.001, min_sigma: float = 0.0
) -> MethodResult:
    """C1: baseline of the `baseline` points just before t; alarm when y > mean + z*sigma."""
    return _ears_c1_c2(counts, baseline, alpha, min_sigma, C1_GUARD, "C1")


def ears_c2(
    counts: np.ndarray, baseline: int = 7, alpha: float = 0.001, min_sigma: float = 0.0
) -> MethodResult:
    """C2: as C1 with a two-point guard band between baseline and t."""
    return _ears_c1_c2(counts, baseline, alpha, min_sigma, C2_GUARD, "C2")


def ears_c3(
    counts: np.ndarray, baseline: int = 7, alpha: float = 0.025, min_sigma: float = 0.0
) -> MethodResult:
    """Textbook C3: sum of the C2 excesses of t-2, t-1 and t above z(1 - alpha)."""
    result, parts = _c3_parts(counts, baseline, alpha, min_sigma)
    if parts is None:
        return result
    y_now, z, mean, sigma, excess, lag = parts
    c3 = lag + excess
    bound = np.where(lag <= z, mean + sigma * (1 + z - np.minimum(lag, z)), 0.0)
    _fill(result, mean, bound, (c3 > z) & (y_now > 0))
    return result


def ears_c3_r(
    counts: np.ndarray, baseline: int = 7, alpha: float = 0.025, min_sigma: float = 0.0
) -> MethodResult:
    """C3 as R computes it: U = max(0, y_t + s2(t)*(z - excess(t-1) - excess(t-2))).

    So it alarms when the two previous C2 excesses exceed z and y_t > 0, whatever y_t is.
    """
    result, parts = _c3_parts(counts, baseline, alpha, min_sigma)
    if parts is None:
        return result
    y_now, z, mean, sigma, _, lag = parts
    with np.errstate(invalid="ignore"):
        raw = y_now + sigma * (z - lag)
    # s2(t) = 0 times an infinite lag is R's NaN; the s -> 0+ limit is y_t (no alarm) below z.
    raw = np.where(sigma == 0, np.where(lag > z, -np.inf, y_now), raw)
    bound = np.maximum(0.0, raw)
    _fill(result, mean, bound, y_now > bound)
    return result


def _ears_c1_c2(
    counts: np.ndarray, baseline: int, alpha: float, min_sigma: float, guard: int, name: str
) -> MethodResult:
    _check(baseline, alpha, min_sigma)
    y = np.asarray(counts, dtype=float)
    first = baseline + guard
    result = MethodResult.empty(len(y), _history_note(name, first))
    if len(y) <= first:
        return result
    mean, sigma = _baseline_stats(y, baseline, guard, min_sigma)
    bound = mean + _z(alpha) * sigma
    _fill(result, mean, bound, y[first:] > bound)
    return result


class _C3Parts(NamedTuple):
    """At each point with a C3: its count, C2 mean, spread and excess max(0, C2 - 1), and the
    sum of the excesses of the two points before it."""

    y: np.ndarray
    z: float
    mean: np.ndarray
    sigma: np.ndarray
    excess: np.ndarray
    lag: np.ndarray


def _c3_parts(
    counts: np.ndarray, baseline: int, alpha: float, min_sigma: float
) -> tuple[MethodResult, _C3Parts | None]:
    """Shared C3 work; no parts when the series is too short for any C3."""
    _check(baseline, alpha, min_sigma)
    y = np.asarray(counts, dtype=float)
    first = baseline + C2_GUARD + 2
    result = MethodResult.empty(len(y), _history_note("C3", first))
    if len(y) <= first:
        return result, None
    mean, sigma = _baseline_stats(y, baseline, C2_GUARD, min_sigma)
    y_c2 = y[baseline + C2_GUARD :]
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.maximum(0.0, (y_c2 - mean) / sigma - 1)
    excess = np.where(sigma == 0, np.where(y_c2 > mean, np.inf, 0.0), excess)
    lag = excess[:-2] + excess[1:-1]
    now = slice(2, None)
    z = float(_z(alpha))
    return result, _C3Parts(y_c2[now], z, mean[now], sigma[now], excess[now], lag)


def _z(alpha: float) -> float:
    """The standard normal quantile of 1 - alpha. scipy.stats is imported here, not at the top:
    it is a quarter of the import time of the code location, which every Dagster run and step
    process pays, and only the surveillance steps need it."""
    from scipy.stats import norm

    return norm.ppf(1 - alpha)


def _baseline_stats(
    y: np.ndarray, baseline: int, guard: int, min_sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and max(sd, min_sigma) of the baseline of every point from `baseline + guard` on."""
    windows = sliding_window_view(y, baseline)[: len(y) - baseline - guard]
    mean = windows.mean(axis=1)
    sd = windows.std(axis=1, ddof=1)
    # An exactly constant window must give s = 0, not rounding noise, for the s = 0 rule.
    sd = np.where(np.ptp(windows, axis=1) == 0, 0.0, sd)
    return mean, np.maximum(sd, min_sigma)


def _fill(result: MethodResult, expected: np.ndarray, bound: np.ndarray, alarm: np.ndarray) -> None:
    """Write the evaluated tail (the last len(bound) points) into `result`."""
    first = len(result.status) - len(bound)
    result.expected[first:] = expected
    result.upperbound[first:] = bound
    result.alarm[first:] = alarm
    result.status[first:] = OK


def _check(baseline: int, alpha: float, min_sigma: float) -> None:
    if baseline < 3:
        raise ValueError(f"EARS needs a baseline of at least 3 points, got {baseline}")
    if min_sigma < 0:
        raise ValueError(f"min_sigma must be >= 0, got {min_sigma}")
    check_alpha(alpha)


def _history_note(name: str, first: int) -> str:
    return f"EARS {name} needs {first} earlier points"
