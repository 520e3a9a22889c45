"""The per-customer purchase summary on the engine against a plain-Python count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.predict._purchases import purchase_summary

START = datetime(2026, 1, 1, tzinfo=UTC)
DAY0 = (START.date() - datetime(1970, 1, 1).date()).days

events = st.lists(st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),          # person
    st.integers(0, 40), st.integers(0, 86399),      # day, second of the day
    st.one_of(st.none(), st.floats(0.5, 500.0)),    # revenue
    st.booleans(),                                  # a purchase?
), min_size=1, max_size=40)


def _reference(rows, end, last, scale):
    by: dict[str, dict[int, float]] = {}
    for person, day, _, revenue, buy in rows:
        if buy:
            days = by.setdefault(person, {})
            days[day] = days.get(day, 0.0) + (revenue or 0.0)
    out = []
    for person, days in sorted(by.items()):
        first = min(days)
        if first > end:
            continue
        cal = sorted(d for d in days if d <= end)
        x = len(cal) - 1
        out.append({
            "person_id": person, "frequency": x, "recency": (cal[-1] - first) / scale,
            "T": (end - first) / scale,
            "monetary_value": sum(days[d] for d in cal[1:]) / x if x else 0.0,
            "purchase_value": sum(days[d] for d in cal) / (x + 1),
            "holdout_frequency": sum(1 for d in days if end < d <= last),
        })
    return pd.DataFrame(out, columns=["person_id", "frequency", "recency", "T",
                                      "monetary_value", "purchase_value",
                                      "holdout_frequency"])


@settings(max_examples=25, deadline=None)
@given(rows=events, end=st.integers(0, 40), unit=st.sampled_from(["day", "week"]))
def test_matches_a_plain_count(rows, end, unit):
    table = ibis.memtable({
        "person_id": [r[0] for r in rows],
        "timestamp": [START + timedelta(days=r[1], seconds=r[2]) for r in rows],
        "revenue": pd.Series([r[3] for r in rows], dtype="float64"),
        "is_conversion": [r[4] for r in rows],
    })
    last = max(r[1] for r in rows)
    got = purchase_summary(table, calibration_end=DAY0 + end, holdout_end=DAY0 + last,
                           unit=unit)
    expected = _reference(rows, end, last, 7.0 if unit == "week" else 1.0)
    assert got["person_id"].tolist() == expected["person_id"].tolist()
    for column in ("frequency", "holdout_frequency"):
        assert got[column].tolist() == expected[column].tolist()
    for column in ("recency", "T", "monetary_value", "purchase_value"):
        assert got[column].tolist() == pytest.approx(expected[column].tolist())
