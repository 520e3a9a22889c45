from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from tests.analysis.reference import BASE, Ev, load, random_rows, reference_journeys
from wegweiser.analysis.funnels import FunnelStep, dropped_off, funnel
from wegweiser.errors import InvalidInput

EVENTS = ("a", "b", "c", "d", "x")


# -- the plain-Python reference ---------------------------------------------------------------
def prop_text(value):
    return value if isinstance(value, str) else json.dumps(value)


def matches(e: Ev, step: FunnelStep) -> bool:
    if e.event != step.event:
        return False
    props = e.properties or {}
    return all(k in props and prop_text(props[k]) == v for k, v in (step.where or {}).items())


@dataclass
class RefUnit:
    person: str
    session: str | None
    entered_at: object
    n_reached: int
    n_distinct: int
    done: list = field(default_factory=list)  # completion time of steps 0..k
    value: object = None


def attr_value(e: Ev, breakdown: str | None):
    if breakdown is None:
        return None
    if breakdown.startswith("property:"):
        props = e.properties or {}
        key = breakdown.split(":", 1)[1]
        return prop_text(props[key]) if key in props else None
    return getattr(e, breakdown)


def ref_units(rows, steps, *, mode="ordered", window=timedelta(days=30), exclude=(),
              by="person", breakdown=None, attribution="first_touch", entry="any"):
    """Every entry event (step 1; unordered: any step) starts an attempt (``entry="any"``;
    only the first one with ``"first"``); the unit's best attempt reaches the most steps,
    then the most distinct steps, then enters earliest."""
    steps = [s if isinstance(s, FunnelStep) else FunnelStep(s) for s in steps]
    attempt = _ref_unordered if mode == "unordered" else _ref_chain
    out = []
    for person, events in sorted(reference_journeys(rows).items()):
        groups = {None: events} if by == "person" else {}
        if by == "session":
            for e in events:
                groups.setdefault(f"{person}:{e.session}", []).append(e)
        for session, evs in groups.items():
            starts = [i for i, e in enumerate(evs)
                      if matches(e, steps[0]) or (mode == "unordered"
                                                  and any(matches(e, s) for s in steps))]
            if entry == "first":
                starts = starts[:1]
            tries = [attempt(evs, i, steps, mode, window, exclude, breakdown, attribution)
                     for i in starts]
            if not tries:
                continue
            unit = max(tries, key=lambda u: (u.n_reached, u.n_distinct))  # first of equals
            unit.person, unit.session = person, session
            out.append(unit)
    return out


def _ref_chain(evs, entry, steps, mode, window, exclude, breakdown, attribution):
    t0 = evs[entry].timestamp
    chain = [entry]
    for step in steps[1:]:
        prev = chain[-1]
        if mode == "strict":
            nxt = prev + 1 if prev + 1 < len(evs) and matches(evs[prev + 1], step) else None
        else:
            nxt = next((j for j in range(prev + 1, len(evs)) if matches(evs[j], step)), None)
        if nxt is None or evs[nxt].timestamp > t0 + window:
            break
        if step.within is not None and evs[nxt].timestamp > evs[prev].timestamp + step.within:
            break
        chain.append(nxt)
    cut = next((j for j in range(entry + 1, len(evs)) if evs[j].event in exclude), None)
    if cut is not None:
        chain = [i for i in chain if i < cut]
    if attribution == "first_touch":
        value = attr_value(evs[entry], breakdown)
    elif attribution == "last_touch":
        value = attr_value(evs[chain[-1]], breakdown)
    else:
        k = int(attribution.split(":")[1]) - 1
        value = attr_value(evs[chain[k]], breakdown) if k < len(chain) else None
    return RefUnit("", None, t0, len(chain), len(chain),
                   [evs[i].timestamp for i in chain], value)


def _ref_unordered(evs, entry, steps, mode, window, exclude, breakdown, attribution):
    t0 = evs[entry].timestamp
    cut = next((j for j in range(entry + 1, len(evs)) if evs[j].event in exclude), len(evs))
    first = []
    for step in steps:
        j = next((j for j in range(entry, len(evs)) if matches(evs[j], step)), None)
        ok = j is not None and evs[j].timestamp <= t0 + window and j < cut
        first.append(j if ok else None)
    n_reached = next((k for k, j in enumerate(first) if j is None), len(steps))
    done = [max(evs[j].timestamp for j in first[: k + 1]) for k in range(n_reached)]
    hit = [j for j in first if j is not None]
    if attribution == "first_touch":
        value = attr_value(evs[entry], breakdown)
    elif attribution == "last_touch":
        value = attr_value(evs[max(hit)], breakdown) if hit else None
    else:
        j = first[int(attribution.split(":")[1]) - 1]
        value = attr_value(evs[j], breakdown) if j is not None else None
    return RefUnit("", None, t0, n_reached, len(hit), done, value)


def ref_counts(units, n):
    return [sum(u.n_reached > k for u in units) for k in range(n)]


def ref_seconds(units, n):
    return sorted((u.done[-1] - u.entered_at).total_seconds() for u in units if u.n_reached == n)


# -- checks against the reference --------------------------------------------------------------
def check(journey, rows, steps, **kw):
    result = funnel(journey, steps, **kw)
    opts = {k: v for k, v in kw.items() if k != "step_windows"}
    if "step_windows" in kw:
        steps = [FunnelStep(s, within=w) if isinstance(s, str) else s
                 for s, w in zip(steps, kw["step_windows"], strict=True)]
    units = ref_units(rows, steps, **opts)
    n = len(steps)
    counts = ref_counts(units, n)
    assert result.steps["units"].tolist() == counts, kw
    assert result.steps["dropped"].tolist() == [0] + [
        counts[k - 1] - counts[k] for k in range(1, n)
    ]
    if counts[0]:
        assert result.steps["conversion_from_start"].tolist() == pytest.approx(
            [c / counts[0] for c in counts])
    secs = ref_seconds(units, n)
    ttc = result.time_to_convert.iloc[0]
    assert ttc["converted"] == len(secs)
    if secs:
        assert ttc["median"] == pytest.approx(float(np.percentile(secs, 50)), abs=1e-3)
        assert ttc["p90"] == pytest.approx(float(np.percentile(secs, 90)), abs=1e-3)
        assert ttc["mean"] == pytest.approx(float(np.mean(secs)), abs=1e-3)
    else:
        assert math.isnan(ttc["median"])
    assert result.histogram["units"].sum() == len(secs)
    days = pd.Series([u.entered_at.date() for u in units]).value_counts()
    got_days = dict(zip(result.by_entry_date["date"], result.by_entry_date["entered"],
                        strict=True))
    assert got_days == days.to_dict()
    distinct = pd.Series([u.n_distinct for u in units]).value_counts().to_dict()
    assert result.reached["units"].tolist() == [distinct.get(k, 0) for k in range(1, n + 1)]
    if kw.get("breakdown"):
        by_value: dict = {}
        for u in units:
            by_value.setdefault(u.value, []).append(u)
        got: dict = {}
        for row in result.breakdown.itertuples():
            got.setdefault(None if pd.isna(row.value) else row.value, []).append(row.units)
        assert got == {v: ref_counts(us, n) for v, us in by_value.items()}, kw
    return result, units


OPTIONS = [
    {},
    {"mode": "strict"},
    {"mode": "unordered"},
    {"window": timedelta(hours=6)},
    {"window": timedelta(hours=12), "mode": "unordered", "by": "session"},
    {"by": "session"},
    {"exclude": ["x"], "window": timedelta(days=1)},
    {"exclude": ["x"], "mode": "unordered"},
    {"step_windows": [None, timedelta(hours=2), timedelta(hours=8)]},
    {"breakdown": "device"},
    {"breakdown": "channel", "attribution": "last_touch", "by": "session"},
    {"breakdown": "property:plan", "attribution": "step:2", "mode": "unordered"},
    {"breakdown": "device", "attribution": "step:3", "exclude": ["x"]},
]


EXTRA = [
    # property filters, a repeated step, a filter that no event matches (an unknown event
    # name is an error: tests/analysis/test_names.py)
    ([FunnelStep("a", where={"plan": "pro"}), "b", "a"], {}),
    (["a", FunnelStep("b", where={"plan": "basic"})], {"mode": "unordered"}),
    (["a", FunnelStep("c", where={"plan": "never"}), "b"], {}),
    (["d", "a", "c", "b"], {"mode": "strict", "by": "session"}),
]


@pytest.mark.parametrize("seed", range(2))
def test_funnel_matches_reference(project, seed):
    """Every option on random logs (equal timestamps, shuffled arrival), half per seed."""
    rows = random_rows(seed, n=400, persons=20, events=EVENTS, minutes=60 * 24 * 2, ties=0.2)
    journey = load(project, rows)
    for opts in OPTIONS[seed::2]:
        check(journey, rows, ["a", "b", "c"], entry="first", **opts)
        result, _ = check(journey, rows, ["a", "b", "c"], **opts)
        if opts.get("breakdown"):
            assert len(result.figure().data) == result.breakdown["value"].nunique(dropna=False)
            json.dumps(result.to_dict(), allow_nan=False)
    for steps, opts in EXTRA[seed::2]:
        check(journey, rows, steps, **opts)
        check(journey, rows, steps, entry="first", **opts)


def test_dropped_off_matches_reference(project):
    rows = random_rows(10, n=300, persons=20, events=EVENTS, ties=0.2)
    journey = load(project, rows)
    steps = ["a", "b", "c"]
    for opts in ({}, {"by": "session"}, {"mode": "unordered", "window": timedelta(hours=3)},
                 {"entry": "first"}, {"mode": "strict", "entry": "first"}):
        units = ref_units(rows, steps, **opts)
        for step in (2, 3):
            got = dropped_off(journey, steps, step=step, **opts)
            key = ["person_id", "session_id"] if opts.get("by") == "session" else ["person_id"]
            expected = sorted(((u.person, u.session) if u.session else (u.person,))
                              for u in units if u.n_reached == step - 1)
            assert sorted(map(tuple, got[key].to_numpy().tolist())) == expected
            reached = {(u.person, u.session): u.done[-1] for u in units if u.n_reached == step - 1}
            for row in got.itertuples():
                assert row.reached_at == reached[(row.person_id, getattr(row, "session_id", None))]


# -- edges ---------------------------------------------------------------------------------------
def ev(person, event, minutes, mid, **kw):
    return Ev(person=person, event=event, timestamp=BASE + timedelta(minutes=minutes),
              message_id=mid, **kw)


def test_window_edge_is_inclusive(project):
    window = timedelta(hours=1)
    rows = [ev("p1", "a", 0, "m1"), ev("p1", "b", 60, "m2"),  # exactly at the edge: counts
            ev("p2", "a", 0, "m3"), ev("p2", "b", 60, "m4"),
            ev("p3", "a", 0, "m5"), ev("p3", "b", 61, "m6")]  # a minute late
    rows[3].timestamp += timedelta(microseconds=1)  # p2: one microsecond late
    journey = load(project, rows)
    result = funnel(journey, ["a", "b"], window=window)
    assert result.steps["units"].tolist() == [3, 1]
    assert result.time_to_convert["max"].iloc[0] == 3600.0
    lost = dropped_off(journey, ["a", "b"], step=2, window=window)
    assert sorted(lost["person_id"]) == ["p2", "p3"]
    # the same edge for per-step windows and unordered funnels
    steps = ["a", FunnelStep("b", within=window)]
    assert funnel(journey, steps, window=timedelta(days=1)).steps["units"].tolist() == [3, 1]
    assert funnel(journey, ["b", "a"], mode="unordered", window=window, entry="first").steps[
        "units"].tolist() == [1, 1]
    # with every event a possible entry, p2 and p3 also did b (an attempt starting at b)
    assert funnel(journey, ["b", "a"], mode="unordered", window=window).steps[
        "units"].tolist() == [3, 1]


def test_equal_timestamps_are_ordered_by_message_id(project):
    rows = [ev("p1", "b", 0, "m1"), ev("p1", "a", 0, "m2"),  # b sorts before a
            ev("p2", "a", 0, "m3"), ev("p2", "b", 0, "m4")]
    journey = load(project, list(reversed(rows)))  # arrival order does not matter
    assert funnel(journey, ["a", "b"]).steps["units"].tolist() == [2, 1]
    assert funnel(journey, ["a", "b"], mode="strict").steps["units"].tolist() == [2, 1]
    assert funnel(journey, ["a", "b"], mode="unordered").steps["units"].tolist() == [2, 2]
    assert funnel(journey, ["a", "b"]).time_to_convert["median"].iloc[0] == 0.0


def test_every_step_one_event_starts_an_attempt(project):
    # p1 browsed long ago and comes back to buy: the second a starts the attempt that
    # converts; with entry="first" only the first a (which cannot convert in time) counts
    rows = [ev("p1", "a", 0, "m1"), ev("p1", "a", 5000, "m2"), ev("p1", "b", 5001, "m3")]
    journey = load(project, rows)
    hour = timedelta(hours=1)
    result = funnel(journey, ["a", "b"], window=hour)
    assert result.steps["units"].tolist() == [1, 1]
    assert result.time_to_convert["max"].iloc[0] == 60.0
    assert result.by_entry_date["date"].tolist() == [(BASE + timedelta(minutes=5000)).date()]
    assert dropped_off(journey, ["a", "b"], step=2, window=hour).empty
    first = funnel(journey, ["a", "b"], window=hour, entry="first")
    assert first.steps["units"].tolist() == [1, 0]
    assert dropped_off(journey, ["a", "b"], step=2, window=hour, entry="first")[
        "person_id"].tolist() == ["p1"]
    assert funnel(journey, ["a", "b"], by="session").steps["units"].tolist() == [2, 1]
    with pytest.raises(InvalidInput, match="entry must be 'any'"):
        funnel(journey, ["a", "b"], entry="last")


def test_best_attempt_is_the_earliest_of_the_furthest(project):
    """Two attempts convert: time to convert and the breakdown come from the earlier one;
    an attempt that gets further beats an earlier one that does not."""
    rows = [ev("p1", "a", 0, "m1", device="mobile"), ev("p1", "b", 10, "m2"),
            ev("p1", "a", 20, "m3", device="desktop"), ev("p1", "b", 21, "m4"),
            ev("p1", "c", 22, "m5"),
            ev("p2", "a", 0, "m6", device="mobile"), ev("p2", "x", 1, "m7"),
            ev("p2", "a", 2, "m8", device="tablet"), ev("p2", "b", 3, "m9")]
    journey = load(project, rows)
    result = funnel(journey, ["a", "b", "c"], breakdown="device")
    assert result.steps["units"].tolist() == [2, 2, 1]
    assert result.time_to_convert["max"].iloc[0] == 22 * 60.0  # from p1's first a
    got = {v: g["units"].tolist() for v, g in result.breakdown.groupby("value")}
    assert got == {"mobile": [2, 2, 1]}
    # an exclusion ends only the attempts it follows: p2's second a still reaches b
    excl = funnel(journey, ["a", "b", "c"], exclude=["x"], breakdown="device")
    got = {v: g["units"].tolist() for v, g in excl.breakdown.groupby("value")}
    assert got == {"mobile": [1, 1, 1], "tablet": [1, 1, 0]}


def test_exclusion_cuts_the_attempt(project):
    rows = [ev("p1", "a", 0, "m1"), ev("p1", "b", 1, "m2"), ev("p1", "x", 2, "m3"),
            ev("p1", "c", 3, "m4"),
            ev("p2", "x", 0, "m5"), ev("p2", "a", 1, "m6"), ev("p2", "b", 2, "m7"),
            ev("p2", "c", 3, "m8")]  # an exclusion before the entry does not count
    journey = load(project, rows)
    result = funnel(journey, ["a", "b", "c"], exclude=["x"])
    assert result.steps["units"].tolist() == [2, 2, 1]
    with pytest.raises(InvalidInput, match="both a step and an exclusion"):
        funnel(journey, ["a", "x"], exclude=["x"])


def test_a_person_across_devices_is_one_unit(project):
    frame = pd.DataFrame({
        "message_id": ["1", "2", "3", "4", "5", "6"],
        "type": ["track", "identify", "track", "track", "identify", "track"],
        "event": ["a", None, "b", "a", None, "c"],
        "anonymous_id": ["phone", "phone", "laptop", "tablet", "tablet", None],
        "user_id": [None, "anna", "anna", None, "anna", "anna"],
        "timestamp": [f"2026-01-01T10:0{m}:00Z" for m in range(6)],
        "device": ["mobile", None, "desktop", "tablet", None, "desktop"],
    })
    # out of order: the identify events arrive last
    project.import_events(frame.iloc[[5, 0, 2, 3, 1, 4]].reset_index(drop=True))
    journey = project.journey()
    result = funnel(journey, ["a", "b", "c"], breakdown="device", attribution="first_touch")
    assert result.steps["units"].tolist() == [1, 1, 1]
    assert result.breakdown["value"].unique().tolist() == ["mobile"]
    last = funnel(journey, ["a", "b", "c"], breakdown="device", attribution="last_touch")
    assert last.breakdown["value"].unique().tolist() == ["desktop"]
    assert result.time_to_convert["median"].iloc[0] == 300.0


def test_empty_journey_and_missing_steps(project):
    journey = project.journey()
    result = funnel(journey, ["a", "b"], breakdown="device")
    assert result.steps["units"].tolist() == [0, 0]
    assert result.breakdown.empty
    assert result.by_entry_date.empty
    assert result.time_to_convert["converted"].iloc[0] == 0
    assert result.histogram["units"].sum() == 0
    assert dropped_off(journey, ["a", "b"], step=2).empty
    json.dumps(result.to_dict(), allow_nan=False)  # strict JSON, even when empty
    result.figure()


def test_bad_arguments_say_what_to_do(project):
    journey = project.journey()
    cases = [
        ({"steps": ["a"]}, "2 to 20 steps"),
        ({"mode": "fuzzy"}, "mode must be one of"),
        ({"by": "device"}, "by must be"),
        ({"breakdown": "chanel"}, "Did you mean 'channel'"),
        ({"attribution": "step:9"}, "steps 1 to 2"),
        ({"attribution": "middle"}, "first_touch, last_touch or step"),
        ({"step_windows": [timedelta(hours=1), None]}, "first step cannot"),
        ({"step_windows": [None]}, "one entry per step"),
        ({"mode": "unordered", "step_windows": [None, timedelta(1)]}, "need an order"),
        ({"window": timedelta(days=-1)}, "must not be negative"),
        ({"breakdown": "trait:plan"}, "needs a traits table"),
    ]
    for kw, message in cases:
        steps = kw.pop("steps", ["a", "b"])
        with pytest.raises(InvalidInput, match=message):
            funnel(journey, steps, **kw)
    with pytest.raises(InvalidInput, match=r"2\.\.2"):
        dropped_off(journey, ["a", "b"], step=1)


def test_trait_breakdown_from_identify_events(project):
    from wegweiser.analysis.traits import identify_traits

    frame = pd.DataFrame({
        "message_id": ["1", "2", "3", "4", "5", "6", "7"],
        "type": ["track", "identify", "identify", "track", "track", "identify", "identify"],
        "event": ["a", None, None, "b", "a", None, None],
        "anonymous_id": ["phone", "phone", None, None, None, None, None],
        "user_id": [None, "anna", "anna", "anna", "ben", "ben", "ben"],
        "timestamp": ["2026-01-01T10:00:00Z"] * 7,
        "traits": [None, '{"plan": "basic"}', '{"plan": "pro"}', None, None, '{"plan": 3}',
                   '{"other": 1}'],
    })
    project.import_events(frame)
    con = project._engine.ibis()
    traits = identify_traits(con.table("events"), con.table("identities"), "plan")
    # equal timestamps: the higher message_id wins; a later identify without the key does not
    # erase it
    result = funnel(project.journey(), ["a", "b"], breakdown="trait:plan", traits=traits)
    got = {v: g["units"].tolist() for v, g in result.breakdown.groupby("value")}
    assert got == {"pro": [1, 1], "3": [1, 0]}


# -- the demo's planted pain point ---------------------------------------------------------
def test_demo_mobile_payment_pain_point(project):
    from wegweiser.events.demo import generate

    data = generate(800, seed=3, days=60)
    project.import_events(data.events)
    pain = data.truth["pain_point"]
    steps = ["checkout_started", pain["step"], "order_completed"]
    result = funnel(project.journey(), steps, by="session", breakdown="device",
                    attribution=f"step:{steps.index(pain['step']) + 1}")
    b = result.breakdown.set_index(["value", "step"])
    rate = {d: b.loc[(d, 3), "conversion_from_previous"] for d in ("mobile", "desktop")}
    assert pain["device"] == "mobile"
    assert rate["mobile"] < rate["desktop"] - 0.15, rate
    # the loop shows up as a higher drop on mobile after the payment step
    assert b.loc[("mobile", 3), "dropped"] > b.loc[("desktop", 3), "dropped"]


# -- the command line ------------------------------------------------------------------------
def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "wegweiser.cli", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_funnel_json(project):
    rows = random_rows(5, n=120, persons=8, events=EVENTS)
    load(project, rows)
    project.close()
    where = str(project.path)
    done = run_cli("funnel", "--project", where, "--steps", "a,b,c", "--window", "36h",
                   "--where", "step2:plan=pro", "--format", "json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    steps = ["a", FunnelStep("b", where={"plan": "pro"}), "c"]
    expected = ref_counts(ref_units(rows, steps, window=timedelta(hours=36)), 3)
    assert [r["units"] for r in got] == expected
    assert got[1]["label"] == "b [plan=pro]"


def test_cli_argument_parsing():
    from wegweiser.analysis.filters import describe
    from wegweiser.analysis.funnels import step_windows_of as _step_windows
    from wegweiser.analysis.funnels import steps_with_filters as _steps_with_filters
    from wegweiser.analysis.params import parse_duration

    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    for bad in ("3 weeks", "", "12", "h"):
        with pytest.raises(InvalidInput, match="duration"):
            parse_duration(bad)
    assert _step_windows("2:1h,step3:30m", 3) == [None, timedelta(hours=1),
                                                  timedelta(minutes=30)]
    with pytest.raises(InvalidInput, match=r"2\.\.3"):
        _step_windows("1:1h", 3)
    steps = _steps_with_filters(["a", "b"], ["step2:plan=pro", "2:country=DE", "device=x"])
    assert [describe(c) for c in steps[1].tests] == ["step2:property:plan=pro",
                                                     "step2:country=DE"]
    assert steps[0].tests == ()  # a condition without a step is the whole journey's
    with pytest.raises(InvalidInput, match="unknown field 'plan'"):
        _steps_with_filters(["a", "b"], ["plan=pro"])
    with pytest.raises(InvalidInput, match=r"steps 1\.\.2"):
        _steps_with_filters(["a", "b"], ["step3:plan=pro"])
