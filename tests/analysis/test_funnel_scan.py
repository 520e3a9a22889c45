"""The funnel's ordered scan (DuckDB) against its SQL path, unit row by unit row: random
logs with hypothesis, every option, journeys in and out of person order; and the checks of
the scan's input."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analysis.reference import BASE, Ev, load, random_rows, reference_journeys
from wegweiser.analysis import _compiled
from wegweiser.analysis._funnel_kernel import EXCLUDED, best_attempts
from wegweiser.analysis._funnel_scan import fetch_rows, scan_units
from wegweiser.analysis._funnel_spec import FunnelStep, make_spec
from wegweiser.analysis._funnel_tables import sql_units
from wegweiser.errors import InvalidInput


def journey_frame(rows: list[Ev]) -> pd.DataFrame:
    events = [e for evs in reference_journeys(rows).values() for e in evs]
    return pd.DataFrame(
        {
            "person_id": [e.person for e in events],
            "session_id": [f"{e.person}:{e.session}" for e in events],
            "seq": pd.Series([e.seq for e in events], dtype="int64"),
            "timestamp": pd.Series([e.timestamp for e in events], dtype="datetime64[us, UTC]"),
            "event": [e.event for e in events],
            "properties": [json.dumps(e.properties or {}) for e in events],
            "device": [e.device for e in events],
            "channel": [e.channel for e in events],
        }
    )


def same_units(journey: ibis.Table, spec_kw: dict, traits: ibis.Table | None = None) -> None:
    spec = make_spec(**spec_kw)
    want, got = sql_units(journey, spec, traits), scan_units(journey, spec, traits)
    cols = list(want.columns)
    assert list(got.columns) == cols
    order = dict(by=cols, na_position="first", ignore_index=True)
    pd.testing.assert_frame_equal(got.sort_values(**order), want.sort_values(**order))


@st.composite
def logs(draw):
    n = draw(st.integers(0, 30))
    rows = [
        Ev(
            person=draw(st.sampled_from(["p1", "p2", "p10", "q"])),
            event=draw(st.sampled_from(["a", "a", "b", "c", "d", "x"])),
            timestamp=BASE + timedelta(minutes=draw(st.sampled_from([0, 5, 20, 31, 45, 90, 600]))),
            message_id=f"m{i:03d}",
            device=draw(st.sampled_from(["mobile", "desktop", None])),
            channel=draw(st.sampled_from(["email", "direct"])),
            properties={"plan": draw(st.sampled_from(["basic", "pro"]))},
        )
        for i in range(n)
    ]
    return rows + [Ev(person="p9", event=e, timestamp=BASE, message_id=f"z{e}") for e in "abcdx"]


STEPS = st.sampled_from(
    [
        ["a", "b", "c"],
        ["a", "b", "a", "c"],
        [FunnelStep("a", where={"plan": "pro"}), "b", FunnelStep("c", where={"plan": "basic"})],
        ["d", "c", "b", "a"],
        ["b", "a"],
    ]
)
options = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["ordered", "strict", "unordered"]),
        "window": st.sampled_from(
            [timedelta(0), timedelta(minutes=30), timedelta(hours=2), timedelta(days=1)]
        ),
        "entry": st.sampled_from(["any", "first"]),
        "by": st.sampled_from(["person", "session"]),
        "exclude": st.sampled_from([None, ["x"]]),
        "breakdown": st.sampled_from([None, "device", "property:plan"]),
        "attribution": st.sampled_from(["first_touch", "last_touch", "step:2"]),
        "step_window": st.sampled_from([None, timedelta(minutes=20)]),
    }
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=logs(),
    steps=STEPS,
    opts=options,
    shuffle=st.randoms(use_true_random=False),
    shuffled=st.booleans(),
)
def test_scan_equals_sql(rows, steps, opts, shuffle, shuffled):
    """Every unit row of the scan equals the SQL's; the journey's rows in person order or
    shuffled (the scan then reads them ordered)."""
    if opts["mode"] == "unordered" and len({str(s) for s in steps}) < len(steps):
        steps = steps[:2] if steps[0] != steps[2] else [steps[0], steps[1]]
    w = opts.pop("step_window")
    windows = (
        None if w is None or opts["mode"] == "unordered" else [None, w] + [None] * (len(steps) - 2)
    )
    frame = journey_frame(rows)
    if shuffled:
        order = list(range(len(frame)))
        shuffle.shuffle(order)
        frame = frame.iloc[order].reset_index(drop=True)
    same_units(ibis.memtable(frame), {"steps": steps, "step_windows": windows, **opts})


def test_scan_on_the_store_reads_the_journey_in_order(project):
    """The stored journey is in (person_id, seq) order: the scan needs no ORDER BY."""
    rows = random_rows(3, n=300, persons=25, events=("a", "b", "c", "d"), ties=0.2)
    journey = load(project, rows)
    spec = make_spec(
        ["a", "b", "c"],
        mode="ordered",
        window=timedelta(days=1),
        step_windows=None,
        exclude=None,
        by="person",
        breakdown="device",
        attribution="last_touch",
    )
    _compiled.forget()
    table, first = fetch_rows(journey, spec)
    # the event codes, then the rows; no "ordered" read
    assert [key[0] for key in _compiled._MEMO] == ["funnel-codes", "funnel-scan"]
    assert [key[-1] for key in _compiled._MEMO] == [journey.op()] * 2
    units = table.column("u_key").to_numpy()
    assert int(first.sum()) == len(set(units.tolist())) == 25
    assert np.array_equal(first[1:], units[1:] != units[:-1])
    # by person on the stored journey the unit is its person code, exact (not a hash)
    assert units[first].tolist() == list(range(25))
    for by, mode in (("person", "strict"), ("session", "ordered"), ("session", "unordered")):
        same_units(
            journey,
            {
                "steps": ["a", "b", "c"],
                "mode": mode,
                "by": by,
                "window": timedelta(hours=12),
                "step_windows": None,
                "exclude": ["d"] if mode != "strict" else None,
                "breakdown": "channel",
                "attribution": "step:2",
            },
        )


def test_trait_breakdown_by_scan_equals_sql(project):
    rows = random_rows(4, n=120, persons=10, events=("a", "b", "c"))
    journey = load(project, rows)
    traits = ibis.memtable(
        {"person_id": ["p00", "p01", "p02", "p02"], "plan": ["pro", None, "basic", "pro"]}
    )  # p02 twice: two rows
    for by in ("person", "session"):
        same_units(
            journey,
            {
                "steps": ["a", "b"],
                "mode": "ordered",
                "by": by,
                "window": timedelta(days=3),
                "step_windows": None,
                "exclude": None,
                "breakdown": "trait:plan",
                "attribution": "first_touch",
            },
            traits,
        )
    spec = make_spec(
        ["a", "b"],
        mode="ordered",
        window=timedelta(days=1),
        step_windows=None,
        exclude=None,
        by="person",
        breakdown="trait:plan",
        attribution="first_touch",
    )
    with pytest.raises(InvalidInput, match="needs a traits table"):
        scan_units(journey, spec, None)


def _spec():
    return make_spec(
        ["a", "b"],
        mode="ordered",
        window=timedelta(days=1),
        step_windows=None,
        exclude=None,
        by="person",
        breakdown=None,
        attribution="first_touch",
    )


def test_bad_journeys_are_named():
    ts = pd.Series([BASE] * 3, dtype="datetime64[us, UTC]")
    twice = ibis.memtable(
        {
            "person_id": ["p1", "p1", "p2"],
            "seq": [0, 0, 0],
            "timestamp": ts,
            "event": ["a", "b", "a"],
            "properties": ["{}"] * 3,
        }
    )
    with pytest.raises(InvalidInput, match=r"two rows with seq 0 for 'p1'"):
        scan_units(twice, _spec(), None)
    nobody = ibis.memtable(
        {
            "person_id": ["p1", None, "p2"],
            "seq": [0, 1, 0],
            "timestamp": ts,
            "event": ["a", "b", "a"],
            "properties": ["{}"] * 3,
        }
    )
    with pytest.raises(InvalidInput, match="1 step events without a person_id"):
        scan_units(nobody, _spec(), None)


def _loop_best(first, t, mask, n, window, step_windows):
    """Each unit's best ordered attempt by a plain loop: (steps reached, entry row, rows)."""
    heads = np.flatnonzero(first)
    out = []
    for lo, hi in zip(heads, [*heads[1:], len(t)], strict=True):
        tries = []
        for e in range(lo, hi):
            if not mask[e] & 1:
                continue
            end = next((j for j in range(e + 1, hi) if mask[j] >> EXCLUDED & 1), hi)
            rows, at = [e], e
            for k in range(1, n):
                nxt = next((j for j in range(at + 1, end) if mask[j] >> k & 1), None)
                if nxt is None or t[nxt] - t[e] > window:
                    break
                if step_windows[k] is not None and t[nxt] - t[at] > step_windows[k]:
                    break
                rows.append(nxt)
                at = nxt
            tries.append((len(rows), -e, rows))
        if tries:
            level, e, rows = max(tries, key=lambda r: r[:2])
            out.append((level, -e, rows))
    return out


@pytest.mark.parametrize(
    ("window", "step_window", "exclude", "in_time_order"),
    [
        (2 * 10**6, None, False, True),
        (10**9, None, True, True),  # no window applies: one attempt per group
        (3 * 10**6, 4 * 10**5, True, True),
        (3 * 10**6, 4 * 10**5, True, False),  # seq and time in different orders
    ],
)
def test_kernel_against_a_loop_on_long_random_runs(window, step_window, exclude, in_time_order):
    """Ordered funnels on 6k random rows: the vectorised attempts (one followed per group
    of entries that share their chain) against a plain loop over each unit's attempts
    (greedy chains, best = most steps, then earliest)."""
    rng = random.Random(7)
    units = sorted(rng.randrange(300) for _ in range(6_000))
    first = np.r_[True, np.diff(units) != 0]
    t = np.array([rng.randrange(0, 10**7) for _ in units], dtype=np.int64)
    if in_time_order:
        t = np.concatenate([np.sort(part) for part in np.split(t, np.flatnonzero(first)[1:])])
    bits = [0, 0, 0, 1, 1, 2, 3] + ([EXCLUDED] if exclude else [])
    mask = np.array([1 << rng.choice(bits) for _ in units], dtype=np.int32)
    step_windows = [None, step_window, None, None]
    best = best_attempts(
        first,
        t,
        np.arange(len(t)),
        mask,
        n=4,
        mode="ordered",
        entry="any",
        window_us=window,
        step_windows_us=step_windows,
    )
    want = _loop_best(first, t, mask, 4, window, step_windows)
    got = [
        (level, e, [int(best.step_row[k, i]) for k in range(level)])
        for i, (level, e) in enumerate(
            zip(best.n_reached.tolist(), best.entry.tolist(), strict=True)
        )
    ]
    assert got == want
    assert max(level for level, _, _ in want) == 4


def test_scan_by_event_codes_in_a_scope(project):
    """On a journey with codes the rows are read by ``event_n``: a step missing from a
    scope is named ("Did you mean …?"), or counts nobody when the name is checked against
    the whole journey; equal to the SQL unit by unit, steps with filters included."""
    from wegweiser.analysis._names import names_from

    rows = random_rows(5, n=200, persons=12, events=("a", "b", "c", "d"), ties=0.2)
    journey = load(project, rows)
    scope = journey.filter(journey.event != "c")
    kw = {
        "mode": "ordered",
        "window": timedelta(days=2),
        "step_windows": None,
        "exclude": ["d"],
        "by": "person",
        "breakdown": "channel",
        "attribution": "first_touch",
    }
    with pytest.raises(InvalidInput, match="no event named 'c'"):
        scan_units(scope, make_spec(["a", "b", "c"], **kw), None)
    with names_from(lambda: journey):
        same_units(scope, {"steps": ["a", "b", "c"], **kw})
        units = scan_units(scope, make_spec(["a", "b", "c"], **kw), None)
        assert len(units) > 0
        assert units["n_reached"].max() == 2
        only_c = journey.filter(journey.event == "c")  # no step-1 row: nobody enters
        assert scan_units(only_c, make_spec(["a", "b"], **{**kw, "exclude": None}), None).empty
    same_units(journey, {"steps": ["a", FunnelStep("b", where={"plan": "pro"}), "c"], **kw})


@pytest.mark.parametrize("mode", ["ordered", "strict", "unordered"])
def test_split_kernel_equals_one_piece(mode, monkeypatch):
    """The kernel run on pieces of whole units (threads) joins to the one-piece result."""
    from wegweiser.analysis import _funnel_kernel as kernel

    rng = np.random.default_rng(3)
    units = np.sort(rng.integers(0, 400, 5_000))
    first = np.r_[True, units[1:] != units[:-1]]
    t = np.sort(rng.integers(0, 10**7, len(units)))
    mask = (1 << rng.choice([0, 0, 1, 2, EXCLUDED], len(units))).astype(np.int32)
    opts = {
        "n": 3,
        "mode": mode,
        "entry": "any",
        "window_us": 3 * 10**6,
        "step_windows_us": [None, 10**6, None],
    }
    whole = kernel.best_attempts(first, t, np.arange(len(t)), mask, **opts)
    monkeypatch.setattr(kernel, "SPLIT_ROWS", 0)
    for parts in (2, 3):
        split = kernel.best_attempts_split(first, t, np.arange(len(t)), mask, parts=parts, **opts)
        for field in ("unit", "entry", "n_reached", "n_distinct", "step_row", "reached", "done_us"):
            assert np.array_equal(getattr(split, field), getattr(whole, field)), field
    assert whole.n_reached.max() == 3
    assert len(whole.unit) > 300
