"""Unknown event names say so ("Did you mean …?") instead of giving a table of zeros."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.analysis.reference import BASE, Ev, load
from wegweiser.analysis._names import conversion_hint
from wegweiser.analysis.conversion import conversion
from wegweiser.analysis.funnels import FunnelStep, dropped_off, funnel
from wegweiser.analysis.paths import match_pattern, sankey, step_matrix, top_paths
from wegweiser.analysis.retention import retention
from wegweiser.errors import InvalidInput

NAMES = ("product_viewed", "add_to_cart", "checkout_started", "order_completed")


@pytest.fixture
def journey(project):
    rows = [Ev(person=f"p{i % 3}", event=NAMES[i % 4], message_id=f"m{i:03d}",
               timestamp=BASE + timedelta(minutes=7 * i)) for i in range(24)]
    return load(project, rows)


CASES = [
    (lambda j: funnel(j, ["product_viewed", "add_to_crt"]), "funnel step 2",
     "add_to_cart"),
    (lambda j: funnel(j, [FunnelStep("product_view"), "add_to_cart"]), "funnel step 1",
     "product_viewed"),
    (lambda j: funnel(j, ["product_viewed", "add_to_cart"], exclude=["order_complete"]),
     "funnel exclusion", "order_completed"),
    (lambda j: dropped_off(j, ["product_viewed", "order_complted"], step=2), "funnel step 2",
     "order_completed"),
    (lambda j: top_paths(j, start="checkout_start"), "paths start", "checkout_started"),
    (lambda j: top_paths(j, end="order_complete"), "paths end", "order_completed"),
    (lambda j: sankey(j, start="product_view"), "paths start", "product_viewed"),
    (lambda j: step_matrix(j, start="checkout_strated"), "paths start", "checkout_started"),
    (lambda j: match_pattern(j, "add_to_cart -> * -> order_complete"), "paths pattern",
     "order_completed"),
    (lambda j: conversion(j, events=["order_complete"]), "conversion event",
     "order_completed"),
    (lambda j: retention(j, return_event="order_complete"), "retention return event",
     "order_completed"),
]


@pytest.mark.parametrize(("call", "where", "suggestion"), CASES,
                         ids=[c[1] + str(i) for i, c in enumerate(CASES)])
def test_unknown_names_suggest_the_closest(journey, call, where, suggestion):
    with pytest.raises(InvalidInput, match=rf"\({where}\)\. Did you mean '{suggestion}'"):
        call(journey)


def test_no_close_name_lists_the_names_present(journey):
    with pytest.raises(InvalidInput, match="Event names in the data: add_to_cart, checkout_"):
        funnel(journey, ["product_viewed", "zzz"])


def test_globs_regexes_and_group_names_count_as_present(journey):
    assert len(top_paths(journey, start="checkout_*", end="re:^order_").paths)
    assert len(top_paths(journey, start="shopping", groups={"*_cart": "shopping"}).paths)
    with pytest.raises(InvalidInput, match="no event named 'basket_\\*'"):
        top_paths(journey, start="basket_*")
    # a name under [^...] may be absent: there is nothing to avoid
    assert match_pattern(journey, "add_to_cart -> [^refund]* -> order_completed").summary[
        "matching"].iloc[0] > 0


def test_an_empty_journey_is_not_checked(project):
    journey = project.journey()
    assert funnel(journey, ["a", "b"]).steps["units"].tolist() == [0, 0]
    assert top_paths(journey, start="a").paths.empty


@pytest.mark.parametrize(("present", "wanted", "hint"), [
    # CDNOW imported with event='purchase', retentioneering's ecom: the word of buying
    (["home", "purchase"], ["order_completed", "store_purchase"], '["purchase"]'),
    # a Segment export: the spec's name, equal up to case and spaces, is the one named
    (["Order Completed", "Checkout Started"], ["order_completed"], '["Order Completed"]'),
    # a German export
    (["Produkt angesehen", "Bestellung abgeschlossen"], ["order_completed"],
     '["Bestellung abgeschlossen"]'),
    (["page_view", "signup"], ["order_completed"], "to the events that count as a conversion"),
    (["page_view"], [], "(none set)"),
])
def test_conversion_hint_names_the_setting_and_the_look_alikes(present, wanted, hint):
    text = conversion_hint(present, wanted)
    assert text.startswith("none of the conversion events (")
    assert "conversions, revenue and attribution are 0" in text
    assert "conversion_events in wegweiser.toml" in text
    assert hint in text


def test_conversion_hint_is_empty_when_a_conversion_occurs_or_nothing_is_there():
    assert conversion_hint(["purchase", "home"], ["order_completed", "purchase"]) == ""
    assert conversion_hint([], ["order_completed"]) == ""
