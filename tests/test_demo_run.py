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
        persons = dict(project._engine.execute("SELECT id, person_id FROM identities").rows)
    assert truth["identity"], "the demo plants identified persons"
    for user_id, anonymous_ids in truth["identity"].items():
        assert {persons[a] for a in anonymous_ids} == {persons[user_id]} == {user_id}


def test_rerun_adds_nothing(demo):
    result, _ = demo
    again = run_demo(result.project, persons=600, seed=7, days=60, simulate_days=None)
    assert again.summary.imported == 0
    assert again.summary.duplicates == result.summary.imported
    with wegweiser.open_project(result.project) as project:
        n_costs = project._engine.scalar("SELECT count(*) FROM costs")
        assert n_costs == len(set(project._engine.execute(
            "SELECT date, channel, campaign FROM costs").rows))


def test_cli_demo_prints_summary_and_next_steps(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "demo", "--project", str(tmp_path / "d"),
         "--persons", "200", "--days", "30"],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 0, res.stderr
    for text in ("Demo shop ready", "conversion rate", "Persons by current phase",
                 "Awareness", "wegweiser stats --project", "persons after stitching"):
        assert text in res.stdout
    # the summary first, then the report (written after it: it takes a while)
    assert res.stdout.index("Persons by current phase") < res.stdout.index("\nReport ")
    assert "Writing the report" not in res.stdout  # a progress bar on a terminal only
    assert (tmp_path / "d" / "report-en.html").is_file()


def test_buyers_and_persons_agree_with_the_truth(demo):
    """The config counts both purchase events, so Wegweiser's converting persons are the
    truth's stitched buyers (before: store purchases were no conversions, 9,090 of 10,224
    buyers on the 20k demo); the person count is explained."""
    result, truth = demo
    with wegweiser.open_project(result.project) as project:
        assert set(project.config.conversion_events) == set(truth["conversion_events"])
        j = project.journey()
        converting = j.filter(j.is_conversion).person_id.nunique().to_pyarrow().as_py()
        persons = j.person_id.nunique().to_pyarrow().as_py()
    assert converting == truth["buyers_stitched"]
    assert persons == truth["stitched_persons"] == result.overview.figures["persons"]
    assert f"Wegweiser sees {persons:,} persons" in truth["persons_note"]


def test_roas_per_paid_channel_is_the_planted_one(demo):
    """Costs are planted as linear revenue / ROAS (1.8 to 8 per paid channel): Wegweiser's
    linear attribution finds them again (before: ROAS up to 449)."""
    from wegweiser.analysis.attribution import Linear, attribution

    result, truth = demo
    with wegweiser.open_project(result.project) as project:
        credits = attribution(project.journey(), model=Linear(), costs=project.costs()).credits
    got = credits.set_index("touchpoint")
    planted = truth["costs"]["channels"]
    for channel, figures in planted.items():
        assert 1 <= figures["planted_roas"] <= 10
        assert got.loc[channel, "cost"] == pytest.approx(figures["spend"], abs=0.01)
        if figures["revenue_linear"] > 2000:  # enough orders to compare
            assert got.loc[channel, "roas"] == pytest.approx(figures["planted_roas"],
                                                              rel=0.25), channel


def test_the_demo_project_watches_its_planted_fix(demo):
    result, truth = demo
    planted = truth["fix"]
    with wegweiser.open_project(result.project) as project:
        fix = project.fix(planted["name"])  # fixes/mobile-payment.toml
        checked = project.analyse("fix_effects", fix=fix.name).fixes.iloc[0]
    assert fix.date.isoformat() == planted["date"]
    assert planted["before"]["mobile"]["rate"] > 0.3 > 0.1 > planted["after"]["mobile"]["rate"]
    assert checked.rate_before > checked.rate_after
    assert checked.verdict in ("worked", "none")  # 600 persons: a small shop


def test_the_demo_has_the_playbook_and_its_dry_run_sends_in_every_phase(demo):
    from wegweiser.orchestrate.playbook import PHASES

    result, _ = demo
    assert all((result.project / "journeys" / f"{n}.toml").is_file() for n in PHASES)
    sim = result.simulation
    assert sim is not None
    assert (sim.end - sim.start).days == 30
    sent = set(sim.messages["journey"])
    assert set(PHASES) - {"awareness"} <= sent  # Awareness only observes
    assert sim.entrants["awareness"] > 0
    assert not (result.project / "journeys.sqlite").exists()  # a dry run: no state
