"""Poisson CUSUM as R `surveillance::algo.cusum` computes it (Rossi 1999, trans = "standard").

m is the mean of a fixed baseline (the first `baseline` points) unless given; each later point is
standardised z_t = (y_t - m)/sqrt(m) and accumulated S_t = max(0, S_{t-1} + z_t - k); alarm when
S_t >= h. The upper bound is the smallest count that would alarm, ceil(sqrt(m)(h + k - S_{t-1}) + m)
clipped at 0, so unlike EARS and Farrington an alarm means y_t >= bound. R 1.20 never resets S;
`reset=True` restarts it at 0 after each alarm, as most CUSUM practice does.
"""

from __future__ import annotations

import math

import numpy as np

from hanoi_health_lake.surveillance.result import OK, MethodResult


def cusum(
    counts: np.ndarray,
    baseline: int = 7,
    k: float = 1.04,
    h: float = 2.26,
    m: float | None = None,
    reset: bool = False,
) -> MethodResult:
    """Evaluate every point after the first `baseline` (all points when m is given, baseline 0)."""
    y = np.asarray(counts, dtype=float)
    if baseline < 0 or (m is None and baseline < 1):
        raise ValueError(f"CUSUM needs at least 1 baseline point to estimate m, got {baseline}")
    result = MethodResult.empty(len(y), f"CUSUM estimates m from the first {baseline} points")
    if len(y) <= baseline:
        return result
    if m is None:
        m = math.fsum(y[:baseline]) / baseline
    if not m > 0:
        raise ValueError(
            f"CUSUM needs a baseline mean above 0 (got {m}): the Poisson standardisation "
            "(y - m)/sqrt(m) is undefined; use a longer baseline or EARS with min_sigma"
        )
    root = math.sqrt(m)
    statistic = 0.0
    for t in range(baseline, len(y)):
        # The operation order follows R so that ceil() lands on the same integer.
        result.upperbound[t] = max(0.0, math.ceil(root * (h + k - statistic) + m))
        statistic = max(0.0, statistic + ((y[t] - m) / root - k))
        result.alarm[t] = statistic >= h
        if reset and result.alarm[t]:
            statistic = 0.0
    result.expected[baseline:] = m
    result.status[baseline:] = OK
    return result
