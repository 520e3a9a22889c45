"""Trends against a plain-pandas reference on random logs, period edges in UTC, DAU/WAU/MAU
by brute force, the breakdown, annotations and the faces."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.annotations import Annotation
from wegweiser.analysis.trends import MAX_GROUPS, OTHER, trends
from wegweiser.errors import InvalidInput

START = datetime(2026, 1, 25, 20, tzinfo=UTC)


def _journey(rows: list[tuple[str, str, datetime, float | None, str | None]]):
    return ibis.memtable(pd.DataFrame({
        "person_id": [r[0] for r in rows], "event": [r[1] for r in rows],
        "timestamp": pd.to_datetime([r[2] for r in rows], utc=True),
        "is_conversion": [r[1] == "buy" for r in rows],
        "revenue": pd.Series([r[3] for r in rows], dtype="float64"),
        "channel": pd.Series([r[4] for r in rows], dtype="object"),
    }))


def _start(day: date, period: str) -> date:
    """The first day of the UTC day, Monday-week or month holding ``day``."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def reference(rows, period: str, events: set[str] | None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["person", "event", "ts", "revenue", "channel"])
    if events:
        frame = frame[frame["event"].isin(events)]
    frame["start"] = [_start(ts.astimezone(UTC).date(), period) for ts in frame["ts"]]
    conv = frame["event"] == "buy"
    out = frame.groupby("start").agg(events=("event", "size"), persons=("person", "nunique"))
    out["conversions"] = conv.groupby(frame["start"]).sum()
    out["converters"] = frame[conv].groupby("start")["person"].nunique()
    out["revenue"] = frame["revenue"].where(conv).groupby(frame["start"]).sum()
    return out.fillna(0)


def reference_active(rows, day: date) -> tuple[int, int, int]:
    def active(width: int) -> int:
        return len({p for p, _, ts, _, _ in rows
                    if day - timedelta(days=width - 1) <= ts.astimezone(UTC).date() <= day})
    return active(1), active(7), active(30)


rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2", "p3", "p4", "p5"]), st.sampled_from(["view", "buy"]),
        # minutes: many land on or next to a UTC midnight (the edges of every period)
        st.integers(0, 60 * 24 * 80).map(lambda m: START + timedelta(minutes=m)),
        st.sampled_from([None, 5.0, 12.5]), st.sampled_from(["email", "ads", None])),
    min_size=1, max_size=50,
)


@settings(max_examples=20, deadline=None)
@given(rows=rows_strategy, period=st.sampled_from(["day", "week", "month"]),
       only_buy=st.booleans())
def test_counts_and_unique_persons_match_the_reference(rows, period, only_buy):
    events = {"buy"} if only_buy else None
    if events and not any(r[1] == "buy" for r in rows):
        return  # an unknown event name is an error (tested below)
    result = trends(_journey(rows), period=period, events=sorted(events) if events else None)
    series = result.series.set_index("period_start")
    expected = reference(rows, period, events)
    assert set(expected.index) <= set(series.index)
    for column in ("events", "persons", "conversions", "converters"):
        got = series[column].reindex(expected.index)
        assert got.tolist() == expected[column].astype(int).tolist(), column
    assert series["revenue"].reindex(expected.index).tolist() == pytest.approx(
        expected["revenue"].tolist())
    # every other period in between is there, with zeros
    assert series["events"].sum() == sum(1 for r in rows if not events or r[1] in events)
    assert list(series.index) == sorted(series.index)
    totals = result.totals.iloc[0]
    kept = [r for r in rows if not events or r[1] in events]
    assert totals["persons"] == len({r[0] for r in kept})
    assert totals["events"] == len(kept)


@settings(max_examples=12, deadline=None)
@given(rows=rows_strategy)
def test_dau_wau_mau_match_a_brute_force_count(rows):
    active = trends(_journey(rows)).active
    for row in active.itertuples():
        assert (row.dau, row.wau, row.mau) == reference_active(rows, row.day)
        assert row.stickiness == pytest.approx(row.dau / row.mau) if row.mau else True
    days = sorted({ts.astimezone(UTC).date() for _, _, ts, _, _ in rows})
    assert active["day"].tolist() == [days[0] + timedelta(days=i)
                                      for i in range((days[-1] - days[0]).days + 1)]


def test_days_are_utc_days_and_edges_are_exact():
    # 23:59:59 UTC is still the 5th; 00:00 UTC is the 6th, whatever the zone of the input
    cet = datetime(2026, 10, 6, 1, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Berlin"))  # 03:00 local, 01:00 UTC
    rows = [("a", "view", datetime(2026, 10, 5, 23, 59, 59, tzinfo=UTC), None, None),
            ("b", "view", datetime(2026, 10, 6, 0, 0, tzinfo=UTC), None, None),
            ("c", "view", cet, None, None)]
    series = trends(_journey(rows), period="day").series
    assert series["period_start"].tolist() == [date(2026, 10, 5), date(2026, 10, 6)]
    assert series["persons"].tolist() == [1, 2]
    # Sunday 11 Oct 23:59 is in the week of Monday 5 Oct; Monday 12 Oct 00:00 is not
    rows = [("a", "view", datetime(2026, 10, 11, 23, 59, tzinfo=UTC), None, None),
            ("a", "view", datetime(2026, 10, 12, 0, 0, tzinfo=UTC), None, None)]
    weeks = trends(_journey(rows), period="week").series
    assert weeks["period_start"].tolist() == [date(2026, 10, 5), date(2026, 10, 12)]
    assert weeks["events"].tolist() == [1, 1]
    assert weeks["complete"].tolist() == [False, False]


def test_months_and_completeness():
    rows = [("a", "view", datetime(2026, 9, 30, 12, tzinfo=UTC), None, None),
            ("a", "view", datetime(2026, 10, 1, 0, 0, tzinfo=UTC), None, None),
            ("b", "view", datetime(2026, 12, 31, 23, 59, tzinfo=UTC), None, None)]
    series = trends(_journey(rows), period="month").series
    assert series["period_start"].tolist() == [date(2026, 9, 1), date(2026, 10, 1),
                                               date(2026, 11, 1), date(2026, 12, 1)]
    assert series["events"].tolist() == [1, 1, 0, 1]
    assert series["complete"].tolist() == [False, True, True, True]


def test_breakdown_keeps_the_largest_groups_and_lumps_the_rest():
    base = datetime(2026, 10, 5, 9, tzinfo=UTC)
    rows = [(f"p{i}", "view", base, None, f"ch{i:02d}") for i in range(MAX_GROUPS + 3)]
    rows += [("p0", "view", base, None, "ch00"), ("x", "view", base, None, None)]
    result = trends(_journey(rows), by="channel")
    frame = result.breakdown
    assert frame is not None
    groups = frame["group"].tolist()
    assert groups[0] == "ch00"
    assert OTHER in groups
    assert len(groups) == MAX_GROUPS + 1
    assert frame["events"].sum() == len(rows)
    assert frame.set_index("group").loc["ch00", "events"] == 2
    assert frame["persons"].sum() >= result.series["persons"].sum()


def test_annotations_inside_the_periods_are_kept():
    rows = [("a", "view", datetime(2026, 10, 5, 9, tzinfo=UTC), None, None),
            ("a", "view", datetime(2026, 10, 20, 9, tzinfo=UTC), None, None)]
    marks = [Annotation(date="2026-10-07", text="Launch", kind="campaign"),
             Annotation(date="2026-11-07", text="Later")]
    result = trends(_journey(rows), annotations=marks)
    assert result.annotations[["date", "text"]].values.tolist() == [[date(2026, 10, 7),
                                                                    "Launch"]]


def test_bad_options_are_refused():
    rows = [("a", "order_completed", START, None, None)]
    with pytest.raises(InvalidInput, match="Did you mean 'order_completed'"):
        trends(_journey(rows), events=["order_complete"])
    with pytest.raises(InvalidInput, match="period"):
        trends(_journey(rows), period="year")
    with pytest.raises(InvalidInput, match="by must be"):
        trends(_journey(rows), by="colour")


def test_an_empty_journey_gives_empty_tables():
    empty = _journey([("a", "view", START, None, None)]).limit(0)
    result = trends(empty, by="channel")
    assert result.series.empty
    assert result.active.empty
    assert result.totals["events"][0] == 0


@pytest.mark.slow
def test_the_project_method_scope_and_command_line(tmp_path):
    from tests.analysis.reference import frame_of, random_rows
    from wegweiser import Project

    with Project.init(tmp_path / "p") as project:
        project.import_events(frame_of(random_rows(3, n=200, minutes=60 * 24 * 40)))
        project.add_annotation(Annotation(date="2026-03-10", text="Launch"))
        whole = project.analyse("trends", period="week")
        scoped = project.analyse("trends", period="week", since="2026-03-09",
                                 until="2026-03-22", compare_previous=True)
    assert whole.annotations["text"].tolist() == ["Launch"]
    series = scoped.tables()["series"]
    assert series["period_start"].tolist() == [date(2026, 3, 9), date(2026, 3, 16)]
    comparison = scoped.tables()["comparison"].set_index("metric")
    assert comparison.loc["events", "current"] == series["events"].sum()
    run = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "trends", "-p", str(tmp_path / "p"),
         "--period", "week", "--format", "json"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert [r["events"] for r in json.loads(run.stdout)] == whole.series["events"].tolist()
