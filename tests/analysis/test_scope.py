"""Date ranges (edges as documented), the previous period, by_segment and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from tests.analysis.reference import Ev, frame_of
from wegweiser.analysis.result import to_frame
from wegweiser.analysis.scope import Scope, compare_tables, date_range, scoped
from wegweiser.analysis.segments import Segment
from wegweiser.errors import InvalidInput

T = datetime(2026, 10, 1, tzinfo=UTC)


def edge_rows() -> list[Ev]:
    """Events right on the edges of October 2026 and of one hour."""
    moments = [
        T - timedelta(microseconds=1),
        T,
        T + timedelta(hours=1) - timedelta(microseconds=1),
        T + timedelta(hours=1),
        datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 9, 15, tzinfo=UTC),
    ]
    return [
        Ev(
            person=f"p{i % 3}",
            event="order_completed" if i % 2 else "a",
            timestamp=m,
            message_id=f"m{i}",
        )
        for i, m in enumerate(moments)
    ]


@pytest.fixture
def edges(project):
    project.import_events(frame_of(edge_rows()))
    return project


def kept(project, **given) -> list[str]:
    view = scoped(project, Scope(**given))
    return sorted(to_frame(view.journey().select("message_id")).message_id)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"since": "2026-10-01"}, ["m1", "m2", "m3", "m4", "m5"]),
        ({"until": "2026-10-01"}, ["m0", "m1", "m2", "m3", "m6"]),  # a date: the whole day
        ({"until": "2026-10-01T00:00:00Z"}, ["m0", "m6"]),  # a time: exclusive
        ({"since": "2026-10-01T00:00:00", "until": "2026-10-01T01:00:00+00:00"}, ["m1", "m2"]),
        ({"since": "2026-10-01", "until": "2026-10-31"}, ["m1", "m2", "m3", "m4"]),
        ({"last": "1h", "until": "2026-10-01T01:00:00Z"}, ["m1", "m2"]),
        ({"since": "2026-10-01T02:00:00+02:00", "until": "2026-10-01T01:00:00Z"}, ["m1", "m2"]),
    ],
)
def test_range_edges(edges, given, expected):
    assert kept(edges, **given) == expected


def test_renumbered_after_the_range(edges):
    view = scoped(edges, Scope(since="2026-10-01", until="2026-10-31"))
    j = to_frame(view.journey()).sort_values(["person_id", "seq"])
    for _, rows in j.groupby("person_id"):
        assert rows.seq.tolist() == list(range(len(rows)))
        assert rows.next_event.tolist()[:-1] == rows.event.tolist()[1:]
        assert pd.isna(rows.next_event.tolist()[-1])


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"since": "2026-10-02", "until": "2026-10-01"}, "the range is empty"),
        ({"since": "yesterday"}, "cannot read since"),
        ({"since": "2026-10-01", "last": "7d"}, "not both"),
        ({"last": "7"}, "cannot read last"),
    ],
)
def test_bad_ranges_are_refused(given, says):
    with pytest.raises(InvalidInput, match=says):
        date_range(**given)


def test_previous_period_and_comparison(edges):
    r = date_range(since="2026-10-01T00:00:00Z", until="2026-10-01T01:00:00Z")
    assert r.previous().since == T - timedelta(hours=1)
    result = edges.analyse(
        "kpis", since="2026-10-01T00:00:00Z", until="2026-10-01T01:00:00Z", compare_previous=True
    )
    comparison = result.tables()["comparison"].set_index("metric")
    assert comparison.loc["purchasers", "current"] == 1  # m1 (p1) in the hour
    assert comparison.loc["purchasers", "previous"] == 0  # m0 is "a"
    assert comparison.loc["purchasers", "change"] == 1
    assert pd.isna(comparison.loc["purchasers", "relative_change"])
    assert result.params["range_until"] == "2026-10-01T01:00:00+00:00"
    with pytest.raises(InvalidInput, match="closed range"):
        edges.analyse("kpis", since="2026-10-01", compare_previous=True)
    with pytest.raises(InvalidInput, match="compare_previous"):
        edges.analyse("sessions", last="1d", compare_previous=True)


def test_compare_tables_matches_on_keys():
    now = pd.DataFrame({"step": [1, 2], "label": ["a", "b"], "units": [10, 4]})
    before = pd.DataFrame({"step": [1, 2], "label": ["a", "b"], "units": [8, 5]})
    out = compare_tables(now, before, ("step", "label"))
    assert out.to_dict("records") == [
        {
            "step": 1,
            "label": "a",
            "metric": "units",
            "current": 10.0,
            "previous": 8.0,
            "change": 2.0,
            "relative_change": 0.25,
        },
        {
            "step": 2,
            "label": "b",
            "metric": "units",
            "current": 4.0,
            "previous": 5.0,
            "change": -1.0,
            "relative_change": -0.2,
        },
    ]


def test_funnel_compare_and_by_segment(edges):
    edges.save_segment(Segment(name="p1", ids=["p1"]))
    edges.save_segment(Segment(name="buyers", did=["order_completed"]))
    result = edges.analyse(
        "funnel",
        steps=["a", "order_completed"],
        last="31d",
        until="2026-10-31",
        compare_previous=True,
    )
    assert set(result.tables()["comparison"].metric) >= {"units", "conversion_from_start"}
    split = edges.analyse("kpis", by_segment=["p1", "buyers"])
    frame = split.tables()["kpis"]
    assert frame.segment.tolist() == ["p1", "buyers"]
    assert frame.purchasers.tolist() == [1, 3]


def test_step_conditions_only_for_funnels(edges):
    with pytest.raises(InvalidInput, match="only funnels have steps"):
        edges.analyse("kpis", where=["step2:country=DE"])


def test_unknown_segment_says_so(edges):
    edges.save_segment(Segment(name="buyers", did=["order_completed"]))
    with pytest.raises(InvalidInput, match="Did you mean 'buyers'"):
        edges.analyse("kpis", segment="buyer")
