"""Stickiness against a plain-Python reference on random logs, and through every face."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.stickiness import stickiness
from wegweiser.errors import InvalidInput

EPOCH = date(1970, 1, 1)
START = datetime(2026, 2, 20, tzinfo=UTC)


def _period(day: date, period: str) -> tuple[date, date]:
    """First and last day of the calendar week (Monday) or month holding ``day``."""
    if period == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def reference(rows: list[tuple[str, str, datetime]], period: str, events: set[str] | None):
    all_days = [ts.date() for _, _, ts in rows]
    first, last = min(all_days), max(all_days)
    active: dict[tuple[str, date], set[date]] = {}
    for person, event, ts in rows:
        if events is None or event in events:
            start, _ = _period(ts.date(), period)
            active.setdefault((person, start), set()).add(ts.date())
    complete = {key for key in active
                if key[1] >= first and _period(key[1], period)[1] <= last}
    counted = complete or set(active)
    return Counter(len(active[key]) for key in counted)


rows_strategy = st.lists(
    st.tuples(st.sampled_from(["p1", "p2", "p3", "p4"]), st.sampled_from(["view", "buy"]),
              st.integers(0, 24 * 75).map(lambda h: START + timedelta(hours=h))),
    min_size=1, max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(rows=rows_strategy, period=st.sampled_from(["week", "month"]),
       only_buy=st.booleans())
def test_matches_the_reference(rows, period, only_buy):
    events = {"buy"} if only_buy else None
    if events and not any(e == "buy" for _, e, _ in rows):
        return  # an unknown event name is an error (tested below)
    journey = ibis.memtable({"person_id": [r[0] for r in rows], "event": [r[1] for r in rows],
                             "timestamp": [r[2] for r in rows]})
    result = stickiness(journey, period=period, events=sorted(events) if events else None)
    expected = reference(rows, period, events)
    got = {int(d): int(n) for d, n in zip(result.distribution["days"],
                                          result.distribution["persons"], strict=True) if n}
    assert got == dict(expected)
    total = sum(expected.values())
    assert result.summary["person_periods"].iloc[0] == total
    mean = sum(d * n for d, n in expected.items()) / total
    assert result.summary["mean_days"].iloc[0] == pytest.approx(mean)
    assert result.distribution["cumulative_share"].iloc[0] == pytest.approx(1.0)


def test_partial_periods_are_flagged_and_left_out():
    # Wed 4 Nov .. Mon 16 Nov 2026: only the week of 9 Nov is complete
    days = [4, 5, 9, 10, 11, 16]
    journey = ibis.memtable({"person_id": ["a"] * len(days), "event": ["x"] * len(days),
                             "timestamp": [datetime(2026, 11, d, 9, tzinfo=UTC) for d in days]})
    result = stickiness(journey)
    assert result.by_period["complete"].tolist() == [False, True, False]
    assert result.by_period["persons"].tolist() == [1, 1, 1]
    assert result.summary["person_periods"].iloc[0] == 1
    assert result.summary["mean_days"].iloc[0] == 3
    assert result.note == ""


def test_unknown_events_and_periods_are_refused():
    journey = ibis.memtable({"person_id": ["a"], "event": ["order_completed"],
                             "timestamp": [START]})
    with pytest.raises(InvalidInput, match="Did you mean 'order_completed'"):
        stickiness(journey, events=["order_complete"])
    with pytest.raises(InvalidInput, match="period"):
        stickiness(journey, period="day")


@pytest.mark.slow
def test_from_the_command_line(tmp_path):
    from tests.analysis.reference import frame_of, random_rows
    from wegweiser import Project

    with Project.init(tmp_path / "p") as project:
        project.import_events(frame_of(random_rows(3, n=200, minutes=60 * 24 * 40)))
        expected = project.analyse("stickiness").distribution
    run = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "stickiness", "-p", str(tmp_path / "p"),
         "--format", "json"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert [r["persons"] for r in json.loads(run.stdout)] == expected["persons"].tolist()


def test_a_period_the_data_ends_on_is_complete():
    # Monday 9 Nov to Sunday 15 Nov 2026: one complete week, edges included
    journey = ibis.memtable({"person_id": ["a", "a", "b"], "event": ["x"] * 3, "timestamp": [
        datetime(2026, 11, 9, 0, tzinfo=UTC), datetime(2026, 11, 15, 23, 59, tzinfo=UTC),
        datetime(2026, 11, 12, 9, tzinfo=UTC)]})
    result = stickiness(journey)
    assert result.by_period["complete"].tolist() == [True]
    assert result.note == ""
    assert result.distribution.set_index("days")["persons"].loc[[1, 2]].tolist() == [1, 1]
