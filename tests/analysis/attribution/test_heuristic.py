"""Rule-based models against plain-Python rules on random path tables."""

from __future__ import annotations

import pytest

from tests.analysis.attribution._ref import make, rule_credits
from wegweiser.analysis.attribution import (
    CustomWeights,
    FirstTouch,
    InverseJ,
    JCurve,
    LastNonDirect,
    LastTouch,
    Linear,
    Paths,
    PositionBased,
    TimeDecay,
)
from wegweiser.errors import InvalidInput


def positional(first, last):
    def rule(_i, path):
        n = len(path)
        if n == 1:
            return [1.0]
        if n == 2:
            return [first, last]
        mid = (1 - first - last) / (n - 2)
        return [first] + [mid] * (n - 2) + [last]
    return rule


def last_non_direct(_i, path):
    idx = [k for k, ch in enumerate(path) if ch != "a"]
    pick = idx[-1] if idx else len(path) - 1
    return [1.0 if k == pick else 0.0 for k in range(len(path))]


CASES = [
    (FirstTouch(), lambda i, p: [1.0] + [0.0] * (len(p) - 1)),
    (LastTouch(), lambda i, p: [0.0] * (len(p) - 1) + [1.0]),
    (LastNonDirect(direct=("a",)), last_non_direct),
    (Linear(), lambda i, p: [1.0] * len(p)),
    (PositionBased(), positional(0.4, 0.4)),
    (PositionBased(first=0.1, last=0.5), positional(0.1, 0.5)),
    (JCurve(), positional(0.2, 0.6)),
    (InverseJ(), positional(0.6, 0.2)),
    (TimeDecay(half_life=2.0),
     lambda i, p: [2 ** (-(len(p) - 1 - k) / 2.0) for k in range(len(p))]),
    (CustomWeights(weights=(3.0, 1.0, 0.5)),
     lambda i, p: [[3.0, 1.0, 0.5][min(len(p) - 1 - k, 2)] for k in range(len(p))]),
    (CustomWeights(weights=(0.0, 1.0), align="start"),
     lambda i, p: [[0.0, 1.0][min(k, 1)] for k in range(len(p))]),
]


@pytest.mark.parametrize(("model", "rule"), CASES, ids=lambda x: getattr(x, "name", ""))
@pytest.mark.parametrize("seed", range(3))
def test_rule_matches_reference(model, rule, seed):
    paths, (t, c, _n, v, _lag) = make(seed)
    credits = model.fit(paths).credits_.set_index("touchpoint")
    expected = rule_credits(t, c, v, rule)
    for ch, (conv, val) in expected.items():
        assert credits.loc[ch, "conversions"] == pytest.approx(conv)
        assert credits.loc[ch, "revenue"] == pytest.approx(val)
    assert credits.conversions.sum() == pytest.approx(sum(c))


def test_time_decay_uses_day_lags():
    paths, (t, c, _n, v, lag) = make(5, lags=True)
    credits = TimeDecay(half_life=7).fit(paths).credits_.set_index("touchpoint")
    expected = rule_credits(t, c, v, lambda i, p: [2 ** (-x / 7) for x in lag[i]])
    for ch, (conv, _val) in expected.items():
        assert credits.loc[ch, "conversions"] == pytest.approx(conv)


def test_hand_example_and_bad_parameters():
    paths = Paths.from_lists([["search", "email", "direct"]], conversions=[10], value=[100.0])
    got = LastNonDirect().fit(paths).credits_.set_index("touchpoint")
    assert got.loc["email", "conversions"] == 10
    assert got.loc["email", "revenue"] == 100
    with pytest.raises(InvalidInput, match="first, last"):
        PositionBased(first=0.8, last=0.4).fit(paths)
    with pytest.raises(InvalidInput, match="half_life"):
        TimeDecay(half_life=0).fit(paths)
    with pytest.raises(InvalidInput, match="custom weights"):
        CustomWeights(weights=(-1.0,)).fit(paths)
