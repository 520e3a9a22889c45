"""CUPED for ratio metrics against a per-person linearisation in NumPy, its variance
reduction, an A/A run under daily peeking, and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.experiments.ratio_cuped import RatioMoments, ratio_cuped
from wegweiser.analysis.experiments.simulate import simulate
from wegweiser.errors import InvalidInput


def _arm(rng, n, shift=0.0):
    taste = rng.gamma(3.0, 15.0, n)
    orders = rng.poisson(1.5, n) + 1.0
    pre = rng.poisson(1.0, n).astype(float)
    return (orders * (taste + shift) * rng.lognormal(0, 0.3, n), orders,
            pre * taste * rng.lognormal(0, 0.3, n), pre)


def reference(variant, control):
    """Per-person influence functions: L = (y - r x) / mean x, the same for (u, v); theta
    from the pooled arms; each arm's adjusted ratio and the variance of its mean."""
    y = np.concatenate([variant[0], control[0]])
    x = np.concatenate([variant[1], control[1]])
    u = np.concatenate([variant[2], control[2]])
    v = np.concatenate([variant[3], control[3]])
    r, rp = y.mean() / x.mean(), u.mean() / v.mean()
    lin = (y - r * x) / x.mean()
    lin_pre = (u - rp * v) / v.mean()
    theta = np.cov(lin, lin_pre)[0, 1] / np.var(lin_pre, ddof=1)
    out = []
    for yy, xx, uu, vv in (variant, control):
        ra, rpa = yy.mean() / xx.mean(), uu.mean() / vv.mean()
        la = (yy - ra * xx) / xx.mean() - theta * (uu - rpa * vv) / vv.mean()
        out.append((ra - theta * (rpa - rp), np.var(la, ddof=1) / len(yy)))
    return out


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), nv=st.integers(5, 300), nc=st.integers(5, 300))
def test_ratio_cuped_matches_the_linearisation(seed, nv, nc):
    rng = np.random.default_rng(seed)
    variant, control = _arm(rng, nv), _arm(rng, nc)
    if min(variant[3].sum(), control[3].sum()) == 0:
        variant[3][0] = control[3][0] = 1.0  # a pre-period order in each arm
    got = ratio_cuped(RatioMoments.of(*variant), RatioMoments.of(*control))
    (ev, vv), (ec, vc) = reference(variant, control)
    assert got.variant == pytest.approx(ev, rel=1e-9)
    assert got.control == pytest.approx(ec, rel=1e-9)
    assert got.var_variant == pytest.approx(vv, rel=1e-6, abs=1e-12)
    assert got.var_control == pytest.approx(vc, rel=1e-6, abs=1e-12)


def test_it_keeps_the_effect_and_cuts_the_variance():
    rng = np.random.default_rng(3)
    control, variant = _arm(rng, 40_000), _arm(rng, 40_000, shift=3.0)
    a, b = RatioMoments.of(*control), RatioMoments.of(*variant)
    adjusted, plain = ratio_cuped(b, a), b.plain_ratio(a)
    assert adjusted.diff == pytest.approx(plain.diff, abs=3 * plain.se)
    assert adjusted.diff - 2 * adjusted.se < 3.0 < adjusted.diff + 2 * adjusted.se
    # the variance falls by 1 - rho^2, rho the correlation of the linearised ratios
    y, x, u, v = (np.concatenate([c, t]) for c, t in zip(control, variant, strict=True))
    lin = y / x.mean() - y.mean() * x / x.mean() ** 2
    lin_pre = u / v.mean() - u.mean() * v / v.mean() ** 2
    rho = np.corrcoef(lin, lin_pre)[0, 1]
    assert rho > 0.3
    assert adjusted.se**2 / plain.se**2 == pytest.approx(1 - rho**2, rel=0.05)


def test_aa_with_daily_peeking():
    r = simulate("ratio", runs=150, days=40, per_day=100, cuped=True, seed=11)
    assert r.sequential <= 0.05
    assert r.naive >= 0.15
    assert r.coverage >= 0.92


def test_errors():
    ok = RatioMoments.of([1.0, 2.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0])
    none_before = RatioMoments.of([1.0, 2.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0])
    with pytest.raises(InvalidInput, match="positive denominator sums"):
        ratio_cuped(none_before, none_before)
    with pytest.raises(InvalidInput, match="at least 2 persons"):
        ratio_cuped(RatioMoments.of([1.0], [1.0], [1.0], [1.0]), ok)
    with pytest.raises(InvalidInput, match="4 sums"):
        RatioMoments(3, (1.0, 2.0), ((1.0,),))


def test_the_readout_adjusts_revenue_per_order_from_engine_sums():
    import ibis

    from wegweiser.analysis.experiments.metrics import PERSON_COLUMNS, variant_sums
    from wegweiser.analysis.experiments.readout import readout
    from wegweiser.analysis.result import to_frame

    rng = np.random.default_rng(8)
    arms = {"control": _arm(rng, 400), "bundles": _arm(rng, 400, shift=2.0)}
    frames = []
    for variant, (y, x, u, v) in arms.items():
        frame = {c: np.zeros(len(y)) for c in PERSON_COLUMNS}
        frame.update(revenue=y, orders=x, pre_revenue=u, pre_orders=v)
        frames.append(pd.DataFrame({"variant": variant, **frame}))
    persons = ibis.memtable(pd.concat(frames, ignore_index=True))
    sums = to_frame(variant_sums(persons))
    table = readout(sums, metrics=["revenue_per_order"], cuped=True).iloc[0]
    expected = ratio_cuped(RatioMoments.of(*arms["bundles"]), RatioMoments.of(*arms["control"]))
    assert bool(table["cuped"])
    assert table["diff"] == pytest.approx(expected.diff, rel=1e-9)
    assert table["ci_high"] - table["ci_low"] == pytest.approx(2 * 1.959964 * expected.se,
                                                               rel=1e-5)
    plain = readout(sums, metrics=["revenue_per_order"], cuped=False).iloc[0]
    assert not bool(plain["cuped"])
    assert plain["ci_high"] - plain["ci_low"] > table["ci_high"] - table["ci_low"]
