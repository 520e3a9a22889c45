"""A journey read out as an experiment: its runs as assignments, its planned split."""

from __future__ import annotations

import ibis
import pytest

from tests.orchestrate.helpers import Clock, build, person, runs
from tests.orchestrate.test_runtime import welcome
from wegweiser.analysis.experiments.analysis import experiments
from wegweiser.orchestrate.operations import assignments, planned_shares
from wegweiser.orchestrate.runtime import Entrant


def test_a_journey_is_an_experiment_with_its_planned_split(tmp_path):
    clock = Clock()
    rt = build(
        tmp_path / "j",
        str(tmp_path / "state.sqlite"),
        {"welcome": welcome().replace("[entry]", "holdout = 0.2\n[entry]")},
        "[control_group]\nshare = 0.1\nsalt = 'a'\n",
        clock=clock,
    )
    rt.enter([Entrant("welcome", person(f"p{i}")) for i in range(3000)])
    frame = assignments(rt.store, "welcome")
    assert len(frame) == 3000
    assert set(frame["experiment"]) == {"journey:welcome"}
    statuses = [s for s, _, _ in runs(rt).values()]
    counts = frame["variant"].value_counts().to_dict()
    assert counts["control_group"] == statuses.count("control")
    assert counts["holdout"] + counts["treatment"] == statuses.count("active")
    assert str(frame["assigned_at"].dt.tz) == "UTC"
    shares = planned_shares(0.2, 0.1)
    assert shares == pytest.approx({"treatment": 0.72, "holdout": 0.18, "control_group": 0.1})
    dummy = ibis.memtable({"person_id": ["p0"], "event": ["x"], "properties": ["{}"]})
    planned = experiments(dummy, assignments=frame, shares=shares)
    assert planned.experiments.loc[0, "srm"] == "ok"
    # against an equal split the same persons are a (correctly) loud mismatch
    assert experiments(dummy, assignments=frame).experiments.loc[0, "srm"] == "MISMATCH"
