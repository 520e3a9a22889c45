"""Shapley values: brute force over all orders, sampling against exact, properties."""

from __future__ import annotations

from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.attribution._ref import make, random_paths
from wegweiser.analysis.attribution import Paths, Shapley

# value='rate' warns when it clips a negative value; these tests check the values themselves
pytestmark = pytest.mark.filterwarnings("ignore:Shapley\\(value='rate'\\)")


def brute_force(touches, conv, nulls, kind):
    sets = [frozenset(p) for p in touches]
    players = sorted({ch for p in touches for ch in p})

    def v(coalition):
        c = sum(cc for s, cc in zip(sets, conv, strict=True) if s <= coalition)
        n = sum(nn for s, nn in zip(sets, nulls, strict=True) if s <= coalition)
        if kind == "conversions":
            return c
        return c / (c + n) if c + n else 0.0

    phi = dict.fromkeys(players, 0.0)
    orders = list(permutations(players))
    for order in orders:
        seen: set[str] = set()
        for p in order:
            before = v(frozenset(seen))
            seen.add(p)
            phi[p] += v(frozenset(seen)) - before
    return {p: x / len(orders) for p, x in phi.items()}


@pytest.mark.parametrize("kind", ["rate", "conversions"])
@pytest.mark.parametrize("seed", range(3))
def test_exact_matches_brute_force(kind, seed):
    t, c, n, v, _ = random_paths(seed, n=20, channels="abcde", max_len=3)
    paths = Paths.from_lists(t, conversions=c, nulls=n, value=v)
    m = Shapley(value=kind).fit(paths)
    got = m.shapley_values_.set_index("touchpoint").shapley_value
    for ch, phi in brute_force(t, c, n, kind).items():
        assert got[ch] == pytest.approx(phi, abs=1e-12)
    assert m.credits_.conversions.sum() == pytest.approx(sum(c))


def test_sampling_agrees_with_exact_within_its_error():
    paths, _ = make(11, n=40, channels="abcdefgh", max_len=4)
    exact = Shapley(value="rate").fit(paths).shapley_values_.set_index("touchpoint")
    sampled = Shapley(value="rate", exact_max=0, n_permutations=3000,
                      random_state=1).fit(paths)
    again = Shapley(value="rate", exact_max=0, n_permutations=3000,
                    random_state=1).fit(paths)
    s = sampled.shapley_values_.set_index("touchpoint")
    assert s.equals(again.shapley_values_.set_index("touchpoint"))  # seeded
    assert (s.std_error > 0).any()
    for ch in exact.index:
        assert abs(s.loc[ch, "shapley_value"] - exact.loc[ch, "shapley_value"]) <= (
            5 * s.loc[ch, "std_error"] + 1e-12)
    assert sampled.credits_.conversions.sum() == pytest.approx(paths.total_conversions)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["rate", "conversions"]))
def test_properties(seed, kind):
    paths, (t, c, _n, _v, _) = make(seed, n=12, channels="abcdef", max_len=3)
    credits = Shapley(value=kind).fit(paths).credits_.set_index("touchpoint")
    assert credits.conversions.sum() == pytest.approx(sum(c))
    on_converting = {ch for p, cc in zip(t, c, strict=True) if cc for ch in p}
    for ch in credits.index:
        if ch not in on_converting:
            assert credits.loc[ch, "conversions"] == pytest.approx(0.0, abs=1e-9)


def test_symmetric_channels_get_equal_credit():
    paths = Paths.from_lists([["a", "x"], ["b", "x"], ["a"], ["b"], ["x"]],
                             conversions=[3, 3, 1, 1, 2], nulls=[1, 1, 4, 4, 5])
    for kind in ("rate", "conversions"):
        credits = Shapley(value=kind).fit(paths).credits_.set_index("touchpoint")
        assert credits.loc["a", "conversions"] == pytest.approx(credits.loc["b", "conversions"])
