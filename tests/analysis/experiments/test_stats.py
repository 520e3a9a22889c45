"""Every statistic from aggregates against an independent computation on the raw arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sst
from statsmodels.stats.proportion import proportions_ztest

from wegweiser.analysis.experiments import stats
from wegweiser.analysis.experiments.moments import Moments
from wegweiser.errors import InvalidInput

arrays = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=40)


@settings(max_examples=60, deadline=None)
@given(a=arrays, b=arrays)
def test_welch_matches_scipy_on_raw_arrays(a, b):
    if np.var(a) < 1e-6 or np.var(b) < 1e-6:
        return
    eff = stats.means(Moments.of(a), Moments.of(b))
    ref = sst.ttest_ind(a, b, equal_var=False)
    assert eff.diff == pytest.approx(np.mean(a) - np.mean(b), abs=1e-6)
    assert eff.diff / eff.se == pytest.approx(ref.statistic, rel=1e-6, abs=1e-9)
    assert eff.df == pytest.approx(ref.df, rel=1e-6)
    assert stats.fixed_horizon(eff).p_value == pytest.approx(ref.pvalue, rel=1e-5, abs=1e-12)
    low, high = ref.confidence_interval(0.95)
    t = stats.fixed_horizon(eff, alpha=0.05)
    assert (t.low, t.high) == pytest.approx((low, high), rel=1e-6, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(na=st.integers(5, 500), nb=st.integers(5, 500), data=st.data())
def test_proportions_match_statsmodels(na, nb, data):
    ka = data.draw(st.integers(1, na - 1))
    kb = data.draw(st.integers(1, nb - 1))
    a = Moments.of([1.0] * ka + [0.0] * (na - ka))
    b = Moments.of([1.0] * kb + [0.0] * (nb - kb))
    _, p = proportions_ztest([ka, kb], [na, nb])
    assert stats.proportions_fixed(a, b).p_value == pytest.approx(p, rel=1e-6)
    eff = stats.proportions(a, b)
    assert eff.se == pytest.approx(
        math.sqrt(ka / na * (1 - ka / na) / na + kb / nb * (1 - kb / nb) / nb)
    )


def test_an_arm_that_all_converted_is_not_certain():
    """p (1 - p) = 0 in an arm would make any difference certain; its variance is Agresti
    and Caffo's instead (one success and one failure added), the estimate stays observed."""
    all_, none = Moments.of([1.0] * 3), Moments.of([0.0] * 5)
    eff = stats.proportions(all_, none)
    assert eff.diff == 1.0
    assert eff.se == pytest.approx(math.sqrt(0.8 * 0.2 / 3 + (1 / 7) * (6 / 7) / 5))
    mixed = Moments.of([1.0, 0.0, 0.0, 1.0])
    assert stats.proportions(mixed, none).var_variant == pytest.approx(0.25 / 4)
    with pytest.raises(InvalidInput, match="at least 2 persons"):
        stats.proportions(Moments.of([1.0]), none)


def test_cuped_equals_regression_adjustment():
    rng = np.random.default_rng(3)
    x = rng.normal(size=4000)
    y = 2 * x + rng.normal(size=4000)
    arm = rng.random(4000) < 0.5
    y[arm] += 0.3
    eff = stats.cuped(Moments.of(y[arm], x[arm]), Moments.of(y[~arm], x[~arm]))
    # the same estimate by hand: one pooled theta, adjusted means
    theta = np.cov(x, y)[0, 1] / np.var(x, ddof=1)
    adj = y - theta * (x - x.mean())
    assert eff.diff == pytest.approx(adj[arm].mean() - adj[~arm].mean(), rel=1e-9)
    plain = stats.means(Moments.of(y[arm]), Moments.of(y[~arm]))
    rho = np.corrcoef(x, y)[0, 1]
    assert (eff.se / plain.se) ** 2 == pytest.approx(1 - rho**2, rel=0.05)


def test_ratio_delta_method_against_a_bootstrap():
    rng = np.random.default_rng(7)
    orders = rng.poisson(1.2, size=(2, 3000)).astype(float)
    revenue = orders * rng.gamma(2.0, 20.0, size=(2, 3000))
    eff = stats.ratio(Moments.of(revenue[1], orders[1]), Moments.of(revenue[0], orders[0]))
    assert eff.variant == pytest.approx(revenue[1].sum() / orders[1].sum())
    boots = []
    for _ in range(400):
        i = rng.integers(0, 3000, size=(2, 3000))
        r = [revenue[k][i[k]].sum() / orders[k][i[k]].sum() for k in (0, 1)]
        boots.append(r[1] - r[0])
    assert eff.se == pytest.approx(np.std(boots), rel=0.12)


def test_bayes_matches_a_monte_carlo_draw():
    eff = stats.Effect(control=0.10, variant=0.11, var_control=0.004**2, var_variant=0.004**2)
    rng = np.random.default_rng(1)
    d = rng.normal(eff.diff, eff.se, size=400_000)
    post = stats.bayes(eff)
    assert post.chance_to_beat == pytest.approx((d > 0).mean(), abs=0.003)
    assert post.expected_loss == pytest.approx(np.maximum(-d, 0).mean(), rel=0.02)


def test_lift_interval_is_the_delta_method():
    eff = stats.Effect(control=10.0, variant=11.0, var_control=0.04, var_variant=0.05)
    t = stats.fixed_horizon(eff)
    se = math.sqrt(0.05 / 100 + 121 * 0.04 / 10_000)
    assert (t.lift_low, t.lift_high) == pytest.approx((0.1 - 1.959964 * se, 0.1 + 1.959964 * se))


def test_bad_input_is_refused():
    with pytest.raises(InvalidInput, match="at least 2 persons"):
        stats.means(Moments.of([1.0]), Moments.of([1.0, 2.0]))
    with pytest.raises(InvalidInput, match="0/1 metric"):
        stats.proportions(Moments.of([2.0, 0.0]), Moments.of([1.0, 0.0]))
    with pytest.raises(InvalidInput, match="positive denominator"):
        stats.ratio(Moments.of([1.0, 2.0], [0.0, 0.0]), Moments.of([1.0, 2.0], [1.0, 1.0]))
    with pytest.raises(InvalidInput, match="finite"):
        Moments(3, float("nan"), 1.0)
    with pytest.raises(InvalidInput, match="alpha"):
        stats.fixed_horizon(stats.Effect(1.0, 2.0, 0.1, 0.1), alpha=1.5)
