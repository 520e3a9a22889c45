"""The main job: `wegweiser demo` on a small shop, checked against its planted truth."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import wegweiser
from wegweiser.demo_run import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "shop"
    result = run_demo(folder, persons=600, seed=7, days=60)
    truth = json.loads(result.files["truth"].read_text(encoding="utf-8"))
    return result, truth


def test_phase_counts_match_the_planted_truth(demo):
    result, truth = demo
    got = dict(zip(result.overview.phases["phase"], result.overview.phases["persons"],
                   strict=True))
    assert got == truth["phase_counts"]
    assert result.summary.quarantined == 0


def test_identified_persons_are_stitched_across_devices(demo):
    result, truth = demo
    with wegweiser.open_project(result.project) as project:
        persons = dict(project.engine.execute("SELECT id, person_id FROM identities").rows)
    assert truth["identity"], "the demo plants identified persons"
    for user_id, anonymous_ids in truth["identity"].items():
        assert {persons[a] for a in anonymous_ids} == {persons[user_id]} == {user_id}


def test_rerun_adds_nothing(demo):
    result, _ = demo
    again = run_demo(result.project, persons=600, seed=7, days=60)
    assert again.summary.imported == 0
    assert again.summary.duplicates == result.summary.imported
    with wegweiser.open_project(result.project) as project:
        n_costs = project.engine.scalar("SELECT count(*) FROM costs")
        assert n_costs == len(set(project.engine.execute(
            "SELECT date, channel, campaign FROM costs").rows))


def test_cli_demo_prints_summary_and_next_steps(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "demo", "--project", str(tmp_path / "d"),
         "--persons", "200", "--days", "30"],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 0, res.stderr
    for text in ("Demo shop ready", "conversion rate", "Persons by current phase",
                 "Awareness", "wegweiser stats --project"):
        assert text in res.stdout
