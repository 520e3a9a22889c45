"""Phase episodes and phase analytics against a plain-Python reference."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.analysis.reference import (
    BASE,
    PHASE_NAMES,
    PHASE_RANK,
    PHASES,
    Ev,
    load_log,
    random_rows,
    reference_journeys,
    reference_phase,
)
from wegweiser.analysis.phases import (
    TABLES,
    current_phase,
    episode_table,
    phase_analysis,
    phase_episodes,
    phase_timeline,
    with_episode,
)
from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput

EVENTS = ("ad_click", "product_view", "add_to_cart", "checkout_payment", "order_completed",
          "delivery_confirmed", "review_written", "login")


def make_rows(seed: int, *, n: int = 400, persons: int = 40, minutes: int = 60 * 24 * 60,
              ties: float = 0.2) -> list[Ev]:
    return random_rows(seed, n=n, persons=persons, events=EVENTS, minutes=minutes, ties=ties)


# -- the reference ------------------------------------------------------------------------
def ref_episodes(rows: list[Ev]) -> dict[str, list[dict]]:
    """person -> episodes (phase, start, end, events, open) as the module docstring says."""
    out = {}
    for person, events in reference_journeys(rows).items():
        mapped = [e for e in events if reference_phase(e.event)]
        mapped.sort(key=lambda e: (e.timestamp, PHASE_RANK[reference_phase(e.event)], e.seq))
        episodes: list[dict] = []
        for e in mapped:
            phase = reference_phase(e.event)
            if episodes and episodes[-1]["phase"] == phase:
                episodes[-1]["events"] += 1
            else:
                episodes.append({"phase": phase, "start": e.timestamp, "events": 1})
        for i, ep in enumerate(episodes):
            ep["open"] = i == len(episodes) - 1
            ep["end"] = events[-1].timestamp if ep["open"] else episodes[i + 1]["start"]
        if episodes:
            out[person] = episodes
    return out


def period_start(ts: datetime, period: str) -> datetime:
    day = ts.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if period == "month" else day


def next_period(ts: datetime, period: str) -> datetime:
    if period == "month":
        return (ts.replace(day=28) + timedelta(days=4)).replace(day=1)
    return ts + timedelta(days=7 if period == "week" else 1)


def ref_analysis(rows, as_of: datetime, stuck_days: float, period: str) -> dict:
    rows = [r for r in rows if r.timestamp <= as_of]
    eps = ref_episodes(rows)
    current = Counter(e[-1]["phase"] for e in eps.values())
    moves: Counter = Counter()
    movers = defaultdict(set)
    for person, e in eps.items():
        for a, b in itertools.pairwise(e):
            moves[(a["phase"], b["phase"])] += 1
            movers[(a["phase"], b["phase"])].add(person)
    dwell = {}
    for name in PHASE_NAMES:
        closed = [(x["end"] - x["start"]).total_seconds() / 3600
                  for e in eps.values() for x in e if x["phase"] == name and not x["open"]]
        still = [(as_of - e[-1]["start"]).total_seconds() / 3600
                 for e in eps.values() if e[-1]["phase"] == name]
        dwell[name] = (len(closed), np.median(closed) if closed else None,
                       np.mean(closed) if closed else None,
                       np.percentile(closed, 90) if closed else None,
                       len(still), np.median(still) if still else None)
    kinds = Counter()
    for e in eps.values():
        ranks = [PHASE_RANK[x["phase"]] for x in e]
        back = any(b < a for a, b in itertools.pairwise(ranks))
        loop = len(ranks) > len(set(ranks))
        skip = any(b > a + 1 for a, b in itertools.pairwise(ranks))
        kinds.update({"regression": back, "loop": loop, "skipped": skip,
                      "nonlinear": back or loop or skip, "multi": len(ranks) >= 2})
    stuck = {p: (e[-1]["phase"], (as_of - e[-1]["start"]).total_seconds() / 86400)
             for p, e in eps.items() if as_of - e[-1]["start"] > timedelta(days=stuck_days)}
    over_time = {}
    if eps:
        t = period_start(min(e[0]["start"] for e in eps.values()), period)
        while t <= as_of:
            end = next_period(t, period)
            state = Counter()
            for e in eps.values():
                started = [x for x in e if x["start"] < end]
                if started:
                    state[started[-1]["phase"]] += 1
            over_time[t] = state
            t = end
    return {"episodes": eps, "current": current, "moves": moves, "movers": movers,
            "dwell": dwell, "kinds": kinds, "stuck": stuck, "over_time": over_time,
            "persons": len({r.person for r in rows})}


# -- tests --------------------------------------------------------------------------------
def _close(a, b) -> bool:
    if a is None or b is None or pd.isna(a):
        return (a is None or pd.isna(a)) and (b is None or pd.isna(b))
    return abs(float(a) - float(b)) <= 1e-3 + 1e-9 * abs(float(b))


@pytest.mark.parametrize(("seed", "minutes", "ties"), [(0, 60 * 24 * 60, 0.2),
                                                       (1, 60 * 24 * 20, 0.4),
                                                       (2, 600, 0.5)])
def test_episodes_and_analysis_match_reference(project, seed, minutes, ties):
    rows = make_rows(seed, minutes=minutes, ties=ties)
    rows += [Ev("p98", "login", BASE, "m98")]  # a person without any phase
    journey, labels = load_log(project, rows, seed)

    got = to_frame(phase_episodes(journey, PHASES).order_by("person_id", "episode"))
    got["person"] = got["person_id"].map(labels)
    expected = ref_episodes(rows)
    assert set(got["person"]) == set(expected)
    for person, eps in expected.items():
        mine = got[got["person"] == person]
        assert mine["episode"].tolist() == list(range(len(eps)))
        assert mine["phase"].tolist() == [e["phase"] for e in eps]
        assert mine["start"].tolist() == [e["start"] for e in eps]
        assert mine["end"].tolist() == [e["end"] for e in eps]
        assert mine["events"].tolist() == [e["events"] for e in eps]
        assert mine["open"].tolist() == [e["open"] for e in eps]

    # a journey materialised with episode numbers gives the same episodes
    numbered = with_episode(journey, PHASES)
    fast = to_frame(phase_episodes(numbered, PHASES).order_by("person_id", "episode"))
    pd.testing.assert_frame_equal(fast, got.drop(columns="person"))

    # the current phase agrees with current_phase() (ties: the later phase in config order)
    now = to_frame(current_phase(journey, PHASES))
    assert dict(zip(now.person_id.map(labels), now.phase, strict=True)) == {
        p: e[-1]["phase"] for p, e in expected.items()
    }

    first, last = min(r.timestamp for r in rows), max(r.timestamp for r in rows)
    for as_of, period, stuck_days in [(None, "week", 10), (first + (last - first) * 0.7, "day", 2),
                                      (first + (last - first) * 0.3, "month", 0.1)]:
        source = numbered if period == "day" else journey
        result = phase_analysis(source, PHASES, as_of=as_of, stuck_days=stuck_days,
                                period=period)
        ref = ref_analysis(rows, as_of or last, stuck_days, period)
        _check_analysis(result, ref, labels)
        if as_of is None:  # the stored episodes (the roll-up) give the same tables
            stored = project.rollup("phase_episodes")
            _same(phase_analysis(journey, PHASES, stuck_days=stuck_days, period=period,
                                 episodes=stored), result, TABLES)
            for name in TABLES if seed == 0 else ():  # one table alone: the same, no other
                one = phase_analysis(journey, PHASES, stuck_days=stuck_days, period=period,
                                     tables=[name], episodes=stored if name != "dwell" else None)
                _same(one, result, [name])
                assert set(one.tables()) == {name}


def _same(got, expected, names):
    for name in names:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name),
                                      check_exact=True)
    assert got.params == expected.params


def _check_analysis(result, ref, labels):
    cur = result.current
    assert cur["phase"].tolist() == PHASE_NAMES
    expected = {n: ref["current"][n] for n in PHASE_NAMES}
    assert dict(zip(cur.phase, cur.persons, strict=True)) == expected
    total = ref["persons"] or 1
    assert cur["share"].tolist() == [round(ref["current"][n] / total, 4) for n in PHASE_NAMES]

    moves = result.transitions
    assert {(a, b): c for a, b, c in zip(moves.from_phase, moves.to_phase, moves["count"],
                                         strict=True)} == dict(ref["moves"])
    for row in moves.itertuples():
        assert row.persons == len(ref["movers"][(row.from_phase, row.to_phase)])
        up = PHASE_RANK[row.to_phase] - PHASE_RANK[row.from_phase]
        assert row.direction == ("forward" if up > 0 else "backward")
        assert row.skipped == max(0, up - 1)

    for row in result.dwell.itertuples():
        n, median, mean, p90, still, still_median = ref["dwell"][row.phase]
        assert (row.episodes, row.open) == (n, still)
        for a, b in [(row.median_hours, median), (row.mean_hours, mean), (row.p90_hours, p90),
                     (row.open_median_hours, still_median)]:
            assert _close(a, b), (row, ref["dwell"][row.phase])

    kinds = ref["kinds"]
    n_all = len(ref["episodes"]) or 1
    for row in result.nonlinear.itertuples():
        assert row.persons == kinds[row.kind]
        assert row.share_of_all == round(kinds[row.kind] / n_all, 4)
        assert row.share_of_multi == (round(kinds[row.kind] / kinds["multi"], 4)
                                      if kinds["multi"] else 0.0)

    stuck = result.stuck
    assert dict(zip(stuck.person_id.map(labels), stuck.phase, strict=True)) == {
        p: v[0] for p, v in ref["stuck"].items()
    }
    for person, days in zip(stuck.person_id.map(labels), stuck.days, strict=True):
        assert abs(days - ref["stuck"][person][1]) < 1e-6
    assert stuck["days"].is_monotonic_decreasing

    over = result.over_time
    periods = sorted(ref["over_time"])
    assert [p.to_pydatetime() for p in over["period"].drop_duplicates()] == periods
    for row in over.itertuples():
        assert row.persons == ref["over_time"][row.period.to_pydatetime()][row.phase]
    last = over[over["period"] == over["period"].max()]
    assert last["persons"].tolist() == cur["persons"].tolist()


def test_stuck_is_strictly_longer_than_n_days_and_as_of_cuts_events(project):
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    rows = [
        Ev("pa", "product_view", t0, "m1"),                              # exactly 10 days
        Ev("pb", "product_view", t0 - timedelta(seconds=1), "m2"),       # a second more
        Ev("pc", "add_to_cart", t0 - timedelta(days=20), "m3"),
        Ev("pc", "review_written", t0 + timedelta(days=11), "m4"),       # after as_of
        Ev("pd", "login", t0 + timedelta(days=10), "m5"),                # ends at as_of
    ]
    journey, labels = load_log(project, rows)
    as_of = t0 + timedelta(days=10)
    result = phase_analysis(journey, PHASES, as_of=as_of, stuck_days=10)
    stuck = result.stuck.assign(person=result.stuck.person_id.map(labels))
    assert stuck["person"].tolist() == ["pc", "pb"]
    assert stuck["phase"].tolist() == ["Preference", "Consideration"]
    assert result.params["persons"] == 4
    assert result.current.set_index("phase")["persons"].to_dict()["Loyalty/Advocacy"] == 0
    later = phase_analysis(journey, PHASES, stuck_days=10)
    assert set(later.stuck.person_id.map(labels)) == {"pa", "pb"}  # as_of: the last event


def test_equal_timestamps_order_by_phase_then_message_id(project):
    rows = [Ev("pa", "order_completed", BASE, "m1"), Ev("pa", "product_view", BASE, "m2"),
            Ev("pa", "ad_click", BASE, "m3"), Ev("pa", "add_to_cart", BASE, "m0"),
            Ev("pa", "product_view", BASE + timedelta(hours=1), "m4")]
    journey, _ = load_log(project, rows)
    e = to_frame(phase_episodes(journey, PHASES).order_by("episode"))
    assert e["phase"].tolist() == ["Awareness", "Consideration", "Preference", "Purchase",
                                   "Consideration"]
    result = phase_analysis(journey, PHASES)
    assert result.nonlinear.set_index("kind")["persons"].to_dict() == {
        "regression": 1, "loop": 1, "skipped": 0, "nonlinear": 1}
    assert result.dwell.set_index("phase").loc["Purchase", "median_hours"] == 1.0


def test_empty_journey_and_bad_options(project):
    journey = project.journey()
    result = phase_analysis(journey, PHASES)
    assert result.current["persons"].tolist() == [0] * len(PHASE_NAMES)
    assert result.transitions.empty
    assert result.stuck.empty
    assert result.over_time.empty
    assert result.to_dict()["nonlinear"][0] == {"kind": "regression", "persons": 0,
                                                "share_of_multi": 0.0, "share_of_all": 0.0}
    assert to_frame(phase_episodes(journey, PHASES)).empty
    journey, _ = load_log(project, [Ev("pa", "login", BASE, "m1")])  # no phase at all
    result = phase_analysis(journey, PHASES)
    assert result.params["persons"] == 1
    assert result.current["share"].tolist() == [0.0] * len(PHASE_NAMES)
    assert result.nonlinear["persons"].tolist() == [0, 0, 0, 0]
    assert result.over_time.empty
    with pytest.raises(InvalidInput, match="period"):
        phase_analysis(journey, PHASES, period="fortnight")
    with pytest.raises(InvalidInput, match="stuck_days"):
        phase_analysis(journey, PHASES, stuck_days=-1)
    with pytest.raises(InvalidInput, match=r"no table 'paths'.*current, over_time"):
        phase_analysis(journey, PHASES, tables=["current", "paths"])
    with pytest.raises(InvalidInput, match="as_of or episodes"):
        phase_analysis(journey, PHASES, as_of=BASE, episodes=episode_table(journey, PHASES))
    only = phase_analysis(journey, PHASES, tables=["nonlinear"])
    assert only.current is None
    assert only.nonlinear["persons"].tolist() == [0, 0, 0, 0]


def test_timeline_and_figures(project):
    rows = make_rows(5, n=120, persons=6)
    journey, labels = load_log(project, rows)
    person = next(iter(labels))
    timeline = phase_timeline(journey, PHASES, persons=[person])
    assert set(timeline.episodes["person_id"]) == {person}
    assert len(timeline.episodes) == len(ref_episodes(rows)[labels[person]])
    assert len(phase_timeline(journey, PHASES, limit=3).episodes) == 3
    assert timeline.figure().data
    result = phase_analysis(journey, PHASES)
    for view in ("over_time", "current", "transitions", "dwell"):
        assert result.figure(view=view).data
    with pytest.raises(ValueError, match="'dwell' was not computed"):
        phase_analysis(journey, PHASES, tables=["current"]).figure(view="dwell")


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory):
    import wegweiser
    from wegweiser.events.demo import generate

    data = generate(800, seed=3, days=60)
    with wegweiser.Project.init(tmp_path_factory.mktemp("demo")) as project:
        project.import_events(data.events)
        yield project, data.truth


def test_demo_current_phase_is_the_planted_final_phase(demo_project):
    project, truth = demo_project
    journey = project.journey()
    result = phase_analysis(journey, PHASES)
    got = {p: n for p, n in zip(result.current.phase, result.current.persons, strict=True) if n}
    assert got == truth["phase_counts"]
    episodes = to_frame(phase_episodes(journey, PHASES).filter(lambda t: t.open))
    now = dict(zip(episodes.person_id, episodes.phase, strict=True))
    expected = {project.person_of(key): phase for key, phase in truth["final_phase"].items()}
    assert now == expected
    # journeys are spirals: most people who move at all move backwards at some point
    kinds = result.nonlinear.set_index("kind")
    assert kinds.loc["regression", "share_of_multi"] > 0.5
    backward = result.transitions[result.transitions.direction == "backward"]
    assert backward["count"].sum() > 0
