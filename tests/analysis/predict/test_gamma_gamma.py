"""Gamma-Gamma: the published CDNOW estimates, planted parameters and the spend prediction."""

from __future__ import annotations

import numpy as np
import pytest

from tests.analysis.predict import cdnow
from wegweiser.analysis.predict._gamma_gamma import GammaGamma
from wegweiser.errors import InvalidInput


def test_reproduces_fader_hardie_2013(wheel_dir):
    s = cdnow.summary(wheel_dir)
    buyers = s[s["x"] > 0]
    assert len(buyers) == 946
    m = GammaGamma.fit(buyers["x"].to_numpy(float), buyers["zbar"].to_numpy(float))
    assert cdnow.close(m.params(), cdnow.GAMMA_GAMMA), m


def test_finds_planted_parameters_again():
    rng = np.random.default_rng(3)
    p, q, gamma, n = 4.0, 5.0, 20.0, 6000
    nu = rng.gamma(q, 1 / gamma, n)
    x = rng.integers(1, 8, n)
    m = np.array([rng.gamma(p, 1 / v, k).mean() for v, k in zip(nu, x, strict=True)])
    got = GammaGamma.fit(x.astype(float), m)
    assert got.p == pytest.approx(p, rel=0.15)
    assert got.population_mean() == pytest.approx(p * gamma / (q - 1), rel=0.05)


def test_expected_spend_moves_from_the_mean_towards_the_own_mean():
    g = GammaGamma(6.25, 3.74, 15.44)
    mean = g.population_mean()
    spend = g.expected_spend(np.array([0.0, 1.0, 50.0]), np.array([0.0, 100.0, 100.0]))
    assert spend[0] == pytest.approx(mean)
    assert mean < spend[1] < spend[2] < 100.0
    weight = 6.25 / (6.25 + 2.74)
    assert spend[1] == pytest.approx((1 - weight) * mean + weight * 100.0)


def test_too_few_repeat_buyers_are_refused():
    with pytest.raises(InvalidInput, match="repeat buyers with revenue"):
        GammaGamma.fit(np.ones(9), np.full(9, 3.0))
    with pytest.raises(InvalidInput, match="positive spend"):
        GammaGamma.fit(np.ones(12), np.array([3.0] * 11 + [0.0]))
