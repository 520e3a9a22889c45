"""Propensity and churn on the demo: time split, calibration, baseline; the metrics' helpers
against plain Python."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser import open_project
from wegweiser.analysis.predict import _model
from wegweiser.errors import InvalidInput


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=10, max_size=60))
def test_ece_and_lift_match_plain_python(pairs):
    y = np.array([int(a) for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    order = sorted(range(len(p)), key=lambda i: (p[i], i))
    size, extra = divmod(len(p), 10)
    bins, start = [], 0
    for b in range(10):
        n = size + (b < extra)
        bins.append(order[start:start + n])
        start += n
    expected = sum(abs(np.mean(p[b]) - np.mean(y[b])) * len(b) for b in bins) / len(p)
    assert _model.ece(y, p) == pytest.approx(expected)
    table = _model.lift(y, p)
    assert table["persons"].sum() == len(p)
    if y.mean() > 0:
        top = sorted(range(len(p)), key=lambda i: (-p[i], i))[: table["persons"].iloc[0]]
        assert table["lift"].iloc[0] == pytest.approx(np.mean(y[top]) / y.mean())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["propensity", "churn"])
def test_demo_model_is_calibrated_and_beats_recency_frequency(predict_demo, name):
    with open_project(predict_demo) as project:
        result = project.analyse(name, importance=False)
    s = result.summary.set_index("model")
    assert s.index.tolist() == ["gradient_boosting", "recency_frequency", "blend"]
    assert s["chosen"].sum() == 1
    chosen = s.index[s["chosen"]][0]
    model, base = s.loc[chosen], s.loc["recency_frequency"]
    # the choice is made on the training rows: the best cross-validated AUC, boosting first
    assert chosen == _model.chosen_of(s["cv_auc"].to_dict())
    assert (chosen == "gradient_boosting") == (result.note == "")
    # the time split: the test cutoff is one horizon after the training cutoff
    assert (np.datetime64(model["test_cutoff"]) - np.datetime64(model["train_cutoff"])
            ).astype(int) == 14
    assert model["ece"] <= 0.05
    assert model["auc"] > 0.75
    # what scores at least matches the baseline on the test rows (propensity at 2,000
    # persons: the boosting alone 0.765, the baseline 0.769, the chosen blend 0.773)
    assert model["auc"] >= base["auc"]
    assert result.calibration["persons"].sum() == model["test_persons"]
    assert result.lift["lift"].iloc[0] > 1.5 > result.lift["lift"].iloc[-1]
    scores = result.scores
    assert scores["score"].between(0, 1).all()
    assert scores["person_id"].is_unique
    assert result.params["model_version"] == _model.VERSIONS[chosen]


def test_the_choice_is_the_boosting_unless_beaten_then_the_blend():
    choose = _model.chosen_of
    assert choose({"gradient_boosting": 0.8, "blend": 0.8, "recency_frequency": 0.7}) == (
        "gradient_boosting")
    assert choose({"gradient_boosting": 0.7, "blend": 0.75, "recency_frequency": 0.75}) == (
        "blend")
    assert choose({"gradient_boosting": 0.7, "blend": 0.74, "recency_frequency": 0.75}) == (
        "blend")  # never the baseline alone


def test_too_little_history_gives_empty_tables_and_says_why(predict_demo):
    with open_project(predict_demo) as project:
        result = project.analyse("churn", horizon_days=45, importance=False)
        assert "at least 40 needed" in result.note
        assert result.scores.empty
        assert result.summary.empty
        with pytest.raises(InvalidInput, match="horizon_days"):
            project.analyse("churn", horizon_days=0)
