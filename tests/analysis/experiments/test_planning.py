"""Power, MDE, multiple testing and sample-ratio mismatch against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sst

from wegweiser.analysis.experiments.planning import adjust, mde, persons_needed
from wegweiser.analysis.experiments.srm import check_srm
from wegweiser.errors import InvalidInput

Z = sst.norm.ppf


def test_mean_mde_matches_the_normal_formula():
    n, sd = 20_000, 35.0
    expected = (Z(0.975) + Z(0.8)) * sd * math.sqrt(2 / n)
    assert mde(50.0, n, sd=sd).absolute == pytest.approx(expected, rel=0.002)


def test_rate_mde_and_persons_needed_are_inverse():
    m = mde(0.04, 15_000, power=0.9)
    assert persons_needed(0.04, m.absolute, power=0.9) == pytest.approx(15_000, abs=2)
    # the textbook normal approximation with unpooled variances agrees to a few percent
    p2 = 0.04 + m.absolute
    n = (Z(0.975) + Z(0.9)) ** 2 * (0.04 * 0.96 + p2 * (1 - p2)) / m.absolute**2
    assert n == pytest.approx(15_000, rel=0.03)


def test_more_variants_need_more_persons():
    assert mde(0.05, 10_000, comparisons=3).absolute > mde(0.05, 10_000).absolute


def test_holm_by_hand():
    p = [0.01, 0.04, 0.03, 0.005, float("nan")]
    order = np.argsort(p[:4])
    m, running, ref = 4, 0.0, [0.0] * 4
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        ref[i] = running
    out = adjust(p)
    assert out[:4] == pytest.approx(ref)
    assert math.isnan(out[4])
    assert adjust(p, method="none")[:4] == pytest.approx(p[:4])


def test_srm_is_the_chi_square_test():
    counts = {"control": 10_120, "treatment": 9_880, "b": 10_300}
    res = check_srm(counts)
    e = sum(counts.values()) / 3
    chi2 = sum((c - e) ** 2 / e for c in counts.values())
    assert res.chi2 == pytest.approx(chi2)
    assert res.p_value == pytest.approx(sst.chi2.sf(chi2, 2))
    bad = check_srm({"control": 5000, "treatment": 4600})
    assert not bad.ok
    assert "SAMPLE RATIO MISMATCH" in bad.message
    assert check_srm({"control": 9000, "treatment": 1000}, {"control": 0.9, "treatment": 0.1}).ok


def test_bad_plans_are_refused():
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        mde(1.5, 1000)
    with pytest.raises(InvalidInput, match="standard deviation"):
        mde(10.0, 1000, sd=-1.0)
    with pytest.raises(InvalidInput, match="no solution"):  # found by the API fuzzer
        persons_needed(
            3.99e16, 7.42 * 3.99e16, sd=5.96e-08, alpha=0.0001, power=0.5, comparisons=17
        )
    with pytest.raises(InvalidInput, match="correction"):
        adjust([0.1], method="magic")
    with pytest.raises(InvalidInput, match="positive"):
        check_srm({"a": 1, "b": 2}, {"a": 1.0})
