"""Customer lifetime value through a project: the CDNOW sample imported as events gives the
published summary and estimates; the result's tables agree with one another; errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

import wegweiser
from tests.analysis.predict import cdnow
from wegweiser.analysis.predict.clv import clv
from wegweiser.errors import InvalidInput


@pytest.fixture(scope="module")
def shop(wheel_dir, tmp_path_factory):
    """The CDNOW sample as a project folder (closed: the command line opens it too)."""
    folder = tmp_path_factory.mktemp("cdnow") / "shop"
    with wegweiser.Project.init(folder) as project:
        project.import_events(cdnow.events(wheel_dir))
    return folder


def _analyse(folder, **params):
    with wegweiser.open_project(folder) as project:
        return project.analyse("clv", {"calibration_end": cdnow.CALIBRATION_END, **params})


@pytest.fixture(scope="module")
def weekly(shop):
    return _analyse(shop)


def _fitted(result, model):
    fit = result.fit[result.fit["model"] == model]
    return dict(zip(fit["parameter"], fit["value"], strict=True))


@pytest.mark.slow
def test_the_engine_summary_is_the_published_one(wheel_dir, weekly):
    published = cdnow.summary(wheel_dir).rename(columns={"T": "published_T"})
    published["person_id"] = published["ID"].astype(str).str.zfill(4)  # as in the sample
    got = weekly.persons.merge(published, on="person_id", validate="one_to_one")
    assert len(got) == len(published) == 2357
    assert (got["frequency"] == got["x"]).all()
    assert np.allclose(got["recency"].round(2), got["t_x"])
    assert np.allclose(got["T"].round(2), got["published_T"])
    assert np.allclose(got["monetary_value"], got["zbar"], atol=0.006)  # zbar has 2 decimals


@pytest.mark.slow
def test_reproduces_the_published_estimates_from_raw_transactions(weekly, shop):
    assert cdnow.close(_fitted(weekly, "BG/NBD"), cdnow.BGNBD)
    assert cdnow.close(_fitted(weekly, "Gamma-Gamma"), cdnow.GAMMA_GAMMA)
    pareto = _analyse(shop, model="pareto_nbd")
    assert cdnow.close(_fitted(pareto, "Pareto/NBD"), cdnow.PARETO)


@pytest.mark.slow
def test_holdout_counts_what_happened_after_the_calibration(wheel_dir, weekly):
    tx = cdnow.transactions(wheel_dir)
    after = tx[tx["date"] > "19970930"].drop_duplicates(["customer", "date"])
    held = weekly.holdout
    assert int(held["customers"].sum()) == 2357
    actual = (held["actual"] * held["customers"]).sum()
    assert actual == pytest.approx(len(after))  # every holdout purchase day, once
    # the BG/NBD tracks the holdout: 1,882 actual purchases against ~1,653 predicted (FHL 2005)
    predicted = (held["predicted"] * held["customers"]).sum()
    assert predicted == pytest.approx(weekly.summary.loc[0, "holdout_predicted"])
    assert 0.8 < predicted / actual < 1.0
    calib = weekly.calibration
    assert calib["actual"].tolist()[:3] == [1411, 439, 214]
    assert calib["expected"].sum() == pytest.approx(2357)


@pytest.mark.slow
def test_clv_adds_up(weekly):
    persons = weekly.persons
    assert weekly.summary.loc[0, "total_clv"] == pytest.approx(persons["clv"].sum())
    b = weekly.breakdown
    for dim in ("channel", "cohort"):
        part = b[b["dimension"] == dim]
        assert part["customers"].sum() == len(persons)
        assert part["total_clv"].sum() == pytest.approx(persons["clv"].sum())
    assert set(b[b["dimension"] == "cohort"]["value"]) == {"1997-01", "1997-02", "1997-03"}
    assert weekly.distribution["customers"].sum() == len(persons)
    # more expected purchases and a higher spend make a higher value
    assert persons["clv"].is_monotonic_decreasing


@pytest.mark.slow
def test_from_the_command_line(shop):
    folder = shop
    run = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "predict", "clv", "-p", str(folder),
         "--calibration-end", cdnow.CALIBRATION_END, "--view", "params", "--format", "json"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    bg = {r["parameter"]: r["value"] for r in rows if r["model"] == "BG/NBD"}
    assert cdnow.close(bg, cdnow.BGNBD)
    assert bg["customers"] == 2357


def _log(rows):
    import ibis

    start = datetime(2026, 3, 1, tzinfo=UTC)
    return ibis.memtable({
        "person_id": [r[0] for r in rows], "is_conversion": [r[1] for r in rows],
        "revenue": pd.Series([r[2] for r in rows], dtype="float64"),
        "channel": [r[3] for r in rows],
        "timestamp": [start + timedelta(days=r[4]) for r in rows]})


def test_days_and_weeks_give_the_same_purchases():
    rng = np.random.default_rng(5)
    rows = [(f"p{int(rng.integers(0, 20))}", True, float(rng.uniform(5, 50)),
             str(rng.choice(["web", "app"])), int(rng.integers(0, 120))) for _ in range(120)]
    by_day = clv(_log(rows), unit="day", calibration_end=date(2026, 5, 30))
    by_week = clv(_log(rows), unit="week", calibration_end=date(2026, 5, 30))
    day, week = (r.persons.sort_values("person_id") for r in (by_day, by_week))
    assert day["frequency"].tolist() == week["frequency"].tolist()
    assert np.allclose(day["T"].to_numpy(), week["T"].to_numpy() * 7)
    assert by_day.summary.loc[0, "holdout_actual"] == by_week.summary.loc[0, "holdout_actual"]
    assert by_day.params["horizon"] == 365
    assert by_week.params["horizon"] == 52


def test_bad_input_is_refused():
    with pytest.raises(InvalidInput, match="needs purchases"):
        clv(_log([("a", False, None, "web", 1)]))
    with pytest.raises(InvalidInput, match="on or before the calibration end 2026-03-01"):
        clv(_log([("a", True, 3.0, "web", 5)]), calibration_end=date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="after the last day of the data"):
        clv(_log([("a", True, 3.0, "web", 5)]), calibration_end=date(2026, 3, 7))
    with pytest.raises(InvalidInput, match="unit must be day or week"):
        clv(_log([("a", True, 3.0, "web", 5)]), unit="month")


def test_breakdown_per_persona_channel_and_cohort():
    import ibis

    rows = [("a", True, 10.0, "web", 1), ("a", True, 12.0, "web", 9), ("b", True, 5.0, "app", 2),
            ("c", True, 8.0, None, 40), ("c", False, None, "mail", 30),
            ("d", True, 20.0, "app", 3), ("d", True, 25.0, "app", 20)]
    personas = ibis.memtable({"person_id": ["a", "b", "d"], "persona": [1, 2, 1]})
    result = clv(_log(rows), unit="day", personas=personas, persona_names={1: "Fans", 2: "New"})
    people = result.persons.set_index("person_id")
    assert people.loc["c", "channel"] == "mail"  # the first event with a channel
    assert people.loc["c", "cohort"] == "2026-04"  # first purchase 10 April
    assert people["persona"].drop("c").to_dict() == {"a": "Fans", "b": "New", "d": "Fans"}
    assert pd.isna(people.loc["c", "persona"])  # no persona
    b = result.breakdown
    fans = b[(b["dimension"] == "persona") & (b["value"] == "Fans")].iloc[0]
    assert fans["customers"] == 2
    assert fans["repeat_buyers"] == 2
    assert fans["total_clv"] == pytest.approx(people.loc[["a", "d"], "clv"].sum())
    assert set(b[b["dimension"] == "persona"]["value"]) == {"Fans", "New", "(none)"}
