"""Drop-offs per phase, where the lost went, loops: against a plain-Python reference."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import timedelta

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
from wegweiser.analysis.dropoffs import dropoffs
from wegweiser.analysis.params import parse_moment
from wegweiser.errors import InvalidInput

# repeated names are drawn more often: many persons stop early, sessions repeat events
EVENTS = ("ad_click", "ad_click", "product_view", "product_view", "add_to_cart", "login",
          "checkout_payment", "payment_error", "order_completed", "review_written", "login")
ALL = "(any phase)"


def ref_by_phase(rows, top):
    reached, lost = Counter(), Counter()
    instead = Counter()
    for evs in reference_journeys(rows).values():
        for i, name in enumerate(PHASE_NAMES):
            here = [e for e in evs if reference_phase(e.event) == name]
            if not here:
                continue
            reached[name] += 1
            first = min(e.timestamp for e in here)
            onward = any(
                e.timestamp >= first
                and (e.event == "order_completed"
                     or PHASE_RANK.get(reference_phase(e.event), -1) > i)
                for e in evs
            )
            if onward or i == len(PHASE_NAMES) - 1:
                continue
            lost[name] += 1
            last = max(here, key=lambda e: e.seq)
            nxt = evs[last.seq + 1] if last.seq + 1 < len(evs) else None
            next_phase = "(end)" if nxt is None else reference_phase(nxt.event) or "(none)"
            instead[(name, last.event, nxt.event if nxt else "(end)", next_phase)] += 1
    table = [(n, reached[n], reached[n] - lost[n], lost[n],
              round(lost[n] / reached[n], 4) if reached[n] else 0.0) for n in PHASE_NAMES]
    rows_out = []
    for name in PHASE_NAMES:
        mine = sorted(((-c, k[1], k[2], k) for k, c in instead.items() if k[0] == name))[:top]
        rows_out += [(*k, -c, round(-c / lost[name], 4)) for c, _, _, k in mine]
    return table, rows_out


def ref_loops(rows, by=None):
    journeys = reference_journeys(rows)
    conv, counts = {}, Counter()
    base = defaultdict(dict)  # (key, scope) -> person -> first session
    for person, evs in journeys.items():
        sessions = [e.session for e in evs if e.event == "order_completed"]
        conv[person] = max(sessions) if sessions else None
        for e in evs:
            key = (getattr(e, by) or "(none)") if by else ""
            counts[(person, key, e.event, e.session)] += 1
            for scope in filter(None, (reference_phase(e.event), ALL)):
                seen = base[(key, scope)]
                seen[person] = min(seen.get(person, e.session), e.session)
    affected = defaultdict(dict)  # (key, event) -> person -> [first looped session, sessions]
    for (person, key, event, session), n in counts.items():
        if n >= 2:
            s0, k = affected[(key, event)].get(person, (session, 0))
            affected[(key, event)][person] = (min(s0, session), k + 1)

    def converted(person, since):
        return conv[person] is not None and conv[person] >= since

    out = {}
    for (key, event), aff in affected.items():
        pool = base[(key, reference_phase(event) or ALL)]
        others = {p: s for p, s in pool.items() if p not in aff}
        rate_aff = round(sum(converted(p, s0) for p, (s0, _) in aff.items()) / len(aff), 4)
        rate_base = (round(sum(converted(p, s) for p, s in others.items()) / len(others), 4)
                     if others else None)
        lift = None if rate_base is None else round(rate_aff - rate_base, 4)
        score = 0.0 if lift is None else round(len(aff) * max(0.0, -lift), 2)
        out[(key, event)] = (len(aff), sum(k for _, k in aff.values()), rate_aff, len(others),
                             rate_base, lift, score)
    return out


def _check_loops(frame, ref, by):
    assert len(frame) == len(ref)
    keys = []
    for row in frame.to_dict("records"):
        key = (row[by] if by else "", row["event"])
        persons, sessions, rate_aff, n_base, rate_base, lift, score = ref[key]
        assert (row["persons"], row["sessions"], row["baseline_persons"]) == (
            persons, sessions, n_base)
        assert row["rate_affected"] == pytest.approx(rate_aff)
        if rate_base is None:
            assert row["rate_baseline"] is None or row["rate_baseline"] != row["rate_baseline"]
        else:
            assert row["rate_baseline"] == pytest.approx(rate_base)
            assert row["lift"] == pytest.approx(lift, abs=1e-9)
        assert row["score"] == pytest.approx(score, abs=0.011)
        assert row["phase"] == reference_phase(row["event"]) or row["phase"] != row["phase"]
        keys.append((-row["score"], -row["persons"], row["event"], key[0]))
    assert keys == sorted(keys)
    assert frame["rank"].tolist() == list(range(1, len(frame) + 1))


@pytest.mark.parametrize(("seed", "minutes", "ties"), [(0, 60 * 12, 0.2), (1, 60 * 24 * 2, 0.4),
                                                       (2, 240, 0.5)])
def test_dropoffs_and_loops_match_reference(project, seed, minutes, ties):
    rows = random_rows(seed, n=500, persons=80, events=EVENTS, minutes=minutes, ties=ties)
    journey, _ = load_log(project, rows, seed)
    result = dropoffs(journey, PHASES, top=3)
    table, instead = ref_by_phase(rows, 3)
    assert [tuple(r) for r in result.by_phase.itertuples(index=False)] == table
    assert [tuple(r) for r in result.where_instead.itertuples(index=False)] == instead
    assert isinstance(result.to_dict()["loops"], list)
    _check_loops(result.loops, ref_loops(rows), None)
    by_device = dropoffs(journey, PHASES, by="device").loops
    _check_loops(by_device, ref_loops(rows, "device"), "device")
    assert set(by_device["device"]) <= {"mobile", "desktop"}


def test_conversion_at_the_same_instant_counts_as_progress(project):
    t = BASE
    rows = [
        Ev("pa", "product_view", t, "m1"), Ev("pa", "order_completed", t, "m0"),  # same instant
        Ev("pb", "order_completed", t, "m2"),
        Ev("pb", "product_view", t + timedelta(seconds=1), "m3"),  # converted before: lost
        Ev("pb", "login", t + timedelta(seconds=2), "m4"),
        Ev("pc", "product_view", t, "m5"), Ev("pc", "add_to_cart", t, "m6"),  # same instant
    ]
    journey, _ = load_log(project, rows)
    result = dropoffs(journey, PHASES)
    cons = result.by_phase.set_index("phase").loc["Consideration"]
    assert (cons["reached"], cons["progressed"], cons["lost"]) == (3, 2, 1)
    assert result.where_instead.to_dict("records") == [
        {"phase": "Consideration", "last_event": "product_view", "next_event": "login",
         "next_phase": "(none)", "persons": 1, "share": 1.0},
        {"phase": "Preference", "last_event": "add_to_cart", "next_event": "(end)",
         "next_phase": "(end)", "persons": 1, "share": 1.0},
    ]
    assert result.loops.empty


def test_loops_count_retries_and_cycles_once_per_person(project):
    t = BASE
    seq = ["checkout_payment", "payment_error", "checkout_payment", "payment_error"]
    rows = [Ev("pa", e, t + timedelta(minutes=i), f"a{i}") for i, e in enumerate(seq)]
    rows += [Ev("pa", e, t + timedelta(days=1, minutes=i), f"b{i}") for i, e in enumerate(seq)]
    rows += [Ev("pb", "checkout_payment", t, "c0"), Ev("pb", "order_completed", t, "c1")]
    journey, _ = load_log(project, rows)
    loops = dropoffs(journey, PHASES).loops.set_index("event")
    assert loops.loc["payment_error", "persons"] == 1
    assert loops.loc["payment_error", "sessions"] == 2
    assert loops.loc["payment_error", "rate_affected"] == 0.0
    assert loops.loc["payment_error", "rate_baseline"] == 1.0
    assert loops.loc["payment_error", "lift"] == -1.0
    assert loops["rank"].tolist() == [1, 2]


def test_empty_journey_and_bad_options(project):
    journey = project.journey()
    result = dropoffs(journey, PHASES, by="device")
    assert result.by_phase["reached"].tolist() == [0] * len(PHASE_NAMES)
    assert result.where_instead.empty
    assert result.loops.empty
    assert list(result.loops.columns)[:2] == ["device", "event"]
    assert result.figure().data
    with pytest.raises(InvalidInput, match="device"):
        dropoffs(journey, PHASES, by="properties")
    with pytest.raises(InvalidInput, match="top"):
        dropoffs(journey, PHASES, top=0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import wegweiser
    from wegweiser.events.demo import generate

    data = generate(1500, seed=3, days=60)
    folder = tmp_path_factory.mktemp("demo")
    with wegweiser.Project.init(folder) as project:
        project.import_events(data.events)
        project.journey()
    return folder, data.truth


def test_demo_pain_point_tops_the_loop_ranking(demo):
    import wegweiser

    folder, truth = demo
    pain = truth["pain_point"]
    with wegweiser.open_project(folder) as project:
        journey = project.journey()
        result = dropoffs(journey, PHASES)
        by_device = dropoffs(journey, PHASES, by="device").loops
    top = result.loops.iloc[0]
    assert top["event"] in (pain["event"], pain["step"])
    assert top["lift"] < -0.2
    first = by_device.iloc[0]
    assert (first["event"], first["device"]) in {(pain["event"], pain["device"]),
                                                 (pain["step"], pain["device"])}
    purchase = result.where_instead[result.where_instead.phase == "Purchase"]
    assert purchase.iloc[0]["last_event"] == pain["event"]
    assert result.loops_figure().data


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wegweiser.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_phases_and_dropoffs(demo):
    from typer.testing import CliRunner

    from wegweiser.cli import app

    folder, truth = demo
    res = _cli("dropoffs", "-p", str(folder), "--view", "loops", "--by", "device",
               "--top", "3", "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert len(rows) == 3
    assert rows[0]["device"] == truth["pain_point"]["device"]
    # in-process (a subprocess costs seconds): same app, same output
    res = CliRunner().invoke(app, ["phases", "-p", str(folder), "--view", "current",
                                   "--as-of", truth["end"], "--format", "json"])
    assert res.exit_code == 0, res.output
    got = {r["phase"]: r["persons"] for r in json.loads(res.stdout) if r["persons"]}
    assert got == truth["phase_counts"]
    res = CliRunner().invoke(app, ["phases", "-p", str(folder), "--view", "stuck",
                                   "--limit", "2", "--format", "csv"])
    assert res.stdout.splitlines()[0] == "person_id,phase,since,days"
    assert len(res.stdout.splitlines()) <= 3
    with pytest.raises(InvalidInput, match=r"as_of .*2026-10-31"):
        parse_moment("31.10.2026")
