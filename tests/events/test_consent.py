"""Consent categories from events: Segment's ``context.consent.categoryPreferences`` and the
consent trait, latest statement wins per category; and the channel rule (withdrawal wins,
no information is no consent) against an independent reading of the rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.events.consent import channel_allowed, flag, fold, preferences

CATEGORIES = ["Marketing", "Analytics", "Functional", "Advertising"]
values = st.sampled_from([True, False, "true", "no", "yes", "0", None, "maybe", 1])
statement = st.dictionaries(st.sampled_from(CATEGORIES), values, max_size=3)
event = st.tuples(st.integers(0, 50), st.booleans(), statement)  # (time, via trait?, stated)


def _oracle_state(events: list[tuple[int, bool, dict[str, object]]]) -> dict[str, bool]:
    """Per category the value of the latest event (by time, then order) that states it."""
    latest: dict[str, tuple[int, int, bool]] = {}
    for order, (at, _, stated) in enumerate(events):
        for category, raw in stated.items():
            value = {True: True, False: False, "true": True, "yes": True, "no": False,
                     "0": False}.get(raw) if not isinstance(raw, int) or isinstance(raw, bool) \
                else None
            if value is None:
                continue
            if category not in latest or (at, order) >= latest[category][:2]:
                latest[category] = (at, order, value)
    return {c: v for c, (_, _, v) in latest.items()}


@settings(max_examples=150, deadline=None)
@given(st.lists(event, max_size=8))
def test_latest_statement_wins_per_category(events):
    ordered = sorted(enumerate(events), key=lambda item: (item[1][0], item[0]))
    stated = [
        preferences({}, {"consent": s}) if via_trait
        else preferences({"consent": {"categoryPreferences": s}})
        for _, (_, via_trait, s) in ordered
    ]
    assert fold(stated) == _oracle_state(events)


def test_events_without_consent_change_nothing():
    assert preferences({"page": {"url": "x"}}) == {}
    assert preferences({"consent": {}}) == {}
    assert preferences({"consent": {"categoryPreferences": {}}}) == {}
    assert preferences(None, {"email": "a@b"}) == {}
    assert fold([{"Marketing": True}, {}, preferences({"consent": {}})]) == {"Marketing": True}
    # the context counts after the trait within one identify event
    both = preferences({"consent": {"categoryPreferences": {"Marketing": False}}},
                       {"consent": {"Marketing": True}})
    assert both == {"Marketing": False}


@settings(max_examples=300, deadline=None)
@given(consent=st.dictionaries(st.sampled_from(CATEGORIES), st.booleans()),
       trait=st.sampled_from([True, False, "yes", "no", None, "", 1]),
       has_trait=st.booleans(),
       needed=st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True))
def test_channel_rule(consent, trait, has_trait, needed):
    allowed = channel_allowed(consent, trait, needed, has_trait=has_trait)
    trait_says = flag(trait) if has_trait else None
    if not has_trait and not needed:
        assert allowed  # a channel nobody governs (a webhook to your own system)
        return
    if trait_says is False or any(consent.get(c) is False for c in needed):
        assert not allowed  # an explicit withdrawal always wins
        return
    granted = trait_says is True or (needed and all(consent.get(c) is True for c in needed))
    assert allowed == bool(granted)
    if allowed:  # never without a grant
        assert trait_says is True or all(consent.get(c) for c in needed)
