"""NPS, CSAT and CES intervals against a plain-Python reference (no SciPy)."""

from __future__ import annotations

import math
from statistics import NormalDist, fmean, stdev

from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis._feedback_stats import mean_interval, nps_interval, wilson_interval


def _t_quantile(q: float, df: int) -> float:
    """Student's t quantile by bisection on a Simpson integral of the density."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))

    def cdf(x: float) -> float:
        n = 2000
        h = x / n
        f = [c * (1 + (i * h) ** 2 / df) ** (-(df + 1) / 2) for i in range(n + 1)]
        return 0.5 + h / 3 * (f[0] + f[-1] + 4 * sum(f[1:-1:2]) + 2 * sum(f[2:-1:2]))

    lo, hi = 0.0, 1000.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return (lo + hi) / 2


def ref_nps(scores: list[int], conf: float) -> tuple[float, float, float]:
    points = [1 if s >= 9 else -1 if s <= 6 else 0 for s in scores]
    n = len(points)
    value = 100 * sum(points) / n
    var = sum((p - value / 100) ** 2 for p in points) / n  # population variance of +1/0/-1
    half = NormalDist().inv_cdf(0.5 + conf / 2) * 100 * math.sqrt(var / n)
    return value, max(-100, value - half), min(100, value + half)


def ref_csat(scores: list[int], conf: float) -> tuple[float, float, float]:
    n, k = len(scores), sum(s >= 4 for s in scores)
    z = NormalDist().inv_cdf(0.5 + conf / 2)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return 100 * p, 100 * max(0, centre - half), 100 * min(1, centre + half)


def ref_mean(scores: list[int], conf: float) -> tuple[float, float, float]:
    m, s, n = fmean(scores), stdev(scores), len(scores)
    half = _t_quantile(0.5 + conf / 2, n - 1) * s / math.sqrt(n)
    return m, m - half, m + half


def _close(a, b, tol=1e-6):
    return all(math.isclose(x, y, rel_tol=tol, abs_tol=tol) for x, y in zip(a, b, strict=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=2, max_size=300), st.sampled_from([0.9, 0.95, 0.99]))
def test_nps_interval(scores, conf):
    got = nps_interval(sum(s >= 9 for s in scores), sum(s <= 6 for s in scores), len(scores), conf)
    assert _close(got, ref_nps(scores, conf))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=300), st.sampled_from([0.9, 0.95]))
def test_csat_wilson_interval(scores, conf):
    got = wilson_interval(sum(s >= 4 for s in scores), len(scores), conf)
    assert _close(got, ref_csat(scores, conf))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=2, max_size=200), st.sampled_from([0.9, 0.95]))
def test_ces_mean_t_interval(scores, conf):
    got = mean_interval(len(scores), float(sum(scores)), float(sum(s * s for s in scores)), conf)
    assert _close(got, ref_mean(scores, conf), tol=1e-5)


def test_too_few_answers_have_no_interval():
    assert math.isnan(nps_interval(0, 0, 0)[0])
    value, low, high = nps_interval(1, 0, 1)
    assert value == 100
    assert math.isnan(low)
    assert math.isnan(high)
    assert math.isnan(wilson_interval(1, 1)[1])
    assert math.isnan(mean_interval(1, 5.0, 25.0)[2])
