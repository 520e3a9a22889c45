"""Funnel attempts (``entry="any"`` and ``"first"``) against the plain-Python reference of
test_funnels, with hypothesis: small logs with repeated step-1 events, equal timestamps,
exclusions, step windows, sessions and breakdowns, as an in-memory journey table."""

from __future__ import annotations

import json
from datetime import timedelta

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analysis.reference import BASE, Ev, reference_journeys
from tests.analysis.test_funnels import check

STEPS = ["a", "b", "c"]


def journey_of(rows: list[Ev]) -> ibis.Table:
    """The journey table the store would materialise (order, seq, sessions of the docs)."""
    events = [e for evs in reference_journeys(rows).values() for e in evs]
    frame = pd.DataFrame({
        "person_id": [e.person for e in events],
        "session_id": [f"{e.person}:{e.session}" for e in events],
        "seq": pd.Series([e.seq for e in events], dtype="int64"),
        "timestamp": pd.Series([e.timestamp for e in events], dtype="datetime64[us, UTC]"),
        "event": [e.event for e in events],
        "properties": [json.dumps(e.properties or {}) for e in events],
        "device": [e.device for e in events],
        "channel": [e.channel for e in events],
    })
    return ibis.memtable(frame)


@st.composite
def logs(draw):
    n = draw(st.integers(1, 14))
    rows = []
    for i in range(n):
        rows.append(Ev(
            person=draw(st.sampled_from(["p1", "p2", "p3"])),
            event=draw(st.sampled_from(["a", "a", "b", "c", "x"])),
            timestamp=BASE + timedelta(minutes=draw(st.sampled_from([0, 5, 20, 45, 50, 90,
                                                                     200, 600]))),
            message_id=f"m{i:03d}", device=draw(st.sampled_from(["mobile", "desktop"])),
            channel=draw(st.sampled_from(["email", "direct"])),
            properties={"plan": draw(st.sampled_from(["basic", "pro"]))},
        ))
    for name in STEPS:  # every step name occurs (unknown names are an error)
        rows.append(Ev(person="p9", event=name, timestamp=BASE, message_id=f"z{name}"))
    return rows


options = st.fixed_dictionaries({
    "mode": st.sampled_from(["ordered", "strict", "unordered"]),
    "window": st.sampled_from([timedelta(minutes=30), timedelta(hours=2), timedelta(days=1)]),
    "entry": st.sampled_from(["any", "first"]),
    "by": st.sampled_from(["person", "person", "session"]),
}, optional={
    "exclude": st.just(["x"]),
    "breakdown": st.sampled_from(["device", "property:plan"]),
    "attribution": st.sampled_from(["first_touch", "last_touch", "step:2"]),
    "step_windows": st.just([None, timedelta(minutes=20), None]),
})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=logs(), opts=options)
def test_funnel_matches_reference(rows, opts):
    if opts["mode"] == "unordered":
        opts.pop("step_windows", None)
    if "x" not in {r.event for r in rows}:
        opts.pop("exclude", None)
    check(journey_of(rows), rows, STEPS, **opts)
