"""Path analyses against a plain-Python reference on small random logs."""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.reference import BASE, Ev, load, random_rows, reference_journeys
from wegweiser.analysis import _paths_pattern, paths
from wegweiser.analysis._codes import CODE_COLUMNS, has_codes
from wegweiser.analysis._paths_steps import steps_have_codes
from wegweiser.errors import InvalidInput

EVENTS = ("view", "cart", "checkout_ship", "checkout_pay", "order_completed", "support")


# -- the reference ----------------------------------------------------------------------------

@dataclass
class Step:
    event: str
    timestamp: object
    person: str


def name_match(name: str, pattern: str) -> bool:
    if pattern.startswith("re:"):
        return re.search(pattern[3:], name) is not None
    return fnmatch.fnmatchcase(name, pattern)


def ref_units(rows, *, groups=None, exclude=(), collapse=False, by="person"):
    units: dict[str, list[Step]] = {}
    for person, events in reference_journeys(rows).items():
        for e in events:
            grouped = next((g for p, g in (groups or {}).items() if name_match(e.event, p)),
                           e.event)
            if any(name_match(e.event, p) or name_match(grouped, p) for p in exclude):
                continue
            uid = person if by == "person" else f"{person}:{e.session}"
            steps = units.setdefault(uid, [])
            if collapse and steps and steps[-1].event == grouped:
                continue
            steps.append(Step(grouped, e.timestamp, person))
    return units


def ref_transitions(units):
    count, persons, secs = Counter(), defaultdict(set), defaultdict(list)
    nodes = defaultdict(lambda: [0, set(), 0, 0])
    for steps in units.values():
        for i, s in enumerate(steps):
            node = nodes[s.event]
            node[0] += 1
            node[1].add(s.person)
            node[2] += i == 0
            node[3] += i == len(steps) - 1
            if i + 1 < len(steps):
                key = (s.event, steps[i + 1].event)
                count[key] += 1
                persons[key].add(s.person)
                secs[key].append((steps[i + 1].timestamp - s.timestamp).total_seconds())
    out = Counter()
    for (src, _), n in count.items():
        out[src] += n
    edges = {k: (n, len(persons[k]), n / out[k[0]], statistics.median(secs[k]))
             for k, n in count.items()}
    return edges, {e: (v[0], len(v[1]), v[2], v[3]) for e, v in nodes.items()}


def first_index(steps, pattern, after=-1):
    return next((i for i, s in enumerate(steps) if i > after and name_match(s.event, pattern)),
                None)


def ref_paths(units, *, n, max_length, start=None, end=None):
    counts, persons, scope = Counter(), defaultdict(set), 0
    for steps in units.values():
        s = 0 if start is None else first_index(steps, start)
        if s is None:
            continue
        if end is not None:
            e = first_index(steps, end, after=s if start is not None else -1)
            if start is None:
                if e is None:
                    continue
                s = max(0, e - max_length + 1)
            scope += 1
            if e is None or e - s + 1 > max_length:
                continue
            path = tuple(x.event for x in steps[s:e + 1])
        else:
            scope += 1
            path = tuple(x.event for x in steps[s:s + max_length])
        counts[path] += 1
        persons[path].add(steps[0].person)
    ranked = sorted(counts, key=lambda p: (-counts[p], p))[:n]
    return [(" > ".join(p), len(p), counts[p], len(persons[p]), counts[p] / scope)
            for p in ranked]


def ref_windows(units, length, start=None):
    """unit -> its steps 1..length (from the first start), plus whether each is the last."""
    out = {}
    for uid, steps in units.items():
        s = 0 if start is None else first_index(steps, start)
        if s is not None:
            out[uid] = [(k, x, s + k == len(steps)) for k, x in enumerate(steps[s:s + length], 1)]
    return out


def ref_sankey(units, steps, start=None):
    nodes = defaultdict(lambda: [0, set(), 0])
    links = defaultdict(lambda: [0, set()])
    for window in ref_windows(units, steps, start).values():
        for k, x, last in window:
            node = nodes[(k, x.event)]
            node[0] += 1
            node[1].add(x.person)
            node[2] += last
        for (k, x, _), (_, y, _) in itertools.pairwise(window):
            link = links[(k, x.event, y.event)]
            link[0] += 1
            link[1].add(x.person)
    return ({k: (v[0], len(v[1]), v[2]) for k, v in nodes.items()},
            {k: (v[0], len(v[1])) for k, v in links.items()})


# -- helpers ----------------------------------------------------------------------------------

def rows_with(seed, **kw):
    return random_rows(seed, events=EVENTS, ties=0.2, **kw)


def edge_dict(result):
    return {(r.source, r.target): (r.count, r.persons, r.probability, r.median_seconds)
            for r in result.edges.itertuples()}


def assert_edges(got, expected):
    assert set(got) == set(expected)
    for key, (n, p, prob, med) in expected.items():
        g = got[key]
        assert g[:2] == (n, p), key
        assert g[2] == pytest.approx(prob)
        assert g[3] == pytest.approx(med), key


OPTIONS = [
    {},
    {"by": "session"},
    {"collapse": True},
    {"groups": {"checkout_*": "checkout", "re:^(cart|view)$": "browse"}, "collapse": True},
    {"exclude": ["support", "re:pay$"], "by": "session"},
    {"groups": {"checkout_*": "checkout"}, "exclude": ["checkout"], "collapse": True},
]
PATH_ARGS = [
    {"n": 7, "max_length": 3}, {"n": 50, "max_length": 4, "start": "cart"},
    {"n": 50, "max_length": 3, "end": "order_*"},
    {"n": 50, "max_length": 4, "start": "view", "end": "re:^order"},
]


# -- tests ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", range(3))
def test_every_view_matches_the_reference(project, case):
    rows = rows_with(case, n=160, persons=10)
    journey = load(project, rows)
    for i, opts in enumerate(OPTIONS[2 * case: 2 * case + 2]):
        units = ref_units(rows, **opts)
        edges, nodes = ref_transitions(units)
        got = paths.transitions(journey, **opts)
        assert_edges(edge_dict(got), edges)
        assert {r.event: (r.count, r.persons, r.starts, r.exits)
                for r in got.nodes.itertuples()} == nodes
        assert got.edges["count"].is_monotonic_decreasing

        for kw in PATH_ARGS[2 * i: 2 * i + 2]:
            got_paths = paths.top_paths(journey, **kw, **opts).paths
            expected = ref_paths(units, **kw)
            assert [tuple(r)[:4] for r in got_paths.itertuples(index=False)] == [
                e[:4] for e in expected], (opts, kw)
            assert got_paths["share"].tolist() == pytest.approx([e[4] for e in expected])

        start = (None, "checkout_*")[(case + i) % 2]
        sk = paths.sankey(journey, steps=4, start=start, **opts)
        ref_nodes, ref_links = ref_sankey(units, 4, start)
        assert {(r.step, r.event): (r.count, r.persons, r.exits)
                for r in sk.nodes.itertuples()} == ref_nodes
        assert {(r.step, r.source, r.target): (r.count, r.persons)
                for r in sk.links.itertuples()} == ref_links

        start = ("view", None)[(case + i) % 2]
        sm = paths.step_matrix(journey, max_steps=5, start=start, **opts)
        check_step_matrix(sm, ref_windows(units, 5, start))
        if case == i == 0:
            match = paths.match_pattern(journey, "view -> *")
            for result in (got, sk, sm, match, paths.top_paths(journey)):
                assert result.figure().data
                assert result.to_dict()["params"]["by"] == "person"


def check_step_matrix(got, windows):
    total = len(windows)
    matrix = got.matrix.set_index("event")
    if not total:
        assert matrix.empty
        return
    at = Counter((k, x.event) for w in windows.values() for k, x, _ in w)
    for (k, event), c in at.items():
        assert matrix.loc[event, str(k)] == pytest.approx(c / total)
    for k in range(1, 6):
        ended = sum(len(w) < k for w in windows.values())
        assert matrix.loc["ENDED", str(k)] == pytest.approx(ended / total)
    assert matrix.drop(index="ENDED").to_numpy().sum() == pytest.approx(
        sum(at.values()) / total)
    assert matrix.index[-1] == "ENDED"


@pytest.mark.parametrize("opts", [{}, {"by": "session"}])
def test_transitions_by_codes_equal_transitions_by_names(project, opts):
    journey = load(project, rows_with(3, n=160, persons=10))
    assert has_codes(journey)
    coded = paths.transitions(journey, **opts)
    named = paths.transitions(journey.drop(*CODE_COLUMNS), **opts)
    pd.testing.assert_frame_equal(coded.edges, named.edges)
    pd.testing.assert_frame_equal(coded.nodes, named.nodes)


def test_scoped_transitions_follow_the_kept_events(project):
    """A filtered journey is renumbered: its next_event_n is that of the kept next event."""
    rows = rows_with(4, n=160, persons=10)
    load(project, rows)
    got = project.analyse("paths", view="transitions", where=["event!=view"])
    kept = [r for r in rows if r.event != "view"]
    edges, nodes = ref_transitions(ref_units(kept))
    assert_edges(edge_dict(got), edges)
    assert {r.event: (r.count, r.persons, r.starts, r.exits)
            for r in got.nodes.itertuples()} == nodes


def test_equal_timestamps_follow_message_id_and_window_edges(project):
    t = BASE
    rows = [
        Ev("p1", "cart", t, "m2"), Ev("p1", "view", t, "m1"),  # tie: m1 (view) first
        Ev("p1", "order_completed", t + timedelta(minutes=30), "m3"),  # gap of exactly 30 min
        Ev("p1", "view", t + timedelta(minutes=61), "m4"),  # 31 min later: a new session
        Ev("p2", "view", t, "m5"),
    ]
    journey = load(project, list(reversed(rows)))
    assert edge_dict(paths.transitions(journey)).keys() == {
        ("view", "cart"), ("cart", "order_completed"), ("order_completed", "view")}
    by_session = paths.transitions(journey, by="session")
    assert set(edge_dict(by_session)) == {("view", "cart"), ("cart", "order_completed")}
    # end exactly max_length steps after the start: inside; one more step: outside
    inside = paths.top_paths(journey, start="view", end="order_completed", max_length=3)
    assert inside.paths["path"].tolist() == ["view > cart > order_completed"]
    assert inside.paths["share"].tolist() == [0.5]  # p2 has the start but no end
    outside = paths.top_paths(journey, start="view", end="order_completed", max_length=2)
    assert outside.paths.empty
    ended = paths.top_paths(journey, end="order_completed", max_length=2)
    assert ended.paths["path"].tolist() == ["cart > order_completed"]


def test_persons_stitched_from_devices(project):
    frame = pd.DataFrame({
        "message_id": ["1", "2", "3", "4", "5", "6"],
        "type": ["track", "track", "identify", "track", "identify", "track"],
        "event": ["view", "cart", None, "view", None, "order_completed"],
        "anonymous_id": ["phone", "phone", "phone", "laptop", "laptop", None],
        "user_id": [None, None, "anna", None, "anna", "anna"],
        "timestamp": [f"2026-01-0{d}T10:00:00Z" for d in (1, 2, 3, 4, 5, 6)],
    })
    project.import_events(frame)
    journey = project.journey()
    top = paths.top_paths(journey)
    assert top.paths.to_dict("records") == [{
        "path": "view > cart > view > order_completed", "length": 4, "count": 1,
        "persons": 1, "share": 1.0}]
    match = paths.match_pattern(journey, "cart -> [^support]* -> order_completed")
    assert match.summary["matching"].tolist() == [1]
    assert match.matches[["start_step", "end_step", "steps"]].values.tolist() == [[2, 4, 3]]


def test_empty_inputs(project):
    journey = project.journey()
    assert paths.transitions(journey).edges.empty
    assert paths.top_paths(journey).paths.empty
    sk = paths.sankey(journey)
    assert sk.links.empty
    assert sk.nodes.empty
    assert paths.step_matrix(journey).matrix.empty
    match = paths.match_pattern(journey, "a -> b")
    assert match.summary["units"].tolist() == [0]
    assert match.matches.empty
    assert "n_units" not in match.matches.columns
    for result in (paths.transitions(journey), sk):
        result.figure()


def test_bad_arguments():
    with pytest.raises(InvalidInput, match="by="):
        paths.prepare_steps(None, by="device")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="regular expression"):
        paths.prepare_steps(None, exclude=["re:("])  # type: ignore[arg-type]
    for bad in ("", "* -> *", "a -> -> b", "a -> [b", "[] -> a", "a -> re:x"):
        with pytest.raises(InvalidInput):
            paths.match_pattern(None, bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="max_length"):
        paths.top_paths(None, max_length=0)  # type: ignore[arg-type]


# -- the pattern language -----------------------------------------------------------------------

def any_event(_event):
    return True


def one_of(names, negate=False):
    def pred(event):
        return any(fnmatch.fnmatchcase(event, n) for n in names) != negate
    return pred


def ref_tokens(pattern):
    tokens = []
    for part in (p.strip() for p in pattern.strip("^$ ").split("->")):
        if part == "*":
            tokens.append((any_event, "*"))
            continue
        rep = part[-1] if part[-1] in "*+" and (part[:-1] == "." or part[-2] == "]") else ""
        body = part[:-1] if rep else part
        if body == ".":
            pred = any_event
        elif body.startswith("["):
            negate = body.startswith("[^")
            pred = one_of(body[2 if negate else 1:-1].split(","), negate)
        else:
            pred = one_of([body])
        tokens.append((pred, rep))
    return tokens


def lazy_end(tokens, seq, i, t, anchor_end):
    """End (exclusive) of the first lazy match of tokens[t:] at seq[i:], or None."""
    if t == len(tokens):
        return i if not anchor_end or i == len(seq) else None
    pred, rep = tokens[t]
    if rep == "":
        ok = i < len(seq) and pred(seq[i])
        return lazy_end(tokens, seq, i + 1, t + 1, anchor_end) if ok else None
    if rep == "+":
        if not (i < len(seq) and pred(seq[i])):
            return None
        i += 1
    while True:
        found = lazy_end(tokens, seq, i, t + 1, anchor_end)
        if found is not None:
            return found
        if i < len(seq) and pred(seq[i]):
            i += 1
        else:
            return None


def ref_match(pattern, seq):
    """(start, end) steps (1-based, inclusive) of the first match: the earliest start, then
    each repeated step as short as possible from left to right."""
    tokens = ref_tokens(pattern)
    starts = [0] if pattern.startswith("^") else range(len(seq))
    for s in starts:
        e = lazy_end(tokens, seq, s, 0, pattern.endswith("$"))
        if e is not None:
            return s + 1, e
    return None


ALPHABET = ("a", "b", "c", "ab", "ca")
ATOMS = ["a", "b", "c", "a*", "?", "*b", ".", "[a,b]", "[^a]", "[^b,c*]", "[c,a?]"]


@st.composite
def patterns(draw):
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        atom = draw(st.sampled_from([*ATOMS, "*"]))
        if atom.endswith("]") or atom == ".":
            atom += draw(st.sampled_from(["", "", "*", "+"]))
        steps.append(atom)
    if all(s == "*" or (s.endswith("*") and s[-2] in "].") for s in steps):
        steps.append("b")
    text = " -> ".join(steps)
    return draw(st.sampled_from(["", "^"])) + text + draw(st.sampled_from(["", "$"]))


def python_codes(pattern, seq):
    """The event codes of _paths_pattern, computed in Python."""
    names = pattern.names
    return "".join(_paths_pattern._char(sum(1 << i for i, n in enumerate(names)
                                            if fnmatch.fnmatchcase(e, n))) for e in seq)


@settings(max_examples=400, deadline=None)
@given(seq=st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=10), text=patterns())
def test_compiled_pattern_finds_the_first_match(seq, text):
    parsed = _paths_pattern.parse_pattern(text)
    found = re.search(_paths_pattern.pattern_regex(parsed), python_codes(parsed, seq))
    got = None if found is None else (len(found[1]) + 1, len(found[1]) + len(found[2]))
    assert got == ref_match(text, seq)


TRICKY = [
    "a -> * -> b", "^. -> [^a]* -> b$", "[a,b]+ -> c", "a* -> [^b,c*]* -> ?", "*b -> .+ -> a",
    "^[^a]+", "c -> [c,a?]* -> [a,b]", "b$",
]


def test_patterns_run_in_the_engine(project):
    units = [random_seq(i) for i in range(12)]
    journey = project._engine.ibis().create_table("units", journey_table(units))
    for pattern in TRICKY:
        got = paths.match_pattern(journey, pattern)
        expected = {f"u{i}": ref_match(pattern, seq) for i, seq in enumerate(units)}
        expected = {u: m for u, m in expected.items() if m is not None}
        found = {r.unit_id: (r.start_step, r.end_step) for r in got.matches.itertuples()}
        assert found == expected, pattern
        for r in got.matches.itertuples():
            assert r.start_timestamp == BASE + timedelta(minutes=r.start_step - 1)
            assert r.end_timestamp == BASE + timedelta(minutes=r.end_step - 1)
        assert got.summary["units"].tolist() == [len(units)]


def journey_table(units):
    """A journey-shaped Arrow table: unit i is person u{i} with one session, one minute apart."""
    cols = defaultdict(list)
    for i, seq in enumerate(units):
        for k, event in enumerate(seq):
            last = k + 1 == len(seq)
            cols["person_id"].append(f"u{i}")
            cols["seq"].append(k)
            cols["session_id"].append(f"u{i}:0")
            cols["event"].append(event)
            cols["timestamp"].append(BASE + timedelta(minutes=k))
            cols["next_event"].append(None if last else seq[k + 1])
            cols["next_timestamp"].append(None if last else BASE + timedelta(minutes=k + 1))
    ts = pa.timestamp("us", tz="UTC")
    types = {"seq": pa.int64(), "timestamp": ts, "next_timestamp": ts}
    return pa.table({name: pa.array(values, types.get(name, pa.string()))
                     for name, values in cols.items()})


def random_seq(seed):
    import random

    rng = random.Random(seed)
    return [rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))]


def test_pattern_on_random_logs(project):
    rows = rows_with(7, n=200, persons=12)
    journey = load(project, rows)
    pattern = "cart -> [^support]* -> order_completed"
    for opts in ({}, {"by": "session", "groups": {"checkout_*": "checkout"}, "collapse": True}):
        units = ref_units(rows, **opts)
        got = paths.match_pattern(journey, pattern, **opts)
        expected = {}
        for uid, steps in units.items():
            m = ref_match(pattern, [s.event for s in steps])
            if m:
                expected[uid] = (m, steps[m[0] - 1].timestamp, steps[m[1] - 1].timestamp)
        assert {r.unit_id: ((r.start_step, r.end_step), r.start_timestamp, r.end_timestamp)
                for r in got.matches.itertuples()} == expected
        assert got.summary["share"].iloc[0] == pytest.approx(len(expected) / len(units))


# -- the demo's planted truth ----------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import wegweiser
    from wegweiser.events.demo import generate

    data = generate(800, seed=3, days=60)
    with wegweiser.Project.init(tmp_path_factory.mktemp("demo")) as proj:
        proj.import_events(data.events)
        yield proj, data.truth


def test_demo_payment_loop_on_mobile(demo):
    proj, truth = demo
    journey = proj.journey()
    observed = truth["pain_point"]["observed"]
    for device in ("mobile", "desktop"):
        mine = journey.filter(journey.device == device)
        reach = paths.match_pattern(mine, "checkout_payment", by="session")
        error = paths.match_pattern(mine, "checkout_payment -> payment_error", by="session")
        n_reach, n_error = reach.summary["matching"].iloc[0], error.summary["matching"].iloc[0]
        assert abs(n_reach - observed[device]["attempt_visits"]) <= 0.05 * n_reach
        assert n_error / n_reach == pytest.approx(observed[device]["rate"], abs=0.03)
    loop = paths.transitions(journey.filter(journey.device == "mobile"), by="session")
    edges = loop.edges.set_index(["source", "target"])
    assert edges.loc[("payment_error", "checkout_payment"), "probability"] > 0.4
    top = paths.top_paths(journey, start="payment_error", max_length=2, by="session")
    assert top.paths["path"].iloc[0] == "payment_error > checkout_payment"


def test_cli_paths(demo):
    proj, _ = demo
    proj.close()  # the command opens the store itself (the last test of the module)
    out = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "paths", "--project", str(proj.path),
         "--view", "top", "--start", "add_to_cart", "--max-length", "3",
         "--group", "checkout_*=checkout", "--collapse", "--format", "json"],
        capture_output=True, text=True, check=True)
    rows = json.loads(out.stdout)
    assert all(r["path"].startswith("add_to_cart") for r in rows)
    assert "add_to_cart > checkout > order_completed" in [r["path"] for r in rows]
    assert set(rows[0]) == {"path", "length", "count", "persons", "share"}


@pytest.mark.parametrize(("args", "message"), [
    (["--view", "sankey", "--end", "x"], "end does not apply"),
    (["--group", "checkout_*"], "PATTERN=NAME"),
    (["--view", "match"], "needs a pattern"),
    (["--view", "top", "--table", "nodes"], "not a table"),
])
def test_cli_paths_rejects_bad_arguments(tmp_path, args, message):
    from typer.testing import CliRunner

    from wegweiser.cli import app

    if "--table" in args:  # known only once the result is there: needs a project
        from wegweiser import Project

        Project.init(tmp_path).close()
    result = CliRunner().invoke(app, ["paths", "--project", str(tmp_path), *args])
    assert isinstance(result.exception, InvalidInput)
    assert message in str(result.exception)


def test_collapsed_runs_match_the_windowed_collapse(project):
    """Loops collapsed on the journey's codes (run ends only, one window) give the tables of
    the windowed collapse over every step (forced here by a group rule that matches
    nothing) and of the plain-Python reference: long runs, runs at a person's start and
    end, one-event persons, equal timestamps."""
    rows = random_rows(4, n=260, persons=9, events=("a", "b", "c"), minutes=60 * 6, ties=0.3)
    rows += [Ev("solo", "a", BASE, "s0"), Ev("twice", "b", BASE, "t0"),
             Ev("twice", "b", BASE, "t1")]
    journey = load(project, rows)
    assert has_codes(journey)
    fast = paths.transitions(journey, collapse=True)
    windowed = paths.transitions(journey, collapse=True, groups={"no_such_event": "x"})
    pd.testing.assert_frame_equal(fast.edges, windowed.edges, check_exact=True)
    pd.testing.assert_frame_equal(fast.nodes, windowed.nodes, check_exact=True)
    edges, nodes = ref_transitions(ref_units(rows, collapse=True))
    assert_edges(edge_dict(fast), edges)
    assert {r.event: (r.count, r.persons, r.starts, r.exits)
            for r in fast.nodes.itertuples()} == nodes


@pytest.mark.parametrize("opts", [
    {}, {"by": "session"}, {"collapse": True}, {"exclude": ["view"]},
    {"groups": {"c*": "c"}}, {"groups": {"c*": "c"}, "by": "session"},
])
def test_steps_have_codes_says_what_prepare_steps_keeps(project, opts):
    journey = load(project, rows_with(3, n=40, persons=4))
    cleaning = {k: v for k, v in opts.items() if k != "by"}
    for table in (journey, journey.drop(*CODE_COLUMNS)):
        assert steps_have_codes(table, **cleaning) == has_codes(
            paths.prepare_steps(table, **opts))
