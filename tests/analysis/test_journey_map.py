"""The journey map (phases x touchpoints) against a plain-Python reference and the demo."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import pytest

from tests.analysis.reference import (
    BASE,
    PHASE_NAMES,
    Ev,
    reference_journeys,
    reference_phase,
    stitched_frame,
)
from tests.analysis.test_kpis import feedback_rows as kpi_rows
from tests.analysis.test_kpis import ref_answer
from wegweiser.analysis.journey_map import NONE, journey_map
from wegweiser.errors import InvalidInput

EVENTS = ("ad_click", "product_view", "product_view", "add_to_cart", "checkout_payment",
          "order_completed", "survey_answered", "review_written", "login")


def make_rows(seed: int, n: int = 300) -> list[Ev]:
    rows = kpi_rows(seed, n=n, persons=30)
    events = EVENTS
    for i, r in enumerate(rows):  # the kpi rows' events, spread over every phase
        if r.event not in ("order_completed", "survey_answered"):
            r.event = events[(i * 7 + seed) % len(events)]
            if r.event == "survey_answered":
                r.event = "login"
        if i % 9 == 0:
            r.channel = None
    return rows


FEEDBACK = ("survey_answered", "review_written")  # the default feedback and review events


def ref_about(evs: list[Ev], by: str) -> list[tuple[str, str, float]]:
    """(phase, touchpoint, 0..100) of each scored answer in a person's ordered events,
    linked to the last earlier event that is not feedback (module docstring)."""
    out = []
    for i, e in enumerate(evs):
        if (answer := ref_answer(e)) is None:
            continue
        earlier = [x for x in evs[:i] if x.event not in FEEDBACK]
        if not earlier:
            continue
        touch = earlier[-1]
        phase = reference_phase(touch.event)
        if phase is None:  # the phase of the last earlier event that has one
            phase = next((ph for x in reversed(earlier)
                          if (ph := reference_phase(x.event)) is not None), None)
        if phase is None:
            continue
        kind, score = answer
        low, high = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[kind]
        tp = (touch.channel or "direct") if by == "channel" else touch.event
        out.append((phase, tp, (score - low) * 100 / (high - low)))
    return out


def ref_map(rows: list[Ev], by: str = "channel",
            satisfaction: str = "after") -> dict[str, dict[tuple, dict]]:
    """{"cells"/"phases"/"touchpoints": key -> figures}, straight from the docstring."""
    out: dict[str, dict[tuple, dict]] = {}
    journeys = reference_journeys(rows)
    about = {person: ref_about(evs, by) for person, evs in journeys.items()}
    for table, key_of in (
        ("cells", lambda ph, tp: (ph, tp)), ("phases", lambda ph, tp: (ph,)),
        ("touchpoints", lambda ph, tp: (tp,)),
    ):
        acc: dict[tuple, dict] = defaultdict(lambda: {
            "persons": 0, "events": 0, "converters": 0, "answers": 0, "respondents": 0,
            "total": 0.0})
        for evs in journeys.values():
            convs = [e.timestamp for e in evs if e.event == "order_completed"]
            answers = [(e.timestamp, s * 10 if k == "nps" else (s - 1) * 100 / 6 if k == "ces"
                        else (s - 1) * 25)
                       for e in evs if (a := ref_answer(e)) for k, s in [a]]
            first: dict[tuple, object] = {}
            for e in evs:
                phase = reference_phase(e.event)
                if phase is None:
                    continue
                tp = (e.channel or "direct") if by == "channel" else e.event  # ingest's default
                key = key_of(phase, tp)
                first.setdefault(key, e.timestamp)  # events are in time order
                acc[key]["events"] += 1
            for key, t0 in first.items():
                cell = acc[key]
                cell["persons"] += 1
                cell["converters"] += any(t >= t0 for t in convs)
                if satisfaction == "after":
                    later = [v for t, v in answers if t >= t0]
                    cell["answers"] += len(later)
                    cell["respondents"] += bool(later)
                    cell["total"] += sum(later)
        if satisfaction == "about":
            cells = {(ph, tp) for evs in journeys.values() for e in evs
                     if (ph := reference_phase(e.event)) is not None
                     for tp in [(e.channel or "direct") if by == "channel" else e.event]}
            for person_answers in about.values():
                mine = [(key_of(ph, tp), v) for ph, tp, v in person_answers if (ph, tp) in cells]
                for key, v in mine:
                    acc[key]["answers"] += 1
                    acc[key]["total"] += v
                for key in {key for key, _ in mine}:
                    acc[key]["respondents"] += 1
        out[table] = dict(acc)
    return out


def check(frame, keys: list[str], expected: dict[tuple, dict]) -> None:
    got = {tuple(row[k] for k in keys): row for row in frame.to_dict("records")}
    assert set(got) == set(expected)
    for key, exp in expected.items():
        row = got[key]
        for name in ("persons", "events", "converters", "answers", "respondents"):
            assert row[name] == exp[name], (key, name)
        assert math.isclose(row["conversion_rate"], exp["converters"] / exp["persons"])
        if exp["answers"]:
            assert math.isclose(row["satisfaction"], exp["total"] / exp["answers"])
        else:
            assert math.isnan(row["satisfaction"])


@pytest.mark.parametrize("seed", range(3))
def test_journey_map_matches_the_reference(project, seed):
    rows = make_rows(seed)
    project.import_events(stitched_frame(rows, identify_first=seed % 2 == 1))
    labels = {project.person_of(r.person): r.person for r in rows}
    assert len(labels) == len({r.person for r in rows})  # stitched back into one person each
    journey = project.journey()
    for satisfaction in ("about", "after"):
        result = journey_map(journey, phases=PHASE_NAMES, satisfaction=satisfaction)
        expected = ref_map(rows, satisfaction=satisfaction)
        check(result.cells, ["phase", "touchpoint"], expected["cells"])
        check(result.phases, ["phase"], expected["phases"])
        check(result.touchpoints, ["touchpoint"], expected["touchpoints"])
        assert result.params["satisfaction"] == satisfaction
    # order: phases in config order, then persons descending
    order = [PHASE_NAMES.index(p) for p in result.cells["phase"]]
    assert order == sorted(order)
    totals = dict(zip(result.phases["phase"], result.phases["persons"], strict=True))
    shares = result.cells["persons"] / result.cells["phase"].map(totals)
    assert result.cells["share_of_phase"].tolist() == pytest.approx(shares.tolist())


def test_journey_map_by_event_and_top_events(project):
    rows = make_rows(7)
    project.import_events(stitched_frame(rows))
    journey = project.journey()
    by_event = journey_map(journey, phases=PHASE_NAMES, by="event")
    check(by_event.cells, ["phase", "touchpoint"],
          ref_map(rows, by="event", satisfaction="about")["cells"])
    top = journey_map(journey, phases=PHASE_NAMES, top_events=2).top_events
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if (phase := reference_phase(r.event)) is not None:
            counts[(phase, r.channel or "direct")][r.event] += 1
    for (phase, tp), events in counts.items():
        ranked = sorted(events.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
        mine = top[(top.phase == phase) & (top.touchpoint == tp)].sort_values("rank")
        assert list(zip(mine.event, mine.events, strict=True)) == ranked


def test_conversion_at_the_same_instant_counts(project):
    t0 = BASE + timedelta(days=1)
    rows = [
        Ev("a", "ad_click", t0, "m1", channel="video"),
        Ev("a", "order_completed", t0, "m0", channel="email"),  # same instant, earlier seq
        Ev("b", "order_completed", t0, "m2", channel="video"),
        Ev("b", "ad_click", t0 + timedelta(seconds=1), "m3", channel="video"),
    ]
    project.import_events(stitched_frame(rows, share=0))
    cells = journey_map(project.journey(), phases=PHASE_NAMES).cells.set_index(
        ["phase", "touchpoint"])
    assert cells.loc[("Awareness", "video"), "converters"] == 1  # a, not b (bought before)
    assert cells.loc[("Purchase", "email"), "conversion_rate"] == 1.0


def test_satisfaction_in_a_range_is_about_the_touchpoint_before_the_answer(project):
    """The answer in the range is about the checkout before ``since`` (the same linking as
    the feedback analyses): the cell (Purchase, web), in the range through b, has it;
    a range starting between touchpoint and answer left the cell without satisfaction."""
    rows = [
        Ev("a", "checkout_payment", BASE, "m1", channel="web"),
        Ev("a", "survey_answered", BASE + timedelta(minutes=30), "m2", channel="email",
           properties={"survey": "nps", "score": 10}),
        Ev("b", "checkout_payment", BASE + timedelta(hours=2), "m3", channel="web"),
    ]
    project.import_events(stitched_frame(rows, share=0))
    for scope in ({}, {"since": (BASE + timedelta(minutes=10)).isoformat()}):
        cells = project.analyse("journey_map", scope).cells.set_index(["phase", "touchpoint"])
        assert cells.loc[("Purchase", "web"), "satisfaction"] == 100.0, scope


def test_phases_filter_grid_and_errors(project):
    rows = make_rows(3)
    project.import_events(stitched_frame(rows))
    journey = project.journey()
    result = journey_map(journey, phases=["Purchase", "Awareness"])
    assert result.phases["phase"].tolist() == ["Purchase", "Awareness"]
    assert set(result.cells["phase"]) == {"Purchase", "Awareness"}
    grid = result.grid("conversion_rate")
    assert list(grid.columns) == ["Purchase", "Awareness"]
    assert list(grid.index) == result.touchpoints["touchpoint"].tolist()
    for metric in ("persons", "conversion_rate", "satisfaction"):
        assert result.figure(metric=metric).data
    default = journey_map(journey)
    assert default.phases["phase"].tolist() == sorted(default.phases["phase"])
    with pytest.raises(InvalidInput):
        journey_map(journey, by="device")
    with pytest.raises(InvalidInput):
        journey_map(journey, top_events=0)
    with pytest.raises(InvalidInput, match="satisfaction"):
        journey_map(journey, satisfaction="before")
    with pytest.raises(InvalidInput):
        result.grid("volume")


def test_events_without_channel_form_the_none_touchpoint():
    import ibis

    t = ibis.memtable({
        "person_id": ["a", "a", "b"], "timestamp": [BASE, BASE + timedelta(hours=1), BASE],
        "event": ["ad_click", "ad_click", "ad_click"], "channel": [None, "video", None],
        "phase": ["Awareness"] * 3, "is_conversion": [False] * 3, "properties": ["{}"] * 3,
        "seq": [0, 1, 0], "message_id": ["m1", "m2", "m3"], "device": [None] * 3,
    }, schema={"person_id": "string", "timestamp": "timestamp('UTC')", "event": "string",
               "channel": "string", "phase": "string", "is_conversion": "boolean",
               "properties": "string", "seq": "int64", "message_id": "string",
               "device": "string"})
    cells = journey_map(t).cells
    assert dict(zip(cells.touchpoint, cells.persons, strict=True)) == {NONE: 2, "video": 1}


def test_empty_journey(project):
    result = journey_map(project.journey(), phases=PHASE_NAMES)
    assert result.cells.empty
    assert result.phases.empty
    assert result.touchpoints.empty
    assert result.grid().empty
    result.figure()


# -- the demo --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import wegweiser
    from wegweiser.events.demo import generate

    data = generate(800, seed=3, days=60)
    folder = tmp_path_factory.mktemp("demo")
    with wegweiser.Project.init(folder) as project:
        project.import_events(data.events)
        journey, config = project.journey(), project.config
        results = {
            (by, satisfaction): journey_map(journey, phases=config.phase_names, by=by,
                                            config=config, satisfaction=satisfaction)
            for by, satisfaction in (("channel", "after"), ("channel", "about"),
                                     ("event", "about"))
        }
    return results, data.truth


def test_demo_survey_cell_holds_every_answer(demo):
    results, truth = demo
    result = results[("channel", "after")]
    fb = truth["feedback"]
    cells = result.cells.set_index(["phase", "touchpoint"])
    survey = cells.loc[("After-Sale", "email")]  # surveys are answered by email
    assert survey["answers"] == fb["count"]
    mean = (fb["mean_nps"] * 10 * fb["nps_count"]
            + (fb["mean_csat"] - 1) * 25 * fb["csat_count"]) / fb["count"]
    assert survey["satisfaction"] == pytest.approx(mean, abs=0.05)
    assert result.cells["answers"].max() == fb["count"]


def test_demo_answers_land_on_the_touchpoint_they_are_about(demo):
    results, truth = demo
    about = truth["feedback"]["about"]  # survey answers per touchpoint they name
    touch = results[("event", "about")].touchpoints.set_index("touchpoint")
    for event, count in about.items():  # reviews name no touchpoint, so they land elsewhere
        assert touch.loc[event, "answers"] == count, event
    # the planted payment pain point: payment answers are the least satisfied
    rated = touch[touch["answers"] >= 10]["satisfaction"]
    assert rated.idxmin() == "checkout_payment"


def test_demo_planted_channel_effects_show(demo):
    results, truth = demo
    result = results[("channel", "about")]
    effects = truth["channel_effects"]
    assert effects  # video and review sites were planted to convert better than display
    rate = result.touchpoints.set_index("touchpoint")["conversion_rate"]
    assert rate["review_site"] > rate["display"]
    assert rate["video"] > rate["display"]
    phases = result.phases.set_index("phase")
    assert phases.loc["Purchase", "conversion_rate"] > phases.loc["Awareness", "conversion_rate"]
    assert list(phases.index) == PHASE_NAMES
