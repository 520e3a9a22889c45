"""Personas: features on the engine, the model's contract, names, memory, over time, faces."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import wegweiser
from wegweiser.analysis._persona_features import person_features
from wegweiser.analysis._persona_memory import recall, remember
from wegweiser.analysis._persona_model import PersonaModel
from wegweiser.analysis._persona_names import describe, unique_names
from wegweiser.analysis._persona_time import match
from wegweiser.analysis.personas import (
    members,
    personas,
    remembered_members,
    with_journey_columns,
)
from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput, NotFittedError
from wegweiser.events.demo import generate

T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)


def journey(rows):
    """rows: (person, session, channel, device, hours after T0, phase, conversion, revenue)."""
    cols = ["person_id", "session", "channel", "device", "h", "phase", "is_conversion", "revenue"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["timestamp"] = [T0 + timedelta(hours=h) for h in frame.pop("h")]
    return with_journey_columns(ibis.memtable(frame))


def test_features_count_visits_devices_hours_and_orders():
    rows = [
        ("a", 0, "email", "mobile", 0, "Awareness", False, None),
        ("a", 0, "email", "mobile", 0.1, "Purchase", True, 50.0),
        ("a", 1, "store", None, 14, "After-Sale", False, None),
        ("b", 0, "social", "desktop", 3, None, False, None),
    ]
    f = to_frame(person_features(journey(rows), after_phases=["After-Sale"]))
    a = f.set_index("person_id").loc["a"]
    assert a["events"] == 3
    assert a["sessions"] == 2
    # the after-sale store visit is left out of the channel mix: one counted visit, by email
    assert a["channel:email"] == 1.0
    assert a["channel:store"] == 0.0
    assert a["device:mobile"] == pytest.approx(2 / 3)
    assert a["hours:morning"] == pytest.approx(2 / 3)
    assert a["hours:evening"] == pytest.approx(1 / 3)
    assert a["orders"] == 1
    assert a["revenue"] == 50.0
    assert a["order_value"] == 50.0
    assert a["phase:Purchase"] == 1.0
    assert a["recency_days"] == 0.0
    b = f.set_index("person_id").loc["b"]
    assert b["orders"] == 0
    assert b["order_value"] == 0
    assert b["phase:Purchase"] == 0
    assert b["recency_days"] == pytest.approx(11 / 24)


def test_pace_shares_count_the_gaps_to_the_next_event_by_length():
    # gaps of a: 0.5 s (fired together), 1, 10 (quick), 10.5, 30 (brisk), 60 (steady), 90.5,
    # 600 (slow), 600.5 (a pause, not counted); b: one event, no gap
    gaps = [0.5, 1, 10, 10.5, 30, 60, 90.5, 600, 600.5]
    times = np.cumsum([0.0, *gaps])
    frame = pd.DataFrame(
        {
            "person_id": ["a"] * len(times) + ["b"],
            "timestamp": [T0 + timedelta(seconds=float(s)) for s in times] + [T0],
        }
    )
    nxt = [*(T0 + timedelta(seconds=float(s)) for s in times[1:]), None, None]
    frame["next_timestamp"] = pd.Series(nxt, dtype="datetime64[us, UTC]")
    f = to_frame(person_features(with_journey_columns(ibis.memtable(frame))))
    f = f.set_index("person_id")
    assert f.loc["a", ["pace:quick", "pace:brisk", "pace:steady", "pace:slow"]].tolist() == (
        pytest.approx([2 / 7, 2 / 7, 1 / 7, 2 / 7])
    )
    assert f.loc["b", [c for c in f.columns if c.startswith("pace:")]].tolist() == [0.0] * 4


def planted(k, n_per=60, seed=0):
    """Persons of k planted groups, each preferring one pair of channels."""
    rng = np.random.default_rng(seed)
    channels = [f"c{i}" for i in range(2 * k)]
    rows, truth = [], {}
    for g in range(k):
        prefer = np.full(2 * k, 0.1 / (2 * k - 2))
        prefer[2 * g : 2 * g + 2] = 0.45
        for i in range(n_per):
            pid = f"g{g}-{i}"
            truth[pid] = g
            for s in range(int(rng.integers(6, 14))):
                ch = channels[rng.choice(2 * k, p=prefer / prefer.sum())]
                rows.append((pid, s, ch, "mobile", s * 30 + g, None, False, None))
    return journey(rows), truth


@pytest.mark.parametrize("k", [3, 5])
def test_the_planted_number_of_personas_is_found_and_recovered(k):
    j, truth = planted(k, seed=k)
    result = personas(j, periods=0, min_events=1, bootstrap=4)
    assert result.params["chosen_personas"] == k
    m = result.members
    assert adjusted_rand_score(m["person_id"].map(truth), m["persona"]) > 0.9
    assert result.selection["chosen"].sum() == 1


def test_the_model_follows_the_estimator_contract_and_is_deterministic():
    j, _ = planted(3)
    f = to_frame(person_features(j))
    model = PersonaModel(n_personas=3, random_state=7)
    with pytest.raises(NotFittedError, match="fit"):
        _ = model.centroids_
    assert model.fit(f) is model
    again = PersonaModel(n_personas=3, random_state=7).fit(f.sample(frac=1, random_state=1))
    assert (model.labels_ == again.labels_).all()
    assert np.allclose(model.centroids_, again.centroids_)
    assert (model.predict(f.sort_values("person_id")) == model.labels_).all()
    assert model.get_params()["random_state"] == 7
    with pytest.raises(InvalidInput, match="no parameter 'k'"):
        model.set_params(k=3)


def test_bad_features_are_refused_saying_where():
    f = pd.DataFrame({"person_id": [f"p{i}" for i in range(20)], "channel:x": 0.5})
    f.loc[3, "channel:x"] = np.nan
    with pytest.raises(InvalidInput, match=r"'channel:x' of person 'p3' is not a finite"):
        PersonaModel(n_personas=2).fit(f)
    with pytest.raises(InvalidInput, match="too few persons"):
        PersonaModel().fit(f.head(5).fillna(0))
    with pytest.raises(InvalidInput, match="appears twice"):
        PersonaModel(n_personas=2).fit(pd.concat([f, f]).fillna(0))


def test_names_come_from_what_over_indexes_in_both_languages():
    name, profile = describe({"device:desktop": 0.9, "events_per_session": 1.1, "order_value": 0.5})
    assert name == ("Desktop researchers", "Desktop-Rechercheure")
    assert profile[0].startswith("Long sessions")
    assert "große Warenkörbe" in profile[1]
    store = describe({"platform:store": 1.0, "channel:store": 1.2})[0]
    assert store[0] != "In-store store shoppers"
    same = unique_names([{"device:mobile": 1.0, "orders": 1.0}] * 2)
    assert same[0][0] != same[1][0]


def test_match_pairs_centroids_and_leaves_far_ones():
    prev = np.array([[0.0, 0.0], [4.0, 0.0]])
    assert match(prev, np.array([[4.2, 0.1], [0.1, 0.0]]), max_distance=1.0) == {0: 1, 1: 0}
    assert match(prev, np.array([[9.0, 9.0]]), max_distance=1.0) == {}


def test_memory_keeps_ids_and_edited_names_across_refits():
    j, _ = planted(3)
    first = personas(j, periods=0, min_events=1, personas=3)
    memory = json.loads(json.dumps(first.memory))
    memory["personas"][0]["name"] = "Our regulars"
    j2, _ = planted(3, seed=11)  # the same groups, other persons
    second = personas(j2, periods=0, min_events=1, personas=3, memory=memory)
    kept = second.cards.set_index("persona")
    pid = memory["personas"][0]["id"]
    assert kept.loc[pid, "name"] == "Our regulars"
    assert sorted(second.cards["persona"]) == [1, 2, 3]
    model = PersonaModel(n_personas=3).fit(to_frame(person_features(j2)))
    with pytest.raises(InvalidInput, match=r"personas\[0\]\.name must be"):
        recall(
            model,
            {"version": 1, "personas": [{"id": 1, "name": "", "name_de": "x", "centroid": {}}]},
        )
    assert remember(model, [1, 2, 3], [("a", "b")] * 3)["personas"][2]["id"] == 3


def test_remembered_members_give_each_person_the_persona_of_the_fit():
    j, _ = planted(4, n_per=30, seed=3)
    fitted = personas(j, periods=0, min_events=1, personas=4)
    memory = json.loads(json.dumps(fitted.memory))  # as personas.json keeps it
    again = remembered_members(j, memory, min_events=1)
    expected = fitted.members.sort_values("person_id").reset_index(drop=True)
    assert again["person_id"].tolist() == expected["person_id"].tolist()
    assert again["persona"].tolist() == expected["persona"].tolist()
    assert again["name"].tolist() == expected["name"].tolist()
    # per person: the persons of one group alone get the same personas
    some = sorted(expected["person_id"])[::7]
    alone = remembered_members(j.filter(j.person_id.isin(some)), memory, min_events=1)
    persona_of = dict(zip(expected["person_id"], expected["persona"], strict=True))
    assert dict(zip(alone["person_id"], alone["persona"], strict=True)) == {
        p: persona_of[p] for p in some
    }
    memory["personas"][0]["centroid"]["revenue"] = 3.0
    with pytest.raises(InvalidInput, match="revenue"):
        remembered_members(j, memory, min_events=1)


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    """The demo shop without and with the emerging group (3000 persons, 120 days)."""
    out = {}
    for emerging in (False, True):
        data = generate(3000, seed=5, emerging=emerging)
        folder = tmp_path_factory.mktemp(f"shop-{emerging}")
        with wegweiser.Project.init(folder) as project:
            project.import_events(data.events)
        out[emerging] = (folder, data.truth)
    return out


@pytest.mark.slow
def test_demo_personas_four_found_new_group_alerted_and_none_without(shops):
    folder, truth = shops[False]
    with wegweiser.open_project(folder) as project:
        result = project.analyse("personas", bootstrap=4)
        assert (folder / "personas.json").is_file()
        again = project.analyse("personas", bootstrap=4)
        assert list(again.cards["name"]) == list(result.cards["name"])
        assert members(project, None)["persona"].nunique() == result.params["chosen_personas"]
    assert result.params["chosen_personas"] == 4
    m = result.members.merge(result.features[["person_id", "events"]])
    m = m[m["events"] >= 10]
    ari = adjusted_rand_score(m["person_id"].map(truth["persona_of"]).fillna("?"), m["persona"])
    assert ari >= 0.80  # the goal; measured 0.86 here (0.87-0.88 seeds 0-2, RESULTS.md)
    assert result.drift.empty, result.drift
    folder, truth = shops[True]
    assert truth["emerging"]["persons"] == 450
    assert truth["emerging"]["from"] == "2026-09-13"
    with wegweiser.open_project(folder) as project:
        moved = project.analyse("personas", bootstrap=4)
    new = moved.drift[moved.drift["alert"] == "new"]
    assert len(new) == 1
    assert new["period"].iloc[0] >= "2026-09-01"


def test_the_emerging_group_leaves_the_other_persons_untouched():
    plain, grown = generate(300, seed=2), generate(300, seed=2, emerging=True)
    n = plain.events.num_rows
    assert grown.events.slice(0, n).equals(plain.events)
    assert "emerging" not in plain.truth
    keys = grown.truth["emerging"]["keys"]
    assert keys
    assert all(grown.truth["persona_of"][k] == "online_seniors" for k in keys)


def test_cli_prints_cards_and_members(shops, tmp_path):
    from typer.testing import CliRunner

    from wegweiser.cli import app

    folder, _ = shops[False]
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "personas",
            "--project",
            str(folder),
            "--view",
            "members",
            "--format",
            "csv",
            "--periods",
            "0",
            "--bootstrap",
            "2",
        ],
    )
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[0].startswith("person_id,persona,name")
    assert len(lines) > 100
    bad = runner.invoke(
        app, ["personas", "--project", str(folder), "--min-personas", "5", "--max-personas", "3"]
    )
    assert bad.exit_code != 0
    assert "above max_personas" in (bad.output + str(bad.exception))


def test_too_few_persons_give_empty_tables_and_a_note():
    j, _ = planted(3, n_per=2)
    result = personas(j, min_events=1)
    assert result.cards.empty
    assert result.members.empty
    assert "too few persons for personas: 6 with at least 1 events, need at least 15" in (
        result.note
    )


def _steady(groups, n_per=60, seed=0):
    """Persons of ``groups`` channel pairs, each active the same way over 8 weeks (12 visits
    of 2 events), so every period sees the same population."""
    rng = np.random.default_rng(seed)
    k = len(groups)
    rows = []
    for g, pair in enumerate(groups):
        prefer = np.full(2 * k, 0.1 / (2 * k - 2))
        prefer[list(pair)] = 0.45
        for i in range(n_per):
            start = rng.uniform(0, 24)
            for s in range(12):
                ch = f"c{rng.choice(2 * k, p=prefer / prefer.sum())}"
                h = start + s * 8 * 7 * 24 / 12
                rows += [(f"g{g}-{i}", s, ch, "mobile", h, None, False, None),
                         (f"g{g}-{i}", s, ch, "mobile", h + 0.1, None, False, None)]
    return journey(rows)


def test_a_stable_part_there_from_the_first_period_is_no_split():
    """Four planted groups held by three personas: one persona is two stable groups in every
    period. That is structure, not drift: no split alert (before the check: one)."""
    from wegweiser.analysis._persona_time import over_time

    j = _steady([(0, 1), (2, 3), (4, 5), (6, 7)])
    feats = to_frame(person_features(j, min_events=1))
    model = PersonaModel(n_personas=3, n_init=2).fit(feats)
    drift = over_time(j, model, n_periods=3, n_probe=3).drift
    assert "split" not in set(drift["alert"]), drift
