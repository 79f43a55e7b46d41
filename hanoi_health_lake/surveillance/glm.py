"""Quasi-Poisson GLM with log link, fitted the way R's `glm.fit` does.

Farrington's bounds must match R to 1e-6, so this follows R step for step rather than being
merely a correct maximum-likelihood fit: the start mu = y + 0.1, the log link's floor at machine
epsilon, IRLS with R's convergence rule |dev - dev_old| / (|dev| + 0.1) < 1e-8 and at most 25
iterations (so "did not converge" happens where it happens in R), step halving, and the working
weights, hat values and unscaled covariance all taken from the last IRLS iteration.

Each step solves the weighted normal equations by Cholesky rather than R's QR: numpy's threaded
QR of a tall design (1,800 rows for daily data) took 45 ms here against 0.1 ms for the 12 x 12
Cholesky, and with unit-scaled columns and a centred trend the two agree far below 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

EPSILON = 1e-8
MAX_ITERATIONS = 25
_DBL_EPSILON = np.finfo(float).eps


class GlmError(ValueError):
    """The fit has no valid solution (singular design, or no valid step from the start)."""


@dataclass(frozen=True)
class QuasiPoissonFit:
    coef: np.ndarray
    mu: np.ndarray
    working_weights: np.ndarray  # R's model$weights: prior * mu at the last iteration's start
    prior_weights: np.ndarray
    residuals: np.ndarray  # working residuals (y - mu)/mu
    cov_unscaled: np.ndarray  # (X' W X)^-1
    df_residual: int
    converged: bool
    weighted_design: np.ndarray  # sqrt(W) X of the last iteration, rows with prior weight > 0

    @cached_property
    def hat(self) -> np.ndarray:
        """Diagonal of the hat matrix sqrt(W) X (X'WX)^-1 X' sqrt(W); 0 for zero weights."""
        xw = self.weighted_design
        hat = np.zeros(len(self.mu))
        hat[self.prior_weights > 0] = np.einsum("ij,ij->i", xw @ self.cov_unscaled, xw)
        return hat

    def dispersion(self, weights: np.ndarray | None = None) -> float:
        """R's summary.glm estimate sum(w r^2)/df with w the model's weights (or `weights`)."""
        w = self.working_weights if weights is None else weights
        keep = w > 0
        if self.df_residual <= 0:
            return float("nan")
        return float(np.sum(w[keep] * self.residuals[keep] ** 2) / self.df_residual)

    def predict_link(self, x0: np.ndarray, dispersion: float) -> tuple[float, float]:
        """Linear predictor at x0 and its standard error scaled by `dispersion`."""
        eta = float(x0 @ self.coef)
        se = float(np.sqrt(x0 @ self.cov_unscaled @ x0 * dispersion))
        return eta, se


def linkinv(eta: np.ndarray | float) -> np.ndarray | float:
    """R's log-link inverse, which never returns less than machine epsilon."""
    return np.maximum(np.exp(eta), _DBL_EPSILON)


def fit_quasi_poisson(
    x: np.ndarray, y: np.ndarray, prior_weights: np.ndarray | None = None
) -> QuasiPoissonFit:
    """Fit y ~ x (x includes the intercept column) by IRLS as R's glm.fit does."""
    n, p = x.shape
    prior = np.ones(n) if prior_weights is None else np.asarray(prior_weights, dtype=float)
    good = prior > 0
    eta = np.log(y + 0.1)
    mu = linkinv(eta)
    dev_old = _deviance(y, mu, prior)
    coef_old: np.ndarray | None = None
    converged = False
    for _ in range(MAX_ITERATIONS):
        z = eta[good] + (y - mu)[good] / mu[good]
        w = np.sqrt(prior[good] * mu[good])
        xw = x[good] * w[:, None]
        cov = _inverse_cross_product(xw)
        coef = cov @ (xw.T @ (z * w))
        eta, mu, dev = _evaluate(x, y, prior, coef)
        if not (np.isfinite(dev) and np.all(np.isfinite(mu)) and np.all(mu > 0)):
            if coef_old is None:
                raise GlmError("no valid set of coefficients from the starting values")
            for _ in range(MAX_ITERATIONS):
                coef = (coef + coef_old) / 2
                eta, mu, dev = _evaluate(x, y, prior, coef)
                if np.isfinite(dev) and np.all(np.isfinite(mu)) and np.all(mu > 0):
                    break
            else:
                raise GlmError("cannot correct the step size")
        if abs(dev - dev_old) / (0.1 + abs(dev)) < EPSILON:
            converged = True
            break
        dev_old, coef_old = dev, coef
    working = np.zeros(n)
    working[good] = w**2
    return QuasiPoissonFit(
        coef=coef,
        mu=mu,
        working_weights=working,
        prior_weights=prior,
        residuals=(y - mu) / mu,
        cov_unscaled=cov,
        df_residual=int(good.sum()) - p,
        converged=converged,
        weighted_design=xw,
    )


def _inverse_cross_product(xw: np.ndarray) -> np.ndarray:
    """(X'WX)^-1 from the weighted design, with columns scaled to unit length first so that the
    Cholesky factorisation stays accurate; callers should centre trend columns."""
    a = xw.T @ xw
    scale = 1 / np.sqrt(np.diag(a))
    try:
        factor = np.linalg.cholesky(a * np.outer(scale, scale))
    except np.linalg.LinAlgError:
        raise GlmError("the design matrix is singular") from None
    diag = np.diag(factor)
    if diag.min() <= 1e-7 * diag.max():
        raise GlmError("the design matrix is singular")
    inverse = np.linalg.inv(factor)
    return (inverse.T @ inverse) * np.outer(scale, scale)


def _evaluate(
    x: np.ndarray, y: np.ndarray, prior: np.ndarray, coef: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    eta = x @ coef
    mu = linkinv(eta)
    return eta, mu, _deviance(y, mu, prior)


def _deviance(y: np.ndarray, mu: np.ndarray, prior: np.ndarray) -> float:
    """Quasi-Poisson deviance 2 sum(prior (y log(y/mu) - (y - mu))), with 0 log 0 = 0."""
    ratio = np.divide(y, mu, out=np.ones_like(y), where=y > 0)
    return float(2 * np.sum(prior * (y * np.log(ratio) - (y - mu))))
