"""Confidence intervals of the satisfaction scores (all at ``confidence``, default 95%).

* **NPS** of *n* answers with promoter share *p* and detractor share *d*:
  ``100 (p - d)``; each answer scores +1, 0 or -1, whose variance is ``p + d - (p - d)²``,
  so the interval is ``100 (p - d) ± z 100 sqrt((p + d - (p - d)²) / n)`` (normal
  approximation), clipped to -100..100.
* **CSAT** (share of answers 4 or 5, in percent): the Wilson score interval of *k* of *n*.
* **Means** (CES 1-7, review ratings 1-5, custom questions): ``mean ± t s / sqrt(n)`` with
  Student's *t* at *n* - 1 degrees of freedom and the sample standard deviation *s*.

*z* and *t* are the two-sided quantiles for ``confidence``. With fewer than two answers the
interval is undefined (NaN).

>>> [round(v, 2) for v in nps_interval(50, 20, 100)]
[30.0, 14.69, 45.31]
>>> [round(v, 2) for v in wilson_interval(8, 10)]
[80.0, 49.02, 94.33]
"""

from __future__ import annotations

import math

from scipy import stats

NAN = float("nan")


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def nps_interval(
    promoters: int, detractors: int, n: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """(NPS, low, high) in points."""
    if n <= 0:
        return NAN, NAN, NAN
    p, d = promoters / n, detractors / n
    value = 100 * (p - d)
    if n < 2:
        return value, NAN, NAN
    half = _z(confidence) * 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    return value, max(-100.0, value - half), min(100.0, value + half)


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """(share, low, high) in percent."""
    if n <= 0:
        return NAN, NAN, NAN
    p = k / n
    if n < 2:
        return 100 * p, NAN, NAN
    z = _z(confidence)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def mean_interval(
    n: int, total: float, total_sq: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """(mean, low, high) from the count, sum and sum of squares."""
    if n <= 0:
        return NAN, NAN, NAN
    mean = total / n
    if n < 2:
        return mean, NAN, NAN
    var = max((total_sq - n * mean * mean) / (n - 1), 0.0)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * math.sqrt(var / n)
    return mean, mean - half, mean + half
