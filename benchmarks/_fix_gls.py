"""The fix estimators with the day noise modelled (GLS, REML): measured for issue 17 and
**not shipped** (benchmarks/RESULTS.md, "the three missed statistical goals"): as many false
alarms as the shipped design and no more power. ``bench_fixes.py --variant gls`` runs it.

Each day's residual variance is its sampling variance (binomial ``p (1 - p) / n`` at the
weighted fit's rate; without counts ``1 / weight`` times a free scale) plus AR(1) day noise;
the noise's variance and rho come from the restricted likelihood (a grid, then L-BFGS-B;
rho <= 0.95); the interval from the GLS covariance with t(residual df). The designs (segmented
regression, the gap's regression) and the helpers are the shipped ones of
:mod:`wegweiser.analysis._fix_estimate`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wegweiser.analysis._fix_estimate import (
    MIN_AFTER,
    MIN_BEFORE,
    Estimate,
    _cols,
    _design,
    _split,
    _weights,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable


def _day_noise(days: np.ndarray, rho: float) -> np.ndarray:
    """The AR(1) correlation of the day noise between the days ``days`` (day numbers; a
    missing day between two counts as a day): ``rho ** |d_i - d_j|``."""
    return np.power(rho, np.abs(days[:, None] - days[None, :]))


def _reml(y: np.ndarray, x: np.ndarray, sampling: np.ndarray, days: np.ndarray,
          theta: tuple[float, float], known: bool,
          ) -> tuple[float, np.ndarray, np.ndarray, float]:
    """Minus the restricted log-likelihood of ``Var(e) = scale * (diag(sampling) + noise *
    R(rho))`` at ``theta = (noise, rho)``, ``scale`` 1 when the sampling variance is
    ``known`` (binomial), else profiled out; also the GLS estimate, the unscaled covariance
    of the parameters and the scale."""
    from scipy.linalg import cho_factor, cho_solve

    noise, rho = theta
    cov = np.diag(sampling) + noise * _day_noise(days, rho) if noise > 0 else np.diag(sampling)
    factor = cho_factor(cov, lower=True)
    xs, ys = cho_solve(factor, x), cho_solve(factor, y)
    info = x.T @ xs
    beta = np.linalg.solve(info, x.T @ ys)
    resid = y - x @ beta
    dof = len(y) - x.shape[1]
    quad = float(resid @ cho_solve(factor, resid))
    logdet = 2 * float(np.log(np.diag(factor[0])).sum()) + float(np.linalg.slogdet(info)[1])
    if known:
        return 0.5 * (logdet + quad), beta, np.linalg.inv(info), 1.0
    scale = quad / dof
    return 0.5 * (dof * math.log(scale) + logdet), beta, np.linalg.inv(info), scale


def day_noise(y: np.ndarray, x: np.ndarray, sampling: np.ndarray, days: np.ndarray, *,
              known: bool = True) -> tuple[float, float]:
    """The day noise's (variance, rho) by restricted maximum likelihood (REML): the residual
    variance of a day is its ``sampling`` variance (binomial, ``p (1 - p) / n``; relative
    and times a free scale when not ``known``) plus day noise shared by neighbouring days,
    AR(1) with autocorrelation ``rho`` (variance 0: independent days). Bounds: the
    variance 0..20 times the mean sampling variance, rho 0..0.95.

    >>> rng = np.random.default_rng(0)
    >>> x, v, d = np.ones((300, 1)), np.full(300, 0.0009), np.arange(300.0)
    >>> noise, rho = day_noise(rng.binomial(100, 0.1, 300) / 100, x, v, d)
    >>> noise < 0.1 * 0.0009
    True
    """
    from scipy import optimize

    unit = float(np.mean(sampling))
    def nll(theta: np.ndarray | tuple[float, float]) -> float:
        return _reml(y, x, sampling, days, (float(theta[0]) * unit, float(theta[1])), known)[0]
    grid = [(0.0, 0.0)] + [(share, rho) for share in (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)
                           for rho in (0.1, 0.3, 0.5, 0.7, 0.9)]
    start = min(grid, key=nll)
    found = optimize.minimize(nll, start if start[0] else (0.01, 0.5), method="L-BFGS-B",
                              bounds=[(0.0, 20.0), (0.0, 0.95)], options={"maxiter": 40})
    best = min([(float(found.x[0]), float(found.x[1])), start], key=nll)
    return best[0] * unit, best[1]


def _gls_fit(y: pd.Series, x: pd.DataFrame, contrast: np.ndarray, level: float,
             weights: pd.Series, days: pd.Series, sampling: Callable[[np.ndarray], np.ndarray]
             | None) -> tuple[float, float, float, float]:
    """The GLS fit with the day noise modelled; ``sampling`` gives each day's binomial
    variance from the weighted fit's values (None without person counts: the sampling
    variance is then ``1 / weight`` times a free scale)."""
    from scipy import stats
    from threadpoolctl import threadpool_limits

    ys, xs = y.to_numpy(float), x.to_numpy(float)
    w = weights.to_numpy(float)
    numbers = np.array([d.toordinal() for d in days], dtype=float)
    dof = len(ys) - xs.shape[1]
    with threadpool_limits(limits=1):  # matrices of a few hundred days: threads only cost
        root = np.sqrt(w)
        beta, *_ = np.linalg.lstsq(xs * root[:, None], ys * root, rcond=None)
        resid = ys - xs @ beta
        if dof <= 0 or float(resid @ (resid * w)) <= 1e-24 * len(ys) * float(w.sum()):
            effect = float(contrast @ beta)  # a series without any noise: the effect is exact
            return effect, effect, effect, 0.0 if effect else 1.0
        variance = sampling(xs @ beta) if sampling is not None else float(np.mean(w)) / w
        known = sampling is not None
        theta = day_noise(ys, xs, variance, numbers, known=known)
        _, beta, unscaled, scale = _reml(ys, xs, variance, numbers, theta, known)
    effect = float(contrast @ beta)
    se = math.sqrt(scale * float(contrast @ unscaled @ contrast))
    q = float(stats.t.ppf(0.5 + level / 2, dof))
    p = float(2 * stats.t.sf(abs(effect) / se, dof))
    return effect, effect - q * se, effect + q * se, p


def _binomial(n: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A day's sampling variance ``p (1 - p) / n`` at the fitted rate ``p`` (kept half a
    person away from 0 and 1, so a day at 0% still has some)."""
    def variance(fitted: np.ndarray) -> np.ndarray:
        p = np.clip(fitted, 0.5 / n, 1 - 0.5 / n)
        return p * (1 - p) / n
    return variance


def interrupted_series(
    daily: pd.DataFrame, *, fix_day: dt.date, partial: bool = False, level: float = 0.95
) -> Estimate:
    """The segmented regression's average effect after ``fix_day`` (module docstring).

    ``daily``: columns ``day`` (dates) and ``rate`` (NaN rows are left out); ``partial``:
    the fix came during ``fix_day``, which is then left out.
    """
    frame = daily.dropna(subset=["rate"]).sort_values("day").reset_index(drop=True)
    keep, post = _split(frame.day, fix_day, partial)
    frame, post = frame[keep].reset_index(drop=True), post[keep].reset_index(drop=True)
    before, after = int((~post).sum()), int(post.sum())
    if before < MIN_BEFORE or after < MIN_AFTER:
        return Estimate.missing("its", before, after)
    t = pd.Series([(d - fix_day).days for d in frame.day], dtype=float)
    x = pd.concat([
        pd.DataFrame({"const": 1.0, "t": t, "post": post.astype(float),
                      "slope": (t * post).astype(float)}),
        _design(frame.day),
    ], axis=1)
    contrast = np.zeros(x.shape[1])
    contrast[2] = 1.0
    contrast[3] = float(t[post].mean())
    sampling = _binomial(frame["n"].to_numpy(float)) if "n" in frame else None
    effect, low, high, p = _gls_fit(frame.rate, x, contrast, level, _weights(frame, "n"),
                                    frame.day, sampling)
    return Estimate("its", effect, low, high, p, before, after, level)


def difference_in_differences(
    treated: pd.DataFrame, control: pd.DataFrame, *, fix_day: dt.date, partial: bool = False,
    level: float = 0.95,
) -> Estimate:
    """The change of the daily gap treated - control at ``fix_day`` (module docstring); days
    where either group has no rate are left out."""
    both = treated[_cols(treated)].merge(control[_cols(control)], on="day",
                                         suffixes=("_t", "_c")).dropna()
    frame = both.sort_values("day").reset_index(drop=True)
    keep, post = _split(frame.day, fix_day, partial)
    frame, post = frame[keep].reset_index(drop=True), post[keep].reset_index(drop=True)
    before, after = int((~post).sum()), int(post.sum())
    if before < MIN_BEFORE or after < MIN_AFTER:
        return Estimate.missing("did", before, after)
    x = pd.concat([pd.DataFrame({"const": 1.0, "post": post.astype(float)}),
                   _design(frame.day)], axis=1)
    contrast = np.zeros(x.shape[1])
    contrast[1] = 1.0
    weights = 1 / (1 / _weights(frame, "n_t") + 1 / _weights(frame, "n_c"))
    sampling = None
    if "n_t" in frame and "n_c" in frame:
        gap_variance = _period_binomial(frame, post, "t") + _period_binomial(frame, post, "c")
        sampling = lambda _fitted: gap_variance  # noqa: E731
    effect, low, high, p = _gls_fit(frame.rate_t - frame.rate_c, x, contrast, level, weights,
                                    frame.day, sampling)
    return Estimate("did", effect, low, high, p, before, after, level)


def _period_binomial(frame: pd.DataFrame, post: pd.Series, group: str) -> np.ndarray:
    """Each day's binomial variance ``p (1 - p) / n`` of one group of the
    difference-in-differences, ``p`` its pooled rate before or after the fix."""
    n, rate = frame[f"n_{group}"].to_numpy(float), frame[f"rate_{group}"].to_numpy(float)
    after = post.to_numpy(bool)
    p = np.empty(len(n))
    for part in (after, ~after):
        p[part] = float((rate[part] * n[part]).sum() / n[part].sum()) if part.any() else 0.5
    p = np.clip(p, 0.5 / n, 1 - 0.5 / n)
    return p * (1 - p) / n
