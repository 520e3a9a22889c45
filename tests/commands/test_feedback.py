"""``wegweiser feedback``: import, sentiment FILE, summary, topics, verbatims (one process)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write
from tests.events.test_feedback_import import MAP, SURVEY
from tests.test_cli import run


def test_sentiment_file_keeps_columns_one_row_per_input(tmp_path):
    path = write(
        tmp_path / "t.csv",
        'id,text,channel\n1,"Die Zahlung ist fehlgeschlagen."'
        ',app\n2,"Great jacket, love it!",web\n3,,store\n',
    )
    res = run("feedback", "sentiment", str(path), "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert [r["sentiment"] for r in rows] == ["negative", "positive", "neutral"]
    assert rows[0]["score"] < 0 < rows[1]["score"]
    assert rows[2]["score"] == 0.0
    assert rows[0]["channel"] == "app"
    bad = run("feedback", "sentiment", str(path), "--column", "body")
    assert bad.returncode == 2
    assert "no column 'body'" in bad.stderr


@pytest.mark.slow
def test_import_then_summary_topics_verbatims(tmp_path):
    folder = tmp_path / "shop"
    assert run("init", str(folder)).returncode == 0
    path = write(tmp_path / "survey.csv", SURVEY)
    res = run("feedback", "import", str(path), "-p", str(folder), "--map", MAP, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["quarantined"] == 5
    res = run("feedback", "summary", "-p", str(folder), "--by", "touchpoint", "--format", "json")
    assert res.returncode == 0, res.stderr
    scores = {r["group"]: r for r in json.loads(res.stdout)}
    assert scores["checkout_payment"]["value"] == -100
    res = run("feedback", "topics", "-p", str(folder), "--format", "csv")
    assert "payment" in res.stdout
    res = run(
        "feedback", "verbatims", "-p", str(folder), "--sentiment", "negative", "--format", "json"
    )
    assert [r["touchpoint"] for r in json.loads(res.stdout)] == ["checkout_payment"]
