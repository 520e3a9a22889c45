"""A fix's scope and comparison group: disjointness decided from the definitions alone."""

from __future__ import annotations

import pytest

from wegweiser.analysis import filters
from wegweiser.analysis._fix_scope import NEGATE, complement, disjoint, overlap, scope_of

P = filters.parse


@pytest.mark.parametrize(("a", "b", "apart"), [
    ("device=mobile", "device!=mobile", True),
    ("device=mobile", "device=tablet", True),
    ("device=mobile", "device in tablet,desktop", True),
    ("device=mobile", "device in mobile,desktop", False),
    ("device=mobile", "device not in mobile,tv", True),
    ("device in mobile,tv", "device!=mobile", False),
    ("device in mobile", "device!=mobile", True),
    ("device=mobile", "device is not set", True),
    ("device is set", "device is not set", True),
    ("device!=mobile", "device!=tablet", False),  # both admit desktop
    ("device=mobile", "channel=email", False),  # other fields: unsure
    ("property:plan=pro", "property:plan=team", True),
    ("property:plan=pro", "property:tier=team", False),  # other keys
    ("revenue>10", "revenue<=10", True),
    ("revenue>=10", "revenue<10", True),
    ("revenue>=10", "revenue<=10", False),  # 10 is in both
    ("revenue>10", "revenue<=20", False),
    ("country contains D", "country not contains D", True),
    ("country contains D", "country contains E", False),
])
def test_disjoint(a, b, apart):
    assert disjoint(P(a), P(b)) is apart
    assert disjoint(P(b), P(a)) is apart  # symmetric


@pytest.mark.parametrize("text", ["channel=email", "channel!=email", "channel in a,b",
                                  "channel not in a,b", "channel contains x",
                                  "channel not contains x", "revenue>3", "revenue>=3",
                                  "revenue<3", "revenue<=3", "channel is set",
                                  "channel is not set"])
def test_every_condition_is_disjoint_from_its_negation(text):
    c = P(text)
    assert disjoint(c, c.model_copy(update={"op": NEGATE[c.op]}))


def test_every_operator_has_its_negation():
    assert set(NEGATE) == set(filters.OPERATORS)
    assert all(NEGATE[NEGATE[op]] == op for op in NEGATE)


def test_the_default_comparison_group_negates_every_scope_condition():
    where = filters.parse_many(["event=pay", "device=mobile", "country in DE,AT"])
    assert [filters.describe(c) for c in scope_of(where)] == ["device=mobile",
                                                             "country in DE,AT"]
    got = complement(where)
    assert [filters.describe(c) for c in got] == ["event=pay", "device!=mobile",
                                                  "country not in DE,AT"]
    assert overlap(scope_of(where), got) is None
    assert complement(filters.parse_many(["event=pay"])) == []


def test_overlap_names_the_groups_and_suggests_the_negation():
    scope = [P("platform=ios")]
    said = overlap(scope, filters.parse_many(["event=pay", "country=DE"]))
    assert said is not None
    assert "(event=pay; country=DE) can overlap the fix's scope (platform=ios)" in said
    assert "'platform!=ios'" in said
    assert overlap(scope, []) is None  # no group given: the default is used
    assert "has no scope" in (overlap([], [P("device=tablet")]) or "")
