"""Entries on membership of a saved segment or a persona, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

import wegweiser
from tests.orchestrate.helpers import Clock, build, runs
from tests.orchestrate.test_triggers import ev, load
from wegweiser.analysis.segments import Segment
from wegweiser.orchestrate.errors import InvalidJourney
from wegweiser.orchestrate.loading import load_journeys
from wegweiser.orchestrate.triggers import process_imports, process_memberships


def journey(kind: str, field: str, value: object, reentry: str = "always") -> str:
    return (f'[entry]\nkind = "{kind}"\n{field} = {json.dumps(value)}\nreentry = "{reentry}"\n'
            '[[steps]]\nid = "end"\ntype = "exit"\n')


@pytest.fixture
def project(tmp_path):
    with wegweiser.Project.init(tmp_path / "shop") as proj:
        yield proj


def members(rt, key: str) -> list[str]:
    with rt.store.transaction() as tx:
        rows = tx.execute("SELECT person_id FROM wj_members WHERE set_key = :k ORDER BY 1",
                          {"k": key})
    return [r[0] for r in rows]


def test_segment_entered_and_left_by_the_persons_a_batch_touched(tmp_path, project, state_url):
    project.save_segment(Segment(name="carts", did=["add_to_cart"], did_not=["order_completed"]))
    load(project, tmp_path, [ev("u0", "add_to_cart", "08:00"), ev("u9", "add_to_cart", "08:01")])
    rt = build(project.path / "journeys", state_url, {
        "carted": journey("segment_entered", "segment", "carts"),
        "uncarted": journey("segment_left", "segment", "carts"),
    })
    # the first evaluation remembers who is in (u0, u9) and lets nobody enter
    assert process_imports(project, rt).entered == 0
    assert members(rt, "segment:carts") == ["u0", "u9"]
    load(project, tmp_path, [
        ev("u1", "add_to_cart", "09:00"),      # newly in
        ev("u2", "product_view", "09:01"),     # never in
        ev("u0", "order_completed", "09:02"),  # out
    ])
    summary = process_imports(project, rt)
    assert summary.entered == 2
    assert sorted(runs(rt)) == ["carted:u1:1", "uncarted:u0:1"]
    assert members(rt, "segment:carts") == ["u1", "u9"]
    with rt.store.transaction() as tx:
        trigger = tx.one("SELECT trigger FROM wj_runs WHERE run_id = 'carted:u1:1'")[0]
    assert json.loads(trigger) == {"segment": "carts", "change": "entered"}
    rt.run_once()
    load(project, tmp_path, [ev("u1", "product_view", "10:00")])  # still in: no entry
    assert process_imports(project, rt).entered == 0
    load(project, tmp_path, [ev("u1", "order_completed", "11:00")])
    process_imports(project, rt)
    rt.run_once()
    assert sorted(runs(rt)) == ["carted:u1:1", "uncarted:u0:1", "uncarted:u1:1"]
    # an edited rule: the whole set is compared (here in the worker's round)
    project.save_segment(Segment(name="carts", did=["product_view"]), replace=True)
    moved = process_memberships(project, rt)
    assert moved.by_journey == {"carted": 2, "uncarted": 1}  # u1 (again), u2 in; u9 out
    assert sorted(runs(rt))[:3] == ["carted:u1:1", "carted:u1:2", "carted:u2:1"]
    assert members(rt, "segment:carts") == ["u1", "u2"]
    assert process_memberships(project, rt).entered == 0  # nothing changed since


def test_a_time_window_moves_persons_out_as_time_passes(tmp_path, project):
    project.save_segment(Segment(name="recent", did=["add_to_cart"], within="2h"))
    clock = Clock()  # 2026-06-01 10:00 UTC
    rt = build(project.path / "journeys", str(tmp_path / "j.sqlite"),
               {"gone": journey("segment_left", "segment", "recent")}, clock=clock)
    process_imports(project, rt)
    load(project, tmp_path, [ev("u1", "product_view", "09:00")])
    process_imports(project, rt)  # the set's first evaluation
    load(project, tmp_path, [ev("u1", "add_to_cart", "09:30")])
    process_imports(project, rt)
    assert members(rt, "segment:recent") == ["u1"]
    clock.advance(1800)
    assert process_memberships(project, rt).entered == 0  # not due again yet
    clock.advance(3 * 3600)
    assert process_memberships(project, rt).by_journey == {"gone": 1}
    assert members(rt, "segment:recent") == []


def _memory(first: float) -> dict:
    return {"version": 1, "personas": [
        {"id": 1, "name": "Regulars", "name_de": "Stammgäste",
         "centroid": {"channel:(other)": first}},
        {"id": 2, "name": "Others", "name_de": "Andere",
         "centroid": {"channel:(other)": 1.0 - first}},
    ]}


def test_persona_entered_and_left_by_the_remembered_fit(tmp_path, project):
    state_url = str(tmp_path / "j.sqlite")  # the store's part is the same as for segments
    project.remember_personas(_memory(1.0))  # a person with 5 events is a regular
    load(project, tmp_path, [ev("u0", "product_view", f"08:0{i}") for i in range(5)])
    rt = build(project.path / "journeys", state_url, {
        "welcome": journey("persona_entered", "persona", "Stammgäste"),
        "bye": journey("persona_left", "persona", 1),
    })
    assert process_imports(project, rt).entered == 0
    assert members(rt, "persona:1") == ["u0"]
    load(project, tmp_path, [ev("u1", "product_view", f"09:0{i}") for i in range(4)])
    assert process_imports(project, rt).entered == 0  # 4 events: no persona yet
    load(project, tmp_path, [ev("u1", "product_view", "09:30")])
    process_imports(project, rt)
    assert sorted(runs(rt)) == ["welcome:u1:1"]
    project.remember_personas(_memory(0.0))  # a refit: the regulars are the others now
    assert process_memberships(project, rt).by_journey == {"bye": 2}
    assert members(rt, "persona:1") == []


def test_unknown_segments_and_personas_are_precise_errors(tmp_path, project):
    project.save_segment(Segment(name="carts", did=["add_to_cart"]))
    folder = project.path / "journeys"
    folder.mkdir()
    (folder / "a.toml").write_text(journey("segment_entered", "segment", "cart"))
    (folder / "b.toml").write_text(journey("persona_left", "persona", 3))
    with pytest.raises(InvalidJourney) as caught:
        load_journeys(folder)
    text = str(caught.value)
    assert "a.toml:3: entry.segment: no saved segment 'cart' (no file segments/cart.toml); " \
           "saved: carts. Did you mean 'carts'?" in text
    assert "b.toml:3: entry.persona: no personas remembered yet (personas.json" in text
    project.remember_personas(_memory(1.0))
    with pytest.raises(InvalidJourney, match=r"b.toml:3: entry.persona: no persona 3 in "
                       r"personas.json; remembered \(id, names\): 1 \(Regulars / Stammgäste\), "
                       r"2 \(Others / Andere\)"):
        load_journeys(folder)
    text = journey("event", "segment", "carts").replace("[entry]\n", '[entry]\nevent = "x"\n')
    (folder / "c.toml").write_text(text)
    with pytest.raises(InvalidJourney, match="'segment' goes with entry kind 'segment_entered'"):
        load_journeys(folder)
