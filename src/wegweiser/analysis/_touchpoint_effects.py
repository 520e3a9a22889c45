"""Adjusted effects of a binary exposure on conversion: doubly robust, with a bootstrap
(internal; definitions in :mod:`wegweiser.analysis.touchpoints`).

:func:`att` estimates, for the exposed persons, their conversion rate ``rate_exposed`` and
the rate they would have had without the exposure, ``rate_without``: the doubly robust
(augmented inverse-propensity weighted) estimator of the effect on the exposed,

    rate_without = [ sum_exposed m0(x) + sum_unexposed e(x)/(1-e(x)) * (y - m0(x)) ] / n_exposed

with ``e`` a logistic regression of the exposure on the covariates (the propensity) and
``m0`` a logistic regression of conversion on the covariates among the unexposed
(scikit-learn). Propensities are clipped to [0.01, 0.99]. ``ratio`` = rate_exposed /
rate_without, ``difference`` = rate_exposed - rate_without. The interval is the seeded
percentile bootstrap over persons of the per-person terms of both sums (the models are fitted
once), ``resamples`` times. ``naive_ratio`` compares the raw rates of exposed and unexposed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: clip propensities into this range (weights of at most 99)
CLIP = (0.01, 0.99)
#: the inverse L2 penalty of the logistic regressions (weak: the covariates must adjust)
C = 1000.0
#: fewest exposed and unexposed persons for an estimate
MIN_GROUP = 10


@dataclass(frozen=True)
class Effect:
    """The adjusted effect of an exposure (module docstring); NaN when not estimable."""

    exposed: int
    unexposed: int
    rate_exposed: float
    rate_unexposed: float
    rate_without: float
    ratio: float
    ratio_low: float
    ratio_high: float
    difference: float
    difference_low: float
    difference_high: float
    #: per person: the outcome of the exposed (0 for the others), the terms of
    #: rate_without, exposed or not (None when not estimated)
    terms: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]] | None = field(
        default=None, repr=False, compare=False)

    def within(self, rows: NDArray[np.bool_]) -> tuple[int, float]:
        """(exposed persons, difference) among the persons ``rows``, with the models fitted
        on everyone (NaN when not estimated or none of them is exposed)."""
        if self.terms is None:
            return 0, float("nan")
        phi1, phi0, t = self.terms
        exposed = int(t[rows].sum())
        if not exposed:
            return 0, float("nan")
        return exposed, float((phi1[rows].sum() - phi0[rows].sum()) / exposed)

    @property
    def naive_ratio(self) -> float:
        return _div(self.rate_exposed, self.rate_unexposed)

    @property
    def naive_difference(self) -> float:
        return self.rate_exposed - self.rate_unexposed


def _div(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def _fit(x: NDArray[np.float64], y: NDArray[np.bool_], at: NDArray[np.float64] | None = None
         ) -> NDArray[np.float64] | None:
    """P(y | x) by a logistic regression (weak L2 penalty, :data:`C`), predicted at ``at``
    (default ``x``), or None when y does not vary."""
    if y.all() or not y.any():
        return None
    model = LogisticRegression(C=C, solver="newton-cholesky", max_iter=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    return model.predict_proba(x if at is None else at)[:, 1]  # type: ignore[no-any-return]


def att(
    x: NDArray[np.float64],
    exposed: NDArray[np.bool_],
    converted: NDArray[np.bool_],
    *,
    resamples: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> Effect:
    """The doubly robust effect on the exposed (module docstring)."""
    t = exposed.astype(bool)
    y = converted.astype(float)
    n1, n0 = int(t.sum()), int((~t).sum())
    r1 = float(y[t].mean()) if n1 else float("nan")
    r0 = float(y[~t].mean()) if n0 else float("nan")
    nan = float("nan")
    if n1 < MIN_GROUP or n0 < MIN_GROUP:
        return Effect(n1, n0, r1, r0, nan, nan, nan, nan, nan, nan, nan)
    e = _fit(x, t)
    e = np.full(len(t), n1 / len(t)) if e is None else np.clip(e, *CLIP)
    m0_fit = _fit(x[~t], converted[~t].astype(bool), at=x)
    m0 = np.full(len(t), r0) if m0_fit is None else m0_fit
    w = e / (1 - e)
    phi0 = np.where(t, m0, w * (y - m0))
    phi1 = np.where(t, y, 0.0)
    tf = t.astype(float)
    without = float(phi0.sum() / n1)
    rng = np.random.default_rng(seed)
    n = len(t)
    sums = np.empty((resamples, 3))
    for b in range(resamples):
        idx = rng.integers(0, n, n)
        sums[b] = (phi1[idx].sum(), phi0[idx].sum(), tf[idx].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        b1 = sums[:, 0] / sums[:, 2]
        b0 = sums[:, 1] / sums[:, 2]
        ratios = np.where(b0 > 0, b1 / b0, np.nan)
    diffs = b1 - b0
    lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    ratio_lo, ratio_hi = (np.nanpercentile(ratios, [lo, hi]) if np.isfinite(ratios).any()
                          else (nan, nan))
    diff_lo, diff_hi = np.percentile(diffs, [lo, hi])
    return Effect(n1, n0, r1, r0, without, _div(r1, without), float(ratio_lo),
                  float(ratio_hi), r1 - without, float(diff_lo), float(diff_hi),
                  terms=(phi1, phi0, t))
