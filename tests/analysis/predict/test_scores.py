"""Scores as data: refit and store, then filter, segment and read them on every path."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from wegweiser import open_project
from wegweiser.analysis.predict._model import VERSIONS
from wegweiser.analysis.segments import Segment
from wegweiser.errors import InvalidInput


@pytest.mark.slow
def test_refit_stores_scores_that_filter_and_segment(predict_demo, tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(predict_demo, folder)
    with open_project(folder) as project, pytest.raises(InvalidInput, match="scores refit"):
        project.analyse("stickiness", where=["score:churn>0.7"])
    run = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "scores", "refit", "--model", "churn",
         "-p", str(folder), "--format", "json"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    with open_project(folder) as project:
        stored = project.scores("churn")
        assert stored["person_id"].is_unique
        assert len(set(stored["version"])) == 1
        assert set(stored["version"]) <= set(VERSIONS.values())
        assert stored["score"].between(0, 1).all()
        high = set(stored.loc[stored["score"] > 0.7, "person_id"])
        assert 0 < len(high) < len(stored)
        kept = project.journey()
        from wegweiser.analysis.scope import Scope, scoped  # the shared filter path

        journey = scoped(project, Scope(where=["score:churn>0.7"])).journey()
        assert set(journey.select("person_id").distinct().to_pyarrow()["person_id"]
                   .to_pylist()) == high
        project.save_segment(Segment(name="at-risk", where=["score:churn>0.7"]))
        assert set(project.members("at-risk")["person_id"]) == high
        n_persons = kept.select("person_id").distinct().count().to_pyarrow().as_py()
        assert len(stored) == n_persons  # every person is scored
        assert project.scores("propensity").empty
        with pytest.raises(InvalidInput, match="Did you mean 'churn'"):
            project.scores("chrun")


def test_score_conditions_parse_and_need_a_key():
    from wegweiser.analysis.filters import describe, parse

    c = parse("score:churn > 0.7")
    assert (c.field, c.key, c.op, c.value) == ("score", "churn", ">", "0.7")
    assert describe(c) == "score:churn>0.7"
    with pytest.raises(InvalidInput, match="score:MODEL"):
        parse("score>0.7")


@pytest.mark.slow
def test_scheduled_refit_runs_once_per_period(predict_demo, tmp_path):
    import datetime as dt

    from wegweiser.config import CONFIG_FILE
    from wegweiser.project_scores import REFIT_STAMP

    folder = tmp_path / "p"
    shutil.copytree(predict_demo, folder)
    with open_project(folder) as project:
        assert project.refit_scores_if_due() is None  # no [scores] refit_days: never
    with (folder / CONFIG_FILE).open("a", encoding="utf-8") as config:
        config.write('\n[scores]\nrefit_days = 7\nmodels = ["churn"]\n')
    day = dt.datetime(2026, 12, 1, 3, tzinfo=dt.UTC)
    with open_project(folder) as project:
        first = project.refit_scores_if_due(now=day)
        assert first is not None
        assert list(first["model"]) == ["churn"]
        fitted = set(project.scores("churn")["fitted_at"])
        assert (folder / REFIT_STAMP).read_text().strip() == "2026-12-01"
        assert project.refit_scores_if_due(now=day + dt.timedelta(days=6)) is None
        assert set(project.scores("churn")["fitted_at"]) == fitted  # untouched
        assert project.scores("propensity").empty  # only the configured model
        again = project.refit_scores_if_due(now=day + dt.timedelta(days=7))
        assert again is not None
        assert (folder / REFIT_STAMP).read_text().strip() == "2026-12-08"
