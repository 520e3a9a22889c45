"""The registered analyses on the demo shop: its planted experiment is read out correctly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import wegweiser
from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput
from wegweiser.events.demo import generate


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    data = generate(3000, seed=3, days=60)
    folder = tmp_path_factory.mktemp("shop")
    with wegweiser.Project.init(folder) as project:
        project.import_events(data.events)
    return {"truth": data.truth["experiment"], "folder": folder}


@pytest.fixture
def project(shop):
    with wegweiser.open_project(shop["folder"]) as proj:
        yield proj


def test_the_list_finds_the_planted_experiment(project, shop):
    result = project.analyse("experiments")
    row = result.experiments.set_index("experiment").loc["cart_bundles"]
    assert row["persons"] == sum(shop["truth"]["exposed"].values())
    assert row["srm"] == "ok"
    assert row["conflicts"] == 0
    per = result.variants.set_index("variant")["persons"].to_dict()
    assert per == shop["truth"]["exposed"]


def test_the_readout_covers_the_planted_lifts(project, shop):
    truth = shop["truth"]
    r = project.analyse("experiment", experiment="cart_bundles")
    assert r.params["control"] == "control"
    table = r.metrics.set_index("metric")
    for metric, lift in truth["true_lift"].items():
        row = table.loc[metric]
        assert row["lift_low"] <= lift <= row["lift_high"], (metric, row.to_dict())
    rpo = table.loc["revenue_per_order"]
    assert rpo["lift"] == pytest.approx(0.15, abs=0.08)
    assert rpo["seq_low"] <= rpo["diff"] <= rpo["seq_high"]
    # nothing planted on conversion: no false win, whatever the daily peeking
    assert table.loc["conversion", "decision"] == "inconclusive"
    assert r.variants.set_index("variant")["persons"].to_dict() == truth["exposed"]
    last = r.boundary.iloc[-1]
    assert last["control_persons"] == truth["exposed"]["control"]
    assert last["variant_persons"] == truth["exposed"]["bundles"]
    assert (r.boundary["seq_low"] <= r.boundary["ci_low"] + 1e-12).all()


def test_assignments_from_a_csv_give_the_same_readout(project, tmp_path):
    from wegweiser.analysis.experiments import assignments as asg

    exposures = to_frame(asg.first_exposures(asg.from_events(project.journey())))
    path = tmp_path / "assignments.csv"
    exposures.rename(columns={"exposed_at": "assigned_at"})[
        ["person_id", "experiment", "variant", "assigned_at"]
    ].to_csv(path, index=False)
    from_csv = project.analyse("experiment", experiment="cart_bundles", assignments=str(path))
    from_events = project.analyse("experiment", experiment="cart_bundles")
    assert from_csv.metrics["diff"].tolist() == pytest.approx(from_events.metrics["diff"].tolist())


def test_an_unknown_experiment_gets_a_hint(project):
    with pytest.raises(InvalidInput, match="Did you mean 'cart_bundles'"):
        project.analyse("experiment", experiment="cart_bundle")


def test_the_plan_needs_no_project():
    r = wegweiser.analysis.registry.run(
        None,
        "experiment_plan",  # type: ignore[arg-type]
        {"baseline": 0.05, "persons_per_day": 2000, "effect": 0.1},
    )
    assert r.by_days["mde_relative"].is_monotonic_decreasing
    need = int(r.summary.loc[0, "persons_needed"])
    assert r.summary.loc[0, "days_needed"] == -(-need // 1000)


@pytest.mark.slow
def test_from_the_command_line(shop):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "wegweiser.cli",
            "experiment",
            "-p",
            str(shop["folder"]),
            "--experiment",
            "cart_bundles",
            "--metrics",
            "conversion",
            "--metrics",
            "revenue_per_order",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert [r["metric"] for r in rows] == ["conversion", "revenue_per_order"]
    plan = subprocess.run(
        [
            sys.executable,
            "-m",
            "wegweiser.cli",
            "experiment-plan",
            "--baseline",
            "0.05",
            "--persons-per-day",
            "500",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)[0]["days"] == 7
