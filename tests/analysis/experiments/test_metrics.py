"""Assignments and per-person metrics on the engine against a plain-Python reference."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.experiments import assignments as asg
from wegweiser.analysis.experiments.metrics import person_metrics, variant_sums
from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput

T0 = datetime(2026, 9, 1, tzinfo=UTC)
WINDOW, PRE, DAY_N = timedelta(days=7), timedelta(days=14), 3


def _journey(rows):
    return ibis.memtable(
        {
            "person_id": [r[0] for r in rows],
            "timestamp": [r[1] for r in rows],
            "event": [r[2] for r in rows],
            "properties": [json.dumps(r[3]) for r in rows],
            "revenue": [r[4] for r in rows],
        }
    )


def reference(rows):
    """Per person: (variant, converted, orders, revenue, retained, touchpoints, pre_conv)."""
    seen: dict[str, list[tuple[datetime, str]]] = {}
    for p, ts, ev, props, _ in rows:
        if ev in asg.EXPOSURE_EVENTS:
            seen.setdefault(p, []).append((ts, props["variant"]))
    out = {}
    for p, views in seen.items():
        if len({v for _, v in views}) > 1:
            continue
        e, variant = min(views)
        mine = [r for r in rows if r[0] == p]
        post = [r for r in mine if e <= r[1] < e + WINDOW]
        convs = sorted(r[1] for r in post if r[2] == "buy")
        first = convs[0] if convs else None
        out[p] = (
            variant,
            int(bool(convs)),
            len(convs),
            sum(r[4] or 0.0 for r in post),
            int(
                any(e + timedelta(days=DAY_N) <= r[1] < e + timedelta(days=DAY_N + 1) for r in mine)
            ),
            sum(1 for r in post if first and r[1] < first and r[2] not in asg.EXPOSURE_EVENTS),
            int(any(e - PRE <= r[1] < e and r[2] == "buy" for r in mine)),
        )
    return out


event = st.tuples(
    st.sampled_from(["p1", "p2", "p3", "p4", "p5"]),
    st.integers(0, 24 * 40).map(lambda h: T0 + timedelta(hours=h)),
    st.sampled_from(["view", "buy", "experiment_viewed"]),
    st.sampled_from(["control", "treatment"]),
    st.sampled_from([None, 10.0, 25.5]),
)


@settings(max_examples=40, deadline=None)
@given(raw=st.lists(event, min_size=1, max_size=40))
def test_person_metrics_match_the_reference(raw):
    rows = [
        (
            p,
            ts,
            ev,
            {"experiment_id": "x", "variant": v} if ev == "experiment_viewed" else {},
            rev if ev == "buy" else None,
        )
        for p, ts, ev, v, rev in raw
    ]
    j = _journey(rows)
    ex = asg.first_exposures(asg.from_events(j))
    got = to_frame(
        person_metrics(
            j, ex, conversion=j.event == "buy", window=WINDOW, retention_day=DAY_N, pre_window=PRE
        )
    )
    ref = reference(rows)
    assert set(got["person_id"]) == set(ref)
    for row in got.itertuples():
        v, conv, orders, revenue, retained, touches, pre_conv = ref[row.person_id]
        assert (
            row.variant,
            row.converted,
            row.orders,
            row.retained,
            row.touchpoints,
            row.pre_converted,
        ) == (v, conv, orders, retained, touches, pre_conv)
        assert row.revenue == pytest.approx(revenue)
    if len(got):
        sums = to_frame(variant_sums(ibis.memtable(got)))
        assert sums["n"].sum() == len(got)
        assert sums["revenue__s_yy"].sum() == pytest.approx((got["revenue"] ** 2).sum())


def test_conflicts_are_counted_and_left_out():
    rows = [
        ("a", T0, "Experiment Viewed", {"experiment_id": "x", "variation_id": "c"}, None),
        (
            "a",
            T0 + timedelta(hours=1),
            "experiment_viewed",
            {"experiment_name": "x", "variant_name": "t"},
            None,
        ),
        ("b", T0, "experiment_viewed", {"experiment": "x", "variation": "t"}, None),
        ("c", T0, "experiment_viewed", {"variation": "t"}, None),
    ]
    j = _journey(rows)
    a = asg.from_events(j)
    assert to_frame(asg.first_exposures(a))["person_id"].tolist() == ["b"]
    assert to_frame(asg.conflicts(a)).to_dict("records") == [{"experiment": "x", "persons": 1}]
    assert asg.incomplete_exposures(j).to_pyarrow().as_py() == 1


def test_csv_assignments(tmp_path):
    good = tmp_path / "a.csv"
    good.write_text(
        "person_id,experiment,variant,assigned_at\n"
        "u1,x,control,2026-10-01T09:00:00Z\nu2,x,t,2026-10-01 10:00\n"
    )
    frame = asg.read_csv(good)
    assert frame["assigned_at"].dt.hour.tolist() == [9, 10]
    assert str(frame["assigned_at"].dt.tz) == "UTC"
    bad = tmp_path / "b.csv"
    bad.write_text("person_id,experiment,variant,assigned_at\nu1,x,,2026-10-01\n")
    with pytest.raises(InvalidInput, match=r"line 2: empty variant"):
        asg.read_csv(bad)
    bad.write_text("person_id,experiment,variant,assigned_at\nu1,x,c,yesterday\n")
    with pytest.raises(InvalidInput, match=r"line 2: assigned_at 'yesterday'"):
        asg.read_csv(bad)
    bad.write_text("person,experiment,variant\nu1,x,c\n")
    with pytest.raises(InvalidInput, match=r"lacks the column.*person_id, assigned_at"):
        asg.read_csv(bad)
    with pytest.raises(InvalidInput, match="cannot read"):
        asg.read_csv(tmp_path / "missing.csv")
