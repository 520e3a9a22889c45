"""Feedback scores by touchpoint, phase, channel, device and week against a plain-Python reference
on random logs (stitched devices, equal timestamps), with and without a range or filter:
the scope keeps the answers, each stays about the touchpoint before it in the whole journey."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.analysis.reference import (
    BASE,
    Ev,
    random_rows,
    reference_journeys,
    reference_phase,
)

EVENTS = ("ad_click", "product_view", "checkout_payment", "login", "survey_answered")
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
BY = {"touchpoint": "event", "phase": "phase", "channel": "channel", "device": "device",
      "period": "week"}


def answers_log(seed: int) -> list[Ev]:
    rows = random_rows(seed, n=220, persons=12, events=EVENTS, minutes=60 * 24 * 6, ties=0.25)
    rng = random.Random(seed)
    for r in rows:
        if r.event == "survey_answered":
            r.properties = {"survey": rng.choice(["nps", " CSAT", "ces"]),
                            "score": rng.choice([0, 1, 3, 4, 5, 7, 9, 10, 12])}
    return rows


def load(project, rows: list[Ev], seed: int = 0) -> None:
    """Import ``rows``; about a third of each person's events come from an anonymous device
    that an ``identify`` at a random moment links to the person."""
    rng = random.Random(seed)
    frame = pd.DataFrame({
        "message_id": [r.message_id for r in rows], "type": "track",
        "event": [r.event for r in rows], "timestamp": [r.timestamp.isoformat() for r in rows],
        "channel": [r.channel for r in rows], "device": [r.device for r in rows],
        "properties": [json.dumps(r.properties or {}) for r in rows],
    })
    anonymous = [rng.random() < 0.35 for _ in rows]
    frame["anonymous_id"] = [f"{r.person}-anon" if a else None
                             for r, a in zip(rows, anonymous, strict=True)]
    frame["user_id"] = [None if a else r.person for r, a in zip(rows, anonymous, strict=True)]
    linked = sorted({f"{r.person}-anon" for r, a in zip(rows, anonymous, strict=True) if a})
    identify = pd.DataFrame({
        "message_id": [f"id-{a}" for a in linked], "type": "identify", "anonymous_id": linked,
        "user_id": [a.removesuffix("-anon") for a in linked],
        "timestamp": [(BASE + timedelta(minutes=rng.randint(0, 9000))).isoformat()
                      for _ in linked],
    })
    summary = project.import_events(pd.concat([frame, identify], ignore_index=True)
                                    .sample(frac=1, random_state=seed))
    assert summary.quarantined == 0, summary.errors


# -- the reference --------------------------------------------------------------------------
def reference_rows(rows: list[Ev], keep) -> list[dict]:
    """Each kept valid answer with what it is about in the whole journey."""
    out = []
    for events in reference_journeys(rows).values():
        for i, e in enumerate(events):
            if e.event != "survey_answered" or not keep(e):
                continue
            kind = e.properties["survey"].strip().lower()
            low, high = SCALES[kind]
            if not low <= e.properties["score"] <= high:
                continue
            before = [x for x in events[:i] if x.event != "survey_answered"]
            touch = before[-1] if before else None
            phased = [reference_phase(x.event) for x in before if reference_phase(x.event)]
            out.append({
                "kind": kind, "score": e.properties["score"],
                "event": touch.event if touch else None,
                "channel": touch.channel if touch else None,
                "device": touch.device if touch else None,
                "phase": phased[-1] if phased else None,
                "week": (e.timestamp.date() - timedelta(days=e.timestamp.weekday())).isoformat(),
            })
    return out


def reference_scores(answers: list[dict], column: str) -> dict:
    groups: dict = {}
    for a in answers:
        group = a[column] if a[column] is not None else "(none)"
        groups.setdefault((group, a["kind"]), []).append(a["score"])
    out = {}
    for key, scores in groups.items():
        n = len(scores)
        if key[1] == "nps":
            value = 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / n
        elif key[1] == "csat":
            value = 100 * sum(s >= 4 for s in scores) / n
        else:
            value = sum(scores) / n
        out[key] = (n, value)
    return out


# -- the check ------------------------------------------------------------------------------
ROWS = answers_log(3)
INSTANTS = sorted({r.timestamp for r in ROWS})


def scope_of(kind: str, i: int):
    """(scope parameters, the plain-Python test of an event in it): none, a range whose edge
    is an event's exact instant or its date, a filter that keeps only answers, a device."""
    t = INSTANTS[i % len(INSTANTS)]
    if kind == "since":
        return {"since": t.isoformat()}, lambda e: e.timestamp >= t
    if kind == "until":
        return {"until": t.date().isoformat()}, lambda e: e.timestamp.date() <= t.date()
    if kind == "answers":
        return ({"where": ["property:survey contains nps"]},
                lambda e: e.event == "survey_answered" and e.properties["survey"] == "nps")
    if kind == "device":
        return {"where": ["device=mobile"]}, lambda e: e.device == "mobile"
    return {}, lambda e: True


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with wegweiser.Project.init(tmp_path_factory.mktemp("fb") / "p") as project:
        load(project, ROWS, seed=3)
        yield project


@given(kind=st.sampled_from(["all", "since", "until", "answers", "device"]),
       i=st.integers(0, 10_000), by=st.sampled_from(sorted(BY)))
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_scores_match_the_reference_in_and_out_of_scope(shop, kind, i, by):
    scope, keep = scope_of(kind, i)
    expected = reference_scores(reference_rows(ROWS, keep), BY[by])
    got = shop.analyse("feedback_scores", {"by": by, "period": "week", **scope}).scores
    found = {(r.group, r.kind): (r.answers, r.value) for r in got.itertuples()}
    assert set(found) == set(expected), scope
    for key, (n, value) in expected.items():
        assert found[key][0] == n, (key, scope)
        assert found[key][1] == pytest.approx(value), (key, scope)


def test_an_answer_filtered_alone_or_just_after_since_keeps_its_touchpoint(project):
    """The minimal examples: with the answers alone in scope (a filter on their property, or
    a range starting between touchpoint and answer), every answer was scored under
    ``(none)`` (NPS 0 from one promoter and one detractor) instead of its touchpoint."""
    rows = [Ev("u1", "checkout_payment", BASE, "m1", channel="web"),
            Ev("u1", "survey_answered", BASE + timedelta(minutes=30), "m2", channel="email",
               properties={"survey": "nps", "score": 2}),
            Ev("u2", "product_view", BASE, "m3", channel="web"),
            Ev("u2", "survey_answered", BASE + timedelta(hours=25), "m4", channel="email",
               properties={"survey": "nps", "score": 10})]
    load(project, rows)
    expected = [["checkout_payment", 1, -100.0], ["product_view", 1, 100.0]]
    for scope in ({}, {"where": ["property:survey=nps"]}, {"where": ["channel=email"]},
                  {"since": (BASE + timedelta(minutes=10)).isoformat()}):
        got = project.analyse("feedback_scores", {"by": "touchpoint", **scope}).scores
        assert got[["group", "answers", "value"]].values.tolist() == expected, scope
    phases = project.analyse("feedback_scores", {"by": "phase", "where": ["property:survey=nps"]})
    assert phases.scores[["group", "value"]].values.tolist() == [
        ["Consideration", 100.0], ["Purchase", -100.0]]
