"""``wegweiser fixes`` on the demo: the planted fix is found with an interval covering the
truth; a placebo 30 days earlier shows no effect; add, list, delete and the errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from wegweiser.analysis.fixes import Fix
from wegweiser.cli import app
from wegweiser.demo_run import FIX_KEYS
from wegweiser.events.demo import generate
from wegweiser.project import Project

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def said(done) -> str:
    """What a failed command says (the CLI's error boundary prints the exception)."""
    return done.output + str(done.exception or "")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """2,000 persons over 120 days (the fix on day 90); the planted fix saved as the demo
    command saves it."""
    data = generate(2000, seed=1, days=120, fix=True)
    folder = tmp_path_factory.mktemp("fixes") / "demo"
    with Project.init(folder) as project:
        project.import_events(data.events)
        fix = data.truth["fix"]
        project.save_fix(Fix.model_validate({k: fix[k] for k in FIX_KEYS}))
    return str(folder), data.truth


def _rows(folder: str, *names: str) -> list[dict]:
    done = run("fixes", "check", *names, "-p", folder, "--format", "json")
    assert done.exit_code == 0, done.output
    rows: list[dict] = json.loads(done.stdout)
    return rows


def test_the_planted_fix_is_found_and_a_placebo_is_not(demo):
    folder, truth = demo
    planted = truth["fix"]
    (row,) = _rows(folder, planted["name"])
    effect = planted["effect"]  # realised: after - before, mobile payment visits
    assert effect < -0.3
    assert row["verdict"] == "worked"
    assert row["low"] <= effect <= row["high"]
    assert row["did_verdict"] == "worked"
    assert row["did_low"] <= effect <= row["did_high"]
    assert row["rate_before"] == pytest.approx(planted["before"]["mobile"]["rate"], abs=0.05)
    assert row["rate_after"] == pytest.approx(planted["after"]["mobile"]["rate"], abs=0.05)
    earlier = dt.date.fromisoformat(planted["date"]) - dt.timedelta(days=30)
    done = run("fixes", "add", "placebo", "--date", earlier.isoformat(), "--touchpoint",
               planted["touchpoint"], "--where", "event=checkout_payment", "--where",
               "device=mobile", "--friction", "event=payment_error", "-p", folder)
    assert done.exit_code == 0, done.output
    (placebo,) = _rows(folder, "placebo")  # its window ends at the planted fix
    assert placebo["verdict"] == "none"
    assert placebo["did_verdict"] == "none"
    assert placebo["days_after"] == 30
    text = run("fixes", "check", "-p", folder, "--lang", "de").stdout
    assert f"{planted['name']}: hat gewirkt" in text
    assert "placebo: keine nachweisbare Wirkung" in text


def test_add_list_delete_and_errors(demo, tmp_path):
    folder, _ = demo
    done = run("fixes", "add", "conv", "--date", "2026-10-01", "--time", "14:30",
               "--touchpoint", "cart", "--where", "event=add_to_cart", "--metric",
               "conversion", "--note", "one-click checkout", "-p", folder)
    assert done.exit_code == 0, done.output
    listed = json.loads(run("fixes", "list", "-p", folder, "--format", "json").stdout)
    conv = next(r for r in listed if r["name"] == "conv")
    assert conv["time"] == "14:30:00"
    assert conv["metric"] == "conversion"
    (row,) = _rows(folder, "conv")
    assert row["did_verdict"] == ""  # only event conditions: no comparison group
    assert row["verdict"] in ("worked", "none", "worse")
    again = run("fixes", "add", "conv", "--date", "2026-10-01", "--touchpoint", "cart",
                "--where", "event=add_to_cart", "-p", folder)
    assert again.exit_code == 1
    assert "exists" in said(again)
    bad = run("fixes", "add", "bad", "--date", "2026-13-01", "--touchpoint", "x", "--where",
              "event=x", "-p", folder)
    assert bad.exit_code == 1
    assert "date" in said(bad)
    bad = run("fixes", "add", "bad", "--date", "2026-10-01", "--touchpoint", "x", "--where",
              "devise=x", "-p", folder)
    assert "unknown field 'devise'" in said(bad)
    typo = run("fixes", "check", "cnov", "-p", folder)
    assert typo.exit_code == 1
    assert "Did you mean 'conv'?" in said(typo)
    assert run("fixes", "delete", "conv", "-p", folder).exit_code == 0
    assert "conv" not in {r["name"] for r in
                          json.loads(run("fixes", "list", "-p", folder, "-f", "json").stdout)}
