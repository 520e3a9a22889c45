"""Fixed-horizon and Bayesian statistics of one variant against control, from aggregates.

Every function takes :class:`~wegweiser.analysis.experiments.moments.Moments` (one per arm)
and returns an :class:`Effect`: the arms' estimates, the absolute difference with its
standard error, the relative lift (delta method) and the degrees of freedom (Welch;
``inf`` for normal approximations). :func:`fixed_horizon` turns an effect into a p-value and an
interval, :func:`bayes` into the probability to beat control and the expected loss.

* :func:`means` -- Welch's t-test on the per-person metric (equals
  ``scipy.stats.ttest_ind(equal_var=False)`` on the raw arrays).
* :func:`proportions` -- two-proportion z-test: pooled standard error for the p-value,
  unpooled for the interval (Newcombe's "Wald" interval).
* :func:`cuped` -- CUPED (Deng, Xu, Kohavi, Walker 2013): ``y - theta (x - mean x)`` with
  ``theta = cov(x, y) / var(x)`` pooled over both arms; the variance falls by ``1 - rho^2``.
* :func:`ratio` -- a ratio of sums (revenue per order) with the delta method (Deng, Knoblich,
  Lu 2018, "Applying the Delta Method in Metric Analytics"): ``x`` is the denominator.
* :func:`bayes` -- Gaussian posteriors under a flat prior (the normal approximation of the
  estimates): probability that the variant beats control, expected loss of shipping it.

>>> from wegweiser.analysis.experiments.moments import Moments
>>> c, t = Moments.of([0, 1, 0, 1, 1, 0]), Moments.of([1, 1, 0, 1, 1, 1])
>>> e = means(t, c)
>>> round(e.diff, 4), round(fixed_horizon(e).p_value, 4)
(0.3333, 0.2618)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import special as sp

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.analysis.experiments.moments import Moments

__all__ = [
    "Bayes",
    "Effect",
    "Fixed",
    "bayes",
    "cuped",
    "fixed_horizon",
    "means",
    "proportions",
    "proportions_fixed",
    "ratio",
]


@dataclass(frozen=True)
class Effect:
    """Variant minus control: ``diff`` (absolute), its ``se``, ``df`` (inf: normal), the
    arms' estimates ``control``/``variant`` with the variances of those estimates, and the
    relative ``lift`` (``variant / control - 1``) with its delta-method ``lift_se``."""

    control: float
    variant: float
    var_control: float
    var_variant: float
    df: float = math.inf

    @property
    def diff(self) -> float:
        return self.variant - self.control

    @property
    def se(self) -> float:
        return math.sqrt(self.var_control + self.var_variant)

    @property
    def lift(self) -> float:
        return self.variant / self.control - 1 if self.control else math.nan

    @property
    def lift_se(self) -> float:
        c = self.control
        if not c:
            return math.nan
        return math.sqrt(self.var_variant / c**2 + self.variant**2 * self.var_control / c**4)


@dataclass(frozen=True)
class Fixed:
    """p-value and two-sided ``1 - alpha`` intervals of the difference and of the lift."""

    p_value: float
    low: float
    high: float
    lift_low: float
    lift_high: float


def _need(arm: Moments, what: str, least: int = 2) -> None:
    if arm.n < least:
        raise InvalidInput(f"{what} needs at least {least} persons per arm, got {arm.n}")


def means(variant: Moments, control: Moments) -> Effect:
    """Welch's unequal-variance comparison of the per-person means."""
    _need(variant, "a comparison of means")
    _need(control, "a comparison of means")
    vv, vc = variant.var_y / variant.n, control.var_y / control.n
    num = (vv + vc) ** 2
    den = vv**2 / (variant.n - 1) + vc**2 / (control.n - 1)
    df = num / den if den > 0 else math.inf
    return Effect(control.mean_y, variant.mean_y, vc, vv, df)


def proportions(variant: Moments, control: Moments) -> Effect:
    """Two proportions (``y`` is 0/1): unpooled variances ``p (1 - p) / n``.

    An arm whose persons all converted (or none did) has ``p (1 - p) = 0``, which would make
    any difference look certain (one treated buyer against five holdout non-buyers:
    "better", interval [1, 1]). Such an arm's variance is Agresti and Caffo's (2000): its
    rate with one success and one failure added, ``p~ = (x + 1) / (n + 2)``; the estimate
    stays the observed rate."""
    _need(variant, "a comparison of proportions")
    _need(control, "a comparison of proportions")
    for arm in (variant, control):
        if arm.s_yy != arm.s_y:
            raise InvalidInput("proportions() needs a 0/1 metric (sum of squares = sum)")
    return Effect(control.mean_y, variant.mean_y, _rate_variance(control),
                  _rate_variance(variant))


def _rate_variance(arm: Moments) -> float:
    """``p (1 - p) / n``, or with ``p~`` when ``p`` is 0 or 1 (see :func:`proportions`)."""
    p = arm.mean_y
    if 0 < p < 1:
        return p * (1 - p) / arm.n
    p = (arm.s_y + 1) / (arm.n + 2)
    return p * (1 - p) / arm.n


def _pooled_p_value(variant: Moments, control: Moments) -> float:
    n = variant.n + control.n
    p = (variant.s_y + control.s_y) / n
    se = math.sqrt(p * (1 - p) * (1 / variant.n + 1 / control.n))
    if se == 0:
        return 1.0
    z = (variant.mean_y - control.mean_y) / se
    return 2 * float(sp.ndtr(-abs(z)))


def cuped(variant: Moments, control: Moments) -> Effect:
    """CUPED: the per-person means adjusted by the pre-exposure covariate ``x``."""
    _need(variant, "CUPED")
    _need(control, "CUPED")
    both = variant + control
    theta = both.cov_xy / both.var_x if both.var_x > 0 else 0.0
    mean_x = both.mean_x

    def arm(m: Moments) -> tuple[float, float]:
        var = m.var_y - 2 * theta * m.cov_xy + theta**2 * m.var_x
        return m.mean_y - theta * (m.mean_x - mean_x), max(var, 0.0) / m.n

    (ev, vv), (ec, vc) = arm(variant), arm(control)
    den = vv**2 / (variant.n - 1) + vc**2 / (control.n - 1)
    return Effect(ec, ev, vc, vv, (vv + vc) ** 2 / den if den > 0 else math.inf)


def ratio(variant: Moments, control: Moments) -> Effect:
    """Ratio of sums ``sum y / sum x`` per arm, variances by the delta method."""
    _need(variant, "a ratio metric")
    _need(control, "a ratio metric")

    def arm(m: Moments) -> tuple[float, float]:
        if m.s_x <= 0:
            raise InvalidInput(
                "a ratio metric needs a positive denominator sum in every arm "
                f"(got {m.s_x} for {m.n} persons)"
            )
        mu_y, mu_x = m.mean_y, m.mean_x
        r = mu_y / mu_x
        var = (m.var_y - 2 * r * m.cov_xy + r**2 * m.var_x) / (mu_x**2 * m.n)
        return r, max(var, 0.0)

    (rv, vv), (rc, vc) = arm(variant), arm(control)
    return Effect(rc, rv, vc, vv)


def fixed_horizon(effect: Effect, *, alpha: float = 0.05, p_value: float | None = None) -> Fixed:
    """Two-sided test and ``1 - alpha`` intervals (t with Welch's df, else normal)."""
    if not 0 < alpha < 1:
        raise InvalidInput(f"alpha must be between 0 and 1, got {alpha}")
    normal = math.isinf(effect.df)
    q = float(sp.ndtri(1 - alpha / 2) if normal else sp.stdtrit(effect.df, 1 - alpha / 2))
    se = effect.se
    if p_value is None:
        if se > 0:
            z = -abs(effect.diff) / se
            p_value = 2 * float(sp.ndtr(z) if normal else sp.stdtr(effect.df, z))
        else:
            p_value = 1.0 if effect.diff == 0 else 0.0
    lift, lift_se = effect.lift, effect.lift_se
    return Fixed(
        p_value, effect.diff - q * se, effect.diff + q * se, lift - q * lift_se, lift + q * lift_se
    )


def proportions_fixed(variant: Moments, control: Moments, *, alpha: float = 0.05) -> Fixed:
    """:func:`fixed_horizon` of :func:`proportions` with the pooled z-test's p-value."""
    return fixed_horizon(
        proportions(variant, control), alpha=alpha, p_value=_pooled_p_value(variant, control)
    )


@dataclass(frozen=True)
class Bayes:
    """``chance_to_beat``: P(variant > control); ``expected_loss``: E[max(control - variant,
    0)] -- what shipping the variant costs in the metric's unit when it is worse."""

    chance_to_beat: float
    expected_loss: float


def bayes(effect: Effect) -> Bayes:
    """Gaussian posteriors of both arms under a flat prior (see the module docstring)."""
    mu, sd = effect.diff, effect.se
    if sd == 0:
        return Bayes(float(mu > 0) + 0.5 * (mu == 0), max(-mu, 0.0))
    z = mu / sd
    pdf = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    loss = sd * pdf - mu * float(sp.ndtr(-z))
    return Bayes(float(sp.ndtr(z)), max(loss, 0.0))
