"""Time-based regression (TBR) for geo experiments: what a holdout region lost.

A geo holdout switches a channel off in some regions (the *holdout*) for a test period and
leaves it on elsewhere (the *controls*). Kerman, Wang and Vaver (2017), "Estimating ad
effectiveness using geo experiments in a time-based regression framework" (Google), read it
out from two daily series -- the metric summed over the holdout regions ``h_t`` and over the
control regions ``c_t``:

1. fit ``h_t = a + b c_t + e_t`` by ordinary least squares on the days *before* the test
   (statsmodels ``OLS``);
2. predict the holdout's counterfactual on the test days, ``a + b c_t`` -- what it would have
   had with the channel on;
3. the incremental effect is ``sum_t (a + b c_t - h_t)`` over the test days (positive: the
   channel brought that much where it ran), with the predictive interval
   ``t_{n-2} * sqrt(sigma^2 T + g' Cov(a, b) g)``, ``g = (T, sum_t c_t)`` -- the residual
   noise of ``T`` test days plus the uncertainty of the fitted line.

Why TBR and not difference-in-differences with a cluster bootstrap over regions: a geo test
has few regions (often one or two held out, countries or states); a bootstrap over clusters
needs dozens per group to be trustworthy, while TBR needs only enough *days* (it pools the
regions of each group into one series, so region sizes need not match). It assumes the
residuals are independent across days; a weekly pattern the control series carries is
absorbed by the regression.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> c = rng.poisson(100, 70).astype(float)
>>> h = 0.3 * c + rng.normal(0, 2, 70)
>>> h[56:] -= 4  # the holdout loses 4 a day for 14 days
>>> r = tbr(h[:56], c[:56], h[56:], c[56:])
>>> r.low < 56 < r.high, round(r.effect)
(True, 72)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats as st

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MIN_PRE_DAYS", "Tbr", "tbr"]

MIN_PRE_DAYS = 7


@dataclass(frozen=True)
class Tbr:
    """The readout of one metric: ``effect`` (counterfactual minus observed, summed over the
    test days) with its ``1 - alpha`` interval ``low``..``high``; ``observed`` and
    ``counterfactual`` sums of the holdout; the fit (``intercept``, ``slope``, ``r2``,
    residual ``sigma``) on ``n_pre`` days; per test day the ``cumulative`` effect and its
    half-width (``cumulative_half``)."""

    effect: float
    low: float
    high: float
    observed: float
    counterfactual: float
    intercept: float
    slope: float
    r2: float
    sigma: float
    n_pre: int
    cumulative: tuple[float, ...]
    cumulative_half: tuple[float, ...]

    @property
    def lift(self) -> float:
        """The share of the counterfactual that the channel brought (``effect /
        counterfactual``)."""
        return self.effect / self.counterfactual if self.counterfactual else math.nan


def tbr(
    pre_holdout: Sequence[float] | np.ndarray,
    pre_control: Sequence[float] | np.ndarray,
    test_holdout: Sequence[float] | np.ndarray,
    test_control: Sequence[float] | np.ndarray,
    *,
    alpha: float = 0.05,
) -> Tbr:
    """The TBR readout (see the module docstring) of daily series before and in the test."""
    import statsmodels.api as sm

    ph, pc = np.asarray(pre_holdout, float), np.asarray(pre_control, float)
    th, tc = np.asarray(test_holdout, float), np.asarray(test_control, float)
    if ph.shape != pc.shape or th.shape != tc.shape:
        raise InvalidInput("the holdout and control series differ in length")
    if len(ph) < MIN_PRE_DAYS:
        raise InvalidInput(
            f"a geo readout needs at least {MIN_PRE_DAYS} days before the test to learn how "
            f"the holdout follows the controls, got {len(ph)}; start the test later or "
            "lengthen the pre-period"
        )
    if len(th) < 1:
        raise InvalidInput("the test period has no days with data")
    if not 0 < alpha < 1:
        raise InvalidInput(f"alpha must be between 0 and 1, got {alpha}")
    if np.ptp(pc) == 0:
        raise InvalidInput(
            "the control regions' series is constant before the test; TBR needs it to vary "
            "(are there conversions in the control regions?)"
        )
    fit = sm.OLS(ph, sm.add_constant(pc, has_constant="add")).fit()
    a, b = (float(v) for v in fit.params)
    cov = np.asarray(fit.cov_params())
    scale = float(fit.scale)
    predicted = a + b * tc
    daily = predicted - th
    days = np.arange(1, len(th) + 1, dtype=float)
    g = np.stack([days, np.cumsum(tc)], axis=1)
    var = scale * days + np.einsum("ij,jk,ik->i", g, cov, g)
    q = float(st.t.ppf(1 - alpha / 2, df=max(len(ph) - 2, 1)))
    half = q * np.sqrt(np.maximum(var, 0.0))
    cumulative = np.cumsum(daily)
    effect = float(cumulative[-1])
    return Tbr(
        effect=effect,
        low=effect - float(half[-1]),
        high=effect + float(half[-1]),
        observed=float(th.sum()),
        counterfactual=float(predicted.sum()),
        intercept=a,
        slope=b,
        r2=float(fit.rsquared),
        sigma=math.sqrt(scale),
        n_pre=len(ph),
        cumulative=tuple(float(v) for v in cumulative),
        cumulative_half=tuple(float(v) for v in half),
    )
