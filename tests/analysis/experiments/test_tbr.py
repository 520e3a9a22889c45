"""Time-based regression against a plain NumPy computation, its coverage on simulated geo
tests with a planted effect, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sst

from wegweiser.analysis.experiments.tbr import tbr
from wegweiser.errors import InvalidInput


def reference(ph, pc, th, tc, alpha=0.05):
    """OLS by the normal equations; the predictive interval of the summed effect."""
    x = np.column_stack([np.ones_like(pc), pc])
    beta = np.linalg.solve(x.T @ x, x.T @ ph)
    resid = ph - x @ beta
    s2 = resid @ resid / (len(ph) - 2)
    cov = s2 * np.linalg.inv(x.T @ x)
    effect = float(np.sum(beta[0] + beta[1] * tc - th))
    g = np.array([len(tc), tc.sum()])
    half = sst.t.ppf(1 - alpha / 2, len(ph) - 2) * np.sqrt(s2 * len(tc) + g @ cov @ g)
    return effect, effect - half, effect + half, beta


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_pre=st.integers(7, 60),
    n_test=st.integers(1, 30),
    slope=st.floats(0.05, 3.0),
    noise=st.floats(0.1, 20.0),
)
def test_tbr_matches_the_normal_equations(seed, n_pre, n_test, slope, noise):
    rng = np.random.default_rng(seed)
    c = rng.poisson(80, n_pre + n_test).astype(float) + rng.normal(0, 1, n_pre + n_test)
    h = 5 + slope * c + rng.normal(0, noise, n_pre + n_test)
    got = tbr(h[:n_pre], c[:n_pre], h[n_pre:], c[n_pre:])
    effect, low, high, beta = reference(h[:n_pre], c[:n_pre], h[n_pre:], c[n_pre:])
    assert got.effect == pytest.approx(effect, rel=1e-6, abs=1e-6)
    assert got.low == pytest.approx(low, rel=1e-6, abs=1e-6)
    assert got.high == pytest.approx(high, rel=1e-6, abs=1e-6)
    assert (got.intercept, got.slope) == pytest.approx(tuple(beta), rel=1e-6, abs=1e-9)
    assert got.cumulative[-1] == pytest.approx(got.effect)
    assert got.observed == pytest.approx(h[n_pre:].sum())
    assert got.counterfactual - got.observed == pytest.approx(got.effect)


def test_the_interval_covers_a_planted_effect():
    """400 simulated geo tests (weekly pattern, Poisson counts, a holdout losing 12% of its
    conversions for 28 days): the 95% interval holds the true loss in >= 92% of them."""
    rng = np.random.default_rng(2026)
    days = np.arange(84)
    week = 1 + 0.25 * np.sin(2 * np.pi * days / 7)
    hits = 0
    for _ in range(400):
        level = rng.gamma(50, 1) * week
        control = rng.poisson(level * 3.0).astype(float)
        on = rng.poisson(level * 0.8)
        lost = rng.binomial(on[56:], 0.12)
        holdout = on.astype(float)
        holdout[56:] -= lost
        r = tbr(holdout[:56], control[:56], holdout[56:], control[56:])
        hits += r.low <= lost.sum() <= r.high
    assert hits / 400 >= 0.92


def test_errors_say_what_is_wrong():
    c = np.arange(20, dtype=float)
    with pytest.raises(InvalidInput, match="at least 7 days before the test"):
        tbr(c[:5], c[:5], c[5:], c[5:])
    with pytest.raises(InvalidInput, match="constant"):
        tbr(c[:10], np.ones(10), c[10:], c[10:])
    with pytest.raises(InvalidInput, match="differ in length"):
        tbr(c[:10], c[:9], c[10:], c[10:])
    with pytest.raises(InvalidInput, match="no days"):
        tbr(c[:10], c[:10], [], [])
