"""BG/NBD and Pareto/NBD: the published CDNOW estimates, recovery of planted parameters from
simulated customers, and properties of the predictions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from tests.analysis.predict import cdnow, lifetimes_ref
from wegweiser.analysis.predict._btyd import BgNbd, ParetoNbd, at_boundary
from wegweiser.analysis.predict._clv_tables import calibration_table
from wegweiser.errors import InvalidInput


@pytest.fixture(scope="module")
def cdnow_summary(wheel_dir):
    s = cdnow.summary(wheel_dir)
    return tuple(s[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_summary):
    m = BgNbd.fit(*cdnow_summary)
    assert cdnow.close(m.params(), cdnow.BGNBD), m
    assert m.log_likelihood == pytest.approx(-9582.4, abs=0.05)  # published LL


def test_pareto_nbd_reproduces_the_published_estimates(cdnow_summary):
    m = ParetoNbd.fit(*cdnow_summary)
    assert cdnow.close(m.params(), cdnow.PARETO), m
    assert m.log_likelihood == pytest.approx(-9595.0, abs=0.05)


def _simulate(rng, n, r, alpha, a, b, T_range=(20.0, 40.0), holdout=30.0):
    """BG/NBD customers: first purchase at 0, then Poisson(lambda) purchases, each repeat
    purchase followed by dropout with probability p; (x, t_x, T) and the purchases in
    (T, T + holdout]."""
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(*T_range, n)
    x, tx, held = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i] + holdout:
                break
            if t <= T[i]:
                x[i] += 1
                tx[i] = t
            else:
                held[i] += 1
            if rng.random() < p[i]:
                break
    return x, tx, T, held


def test_the_fit_finds_planted_parameters_again():
    rng = np.random.default_rng(7)
    truth = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}
    x, tx, T, held = _simulate(rng, 4000, **truth)
    m = BgNbd.fit(x, tx, T)
    got = m.params()
    assert got["r"] == pytest.approx(truth["r"], rel=0.2)
    assert got["alpha"] == pytest.approx(truth["alpha"], rel=0.25)
    assert got["a"] / (got["a"] + got["b"]) == pytest.approx(0.8 / 3.3, rel=0.25)
    # predicted purchases in the holdout, all customers together, within 10% of what happened
    assert m.expected(30.0, x, tx, T).sum() == pytest.approx(held.sum(), rel=0.1)


params = st.tuples(*(st.floats(0.05, 20.0) for _ in range(4)))
customers = st.lists(
    st.tuples(st.integers(0, 30), st.floats(0.0, 1.0), st.floats(0.5, 80.0)),
    min_size=1, max_size=20)


def _arrays(rows):
    x = np.array([r[0] for r in rows], dtype=float)
    T = np.array([r[2] for r in rows])
    tx = np.where(x > 0, np.array([r[1] for r in rows]) * T, 0.0)
    return x, tx, T


@settings(max_examples=60, deadline=None)
@given(p=params, rows=customers)
def test_bgnbd_predictions_are_sane(p, rows):
    m = BgNbd(*p)
    x, tx, T = _arrays(rows)
    alive = m.p_alive(x, tx, T)
    assert np.all(alive[x == 0] == 1.0)  # no repeat purchase: no chance to drop out yet
    assert np.all((alive >= 0) & (alive <= 1))
    if abs(p[2] - 1) > 1e-3:
        e = [m.expected(t, x, tx, T) for t in (1.0, 10.0, 100.0)]
        finite = np.isfinite(e[2])
        assert np.all(e[0][finite] >= 0)
        assert np.all(np.diff(np.array(e)[:, finite], axis=0) >= -1e-9)  # more time, more


@settings(max_examples=60, deadline=None)
@given(p=params, rows=customers)
def test_pareto_nbd_predictions_are_sane(p, rows):
    m = ParetoNbd(*p)
    x, tx, T = _arrays(rows)
    alive = m.p_alive(x, tx, T)
    assert np.all((alive > 0) & (alive <= 1))
    e = [m.expected(t, x, tx, T) for t in (1.0, 10.0, 100.0)]
    assert np.all(e[0] >= 0)
    assert np.all(np.diff(np.array(e), axis=0) >= -1e-9)


@settings(max_examples=40, deadline=None)
@given(r=st.floats(0.1, 5), a=st.floats(0.1, 20), s=st.floats(0.1, 5), rows=customers)
def test_pareto_nbd_is_continuous_where_alpha_meets_beta(r, a, s, rows):
    x, tx, T = _arrays(rows)
    # alpha just above beta takes one form of the likelihood, just below the other: their
    # midpoint is the value at alpha == beta up to O(eps^2)
    at = ParetoNbd.loglik(np.array([r, a, s, a]), x, tx, T)
    above, below = (ParetoNbd.loglik(np.array([r, a * side, s, a]), x, tx, T)
                    for side in (1 + 1e-6, 1 - 1e-6))
    assert (above + below) / 2 == pytest.approx(at, rel=1e-8, abs=1e-8)
    assert np.all(np.isfinite(at))


def test_bgnbd_count_probabilities_add_up_to_the_mean():
    m = BgNbd(0.243, 4.414, 0.793, 2.426)
    t = np.array([10.0, 39.0])
    probs = m.count_probabilities(t, 400)
    assert probs.sum(axis=1) == pytest.approx(1.0, abs=1e-6)
    # E[X(t)] of a new customer (Fader, Hardie & Lee 2005, eq. 9)
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    mean = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r
                                    * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    assert probs @ np.arange(400) == pytest.approx(mean, rel=1e-6)


@pytest.mark.parametrize("params", [cdnow.PARETO, {"r": 0.8, "alpha": 8.0, "s": 1.7, "beta": 12.0}],
                         ids=["cdnow", "alpha_below_beta"])
def test_pareto_nbd_count_probabilities_agree_with_lifetimes(wheel_dir, params):
    m = ParetoNbd(**params)
    ref = lifetimes_ref.pareto_nbd(wheel_dir, params)
    t = np.array([1.0, 10.0, 39.0])
    # E[X(t)] of a new customer: lifetimes' eq. 27, and the mean of our counts' distribution
    assert m.expected_new(t) == pytest.approx(ref.expected_number_of_purchases_up_to_time(t),
                                              rel=1e-10)
    probs = m.count_probabilities(t, 150)
    assert probs.sum(axis=1) == pytest.approx(1.0, abs=1e-6)
    assert probs @ np.arange(150) == pytest.approx(m.expected_new(t), rel=1e-5)
    # P(X(t) = n) of a new customer is lifetimes' conditional pmf with no history (x = T = 0)
    with np.errstate(all="ignore"):
        want = np.array([[ref.conditional_probability_of_n_purchases_up_to_time(n, ti, 0.0, 0.0,
                                                                                 0.0)
                          for n in range(8)] for ti in t])
    assert probs[:, :8] == pytest.approx(want, abs=1e-9)


def test_pareto_nbd_calibration_histogram_follows_cdnow(cdnow_summary):
    """Fader & Hardie's check: the calibration-frequency histogram the fitted Pareto/NBD
    implies (the sum over customers of P(X(T_i) = x)) is close to the actual one."""
    import pandas as pd

    x, t_x, T = cdnow_summary
    m = ParetoNbd(**cdnow.PARETO)
    persons = pd.DataFrame({"frequency": x, "recency": t_x, "T": T})
    table = calibration_table(m, persons)
    assert table["actual"].tolist()[:3] == [1411, 439, 214]
    assert table["expected"].sum() == pytest.approx(2357)
    assert table["expected"].notna().all()
    # the published parameters' histogram (P(X(T) = x) as lifetimes computes it, above):
    # close to the actual one, a little less so than the BG/NBD's (FHL 2005, fig. 2)
    assert table["expected"].round(1).tolist() == [
        1434.3, 396.8, 193.4, 111.8, 70.0, 45.8, 30.9, 74.0]
    bg = calibration_table(BgNbd(**cdnow.BGNBD), persons)
    gap = (table["expected"] - table["actual"]).abs().sum()
    assert gap < 0.06 * 2357
    assert (bg["expected"] - bg["actual"]).abs().sum() < gap


def test_bad_summaries_are_refused():
    with pytest.raises(InvalidInput, match="recency"):
        BgNbd.fit(np.array([1.0]), np.array([5.0]), np.array([3.0]))
    with pytest.raises(InvalidInput, match="no customers"):
        ParetoNbd.fit(np.array([]), np.array([]), np.array([]))
    assert at_boundary({"a": 2e6, "b": 1.0, "r": 1e-9}) == ["a", "r"]
