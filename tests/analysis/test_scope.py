"""Date ranges (edges as documented), the previous period, by_segment and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analysis.reference import Ev, frame_of, load_log, random_rows, reference_journeys
from tests.analysis.test_funnels import ref_counts, ref_units
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


# -- analyses in a range against plain-Python references on the rows in it --------------------
RANGE_ROWS = random_rows(5, n=260, persons=12, events=("a", "b", "c", "order_completed"),
                         minutes=60 * 24 * 8, ties=0.2)
RANGE_INSTANTS = sorted({r.timestamp for r in RANGE_ROWS})


@pytest.fixture(scope="module")
def ranged(tmp_path_factory):
    import wegweiser

    with wegweiser.Project.init(tmp_path_factory.mktemp("range") / "p") as project:
        load_log(project, RANGE_ROWS, seed=5)  # devices linked by later identify events
        yield project


@given(a=st.integers(0, 10_000), b=st.integers(0, 10_000), as_date=st.booleans(),
       mobile=st.booleans())
@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_analyses_in_a_range_match_the_references_on_the_rows_in_it(ranged, a, b, as_date,
                                                                     mobile):
    """Edges on an event's exact instant (``since`` inclusive, ``until`` exclusive) or a date
    (``until``: the whole day); a strict funnel follows the events in scope (renumbered),
    trends count them per UTC day, sessions are the whole journey's, cut to the scope."""
    t0, t1 = sorted((RANGE_INSTANTS[a % len(RANGE_INSTANTS)],
                     RANGE_INSTANTS[b % len(RANGE_INSTANTS)]))
    stop = t1.date() + timedelta(days=1) if as_date else t1
    scope = {"since": t0.isoformat(),
             "until": t1.date().isoformat() if as_date else t1.isoformat(),
             "where": ["device=mobile"] if mobile else []}

    def keep(r) -> bool:
        day_ok = r.timestamp.date() < stop if as_date else r.timestamp < stop
        return r.timestamp >= t0 and day_ok and (not mobile or r.device == "mobile")

    if t0 >= (datetime.combine(stop, time(), UTC) if as_date else stop):
        return  # an empty range is refused (test_bad_ranges_are_refused)
    rows = [r for r in RANGE_ROWS if keep(r)]
    steps = ["a", "b", "order_completed"]
    got = ranged.analyse("funnel", {**scope, "steps": steps, "mode": "strict", "window": "1d"})
    units = ref_units(rows, steps, mode="strict", window=timedelta(days=1))
    assert got.steps["units"].tolist() == ref_counts(units, 3), scope

    series = ranged.analyse("trends", {**scope, "period": "day"}).series
    days: dict = {}
    for r in rows:
        days.setdefault(r.timestamp.date(), []).append(r)
    assert {pd.Timestamp(s.period_start).date(): (s.events, s.persons)
            for s in series.itertuples() if s.events} == {
        d: (len(rs), len({r.person for r in rs})) for d, rs in days.items()}, scope

    whole = reference_journeys(RANGE_ROWS)  # sessions of the whole journey
    kept_ids = {r.message_id for r in rows}
    sessions = {(p, e.session) for p, evs in whole.items() for e in evs
                if e.message_id in kept_ids}
    summary = ranged.analyse("sessions", {**scope, "limit": 1}).summary.iloc[0]
    assert (summary["sessions"], summary["persons"]) == (
        len(sessions), len({p for p, _ in sessions})), scope
