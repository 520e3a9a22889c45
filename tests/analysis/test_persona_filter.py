"""Persona as a filter (``where persona = ...``) and a breakdown (``by_persona``), from the
remembered fit: each person's persona against a plain-pandas reading of the raw events (visits,
channel and device shares, nearest remembered centroid), the fit's own members, and the
numbers of an analysis filtered and broken down by persona."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

import wegweiser
from tests.analysis.reference import BASE
from wegweiser.analysis._persona_assign import after_purchase_phases, assign
from wegweiser.analysis.result import to_frame
from wegweiser.analysis.segments import Segment
from wegweiser.errors import InvalidInput

GROUPS = {0: ("email", "paid_search"), 1: ("social", "paid_social"), 2: ("direct", "affiliate")}
CHANNELS = tuple(c for pair in GROUPS.values() for c in pair)
MIN_EVENTS = 3


def raw_log(seed: int = 3, per_group: int = 14) -> pd.DataFrame:
    """Three groups of persons, each visiting mostly through its own two channels, on mixed
    devices; visits are hours apart (one session each), some end in an order."""
    rng = random.Random(seed)
    rows = []
    for g, preferred in GROUPS.items():
        for i in range(per_group):
            person = f"g{g}-{i:02d}"
            for v in range(rng.randint(1, 6)):
                channel = rng.choice(preferred) if rng.random() < 0.85 else rng.choice(CHANNELS)
                device = rng.choice(["mobile", "mobile", "desktop", "tablet"][g:])
                start = BASE + timedelta(hours=5 * v + rng.randint(0, 3), minutes=g)
                events = ["page_view", "product_view"][: rng.randint(1, 2)]
                if rng.random() < 0.2:
                    events.append("order_completed")
                for k, event in enumerate(events):
                    rows.append({
                        "message_id": f"{person}-{v}-{k}", "type": "track", "event": event,
                        "user_id": person, "channel": channel, "device": device,
                        "timestamp": (start + timedelta(minutes=2 * k)).isoformat(),
                        "revenue": 20.0 if event == "order_completed" else None,
                    })
    return pd.DataFrame(rows)


def reference_personas(raw: pd.DataFrame, memory: dict) -> dict[str, int]:
    """person -> persona id: shares of visits per channel and of events per device, square
    roots, weighted (channel 1, device 0.3), nearest remembered centroid (first on ties)."""
    rows = memory["personas"]
    features = sorted({f for r in rows for f in r["centroid"]})
    weight = {f: 1.0 if f.startswith("channel:") else 0.3 for f in features}
    out = {}
    frame = raw.assign(ts=pd.to_datetime(raw["timestamp"], utc=True))
    for person, mine in frame.sort_values(["ts", "message_id"]).groupby("user_id"):
        if len(mine) < MIN_EVENTS:
            continue
        gaps = mine["ts"].diff() > pd.Timedelta(minutes=30)
        session = gaps.cumsum().to_numpy()
        visits = len(set(session))
        x = {}
        for f in features:
            kind, name = f.split(":", 1)
            if kind == "channel":
                on = mine["channel"].to_numpy() == name if name != "(other)" else \
                    ~mine["channel"].isin([c.split(":", 1)[1] for c in features]).to_numpy()
                x[f] = len(set(session[on])) / visits
            else:
                x[f] = float((mine["device"] == name).mean())
        d = [sum((weight[f] * (np.sqrt(x[f]) - r["centroid"].get(f, 0.0))) ** 2
                 for f in features) for r in rows]
        out[str(person)] = int(rows[int(np.argmin(d))]["id"])
    return out


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    raw = raw_log()
    with wegweiser.Project.init(tmp_path_factory.mktemp("persona") / "p") as project:
        assert project.import_events(raw).quarantined == 0
        with pytest.raises(InvalidInput, match="run `wegweiser personas` first"):
            project.analyse("conversion", where=["persona=1"])
        with pytest.raises(InvalidInput, match="run `wegweiser personas` first"):
            project.analyse("conversion", by_persona=True)
        fit = project.analyse("personas", personas=3, periods=0, bootstrap=1,
                              min_events=MIN_EVENTS)
        yield project, raw, fit


def test_assignment_matches_the_fit_and_a_pandas_reference(shop):
    project, raw, fit = shop
    memory = project.persona_memory()
    assert memory["min_events"] == MIN_EVENTS
    got = to_frame(assign(project.journey(), memory,
                          after_phases=after_purchase_phases(project.config)))
    mine = dict(zip(got["person_id"], got["persona"], strict=True))
    assert mine == reference_personas(raw, memory)
    assert mine == dict(zip(fit.members["person_id"], fit.members["persona"], strict=True))
    assert len(set(mine.values())) == 3
    names = {r["id"]: r["name"] for r in memory["personas"]}
    for person in sorted(mine)[::15]:  # the person page shows the same persona
        head = project.person(person).summary.iloc[0]
        assert (head["persona"], head["persona_name"]) == (mine[person], names[mine[person]])
    few = sorted(set(raw["user_id"]) - set(mine))[0]  # too few events: none
    assert project.person(few).summary["persona"].isna().all()


def test_filter_and_breakdown_by_persona_match_the_reference(shop):
    project, raw, _ = shop
    memory = project.persona_memory()
    who = reference_personas(raw, memory)
    orders = raw[raw["event"] == "order_completed"]
    first = memory["personas"][0]
    members = {p for p, k in who.items() if k == first["id"]}
    expected = (len(members), orders["user_id"].isin(members).groupby(
        orders["user_id"]).any().sum())
    for named in (str(first["id"]), first["name"].upper(), first["name_de"]):
        got = project.analyse("conversion", where=[f"persona = {named}"]).main.iloc[0]
        assert (got["persons"], got["converters"]) == expected
    others = project.analyse("conversion", where=[f"persona != {first['id']}"]).main
    assert others["persons"].iloc[0] == raw["user_id"].nunique() - len(members)
    unset = project.analyse("conversion", where=["persona is not set"]).main
    assert unset["persons"].iloc[0] == raw["user_id"].nunique() - len(who)

    # a persona as a saved segment: exported, and used as a filter
    project.save_segment(Segment(name="first", where=[f"persona={first['name']}"]))
    assert sorted(project.members("first")["person_id"]) == sorted(members)
    got = project.analyse("conversion", segment="first").main.iloc[0]
    assert (got["persons"], got["converters"]) == expected

    split = project.analyse("conversion", by_persona=True).main
    names = {r["id"]: r["name"] for r in memory["personas"]}
    counts = pd.Series(who).map(names).value_counts().to_dict()
    assert dict(zip(split["persona"], split["persons"], strict=True)) == counts
    assert list(split["persona"]) == [r["name"] for r in memory["personas"]]


def test_an_unknown_persona_or_odd_use_is_a_clear_error(shop):
    project, _, _ = shop
    name = project.persona_memory()["personas"][0]["name"]
    with pytest.raises(InvalidInput, match=r"no persona 'nobody'; the personas are 1 \("):
        project.analyse("conversion", where=["persona = nobody"])
    with pytest.raises(InvalidInput, match="Did you mean"):
        project.analyse("conversion", where=[f"persona = {name[:-1]}"])
    with pytest.raises(InvalidInput, match="a persona takes"):
        project.analyse("conversion", where=["persona contains x"])
    with pytest.raises(InvalidInput, match="not several"):
        project.analyse("conversion", by_persona=True, by_segment=["x"])
    broken = json.loads(json.dumps(project.persona_memory()))
    broken["personas"][0]["centroid"]["events"] = 1.0
    with pytest.raises(InvalidInput, match="refit"):
        assign(project.journey(), broken)
