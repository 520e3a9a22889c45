"""One person's journey against a plain-pandas reading of the raw events (stitching done
here with a union-find over the raw ids), on small random logs; finding persons by any id
and by email; unknown ids."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.analysis.reference import BASE, reference_phase
from wegweiser.errors import UnknownPerson

EVENTS = ("page_view", "product_view", "add_to_cart", "order_completed", "message_sent")
CHANNELS = ("email", "paid_search", "direct", None)


def random_log(seed: int, *, persons: int = 12, n: int = 260) -> pd.DataFrame:
    """Persons u00.. with 1-3 devices (anonymous ids ``a-<u>-<k>``); events come from a
    device or the user id; some devices are linked by an identify event (with an email
    trait, in varying case), some never are (their own persons)."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    devices = {f"u{p:02d}": [f"a-u{p:02d}-{k}" for k in range(rng.randint(1, 3))]
               for p in range(persons)}
    for i in range(n):
        user = rng.choice(list(devices))
        anon = rng.choice(devices[user]) if rng.random() < 0.6 else None
        event = rng.choice(EVENTS)
        props = ({"journey": "welcome", "step": "mail", "variant": "a"}
                 if event == "message_sent" else {"plan": rng.choice(["basic", "pro"])})
        ts = BASE + timedelta(minutes=rng.randint(0, 60 * 24 * 10))
        if rows and rng.random() < 0.1:  # a tie on the timestamp
            ts = pd.Timestamp(str(rng.choice(rows)["timestamp"])).to_pydatetime()
        rows.append({
            "message_id": f"m{i:04d}", "type": rng.choice(["track", "track", "page"]),
            "event": event, "anonymous_id": anon, "user_id": None if anon else user,
            "timestamp": ts.isoformat(), "channel": rng.choice(CHANNELS),
            "device": rng.choice(["mobile", "desktop"]),
            "revenue": round(rng.uniform(5, 90), 2) if event == "order_completed" else None,
            "properties": json.dumps(props), "traits": None,
        })
    for user, anons in devices.items():
        for k, anon in enumerate(anons):
            if rng.random() < 0.7:
                email = f"{user}@Example.org" if k % 2 else f"  {user.upper()}@example.org"
                rows.append({
                    "message_id": f"id-{anon}", "type": "identify", "event": None,
                    "anonymous_id": anon, "user_id": user,
                    "timestamp": (BASE + timedelta(minutes=rng.randint(0, 60 * 24 * 10)))
                    .isoformat(),
                    "channel": None, "device": None, "revenue": None, "properties": None,
                    "traits": json.dumps({"email": email, "k": k}),
                })
    rng.shuffle(rows)
    return pd.DataFrame(rows)


def components(raw: pd.DataFrame) -> dict[str, set[str]]:
    """id -> the set of ids stitched with it (union-find over rows carrying both ids)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for anon, user in zip(raw["anonymous_id"], raw["user_id"], strict=True):
        for x in (anon, user):
            if isinstance(x, str):
                root(x)
        if isinstance(anon, str) and isinstance(user, str):
            parent[root(anon)] = root(user)
    groups: dict[str, set[str]] = {}
    for x in parent:
        groups.setdefault(root(x), set()).add(x)
    return {x: groups[root(x)] for x in parent}


def reference_timeline(raw: pd.DataFrame, ids: set[str]) -> pd.DataFrame:
    mine = raw[raw["type"].isin(["track", "page", "screen"])
               & (raw["anonymous_id"].isin(ids) | raw["user_id"].isin(ids))].copy()
    mine["ts"] = pd.to_datetime(mine["timestamp"], utc=True)
    return mine.sort_values(["ts", "message_id"], kind="stable").reset_index(drop=True)


def episodes(timeline: pd.DataFrame) -> list[tuple[str, int]]:
    """(phase, touchpoints) of consecutive runs; a touchpoint without a phase stays in the
    run before it (none before the first phase)."""
    out: list[list[object]] = []
    current = None
    for event in timeline["event"]:
        phase = reference_phase(event) or current
        if phase is None:
            continue
        if out and out[-1][0] == phase:
            out[-1][1] += 1  # type: ignore[operator]
        else:
            out.append([phase, 1])
        current = phase
    return [(str(p), int(n)) for p, n in out]  # type: ignore[call-overload]


@pytest.fixture(scope="module", params=[5, 23])
def shop(request, tmp_path_factory):
    raw = random_log(request.param)
    with wegweiser.Project.init(tmp_path_factory.mktemp("person") / "p") as project:
        assert project.import_events(raw).quarantined == 0
        yield project, raw


@given(pick=st.integers(0, 10_000), how=st.sampled_from(["id", "person", "email"]))
@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_timeline_matches_a_pandas_reading_of_the_raw_events(shop, pick, how):
    project, raw = shop
    stitched = components(raw)
    any_id = sorted(stitched)[pick % len(stitched)]
    ids = stitched[any_id]
    person_id = project.person_of(any_id)
    query = {"id": any_id, "person": person_id}.get(how)
    if how == "email":
        mails = raw[(raw["type"] == "identify") & raw["anonymous_id"].isin(ids)]
        if mails.empty:
            return
        query = json.loads(mails["traits"].iloc[0])["email"].strip().swapcase()
    got = project.person(str(query))
    want = reference_timeline(raw, ids)

    assert got.person_id == person_id
    assert set(got.ids["id"]) == ids
    assert list(got.timeline["message_id"]) == list(want["message_id"])
    assert list(got.timeline["event"]) == list(want["event"])
    assert list(got.timeline["seq"]) == list(range(len(want)))
    pd.testing.assert_series_equal(
        got.timeline["timestamp"].reset_index(drop=True), want["ts"], check_names=False,
        check_dtype=False)
    given = want["channel"].notna().to_numpy()  # without one the store infers it
    assert list(got.timeline["channel"][given]) == list(want["channel"][given])
    orders = want[want["event"] == "order_completed"]
    head = got.summary.iloc[0]
    assert (head["events"], head["conversions"]) == (len(want), len(orders))
    assert head["revenue"] == pytest.approx(orders["revenue"].sum())
    assert list(got.conversions["revenue"]) == pytest.approx(list(orders["revenue"]))
    assert len(got.messages) == (want["event"] == "message_sent").sum()
    assert set(got.messages["journey"]) <= {"welcome"}
    devices = want.groupby("device").size().to_dict()
    assert dict(zip(got.devices["device"], got.devices["events"], strict=True)) == devices
    assert list(zip(got.phases["phase"], got.phases["events"], strict=True)) == episodes(want)
    idents = raw[(raw["type"] == "identify") & raw["anonymous_id"].isin(ids)]
    if len(idents):
        last = idents.assign(ts=pd.to_datetime(idents["timestamp"], utc=True)).sort_values(
            ["ts", "message_id"]).iloc[-1]
        traits = dict(zip(got.traits["key"], got.traits["value"], strict=True))
        assert traits["email"] == json.loads(last["traits"])["email"]


def test_the_timeline_keeps_the_latest_touchpoints(shop):
    project = shop[0]
    person_id = project.person_of("u01")
    full = project.person("u01")
    short = project.person("u01", limit=3)
    assert list(short.timeline["message_id"]) == list(full.timeline["message_id"].iloc[-3:])
    assert short.summary["events"].iloc[0] == full.summary["events"].iloc[0]
    assert short.note.startswith("the timeline shows the latest 3 of")
    assert full.note == ""
    assert person_id == full.person_id


def test_find_by_any_id_email_or_prefix(shop):
    project = shop[0]
    person = project.person_of("u03")
    assert project.find_persons("u03").to_dict("records") == [
        {"person_id": person, "matched": "u03", "kind": "person_id" if person == "u03"
         else "user"}]
    near = project.find_persons("a-u0")
    assert set(near["kind"]) == {"prefix"}
    assert all(m.startswith("a-u0") for m in near["matched"])
    assert project.find_persons("zz").empty  # too short for a prefix and no id
    _, raw = shop
    mails = raw[raw["traits"].notna()]
    email = json.loads(mails["traits"].iloc[0])["email"]
    owner = project.person_of(str(mails["user_id"].iloc[0]))
    found = project.find_persons(f" {email.upper()} ")
    assert found.to_dict("records") == [
        {"person_id": owner, "matched": email.strip().lower(), "kind": "email"}]
    assert project.person(email).person_id == owner


def test_an_unknown_id_is_a_clear_error(shop):
    project, _ = shop
    with pytest.raises(UnknownPerson, match="no person has the id or email 'nobody'"):
        project.person("nobody")
    with pytest.raises(UnknownPerson, match="Ids that start so: a-u0"):
        project.person("a-u0")
