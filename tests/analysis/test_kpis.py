"""Repeat purchases, NPS and CSAT against a plain-Python reference and the demo's truth."""

from __future__ import annotations

import json
import math
import random
from collections import Counter

import pytest

from tests.analysis.reference import BASE, Ev, random_rows, reference_journeys, stitched_frame
from wegweiser.analysis.kpis import KPI_COLUMNS, feedback_answers, kpis
from wegweiser.analysis.result import to_frame
from wegweiser.config import FeedbackConfig

EVENTS = ("product_view", "add_to_cart", "order_completed", "order_completed",
          "survey_answered", "survey_answered", "login")
KINDS = ("nps", "csat", " NPS ", "Csat", "ces", None)
SCORES = (-1, 0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 4.5, "4", "9", "x", None)


def feedback_rows(seed: int, *, n: int = 300, persons: int = 25) -> list[Ev]:
    """Random rows; survey answers carry random (sometimes invalid) kinds and scores."""
    rows = random_rows(seed, n=n, persons=persons, events=EVENTS, ties=0.2)
    rng = random.Random(seed)
    for r in rows:
        if r.event == "survey_answered":
            props: dict[str, object] = {"comment": "ok"}
            kind, score = rng.choice(KINDS), rng.choice(SCORES)
            if kind is not None:
                props["survey"] = kind
            if score is not None:
                props["score"] = score
            r.properties = props
    return rows


def ref_answer(e: Ev, events=("survey_answered",)) -> tuple[str, float] | None:
    """(kind, score) of a valid answer, else None -- as the module docstring says."""
    if e.event not in events or not e.properties:
        return None
    kind, score = e.properties.get("survey"), e.properties.get("score")
    if not isinstance(kind, str) or score is None:
        return None
    kind = kind.strip().lower()
    try:
        value = float(score)
    except ValueError:
        return None
    low, high = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}.get(kind, (math.inf, -math.inf))
    return (kind, value) if low <= value <= high else None


def ref_kpis(rows: list[Ev]) -> dict[str, float | int | None]:
    orders = Counter(r.person for r in rows if r.event == "order_completed")
    answers = [a for r in rows if (a := ref_answer(r))]
    nps = [s for k, s in answers if k == "nps"]
    csat = [s for k, s in answers if k == "csat"]
    purchasers = len(orders)
    repeat = sum(n >= 2 for n in orders.values())
    promoters, detractors = sum(s >= 9 for s in nps), sum(s <= 6 for s in nps)
    return {
        "purchasers": purchasers, "repeat_purchasers": repeat,
        "repeat_purchase_rate": repeat / purchasers if purchasers else None,
        "nps": 100 * (promoters - detractors) / len(nps) if nps else None,
        "nps_answers": len(nps), "promoters": promoters, "detractors": detractors,
        "passives": len(nps) - promoters - detractors,
        "csat": 100 * sum(s >= 4 for s in csat) / len(csat) if csat else None,
        "csat_answers": len(csat), "satisfied": sum(s >= 4 for s in csat),
        "mean_csat": sum(csat) / len(csat) if csat else None,
    }


def same(got, expected) -> bool:
    if expected is None:
        return got is None
    return got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_kpis_match_the_reference(project, seed):
    rows = feedback_rows(seed)
    project.import_events(stitched_frame(rows, identify_first=seed % 2 == 0))
    got = kpis(project.journey()).as_dict()
    expected = ref_kpis(rows)
    assert set(got) == set(KPI_COLUMNS)
    for name, value in expected.items():
        assert same(got[name], value), (name, got[name], value)


def test_feedback_answers_are_normalised(project):
    rows = feedback_rows(11, n=400)
    project.import_events(stitched_frame(rows))
    frame = to_frame(feedback_answers(project.journey()))
    expected = sorted(
        (kind, score, score * 10 if kind == "nps" else (score - 1) * 100 / 6 if kind == "ces"
         else (score - 1) * 25)
        for r in rows if (a := ref_answer(r)) for kind, score in [a]
    )
    got = sorted(zip(frame["kind"], frame["score"], frame["satisfaction"], strict=True))
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    assert [g[2] for g in got] == pytest.approx([e[2] for e in expected])


def test_custom_feedback_config(project):
    rows = feedback_rows(5)
    for r in rows:
        if r.event == "survey_answered":
            r.event = "nps_given"
            r.properties = {"scale": "nps", "value": (r.properties or {}).get("score")}
    project.import_events(stitched_frame(rows))
    config = FeedbackConfig(events=["nps_given"], score_property="value", kind_property="scale")
    got = kpis(project.journey(), feedback=config)
    renamed = [Ev(r.person, "survey_answered", r.timestamp, r.message_id,
                  properties={"survey": "nps", "score": r.properties.get("value")})
               for r in rows if r.event == "nps_given" and r.properties]
    expected = ref_kpis(renamed)
    assert same(got.get("nps"), expected["nps"])
    assert got.get("nps_answers") == expected["nps_answers"]
    assert got.get("csat") is None
    assert kpis(project.journey()).get("nps") is None  # default config: no such answers


def test_repeat_purchases_with_equal_timestamps(project):
    rows = [Ev("a", "order_completed", BASE, f"m{i}") for i in range(2)]
    rows += [Ev("b", "order_completed", BASE, "m9")]
    project.import_events(stitched_frame(rows, share=0))
    got = kpis(project.journey())
    assert (got.get("purchasers"), got.get("repeat_purchasers")) == (2, 1)
    assert got.get("repeat_purchase_rate") == 0.5


def test_empty_project(project):
    got = kpis(project.journey())
    assert got.get("purchasers") == 0
    assert got.get("repeat_purchase_rate") is None
    assert got.get("nps") is None
    assert got.get("csat") is None
    assert json.dumps(got.to_dict())  # JSON-friendly
    got.figure()


def test_reference_orders_like_the_journey():
    rows = feedback_rows(3)
    assert sum(len(v) for v in reference_journeys(rows).values()) == len(rows)


# -- the demo --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import wegweiser
    from wegweiser.events.demo import generate

    data = generate(800, seed=3, days=60)
    folder = tmp_path_factory.mktemp("demo")
    with wegweiser.Project.init(folder) as project:
        project.import_events(data.events)
        result = kpis(project.journey(), feedback=project.config.feedback)
    return result, data.truth


def test_demo_feedback_matches_the_truth(demo):
    result, truth = demo
    fb = truth["feedback"]
    assert fb["count"] > 0
    assert result.get("nps_answers") == fb["nps_count"]
    assert result.get("csat_answers") == fb["csat_count"]
    assert round(result.get("nps"), 1) == fb["nps"]
    assert round(result.get("mean_csat"), 3) == fb["mean_csat"]
    assert 0 <= result.get("csat") <= 100


def test_demo_has_repeat_purchasers(demo):
    result, truth = demo
    assert 0 < result.get("repeat_purchasers") < result.get("purchasers")
    # store purchases are conversion events too (the default config): every stitched buyer
    assert result.get("purchasers") == truth["buyers_stitched"]
