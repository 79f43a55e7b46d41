"""Farrington (1996) and its improved form (Noufaily et al. 2013), as R `farringtonFlexible` does.

For each point k: a baseline from windows of +-w points around the same time 1..b years back (and
with no_periods > 1, the stretches between windows as extra seasonal levels), a quasi-Poisson GLM
with optional trend, Anscombe-residual reweighting, and an upper bound from the 2/3-power
("delta") or negative-binomial ("nbPlugin") approximation, as defined in SURVEILLANCE.md.

Reference points. Undated series: k - i*frequency. Dated series: the same calendar date i years
back (R's seq(by = "-1 year"): 29 February becomes 1 March in a common year); weekly series then
snap to the nearest point on the same weekday. So for daily data the window around 2024-02-29 is
centred on 2023-03-01, 2022-03-01, 2021-03-01, 2020-02-29 and 2019-03-01.

A point is evaluated only when all b reference points are in the series and the oldest window
starts inside it (R would instead truncate that window silently).

Where we differ from R on purpose: when the low-count rule (limit54) forbids an alarm, R blanks
the bound and the expectation; we keep both and mark the point `low_counts`.

R quirks we reproduce because the R results depend on them: after reweighting, R stores the
weights as the model's weights, so the dispersion behind the trend test and se(eta) is
sum(w (y - mu)^2 / mu^2)/(n - p), neither phi nor clamped at 1; and with "nbPlugin" the alarm score
compares y with the *linear predictor*, (y - eta)/(U - eta) > 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
from scipy import special

from hanoi_health_lake.surveillance.glm import (
    GlmError,
    QuasiPoissonFit,
    fit_quasi_poisson,
    linkinv,
)
from hanoi_health_lake.surveillance.result import (
    LOW_COUNTS,
    NO_FIT,
    OK,
    MethodResult,
    check_alpha,
)
from hanoi_health_lake.surveillance.series import Series

Threshold = Literal["delta", "nbPlugin"]
_DBL_EPSILON = np.finfo(float).eps


@dataclass(frozen=True)
class FarringtonParams:
    b: int = 5  # years back
    w: int = 3  # half window
    no_periods: int = 1
    past_weeks_not_included: int | None = None  # None: w
    weights_threshold: float = 1.0
    p_threshold_trend: float = 0.05
    threshold: Threshold = "delta"
    alpha: float = 0.05
    limit54: tuple[int, int] = (5, 4)  # no alarm with fewer cases than [0] in the last [1] points
    reweight: bool = True
    trend: bool = True

    def __post_init__(self) -> None:
        if self.b < 1 or self.w < 0:
            raise ValueError(f"need b >= 1 and w >= 0, got b={self.b}, w={self.w}")
        if self.no_periods < 1:
            raise ValueError(f"no_periods must be >= 1, got {self.no_periods}")
        if self.threshold not in ("delta", "nbPlugin"):
            raise ValueError(f"threshold must be 'delta' or 'nbPlugin', got {self.threshold!r}")
        if self.limit54[0] < 0 or self.limit54[1] < 1:
            raise ValueError(f"limit54 needs cases >= 0 and period >= 1, got {self.limit54}")
        if self.past_weeks_not_included is not None and self.past_weeks_not_included < 0:
            raise ValueError("past_weeks_not_included must be >= 0")
        check_alpha(self.alpha)

    @property
    def excluded(self) -> int:
        return self.w if self.past_weeks_not_included is None else self.past_weeks_not_included


FARRINGTON_1996 = FarringtonParams()
NOUFAILY_2013 = FarringtonParams(
    no_periods=10,
    past_weeks_not_included=26,
    weights_threshold=2.58,
    p_threshold_trend=1.0,
    threshold="nbPlugin",
)


def farrington_flexible(
    series: Series, params: FarringtonParams, frequency: int | None = None, start: int = 0
) -> MethodResult:
    """Evaluate every point from `start` on that has b years of history.

    `frequency` (points a year) is needed for an undated series and ignored for a dated one,
    whose reference points come from the calendar. Points before `start` are left
    as short_history: each point costs several GLM fits, so callers evaluate only new points.
    """
    if series.dates is None and not frequency:
        raise ValueError("an undated series needs its frequency (points per year) for Farrington")
    y = series.counts
    result = MethodResult.empty(
        len(y),
        f"Farrington needs the same time {params.b} year(s) back and {params.w} points around it",
    )
    result.notes[LOW_COUNTS] = (
        f"fewer than {params.limit54[0]} cases in the last {params.limit54[1]} points: no alarm"
    )
    result.notes[NO_FIT] = "the GLM did not converge with or without trend"
    finder = _ReferenceFinder(series, params.b, frequency)
    for k in range(start, len(y)):
        refs = finder.positions(k)
        if refs is None or refs[-1] - params.w < 0:
            continue
        _evaluate_point(result, y, k, refs, params)
    return result


class _ReferenceFinder:
    """Positions of the same time 0..b years back, newest first, or None if one is missing."""

    def __init__(self, series: Series, b: int, frequency: int | None) -> None:
        self.b = b
        self.frequency = frequency
        self.dates = series.dates
        self.weekly = series.step == "week"
        self.position = {d: i for i, d in enumerate(series.dates or ())}

    def positions(self, k: int) -> list[int] | None:
        if self.dates is None:
            refs = [k - i * self.frequency for i in range(self.b + 1)]  # type: ignore[operator]
            return refs if refs[-1] >= 0 else None
        day = self.dates[k]
        found = []
        for i in range(self.b + 1):
            ref = reference_date(day, i, self.weekly)
            if ref not in self.position:
                return None
            found.append(self.position[ref])
        return found


def reference_date(day: dt.date, years: int, weekly: bool) -> dt.date:
    """`day` moved back whole years as R's seq(by = "-1 year"), snapped to its weekday if weekly."""
    try:
        ref = day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year: R's mktime normalises to 1 March
        ref = dt.date(day.year - years, 3, 1)
    if not weekly:
        return ref
    # Candidate a: same weekday within ref's Sunday-based week; b: the other side of ref.
    shift = _r_weekday(ref) - _r_weekday(day)
    a = ref - dt.timedelta(days=shift)
    b = a + dt.timedelta(days=-7 if a > ref else 7)
    return b if abs((a - ref).days) > abs((b - ref).days) else a


def _r_weekday(day: dt.date) -> int:
    return (day.weekday() + 1) % 7  # R's %w: Sunday 0


def season_levels(refs: list[int], w: int, no_periods: int) -> np.ndarray:
    """R's `blocks`: level per position 0..k (0 = not in the baseline), refs newest first.

    Windows are level `no_periods`; each gap between consecutive windows is cut into
    no_periods - 1 consecutive blocks, the first (gap mod (no_periods - 1)) one point longer.
    """
    now = refs[0]
    levels = np.zeros(now + 1, dtype=int)
    levels[now - w : now + 1] = no_periods
    for newer, ref in pairwise(refs):
        levels[ref - w : ref + w + 1] = no_periods
        if no_periods == 1:
            continue
        gap = newer - 2 * w - 1 - ref
        if gap < no_periods - 1:
            raise ValueError(
                f"no_periods={no_periods} needs at least {no_periods - 1} points between "
                f"reference windows; there are {gap}"
            )
        size, rest = divmod(gap, no_periods - 1)
        start = ref + w + 1
        for level in range(1, no_periods):
            length = size + (1 if level <= rest else 0)
            levels[start : start + length] = level
            start += length
    return levels


@dataclass(frozen=True)
class _Model:
    fit: QuasiPoissonFit
    columns: list[str]  # "1", "wtime", or a season level
    phi: float  # max(1, dispersion) after reweighting: the threshold's dispersion
    dispersion_se: float  # R's dispersion for the trend test and se(eta) (see module doc)

    def x0(self, wtime: float, level: int) -> np.ndarray:
        return np.array([_column_value(c, wtime, level) for c in self.columns])


def _column_value(column: str, wtime: float, level: int) -> float:
    if column == "1":
        return 1.0
    if column == "wtime":
        return wtime
    return 1.0 if int(column) == level else 0.0


def _evaluate_point(
    result: MethodResult, y: np.ndarray, k: int, refs: list[int], params: FarringtonParams
) -> None:
    levels = season_levels(refs, params.w, params.no_periods)
    levels[max(0, k - params.excluded) : k + 1] = 0
    positions = np.flatnonzero(levels)
    response = y[positions]
    # R's time is positions - positions[0]; centring it changes only the intercept, not the
    # fit, and keeps the normal equations well conditioned.
    centre = positions.mean()
    wtime = positions - centre
    wtime_k = k - centre
    level_k = params.no_periods
    groups = levels[positions] if params.no_periods != 1 else None
    model = _fit(response, wtime, groups, params, params.trend)
    if model is not None and "wtime" in model.columns:
        eta, _ = model.fit.predict_link(model.x0(wtime_k, level_k), model.dispersion_se)
        keep = (
            params.b >= 3
            and _trend_p_value(model) < params.p_threshold_trend
            and linkinv(eta) <= response.max()
        )
        if not keep:
            model = _fit(response, wtime, groups, params, trend=False)
    if model is None:
        result.status[k] = NO_FIT
        return
    eta, se_eta = model.fit.predict_link(model.x0(wtime_k, level_k), model.dispersion_se)
    bound, expected, score = _threshold(params, eta, se_eta, model.phi, y[k])
    cases, period = params.limit54
    enough = y[max(0, k - period + 1) : k + 1].sum() >= cases
    result.expected[k] = expected
    result.upperbound[k] = bound
    result.alarm[k] = bool(enough and score > 1 and y[k] != 0)
    result.status[k] = OK if enough else LOW_COUNTS
    if not np.isfinite(bound):
        result.status[k] = NO_FIT


def _fit(
    response: np.ndarray,
    wtime: np.ndarray,
    groups: np.ndarray | None,
    params: FarringtonParams,
    trend: bool,
) -> _Model | None:
    """R's algo.farrington.fitGLM.flexible: fit, drop the trend if that fails, reweight."""
    fitted = _fit_once(response, wtime, groups, trend)
    if fitted is None and trend:
        fitted = _fit_once(response, wtime, groups, trend=False)
    if fitted is None:
        return None
    fit, columns, x = fitted
    phi = max(fit.dispersion(), 1.0)
    if not params.reweight:
        return _Model(fit, columns, phi, fit.dispersion())
    with np.errstate(divide="ignore", invalid="ignore"):
        anscombe = (
            1.5
            * (response ** (2 / 3) * fit.mu ** (-1 / 6) - fit.mu**0.5)
            / np.sqrt(phi * (1 - fit.hat))
        )
    omega = _weights(anscombe, params.weights_threshold)
    try:
        refit = fit_quasi_poisson(x, response, omega)
    except GlmError:
        return None
    # R does not check this refit's convergence either.
    return _Model(refit, columns, max(refit.dispersion(), 1.0), refit.dispersion(omega))


def _fit_once(
    response: np.ndarray,
    wtime: np.ndarray,
    groups: np.ndarray | None,
    trend: bool,
) -> tuple[QuasiPoissonFit, list[str], np.ndarray] | None:
    columns = ["1"] + (["wtime"] if trend else [])
    design = [np.ones(len(response))] + ([wtime] if trend else [])
    if groups is not None:
        # Treatment contrasts against the lowest level present, as R's as.factor() gives.
        for level in np.unique(groups)[1:]:
            columns.append(str(level))
            design.append((groups == level).astype(float))
    x = np.column_stack(design)
    try:
        fit = fit_quasi_poisson(x, response)
    except GlmError:
        return None
    return (fit, columns, x) if fit.converged else None


def _weights(s: np.ndarray, threshold: float) -> np.ndarray:
    """Down-weight points with large Anscombe residuals: gamma s^-2 above the threshold, else
    gamma, with gamma making the weights sum to n."""
    high = s > threshold
    with np.errstate(divide="ignore"):
        raw = np.where(high, s**-2.0, 1.0)
    return raw * len(s) / raw.sum()


def _trend_p_value(model: _Model) -> float:
    i = model.columns.index("wtime")
    fit = model.fit
    se = np.sqrt(model.dispersion_se * fit.cov_unscaled[i, i])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = fit.coef[i] / se
    p = 2 * special.stdtr(fit.df_residual, -abs(t))
    return float(p) if np.isfinite(p) else float("inf")


def _threshold(
    params: FarringtonParams, eta: float, se_eta: float, phi: float, y: float
) -> tuple[float, float, float]:
    """Upper bound, expectation and R's alarm score (alarm when score > 1)."""
    z = special.ndtri(1 - params.alpha)
    if params.threshold == "delta":
        mu0 = float(linkinv(eta))
        tau = phi + (mu0 * se_eta) ** 2 / mu0
        spread = np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)
        bound = (mu0 ** (2 / 3) + z * spread) ** 1.5
        return bound, mu0, _score(y, mu0, bound)
    mu0 = float(np.exp(eta))
    if not np.isfinite(mu0):
        return float("nan"), mu0, float("nan")
    if phi > 1:
        size, prob = mu0 / (phi - 1), 1 / phi
        bound = _quantile(lambda q: special.betainc(size, q + 1, prob), mu0, phi, 1 - params.alpha)
    else:
        bound = _quantile(lambda q: special.gammaincc(q + 1, mu0), mu0, 1.0, 1 - params.alpha)
    return bound, mu0, _score(y, eta, bound)


def _score(y: float, centre: float, bound: float) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(y - centre) / np.float64(bound - centre))


def _quantile(cdf: Callable[[float], float], mean: float, phi: float, p: float) -> float:
    """Smallest count whose CDF reaches p, as R's q-functions (with their left-continuity fuzz).

    `cdf(q)` is P(Y <= q) for an integer q >= 0; the search starts at the normal approximation
    (variance phi * mean) and walks to the answer.
    """
    target = p * (1 - 64 * _DBL_EPSILON)
    q = max(0.0, np.floor(mean + special.ndtri(target) * np.sqrt(phi * mean)))
    while q > 0 and cdf(q - 1) >= target:
        q -= 1
    while cdf(q) < target:
        q += 1
    return float(q)
