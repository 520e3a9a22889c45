"""The effect of a fix on a daily rate: interrupted time series and difference-in-differences.

Both work on the small daily table the engine computed (:mod:`._fix_metric`): one row per
day with ``day`` (a date), ``rate`` (persons with the outcome / persons at the touchpoint)
and ``n`` (persons at the touchpoint); days without anyone at the touchpoint have no rate and
are left out. The regressions are weighted least squares: a day weighs by its persons ``n``
(a rate of 1 person is not as sure as one of 200), the gap of the two groups by
``1 / (1/n_treated + 1/n_control)``; without ``n`` every day weighs the same.

* **Interrupted time series** (segmented regression, Wagner et al. 2002) on the treated
  rate: ``rate ~ 1 + t + post + post·(t - t0) + day of week``, ``t`` the day number, ``t0``
  the fix day, ``post`` 1 from the fix day on. The **effect** is the average gap after the
  fix between the fitted line and the line the days before predict:
  ``post + mean(t - t0 | post) · slope change`` — level and slope change together.
* **Difference-in-differences** against an untouched comparison group: the daily gap
  ``rate_treated - rate_control ~ 1 + post + day of week``; the effect is the change of the
  gap (the two-group design with day fixed effects, written as a regression on the gap).
* **Parallel trends** (:func:`parallel_trends`), the assumption difference-in-differences
  rests on, checked on the days before the fix: the slope of the gap there,
  ``gap ~ 1 + t + day of week``; :mod:`._fix_headline` falls back to the time series when
  its interval excludes zero.

Days next to each other share shocks (a campaign, the weather, an outage): the day noise is
autocorrelated. Before the fit, the regression is **feasible GLS** for first-order
autocorrelation (Prais-Winsten): the residuals' lag-1 autocorrelation (:func:`ar1`, bias
corrected, clipped to 0..0.9) is taken out of the (weighted) rows, then the transformed rows
are fitted. With AR(1) day noise (rho 0.5, sd 1 point, on top of the binomial noise) the
Newey-West errors alone left 5.3-6.2% false alarms; with the GLS step 3.4-4.7% (1000 runs;
``benchmarks/RESULTS.md`` "AR(1) day noise"). The price: on independent days a noisy rho
estimate costs the time series some power (a +3 point change at 100 persons a day: 0.76
instead of 0.82; difference-in-differences 0.85, at 200 a day both 0.98-0.99). Standard
errors are then HAC (Newey-West, Bartlett kernel, ``floor(4 (T/100)^(2/9))`` lags,
small-sample corrected), so autocorrelated days do not make the interval too narrow; never
below the classical OLS error, as Newey-West alone is too narrow on a few months of days
(7-8% false alarms at 95% on independent days). The interval takes t with the HAC
variance's equivalent degrees of freedom (:func:`equivalent_df`, 36 for 120 days) rather
than the residual df: the estimated variance is noisy itself, and ignoring that left the
time series at 5.2-5.8% false alarms on independent days (now 4.4-4.7%;
``benchmarks/bench_fixes.py``, ``benchmarks/RESULTS.md`` "Watch the fix"). A day the fix
was rolled out on (a time of day was given) is mixed and left out.

The **verdict** compares the interval with zero: ``worked`` when it lies wholly on the good
side (``better``: lower for an error rate, higher for a conversion rate), ``worse`` when on
the bad side, ``none`` (no detectable effect) when it covers zero, ``too_early`` with fewer
than :data:`MIN_BEFORE` days before or :data:`MIN_AFTER` days after the fix.

>>> import pandas as pd
>>> days = pd.date_range("2026-01-01", periods=60).date
>>> rate = [0.4] * 40 + [0.05] * 20
>>> e = interrupted_series(pd.DataFrame({"day": days, "rate": rate}), fix_day=days[40])
>>> round(e.effect, 2), verdict(e, better="lower")
(-0.35, 'worked')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import datetime as dt

__all__ = [
    "MAX_RHO",
    "MIN_AFTER",
    "MIN_BEFORE",
    "Estimate",
    "Method",
    "Verdict",
    "ar1",
    "difference_in_differences",
    "interrupted_series",
    "parallel_trends",
    "verdict",
]

MIN_BEFORE = 14
MIN_AFTER = 7
#: the largest day-to-day autocorrelation the feasible GLS takes out (beyond it the
#: series is close to a random walk and the HAC error has to carry the rest)
MAX_RHO = 0.9
Verdict = Literal["worked", "none", "worse", "too_early"]
#: the estimate's kind: the two effects, and the pre-trend check's slope
Method = Literal["its", "did", "pretrend"]


@dataclass(frozen=True)
class Estimate:
    """One estimate of a fix's effect on the rate (an absolute change: 0.03 = 3 points)."""

    method: Method
    effect: float
    low: float
    high: float
    p_value: float
    days_before: int
    days_after: int
    level: float = 0.95

    @classmethod
    def missing(cls, method: Method, before: int, after: int) -> Estimate:
        nan = math.nan
        return cls(method, nan, nan, nan, nan, before, after)

    @property
    def ready(self) -> bool:
        return not math.isnan(self.effect)


def _split(days: pd.Series, fix_day: dt.date, partial: bool) -> tuple[pd.Series, pd.Series]:
    """``keep`` (days used) and ``post`` (after the fix) masks."""
    keep = days != fix_day if partial else pd.Series(True, index=days.index)
    post = days > fix_day if partial else days >= fix_day
    return keep, post


def _cols(daily: pd.DataFrame) -> list[str]:
    return ["day", "rate", *(["n"] if "n" in daily else [])]


def _weights(frame: pd.DataFrame, column: str) -> pd.Series:
    """Persons per day (a day's rate weighs as much as it holds), or 1 without counts."""
    if column in frame:
        return frame[column].astype(float)
    return pd.Series(1.0, index=frame.index)


def _design(days: pd.Series) -> pd.DataFrame:
    weekday = pd.Series([d.weekday() for d in days], index=days.index)
    dummies = pd.get_dummies(weekday, prefix="dow", drop_first=True, dtype=float)
    present = [c for c in dummies.columns if dummies[c].any()]
    return dummies[present]


def _lags(n_days: int) -> int:
    """Newey-West's lags for ``n_days`` days: ``floor(4 (T/100)^(2/9))`` (4 for 120 days)."""
    return math.floor(4 * math.pow(n_days / 100, 2 / 9))


def equivalent_df(n_days: int, lags: int) -> float:
    """The degrees of freedom of the t the HAC interval takes: ``3 T / (2 M)`` with the
    Bartlett bandwidth ``M = lags + 1`` (Sun, Phillips and Jin 2008: the estimated variance
    is about chi-square with ``1 / (b ∫k²)`` df, ``b = M / T``, ``∫k² = 2/3``), the fixed-b
    correction in closed form: the HAC variance is itself noisy, so ``t`` with the residual
    df makes the interval too narrow.

    >>> equivalent_df(120, 4)
    36.0
    """
    return 3 * n_days / (2 * (lags + 1))


def ar1(residuals: np.ndarray, n_params: int) -> float:
    """The first-order autocorrelation of regression ``residuals`` (in day order), corrected
    for its small-sample bias and clipped to [0, :data:`MAX_RHO`].

    The plain estimate ``sum(u_t u_(t-1)) / sum(u_t^2)`` is biased towards zero: by about
    ``-(1 + 3 rho) / T`` for a series (Kendall 1954) and by a further ``-(p - 1) / T`` for the
    residuals of a regression with ``p`` parameters (the residuals are ``T - p``
    linear combinations); both are added back, solved for rho. Negative autocorrelation is
    left alone (clipped to 0): it only makes the classical interval conservative.

    >>> rng = np.random.default_rng(0)
    >>> round(ar1(rng.normal(size=5000), 1), 1)
    0.0
    """
    u = np.asarray(residuals, dtype=float)
    denom = float(u @ u)
    if len(u) < 3 or denom == 0.0:
        return 0.0
    raw = float(u[1:] @ u[:-1]) / denom
    t = len(u)
    # raw ~ rho - (1 + 3 rho) / T - (p - 1) / T  =>  rho = (raw + p / T) / (1 - 3 / T)
    rho = (raw + n_params / t) / (1 - 3 / t)
    return min(max(rho, 0.0), MAX_RHO)


def _prais_winsten(values: np.ndarray, rho: float) -> np.ndarray:
    """Rows (days in order) with the AR(1) part taken out: ``v_t - rho v_(t-1)``, the first
    row scaled by ``sqrt(1 - rho^2)`` (Prais and Winsten 1954), so no day is lost."""
    out = values.astype(float, copy=True)
    out[1:] = values[1:] - rho * values[:-1]
    out[0] = values[0] * math.sqrt(1 - rho * rho)
    return out


def _hac_fit(y: pd.Series, x: pd.DataFrame, contrast: np.ndarray, level: float,
             weights: pd.Series) -> tuple[float, float, float, float]:
    import statsmodels.api as sm
    from scipy import stats

    lags = _lags(len(y))
    root = np.sqrt(weights.to_numpy(float))
    ys, xs = y.to_numpy(float) * root, x.to_numpy(float) * root[:, None]
    rho = ar1(sm.OLS(ys, xs).fit().resid, xs.shape[1])
    if rho > 0:  # feasible GLS: the AR(1) part of the day noise taken out first
        ys, xs = _prais_winsten(ys, rho), _prais_winsten(xs, rho)
    ols = sm.OLS(ys, xs).fit()
    hac = ols.get_robustcov_results(cov_type="HAC", maxlags=lags, use_correction=True)
    effect = float(contrast @ ols.params)
    variance = max(float(contrast @ hac.cov_params() @ contrast),
                   float(contrast @ ols.cov_params() @ contrast))
    se = math.sqrt(variance)
    if se == 0.0:  # a series without any noise: the effect is exact
        return effect, effect, effect, 0.0 if effect else 1.0
    df = min(float(ols.df_resid), equivalent_df(len(y), lags))
    q = float(stats.t.ppf(0.5 + level / 2, df))
    p = float(2 * stats.t.sf(abs(effect) / se, df))
    return effect, effect - q * se, effect + q * se, p


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
    effect, low, high, p = _hac_fit(frame.rate, x, contrast, level, _weights(frame, "n"))
    return Estimate("its", effect, low, high, p, before, after, level)


def _gap(treated: pd.DataFrame, control: pd.DataFrame, fix_day: dt.date, partial: bool
         ) -> tuple[pd.DataFrame, pd.Series]:
    """The days where both groups have a rate (the fix's day left out when ``partial``), in
    order, and the mask of the days after the fix."""
    both = treated[_cols(treated)].merge(control[_cols(control)], on="day",
                                         suffixes=("_t", "_c")).dropna()
    frame = both.sort_values("day").reset_index(drop=True)
    keep, post = _split(frame.day, fix_day, partial)
    return frame[keep].reset_index(drop=True), post[keep].reset_index(drop=True)


def _gap_weights(frame: pd.DataFrame) -> pd.Series:
    return 1 / (1 / _weights(frame, "n_t") + 1 / _weights(frame, "n_c"))


def difference_in_differences(
    treated: pd.DataFrame, control: pd.DataFrame, *, fix_day: dt.date, partial: bool = False,
    level: float = 0.95,
) -> Estimate:
    """The change of the daily gap treated - control at ``fix_day`` (module docstring); days
    where either group has no rate are left out."""
    frame, post = _gap(treated, control, fix_day, partial)
    before, after = int((~post).sum()), int(post.sum())
    if before < MIN_BEFORE or after < MIN_AFTER:
        return Estimate.missing("did", before, after)
    x = pd.concat([pd.DataFrame({"const": 1.0, "post": post.astype(float)}),
                   _design(frame.day)], axis=1)
    contrast = np.zeros(x.shape[1])
    contrast[1] = 1.0
    effect, low, high, p = _hac_fit(frame.rate_t - frame.rate_c, x, contrast, level,
                                    _gap_weights(frame))
    return Estimate("did", effect, low, high, p, before, after, level)


def parallel_trends(
    treated: pd.DataFrame, control: pd.DataFrame, *, fix_day: dt.date, partial: bool = False,
    level: float = 0.95,
) -> Estimate:
    """The pre-trend check of difference-in-differences: the slope per day of the gap
    treated - control on the days **before** the fix, ``gap ~ 1 + t + day of week``, fitted
    as the other regressions (weights, AR(1) step, HAC error, equivalent df). A slope whose
    interval excludes zero means the two groups were drifting apart already: the gap's
    change at the fix would then mix the fix with that drift. ``effect`` is the slope,
    ``p_value`` its test; missing with fewer than :data:`MIN_BEFORE` days before.

    >>> import pandas as pd
    >>> days = pd.date_range("2026-01-01", periods=60).date
    >>> c = pd.DataFrame({"day": days, "rate": [0.1 + 0.01 * (i % 3) for i in range(60)]})
    >>> drifting = c.assign(rate=c.rate + [0.002 * i for i in range(60)])
    >>> e = parallel_trends(drifting, c, fix_day=days[40])
    >>> round(e.effect, 4), e.p_value < 0.05
    (0.002, True)
    """
    frame, post = _gap(treated, control, fix_day, partial)
    frame = frame[~post].reset_index(drop=True)
    before = len(frame)
    if before < MIN_BEFORE:
        return Estimate.missing("pretrend", before, 0)
    t = pd.Series([(d - fix_day).days for d in frame.day], dtype=float)
    x = pd.concat([pd.DataFrame({"const": 1.0, "t": t}), _design(frame.day)], axis=1)
    contrast = np.zeros(x.shape[1])
    contrast[1] = 1.0
    slope, low, high, p = _hac_fit(frame.rate_t - frame.rate_c, x, contrast, level,
                                   _gap_weights(frame))
    return Estimate("pretrend", slope, low, high, p, before, 0, level)


def verdict(estimate: Estimate, *, better: Literal["lower", "higher"]) -> Verdict:
    """``worked`` / ``none`` / ``worse`` from the interval, ``too_early`` without one."""
    if not estimate.ready:
        return "too_early"
    sign = -1.0 if better == "lower" else 1.0
    low, high = sorted((sign * estimate.low, sign * estimate.high))
    if low > 0:
        return "worked"
    if high < 0:
        return "worse"
    return "none"
