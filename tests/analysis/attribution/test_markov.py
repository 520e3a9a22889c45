"""Markov removal effects: hand-solved chains, independent exact solutions, properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.attribution._ref import make, random_paths
from wegweiser.analysis.attribution import Markov, Paths


def test_hand_solved_chain():
    # start -> a 2, start -> b 3; a -> b 1, a -> null 1; b -> conversion 3, b -> null 1.
    # P(conv | b) = 3/4, P(conv | a) = 1/2 * 3/4; P = 2/5 * 3/8 + 3/5 * 3/4 = 3/5.
    # Without a: 3/5 * 3/4 = 9/20 -> effect 1 - 9/12 = 1/4; without b: 0 -> effect 1.
    paths = Paths.from_lists([["a", "b"], ["a"], ["b"], ["b"]],
                             conversions=[1, 0, 1, 1], nulls=[0, 1, 0, 1], value=[10, 0, 20, 30])
    m = Markov().fit(paths)
    assert m.conversion_probability_ == pytest.approx(3 / 5)
    re = m.removal_effects_.set_index("touchpoint")
    assert re.loc["a", "removal_effect"] == pytest.approx(0.25)
    assert re.loc["b", "removal_effect"] == pytest.approx(1.0)
    assert re.loc["a", "value_removal_effect"] == pytest.approx(0.25)
    credits = m.credits_.set_index("touchpoint")
    assert credits.loc["a", "conversions"] == pytest.approx(0.6)
    assert credits.loc["b", "conversions"] == pytest.approx(2.4)
    assert credits.loc["a", "revenue"] == pytest.approx(12.0)
    assert credits.revenue.sum() == pytest.approx(60)
    tm = m.transition_matrix_.set_index(["from", "to"])
    assert tm.loc[("(start)", "a"), "probability"] == pytest.approx(0.4)
    assert tm.loc[("b", "(conversion)"), "journeys"] == 3
    flows = m.flows_.set_index(["source", "target"])
    assert flows.loc[("a", "b"), "journeys"] == 1


def fundamental_matrix_effects(touches, conv, nulls, order):
    """Dense, plain-Python chain: N = (I - Q)^-1, P = N[start] @ R."""
    counts: dict[tuple, dict[tuple, float]] = {}
    for path, c, n in zip(touches, conv, nulls, strict=True):
        states = [("start",)] + [_last_state(path[: i + 1], order) for i in range(len(path))]
        for s, t in itertools.pairwise(states):
            counts.setdefault(s, {}).setdefault(t, 0.0)
            counts[s][t] += c + n
        counts.setdefault(states[-1], {}).setdefault(("conv",), 0.0)
        counts[states[-1]][("conv",)] += c
    transient = sorted(counts, key=str)
    transient.remove(("start",))
    transient = [("start",), *transient]

    def prob(removed=None):
        keep = [s for s in transient if removed is None or s == ("start",) or removed not in s]
        k = len(keep)
        q = np.zeros((k, k))
        r = np.zeros(k)
        for i, s in enumerate(keep):
            total = sum(counts[s].values())
            # null transitions are the rest of the journeys ending here
            ends = sum(nn for path, cc, nn in zip(touches, conv, nulls, strict=True)
                       if s != ("start",) and tuple(path[-order:]) == s[-order:] and
                       _last_state(path, order) == s)
            out = total + ends
            for t, w in counts[s].items():
                if t == ("conv",):
                    r[i] += w / out
                elif t in keep:
                    q[i, keep.index(t)] += w / out
        n_mat = np.linalg.inv(np.eye(k) - q)
        return float(n_mat[0] @ r)

    base = prob()
    labels = sorted({ch for p in touches for ch in p})
    return {ch: 1 - prob(ch) / base for ch in labels}, base


def _last_state(path, order):
    i = len(path) - 1
    return tuple(path[max(0, i - order + 1): i + 1])


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("seed", range(3))
def test_sparse_solve_matches_fundamental_matrix_and_iteration(order, seed):
    t, c, n, v, _ = random_paths(seed, n=25, channels="abcd", max_len=4)
    paths = Paths.from_lists(t, conversions=c, nulls=n, value=v)
    expected, base = fundamental_matrix_effects(t, c, n, order)
    direct = Markov(order=order, solver="direct").fit(paths)
    iterative = Markov(order=order, solver="iterative").fit(paths)
    assert direct.conversion_probability_ == pytest.approx(base)
    assert base == pytest.approx(sum(c) / (sum(c) + sum(n)))  # flow conservation
    got = direct.removal_effects_.set_index("touchpoint").removal_effect
    it = iterative.removal_effects_.set_index("touchpoint").removal_effect
    for ch, eff in expected.items():
        assert got[ch] == pytest.approx(eff, abs=1e-10)
        assert it[ch] == pytest.approx(eff, abs=1e-9)


def chain_paths(rng, n_paths, trans, conv_p):
    """Simulate order-1 paths over channels 0..k-1 (vectorised over journeys)."""
    k = trans.shape[0]
    start = rng.integers(0, k, n_paths)
    paths = [[int(s)] for s in start]
    converted = np.zeros(n_paths, dtype=bool)
    alive = np.arange(n_paths)
    state = start.copy()
    while len(alive):
        u = rng.random(len(alive))
        p_conv = conv_p[state[alive]]
        p_null = 0.3
        conv = u < p_conv
        stop = conv | (u < p_conv + p_null)
        converted[alive[conv]] = True
        cont = alive[~stop]
        nxt = np.array([rng.choice(k, p=trans[s]) for s in state[cont]], dtype=int)
        for j, s in zip(cont, nxt, strict=True):
            paths[j].append(int(s))
        state[cont] = nxt
        alive = cont
    return paths, converted


def true_effects(trans, conv_p):
    k = trans.shape[0]
    q = np.zeros((k + 1, k + 1))
    q[0, 1:] = 1 / k
    cont = 1 - conv_p - 0.3
    q[1:, 1:] = trans * cont[:, None]
    r = np.concatenate([[0.0], conv_p])

    def prob(removed=None):
        keep = [i for i in range(k + 1) if removed is None or i != removed + 1]
        n_mat = np.linalg.inv(np.eye(len(keep)) - q[np.ix_(keep, keep)])
        return n_mat[0] @ r[keep]

    base = prob()
    return np.array([1 - prob(c) / base for c in range(k)])


def test_error_to_true_removal_effects_shrinks_with_data():
    rng = np.random.default_rng(7)
    trans = np.array([[0.2, 0.5, 0.3], [0.4, 0.2, 0.4], [0.3, 0.3, 0.4]])
    conv_p = np.array([0.05, 0.2, 0.1])
    truth = true_effects(trans, conv_p)
    errors = []
    for n in (300, 3000, 30000):
        simulated, converted = chain_paths(rng, n, trans, conv_p)
        labels = [[str(x) for x in p] for p in simulated]
        paths = Paths.from_lists(labels, conversions=converted.astype(int).tolist(),
                                 nulls=(~converted).astype(int).tolist())
        got = Markov().fit(paths).removal_effects_.set_index("touchpoint")
        est = np.array([got.loc[str(c), "removal_effect"] for c in range(3)])
        errors.append(np.abs(est - truth).max())
    assert errors[2] < errors[0]
    assert errors[2] < 0.03


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4))
def test_properties(seed, order):
    paths, (_t, c, _n, _v, _) = make(seed, n=15, channels="abcd", max_len=4)
    m = Markov(order=order).fit(paths)
    credits = m.credits_.set_index("touchpoint")
    assert credits.conversions.sum() == pytest.approx(sum(c))
    # (no claim that a channel seen only on null paths gets 0: the chain pools transitions,
    # see test_channel_only_on_null_paths_can_get_credit)
    assert (credits.conversions >= -1e-12).all()


def test_channel_only_on_null_paths_can_get_credit():
    """a -> c converts, a -> b -> c does not: b's removal cuts a -> b -> c -> conversion
    in the pooled chain, so b gets credit although no converting path touched it."""
    paths = Paths.from_lists([["a", "c"], ["a", "b", "c"]], conversions=[1, 0], nulls=[0, 1])
    credits = Markov().fit(paths).credits_.set_index("touchpoint").conversions
    assert credits["b"] > 0
    assert credits.sum() == pytest.approx(1.0)


def test_symmetric_channels_get_equal_credit():
    paths = Paths.from_lists([["a", "x"], ["b", "x"], ["a"], ["b"], ["x"]],
                             conversions=[3, 3, 1, 1, 2], nulls=[1, 1, 4, 4, 5])
    for order in (1, 2):
        credits = Markov(order=order).fit(paths).credits_.set_index("touchpoint")
        assert credits.loc["a", "conversions"] == pytest.approx(credits.loc["b", "conversions"])
