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
percentile bootstrap over persons of the per-person terms of both sums, ``resamples`` times.
``naive_ratio`` compares the raw rates of exposed and unexposed.

**Cross-fitting** (``folds`` = K >= 2; Chernozhukov et al. 2018, "Double/debiased machine
learning"): the persons are split into K folds (:func:`folds`, seeded, each fold with its
share of exposed and unexposed), and each person's ``e(x)`` and ``m0(x)`` come from models
fitted on the *other* K - 1 folds. A person's terms then do not depend on their own outcome
through the fitted models, so the terms are (up to a vanishing error) the estimator's
influence function, and the bootstrap of their sums is an honest interval even for a
flexible model -- without it the bootstrap holds the fitted models fixed, and the variance
a more flexible model adds (overfitting its own persons' outcomes) is missing from the
interval. ``folds=1`` fits once on everyone (the relevance scores, whose basis is small).
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


def split_folds(exposed: NDArray[np.bool_], k: int, *, seed: int = 0) -> NDArray[np.int64]:
    """Each person's fold, 0..k-1: the exposed and the unexposed each shuffled (seeded) and
    dealt round the folds, so every fold holds its share of both (its training set, the
    other folds, has both groups as long as each group has at least ``k`` persons).

    >>> split_folds(np.array([True, True, False, False, False, True]), 3, seed=0).tolist()
    [1, 2, 2, 1, 0, 0]
    """
    if k < 1:
        raise ValueError(f"folds must be at least 1, got {k}")
    t = np.asarray(exposed, dtype=bool)
    rng = np.random.default_rng(seed)
    out = np.empty(len(t), dtype=np.int64)
    for group in (np.flatnonzero(t), np.flatnonzero(~t)):
        out[rng.permutation(group)] = np.arange(len(group)) % k
    return out


def _nuisances(x: NDArray[np.float64], t: NDArray[np.bool_], y: NDArray[np.float64],
               fold: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The propensity ``e`` and the outcome model ``m0`` of every person, each predicted by
    models fitted on the persons of the other folds (on everyone with a single fold); a
    model whose training outcome does not vary predicts its training mean."""
    n = len(t)
    e, m0 = np.empty(n), np.empty(n)
    for k in np.unique(fold):
        test = fold == k
        train = ~test if len(np.unique(fold)) > 1 else test
        fitted = _fit(x[train], t[train], at=x[test])
        e[test] = t[train].mean() if fitted is None else fitted
        unexposed = train & ~t
        fitted = _fit(x[unexposed], y[unexposed] > 0, at=x[test])
        m0[test] = y[unexposed].mean() if fitted is None else fitted
    return np.clip(e, *CLIP), m0


def att(
    x: NDArray[np.float64],
    exposed: NDArray[np.bool_],
    converted: NDArray[np.bool_],
    *,
    resamples: int = 200,
    level: float = 0.95,
    seed: int = 0,
    folds: int = 1,
) -> Effect:
    """The doubly robust effect on the exposed (module docstring); ``folds`` >= 2
    cross-fits the two models."""
    t = exposed.astype(bool)
    y = converted.astype(float)
    n1, n0 = int(t.sum()), int((~t).sum())
    r1 = float(y[t].mean()) if n1 else float("nan")
    r0 = float(y[~t].mean()) if n0 else float("nan")
    nan = float("nan")
    if n1 < MIN_GROUP or n0 < MIN_GROUP:
        return Effect(n1, n0, r1, r0, nan, nan, nan, nan, nan, nan, nan)
    k = min(folds, n1, n0)
    fold = split_folds(t, k, seed=seed) if k > 1 else np.zeros(len(t), dtype=np.int64)
    e, m0 = _nuisances(x, t, y, fold)
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
