"""Attribution paths from the journey table against a plain-Python reference."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from tests.analysis.reference import BASE, Ev, load, random_rows, reference_journeys
from wegweiser.analysis.attribution import Paths, load_paths


def reference_paths(rows: list[Ev], *, lookback_days: int, gap_minutes: int = 30):
    """(touches, lags) -> [conversions, nulls, value], straight from the definitions."""
    lookback = timedelta(days=lookback_days)
    out: dict[tuple, list[float]] = {}
    for events in reference_journeys(rows, gap_minutes=gap_minutes).values():
        entries = [e for i, e in enumerate(events) if i == 0 or e.session != events[i - 1].session]
        prev = -1
        for c in (e for e in events if e.event == "order_completed"):
            touches = [t for t in entries if t.seq <= c.seq and (
                (t.seq > prev and t.timestamp >= c.timestamp - lookback) or t.session == c.session)]
            key = (tuple(t.channel for t in touches),
                   tuple((c.timestamp - t.timestamp) // timedelta(days=1) for t in touches))
            slot = out.setdefault(key, [0.0, 0.0, 0.0])
            slot[0] += 1
            slot[2] += c.revenue or 0.0
            prev = c.seq
        last_ts = events[-1].timestamp
        tail = [t for t in entries if t.seq > prev and t.timestamp >= last_ts - lookback]
        if tail:
            out.setdefault((tuple(t.channel for t in tail), None), [0.0, 0.0, 0.0])[1] += 1
    return out


def as_dict(paths: Paths) -> dict[tuple, list[float]]:
    out: dict[tuple, list[float]] = {}
    for i in range(paths.n_paths):
        lo, hi = paths.offsets[i], paths.offsets[i + 1]
        touches = tuple(paths.labels[c] for c in paths.codes[lo:hi])
        lags = None
        if paths.lags is not None and not pd.isna(paths.lags[lo]):
            lags = tuple(int(x) for x in paths.lags[lo:hi])
        slot = out.setdefault((touches, lags), [0.0, 0.0, 0.0])
        slot[0] += paths.conversions[i]
        slot[1] += paths.nulls[i]
        slot[2] += paths.value[i]
    return out


def assert_same(got, expected):
    assert got.keys() == expected.keys()
    for key, (c, n, v) in expected.items():
        assert got[key][:2] == [c, n], key
        assert got[key][2] == pytest.approx(v), key


@pytest.mark.parametrize(("seed", "lookback"), [(0, 1), (1, 2), (2, 30), (3, 1)])
def test_paths_match_reference(project, seed, lookback):
    rows = random_rows(seed, n=160, persons=8, ties=0.2,
                       events=("a", "b", "order_completed"))  # many repeat conversions
    journey = load(project, rows)
    got = as_dict(load_paths(journey, lookback_days=lookback))
    assert_same(got, reference_paths(rows, lookback_days=lookback))


def test_window_edge_is_inclusive_and_second_order_in_one_visit(project):
    day = timedelta(days=1)
    conv = BASE + 5 * day
    rows = [
        Ev("p", "a", conv - day, "m2", channel="email"),  # exactly at the edge: counts
        Ev("p", "order_completed", conv, "m3", channel="direct", revenue=10.0),
        Ev("p", "order_completed", conv + timedelta(minutes=5), "m4", channel="direct",
           revenue=5.0),  # same visit: its path is that visit's entry
        Ev("p", "a", conv, "m0", channel="video"),  # same time, lower message id: first
        Ev("q", "a", conv - day - timedelta(seconds=1), "n1", channel="display"),  # outside
        Ev("q", "order_completed", conv, "n2", channel="social"),
    ]
    got = as_dict(load_paths(load(project, rows), lookback_days=1))
    assert got == {
        (("email", "video"), (1, 0)): [1.0, 0.0, 10.0],
        (("video",), (0,)): [1.0, 0.0, 5.0],
        (("social",), (0,)): [1.0, 0.0, 0.0],
    }


def test_stitched_devices_make_one_path(project):
    t = BASE
    frame = pd.DataFrame({
        "message_id": ["m1", "m2", "m3", "m4"],
        "type": ["track", "identify", "track", "track"],
        "anonymous_id": ["anon1", "anon1", "anon2", None],
        "user_id": [None, "u1", None, "u1"],
        "event": ["product_view", None, "product_view", "order_completed"],
        "timestamp": [(t + timedelta(hours=h)).isoformat() for h in (0, 1, 2, 3)],
        "channel": ["paid_social", None, "email", "direct"],
    })
    # anon2 is linked to u1 only later: out-of-order arrival
    link = pd.DataFrame({"message_id": ["m5"], "type": ["identify"], "anonymous_id": ["anon2"],
                         "user_id": ["u1"], "event": [None],
                         "timestamp": [(t + timedelta(hours=9)).isoformat()], "channel": [None]})
    project.import_events(frame)
    project.import_events(link)
    paths = load_paths(project.journey(), lookback_days=30)
    assert as_dict(paths) == {(("paid_social", "email", "direct"), (0, 0, 0)): [1.0, 0.0, 0.0]}


def test_by_campaign_labels(project):
    rows = [Ev("p", "a", BASE, "m1", channel="email"),
            Ev("p", "order_completed", BASE + timedelta(hours=2), "m2", channel="direct")]
    paths = load_paths(load(project, rows), by="campaign")
    assert paths.labels == ("direct / (none)", "email / (none)")
    tp = paths.touchpoints()
    assert tp.channel.tolist() == ["direct", "email"]
    assert tp.campaign.isna().all()


def test_empty_journey(project):
    paths = load_paths(project.journey())
    assert (paths.n_paths, paths.n_labels, paths.total_conversions) == (0, 0, 0.0)
