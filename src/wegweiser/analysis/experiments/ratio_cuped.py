"""CUPED for ratio metrics (revenue per order): regression adjustment with the delta method.

A ratio metric is a ratio of sums, ``r = sum y / sum x`` per arm (revenue over orders). Its
pre-exposure counterpart ``r' = sum u / sum v`` (the same persons' revenue and orders before
exposure) is unaffected by the treatment, so, as CUPED does for means (Deng, Xu, Kohavi,
Walker 2013), ``r - theta (r' - r'_pooled)`` estimates the same effect with less variance.
Both ratios are linearised by the delta method (Deng, Knoblich, Lu 2018, "Applying the Delta
Method in Metric Analytics", sec. 3): with the per-person covariance matrix ``C`` of
``(y, x, u, v)`` and the gradients ``g = (1/mu_x, -r/mu_x, 0, 0)`` and ``h = (0, 0, 1/mu_v,
-r'/mu_v)``:

* ``Var r = g'Cg / n``, ``Var r' = h'Ch / n``, ``Cov(r, r') = g'Ch / n``;
* ``theta = Cov(r, r') / Var r'``, pooled over both arms (like CUPED's theta for means);
* the adjusted ratio ``r - theta (r' - r'_pooled)`` has the variance
  ``Var r - 2 theta Cov(r, r') + theta^2 Var r'``, the pooled ``r'`` taken as known.

The sums of :class:`RatioMoments` (``n``, four sums, the 4 x 4 cross-products) are what an
engine hands over; nothing per person is needed.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> taste = rng.gamma(3.0, 15.0, (2, 4000))
>>> orders, pre = rng.poisson(1.5, (2, 2, 4000)) + 1.0
>>> arms = [RatioMoments.of(orders[i] * taste[i] * rng.lognormal(0, .3, 4000), orders[i],
...                         pre[i] * taste[i] * rng.lognormal(0, .3, 4000), pre[i])
...         for i in (0, 1)]
>>> adjusted, plain = ratio_cuped(arms[1], arms[0]), arms[1].plain_ratio(arms[0])
>>> adjusted.se < 0.9 * plain.se
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from wegweiser.analysis.experiments import stats
from wegweiser.analysis.experiments.moments import Moments
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["RatioMoments", "ratio_cuped"]

_Y, _X, _U, _V = range(4)


@dataclass(frozen=True)
class RatioMoments:
    """Sums over the persons of one arm of ``(y, x, u, v)``: numerator, denominator and
    their pre-exposure values; ``s`` the four sums, ``ss`` the 4 x 4 sums of products."""

    n: int
    s: np.ndarray
    ss: np.ndarray

    def __post_init__(self) -> None:
        s, ss = np.asarray(self.s, dtype=float), np.asarray(self.ss, dtype=float)
        if s.shape != (4,) or ss.shape != (4, 4):
            raise InvalidInput("ratio moments need 4 sums and 4 x 4 sums of products")
        if self.n < 0 or not (np.isfinite(ss).all() and np.isfinite(s).all()):
            raise InvalidInput(f"ratio moments need n >= 0 and finite sums, got n={self.n}")
        object.__setattr__(self, "s", s)
        object.__setattr__(self, "ss", ss)

    @classmethod
    def of(
        cls,
        y: Sequence[float] | np.ndarray,
        x: Sequence[float] | np.ndarray,
        u: Sequence[float] | np.ndarray,
        v: Sequence[float] | np.ndarray,
    ) -> RatioMoments:
        """The moments of raw arrays (tests and simulations)."""
        m = np.stack([np.asarray(a, dtype=float) for a in (y, x, u, v)])
        return cls.from_arrays(m.shape[1], m.sum(axis=1), m @ m.T)

    @classmethod
    def from_arrays(cls, n: int, s: np.ndarray, ss: np.ndarray) -> RatioMoments:
        return cls(int(n), s, ss)

    def __add__(self, other: RatioMoments) -> RatioMoments:
        return RatioMoments(self.n + other.n, self.s + other.s, self.ss + other.ss)

    @property
    def mean(self) -> np.ndarray:
        return self.s / self.n

    @property
    def cov(self) -> np.ndarray:
        """The sample covariance matrix (``ddof=1``) of ``(y, x, u, v)``."""
        return (self.ss - np.outer(self.s, self.s) / self.n) / (self.n - 1)

    def plain_ratio(self, control: RatioMoments) -> stats.Effect:
        """The unadjusted delta-method comparison (:func:`~.stats.ratio`) of ``y / x``."""
        def arm(m: RatioMoments) -> Moments:
            s, ss = m.s, m.ss
            return Moments(m.n, s[_Y], ss[_Y, _Y], s[_X], ss[_X, _X], ss[_X, _Y])

        return stats.ratio(arm(self), arm(control))


def _gradients(m: RatioMoments) -> tuple[float, float, np.ndarray, np.ndarray]:
    mu = m.mean
    if mu[_X] <= 0 or mu[_V] <= 0:
        raise InvalidInput(
            "CUPED for a ratio needs positive denominator sums before and after exposure "
            f"(got {m.s[_X]} and {m.s[_V]} for {m.n} persons)"
        )
    r, r_pre = mu[_Y] / mu[_X], mu[_U] / mu[_V]
    g = np.array([1 / mu[_X], -r / mu[_X], 0.0, 0.0])
    h = np.array([0.0, 0.0, 1 / mu[_V], -r_pre / mu[_V]])
    return float(r), float(r_pre), g, h


def ratio_cuped(variant: RatioMoments, control: RatioMoments) -> stats.Effect:
    """The ratio ``y / x`` of each arm adjusted by its pre-exposure ratio ``u / v`` (see
    the module docstring); an :class:`~.stats.Effect` with normal degrees of freedom."""
    for arm in (variant, control):
        if arm.n < 2:
            raise InvalidInput(f"CUPED for a ratio needs at least 2 persons per arm, got {arm.n}")
    both = variant + control
    _, r_pre_pooled, g, h = _gradients(both)
    c = both.cov
    var_pre = float(h @ c @ h)
    theta = float(g @ c @ h) / var_pre if var_pre > 0 else 0.0

    def adjusted(m: RatioMoments) -> tuple[float, float]:
        r, r_pre, g_m, h_m = _gradients(m)
        cm = m.cov
        var = float(g_m @ cm @ g_m - 2 * theta * g_m @ cm @ h_m + theta**2 * h_m @ cm @ h_m)
        return r - theta * (r_pre - r_pre_pooled), max(var, 0.0) / m.n

    (ev, vv), (ec, vc) = adjusted(variant), adjusted(control)
    return stats.Effect(ec, ev, vc, vv)
