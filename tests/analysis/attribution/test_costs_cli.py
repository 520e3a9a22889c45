"""Cost import (quarantine, replace on re-import), ROAS/CPA/ROI, the CLI, the demo data."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.analysis.reference import BASE, Ev, load
from tests.conftest import write
from wegweiser.analysis.attribution import attribution, compare, load_paths
from wegweiser.events.costs import import_costs


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wegweiser.cli", *args],
                          capture_output=True, text=True, timeout=120)


COSTS = (
    "Date,Channel,Campaign,Cost,Currency\n"
    "2026-03-01,email,,10,EUR\n"
    "2026-03-01,email,,5,EUR\n"           # same key in one file: adds up
    "2026-03-02,paid_search,brand,40,\n"  # currency defaults to the project's
    "not-a-date,email,,1,EUR\n"
    "2026-03-02,,,1,EUR\n"
    "2026-03-02,email,,-3,EUR\n"
    "2026-03-02,email,,abc,EUR\n"
    "2026-03-02,email,,1,EURO\n"
)


def test_import_quarantines_bad_rows_and_replaces_on_reimport(project, tmp_path):
    path = write(tmp_path / "costs.csv", COSTS)
    summary = import_costs(project._engine, project.config, path)
    assert summary.as_dict() == {"imported": 2, "replaced": 0, "quarantined": 5}
    reasons = [e["reason"] for e in summary.errors]
    assert reasons[0] == "unparseable date not-a-date"
    assert "missing channel" in reasons
    assert "negative cost -3" in reasons
    assert [e["line"] for e in summary.errors] == [5, 6, 7, 8, 9]
    q = project.quarantine()
    assert len(q) == 5
    assert q.raw.iloc[0].startswith("not-a-date,email")
    again = import_costs(project._engine, project.config, path)
    assert again.replaced == 2
    assert again.imported == 2
    assert len(project.quarantine()) == 5  # not quarantined twice
    rows = project._engine.execute(
        "SELECT CAST(date AS VARCHAR), channel, campaign, cost, currency FROM costs ORDER BY 1"
    ).rows
    assert rows == [("2026-03-01", "email", None, 15.0, "EUR"),
                    ("2026-03-02", "paid_search", "brand", 40.0, "EUR")]


def test_roas_cpa_roi(project, tmp_path):
    rows = [Ev("p", "a", BASE, "m1", channel="email"),
            Ev("p", "order_completed", BASE + timedelta(hours=2), "m2", channel="direct",
               revenue=60.0),
            Ev("q", "a", BASE, "n1", channel="email")]
    journey = load(project, rows)
    import_costs(project._engine, project.config,
                 write(tmp_path / "c.csv", "date,channel,cost\n2026-03-01,email,20\n"
                       "2026-03-01,display,7\n2026-01-01,email,999\n"))  # outside the data
    costs = project._engine.ibis().table("costs")
    res = attribution(journey, model="first_touch", costs=costs)
    got = res.credits.set_index("touchpoint")
    assert got.loc["email", "cost"] == 20
    assert got.loc["email", "roas"] == pytest.approx(3.0)
    assert got.loc["email", "cpa"] == pytest.approx(20.0)
    assert got.loc["email", "roi"] == pytest.approx(2.0)
    assert got.loc["display", "conversions"] == 0  # spend without touches is listed
    assert "incrementality" in res.note
    cmp = compare(journey, costs=costs, metric="roas")
    assert cmp.table.set_index("touchpoint").loc["email", "first_touch"] == pytest.approx(3.0)
    assert cmp.figure() is not None
    assert res.figure() is not None


@pytest.mark.slow
def test_cli_attribution_paths_file_and_import_costs(project, tmp_path):
    paths = write(tmp_path / "paths.csv", "path,conversions,nulls,value\n"
                  "search | email,3,1,30\nemail,1,5,10\nsearch,0,4,0\n")
    res = run("attribution", "--paths", str(paths), "--sep", "|", "--model", "markov",
              "--format", "json", "-p", str(tmp_path / "nowhere"))
    assert res.returncode == 0, res.stderr
    rows = {r["touchpoint"]: r for r in json.loads(res.stdout)}
    assert sum(r["conversions"] for r in rows.values()) == pytest.approx(4)
    assert "incrementality" in res.stderr
    res = run("attribution", "--paths", str(paths), "--sep", "|", "--compare", "--format",
              "csv", "-p", str(tmp_path / "nowhere"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0].startswith("touchpoint,first_touch,last_touch")
    project.close()
    costs = write(tmp_path / "costs.csv", COSTS)
    res = run("import-costs", str(costs), "-p", str(project.path), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"imported": 2, "replaced": 0, "quarantined": 5}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import wegweiser
    from wegweiser.events.demo import generate

    data = generate(800, seed=3, days=60)
    folder = tmp_path_factory.mktemp("demo")
    with wegweiser.Project.init(folder / "p") as proj:
        proj.import_events(data.events)
        proj.replace_costs(data.costs)
        yield proj, data


def test_demo_models_run_and_costs_give_roas(demo):
    proj, data = demo
    journey = proj.journey()
    paths = load_paths(journey)
    n_conv = int(proj._engine.scalar(  # the default conversion events: online and in store
        "SELECT count(*) FROM events WHERE event IN ('order_completed', 'store_purchase')"))
    assert paths.total_conversions == n_conv > 0
    cmp = compare(paths, costs=proj._engine.ibis().table("costs"))
    totals = cmp.credits.groupby("model").conversions.sum()
    assert totals.to_numpy() == pytest.approx([n_conv] * len(totals))
    paid = cmp.credits[cmp.credits.cost > 0]
    assert set(paid.touchpoint) >= {"paid_search", "video", "display"}
    assert paid.roas.notna().any()
    # planted: review sites and videos raise the chance to buy (1.5x, 1.4x), display hardly
    # (1.02x); Shapley on conversion rates should rank display's credit per touch below them
    truth = data.truth["channel_effects"]
    assert truth["display"]["conversion_multiplier"] < truth["video"]["conversion_multiplier"]
    shap = cmp.credits[cmp.credits.model == "shapley"].set_index("touchpoint")
    touches = paths.touchpoints().set_index("touchpoint")
    counts = {label: int((paths.codes == i).sum()) for i, label in enumerate(paths.labels)}
    per_touch = {ch: shap.loc[ch, "conversions"] / counts[ch] for ch in ("display", "video",
                                                                          "review_site")}
    assert per_touch["display"] < min(per_touch["video"], per_touch["review_site"])
    assert len(touches) == paths.n_labels
