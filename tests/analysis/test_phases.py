from __future__ import annotations

import fnmatch
import random

import pandas as pd
import pytest

import wegweiser
from tests.analysis.reference import PHASES, reference_phase
from wegweiser.analysis.phases import glob_regex

EVENTS = ["ad_click", "product_view", "add_to_cart", "checkout_payment", "order_completed",
          "delivery_confirmed", "review_written", "login", "social_share", "chat_started"]



def reference_current(rows: list[dict]) -> dict[str, str]:
    """Latest phase-mapped event per person; ties on time: the later phase in config order."""
    order = [p.name for p in PHASES]
    best: dict[str, tuple] = {}
    for r in rows:
        phase = reference_phase(r["event"])
        if phase is None:
            continue
        key = (r["timestamp"], order.index(phase))
        if r["person"] not in best or key > best[r["person"]][0]:
            best[r["person"]] = (key, phase)
    return {person: phase for person, (_, phase) in best.items()}


@pytest.mark.parametrize("pattern", ["checkout_*", "social_*", "compare*", "a?c", "x.y"])
def test_glob_regex_agrees_with_fnmatch(pattern):
    import re

    for word in ["checkout_payment", "checkout", "social_share", "compare", "compared",
                 "abc", "ac", "x.y", "xzy"]:
        assert bool(re.search(glob_regex(pattern), word)) == fnmatch.fnmatchcase(word, pattern)


@pytest.mark.parametrize("seed", range(5))
def test_current_phase_matches_reference(project, seed):
    rng = random.Random(seed)
    rows = []
    for i in range(300):
        person = f"p{rng.randint(0, 40)}"
        # devices: some events come from an anonymous device linked later by identify
        rows.append({"person": person, "event": rng.choice(EVENTS),
                     "timestamp": f"2026-01-01T00:{rng.randint(0, 30):02d}:00Z",
                     "message_id": f"m{i}"})
    frame = pd.DataFrame([{"message_id": r["message_id"], "user_id": r["person"],
                           "event": r["event"], "timestamp": r["timestamp"]} for r in rows])
    project.import_events(frame)
    overview = project.overview()
    got = dict(zip(overview.phases["phase"], overview.phases["persons"], strict=True))
    expected = pd.Series(reference_current(rows)).value_counts().to_dict()
    assert got == expected
    assert overview.figures["persons"] == len({r["person"] for r in rows})


def test_devices_of_one_person_share_a_phase(project):
    frame = pd.DataFrame({
        "message_id": ["1", "2", "3"],
        "type": ["track", "identify", "track"],
        "event": ["order_completed", None, "product_view"],
        "anonymous_id": ["laptop", "laptop", "phone"],
        "user_id": [None, "anna", "anna"],
        "timestamp": ["2026-01-02T00:00:00Z", "2026-01-02T00:01:00Z", "2026-01-01T00:00:00Z"],
    })
    project.import_events(frame)
    o = project.overview()
    assert o.figures["persons"] == 1
    assert o.phases.to_dict("records") == [{"phase": "Purchase", "persons": 1, "share": 1.0}]


def test_empty_store(project):
    o = project.overview()
    assert o.figures["persons"] == 0
    assert o.phases.empty
    assert isinstance(project, wegweiser.Project)


def test_faces_asking_for_one_table_get_it_alone_and_equal(tmp_path):
    """A face showing one table (the CLI's --view/--table) gets only that table computed,
    equal to the same table of the whole result; an analysis that is not selective
    computes every table whatever is asked."""
    import json

    from typer.testing import CliRunner

    from wegweiser.analysis import registry
    from wegweiser.cli import app

    rng = random.Random(7)
    rows = [{"user_id": f"p{rng.randint(0, 30)}", "event": rng.choice(EVENTS),
             "timestamp": pd.Timestamp("2026-01-01", tz="UTC")
             + pd.Timedelta(minutes=rng.randint(0, 60 * 24 * 40))} for _ in range(300)]
    folder = tmp_path / "p"
    with wegweiser.Project.init(folder) as project:
        project.import_events(pd.DataFrame(rows))
        whole = registry.run(project, "phases", {})
        assert set(whole.tables()) == {"current", "over_time", "transitions", "dwell",
                                       "nonlinear", "stuck"}
        one = registry.run(project, "phases", {"view": "dwell"}, tables=["dwell"])
        assert set(one.tables()) == {"dwell"}
        pd.testing.assert_frame_equal(one.dwell, whole.dwell, check_exact=True)
        assert registry.wanted() is None  # only while it computes
        sticky = registry.run(project, "stickiness", {}, tables=["summary"])
        assert len(sticky.tables()) > 1
    runner = CliRunner()
    for options, table in [(["--view", "transitions"], "transitions"),
                           (["--view", "transitions", "--table", "nonlinear"], "nonlinear")]:
        res = runner.invoke(app, ["phases", "-p", str(folder), *options, "--format", "json"])
        assert res.exit_code == 0, res.output
        expected = json.loads(getattr(whole, table).to_json(orient="records"))
        assert json.loads(res.stdout) == expected
        assert len(expected) > 1
