"""The journey-so-far features against plain Python, and the no-leakage rule."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.predict._features import FEATURES, features_at, labels_at
from wegweiser.analysis.result import to_frame

BASE = datetime(2026, 3, 1, tzinfo=UTC)
CUTOFF = BASE + timedelta(days=10)
PHASES = ["Awareness", "Consideration", "Purchase"]
EVENTS = ["view", "order_completed", "message_sent", "survey_answered"]

event_st = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),                     # person
    st.integers(0, 20 * 24 * 60),                              # minute after BASE
    st.sampled_from(EVENTS),
    st.sampled_from(["email", "direct", None]),                # channel
    st.integers(0, 3),                                         # session
    st.sampled_from([*PHASES, None]),
    st.sampled_from([None, 10.0, 25.5]),                       # revenue
    st.sampled_from([None, 1, 5]),                             # survey score
)


def _table(rows):
    return ibis.memtable(pd.DataFrame({
        "person_id": [r[0] for r in rows],
        "timestamp": pd.to_datetime([BASE + timedelta(minutes=r[1]) for r in rows], utc=True),
        "event": [r[2] for r in rows],
        "channel": [r[3] for r in rows],
        "session": pd.Series([r[4] for r in rows], dtype="int64"),
        "phase": [r[5] for r in rows],
        "is_conversion": [r[2] == "order_completed" for r in rows],
        "revenue": pd.Series([r[6] for r in rows], dtype="float64"),
        "properties": [json.dumps({"score": r[7]} if r[7] is not None else {}) for r in rows],
    }))


def _reference(rows, cutoff):
    out = {}
    for person in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == person and BASE + timedelta(minutes=r[1]) < cutoff]
        if not mine:
            continue
        ts = [BASE + timedelta(minutes=r[1]) for r in mine]
        scores = [r[7] for r in mine if r[2] == "survey_answered" and r[7] is not None]
        out[person] = {
            "recency_days": (cutoff - max(ts)).total_seconds() / 86400,
            "tenure_days": (cutoff - min(ts)).total_seconds() / 86400,
            "events": len(mine),
            "sessions": len({r[4] for r in mine}),
            "active_days": len({t.date() for t in ts}),
            "channels": len({r[3] for r in mine if r[3] is not None}),
            "events_30d": sum(t >= cutoff - timedelta(days=30) for t in ts),
            "events_7d": sum(t >= cutoff - timedelta(days=7) for t in ts),
            "phase_reached": max([PHASES.index(r[5]) + 1 for r in mine if r[5]], default=0),
            "phase_7d": max([PHASES.index(r[5]) + 1 for r, t in zip(mine, ts, strict=True)
                             if r[5] and t >= cutoff - timedelta(days=7)], default=0),
            "orders": sum(r[2] == "order_completed" for r in mine),
            "revenue": sum(r[6] or 0.0 for r in mine),
            "messages": sum(r[2].startswith("message_") for r in mine),
            "feedback": sum(r[2] == "survey_answered" for r in mine),
            "feedback_score": sum(scores) / len(scores) if scores else math.nan,
        }
    return out


def _frame(rows, cutoff):
    got = to_frame(features_at(_table(rows), cutoff, phases=PHASES))
    return {r["person_id"]: {k: r[k] for k in FEATURES} for r in got.to_dict("records")}


def _same(a, b):
    assert a.keys() == b.keys()
    for person in a:
        for k in FEATURES:
            x, y = a[person][k], b[person][k]
            assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-9), (
                person, k, x, y)


@settings(max_examples=15, deadline=None)
@given(rows=st.lists(event_st, min_size=1, max_size=40))
def test_features_match_plain_python(rows):
    _same(_frame(rows, CUTOFF), _reference(rows, CUTOFF))


@settings(max_examples=15, deadline=None)
@given(rows=st.lists(event_st, min_size=1, max_size=30),
       later=st.lists(event_st, min_size=1, max_size=15))
def test_events_after_the_cutoff_change_no_feature(rows, later):
    """No leakage: adding, moving or changing events at or after the cutoff changes nothing."""
    cutoff_min = 10 * 24 * 60
    early = [r for r in rows if r[1] < cutoff_min]
    late = [(r[0], cutoff_min + r[1] % (5 * 24 * 60), *r[2:]) for r in later]
    perturbed = [r for r in rows if r[1] >= cutoff_min][::-1]
    perturbed = [(r[0], r[1] + 7, "order_completed", *r[3:]) for r in perturbed]
    if not early:
        return
    _same(_frame(early + late + perturbed, CUTOFF), _frame(early, CUTOFF))


def test_labels_read_only_the_window():
    rows = [("a", 0, "view", None, 0, None, None, None),
            ("a", 10 * 24 * 60 + 5, "order_completed", None, 1, None, None, None),
            ("b", 0, "view", None, 0, None, None, None),
            ("b", 30 * 24 * 60, "order_completed", None, 1, None, None, None),  # after window
            ("c", 9 * 24 * 60, "view", None, 0, None, None, None),
            ("c", 10 * 24 * 60 + 60, "view", None, 1, None, None, None)]
    t = _table(rows)
    feats = features_at(t, CUTOFF, phases=PHASES)
    got = to_frame(labels_at(t, CUTOFF, 7, feats)).sort_values("person_id")
    assert got[["person_id", "converted", "churned"]].values.tolist() == [
        ["a", 1, 0], ["b", 0, 1], ["c", 0, 0]]
