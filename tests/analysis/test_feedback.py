"""Feedback rows (person, touchpoint, phase), scores, voice, verbatims and changes."""

from __future__ import annotations

import importlib
import json
import math
from datetime import timedelta

import pandas as pd
import pytest

from tests.analysis.reference import BASE
from wegweiser.analysis._feedback_rows import feedback_rows
from wegweiser.analysis.feedback_changes import changes


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """(user_id, anonymous_id, event, hours after BASE, channel, properties) -> events."""
    return pd.DataFrame(
        {
            "message_id": [f"m{i}" for i in range(len(rows))],
            "type": ["track"] * len(rows),
            "user_id": [r[0] for r in rows],
            "anonymous_id": [r[1] for r in rows],
            "event": [r[2] for r in rows],
            "timestamp": [(BASE + timedelta(hours=r[3])).isoformat() for r in rows],
            "channel": [r[4] for r in rows],
            "properties": [json.dumps(r[5]) for r in rows],
        }
    )


def _answer(kind, score, comment=None, **more):
    props = {"survey": kind, "score": score, **more}
    if comment is not None:
        props["comment"] = comment
    return props


ROWS = [
    # u1: browses anonymously, pays (Purchase), answers from the anonymous device
    (None, "dev1", "product_view", 0, "organic_search", {}),
    (None, "dev1", "checkout_payment", 1, "web", {}),
    (
        None,
        "dev1",
        "survey_answered",
        2,
        "email",
        _answer("nps", 2, "Die Zahlung auf dem Handy ist fehlgeschlagen."),
    ),
    ("u1", "dev1", "login", 3, "web", {}),
    # u2: an explicit touchpoint and channel; a CES answer out of range
    ("u2", None, "ad_click", 0, "display", {}),
    (
        "u2",
        None,
        "survey_answered",
        5,
        "email",
        _answer(
            "csat",
            5,
            "Super schneller Support, danke!",
            about_event="support_contacted",
            about_channel="chat",
        ),
    ),
    ("u2", None, "survey_answered", 6, "email", _answer("ces", 9)),
    ("u2", None, "review_written", 7, "email", {"rating": 2, "text": "The jacket fell apart."}),
    # u3: answers before any touchpoint
    ("u3", None, "survey_answered", 1, "email", _answer(" NPS ", 10, "  ")),
]


@pytest.fixture
def fed(project):
    project.import_events(_frame(ROWS))
    return project


def test_rows_link_person_touchpoint_and_phase(fed):
    rows = feedback_rows(fed.journey(), fed.config).to_pandas()
    rows = rows.sort_values(["person_id", "seq"]).set_index(["person_id", "kind"])
    u1 = rows.loc[("u1", "nps")]  # stitched: the anonymous answer belongs to u1
    assert (u1.touchpoint, u1.touchpoint_channel, u1.phase, u1.explicit) == (
        "checkout_payment",
        "web",
        "Purchase",
        False,
    )
    assert u1.text.startswith("Die Zahlung")
    u2 = rows.loc[("u2", "csat")]
    assert (u2.touchpoint, u2.touchpoint_channel, u2.phase, u2.explicit) == (
        "support_contacted",
        "chat",
        "After-Sale",
        True,
    )
    ces = rows.loc[("u2", "ces")]
    assert not ces.valid
    assert math.isnan(ces.score)
    review = rows.loc[("u2", "review")]
    assert (review.score, review.text, review.touchpoint) == (
        2.0,
        "The jacket fell apart.",
        "ad_click",
    )
    u3 = rows.loc[("u3", "nps")]
    assert u3.touchpoint is None or pd.isna(u3.touchpoint)
    assert pd.isna(u3.text)  # blank comment
    assert u3.score == 10.0


def test_scores_by_touchpoint(fed):
    r = fed.analyse("feedback_scores", by="touchpoint")
    s = r.scores.set_index(["group", "kind"])
    assert s.loc[("checkout_payment", "nps"), "value"] == -100.0
    assert s.loc[("(none)", "nps"), "value"] == 100.0
    assert s.loc[("support_contacted", "csat"), "value"] == 100.0
    assert s.loc[("ad_click", "review"), "metric"] == "rating"
    assert r.summary.loc[0, "excluded"] == 1
    assert ("support_contacted", "ces") not in s.index


def test_voice_verbatims_and_changes(fed):
    v = fed.analyse("feedback_voice")
    topics = v.by_topic.set_index("topic")
    assert topics.loc["payment", "negative"] == 1
    assert topics.loc["payment", "top_touchpoint"] == "checkout_payment"
    assert set(v.sentiment.sentiment) == {"positive", "negative"}
    verb = fed.analyse("verbatims", sentiment="negative", language="de")
    assert verb.verbatims.text.tolist() == ["Die Zahlung auf dem Handy ist fehlgeschlagen."]
    assert verb.verbatims.topics.tolist() == ["app, payment"]
    assert fed.analyse("verbatims", contains="JACKET").verbatims.kind.tolist() == ["review"]
    ch = fed.analyse("feedback_changes", days=1)
    assert ch.periods.comments.sum() == 3


def test_results_name_the_sentiment_model_and_warn_about_the_lexicon(fed, monkeypatch):
    from wegweiser.feedback import embedding

    r = fed.analyse("verbatims")
    assert (r.params["sentiment_model"], r.note) == ("embedding", "")
    monkeypatch.setattr(embedding, "available", lambda: False)
    r = fed.analyse("feedback_voice")
    assert r.params["sentiment_model"] == "lexicon"
    assert "wegweiser[listen]" in r.note


def test_changes_flags_a_significant_rise_only():
    before = pd.DataFrame({"topics": [("payment",)] * 3 + [()] * 57, "sentiment": "neutral"})
    after = pd.DataFrame(
        {
            "topics": [("payment",)] * 20 + [("delivery",)] * 2 + [()] * 38,
            "sentiment": ["negative"] * 20 + ["neutral"] * 40,
        }
    )
    t = changes(before, after, key="topic").set_index("topic")
    assert bool(t.loc["payment", "significant"])
    assert not bool(t.loc["delivery", "significant"])
    assert t.loc["payment", "share_change"] == pytest.approx(20 / 60 - 3 / 60)
    assert t.loc["payment", "share_negative_after"] == 1.0
    assert t.index[0] == "payment"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import wegweiser
    from wegweiser.events.demo import generate

    data = generate(1500, seed=5, days=60)
    with wegweiser.Project.init(tmp_path_factory.mktemp("demo")) as proj:
        proj.import_events(data.events)
        yield proj, data.truth


def test_demo_scores_match_its_planted_truth(demo):
    proj, truth = demo
    fb = truth["feedback"]
    s = proj.analyse("feedback_scores").scores.set_index("kind")
    assert s.loc["nps", "answers"] == fb["nps_count"]
    assert s.loc["nps", "value"] == pytest.approx(fb["nps"], abs=0.05)
    assert s.loc["csat", "answers"] == fb["csat_count"]
    by_tp = proj.analyse("feedback_scores", by="touchpoint").scores
    answers = by_tp[by_tp.kind.isin(["nps", "csat"])].groupby("group").answers.sum()
    assert answers.to_dict() == fb["about"]


def test_demo_payment_pain_point_is_negative_payment_on_mobile_checkout(demo):
    proj, truth = demo
    topics = proj.analyse("feedback_voice").by_topic.set_index("topic")
    pay = topics.loc["payment"]
    assert pay.negative_share >= 0.8
    assert pay.top_touchpoint == truth["pain_point"]["step"] == "checkout_payment"
    verb = proj.analyse(
        "verbatims", topic="payment", sentiment="negative", touchpoint="checkout_payment", limit=0
    ).verbatims
    assert len(verb) >= 0.8 * pay.comments
    rows = feedback_frame_of(proj)
    pay_rows = rows[
        rows.topics.apply(lambda t: "payment" in t) & (rows.touchpoint == "checkout_payment")
    ]
    mobile = (pay_rows.device == truth["pain_point"]["device"]).mean()
    assert mobile >= 0.6
    assert set(rows.language.dropna()) == {"de", "en"}


def feedback_frame_of(proj):
    from wegweiser.analysis._feedback_frame import feedback_frame

    return feedback_frame(proj)


def test_a_new_process_reads_the_texts_from_the_project_cache(fed, monkeypatch):
    import wegweiser
    from wegweiser.feedback import TextCache, embedding
    from wegweiser.project import TEXT_CACHE_FILE

    first = fed.analyse("verbatims").verbatims
    assert (fed.path / TEXT_CACHE_FILE).is_file()
    fed.close()
    # a fresh per-process cache, and a model that must not be asked again
    monkeypatch.setattr(
        importlib.import_module("wegweiser.feedback.understand"), "_DEFAULT_CACHE", TextCache()
    )
    monkeypatch.setattr(embedding, "classify_many", lambda texts: pytest.fail(str(texts)))
    with wegweiser.open_project(fed.path) as again:
        second = again.analyse("verbatims").verbatims
    pd.testing.assert_frame_equal(first, second)
