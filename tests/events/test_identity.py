from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from wegweiser.events.identity import REFUSED, stitch

ANON = [f"a{i}" for i in range(8)]
USERS = [f"u{i}" for i in range(4)]


def reference_persons(rows: list[dict]) -> dict[str, str]:
    """Plain union-find: person = smallest user id of the component, else smallest id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    users = set()
    for r in rows:
        ids = [i for i in (r.get("anonymous_id"), r.get("user_id"), r.get("previous_id")) if i]
        for i in ids:
            find(i)
        if r.get("user_id"):
            users.add(r["user_id"])
        other = r.get("previous_id") if r["type"] == "alias" else r.get("anonymous_id")
        if other and r.get("user_id"):
            parent[find(other)] = find(r["user_id"])
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    out = {}
    for members in groups.values():
        us = sorted(m for m in members if m in users)
        person = us[0] if us else sorted(members)[0]
        out.update(dict.fromkeys(members, person))
    return out


row = st.one_of(
    st.fixed_dictionaries({"type": st.just("track"), "anonymous_id": st.sampled_from(ANON),
                           "user_id": st.none() | st.sampled_from(USERS)}),
    st.fixed_dictionaries({"type": st.just("identify"), "anonymous_id": st.sampled_from(ANON),
                           "user_id": st.sampled_from(USERS)}),
    st.fixed_dictionaries({"type": st.just("alias"), "previous_id": st.sampled_from(ANON + USERS),
                           "user_id": st.sampled_from(USERS)}),
    st.fixed_dictionaries({"type": st.just("track"), "user_id": st.sampled_from(USERS)}),
)


def to_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame([
        {**r, "event": "x" if r["type"] == "track" else None, "message_id": f"m{i}",
         "timestamp": f"2026-01-01T00:00:{i % 60:02d}Z"}
        for i, r in enumerate(rows)
    ])
    for c in ("anonymous_id", "user_id", "previous_id"):
        if c not in df:
            df[c] = None
    return df


def persons_after_import(frames: list[pd.DataFrame]) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp, wegweiser.Project.init(Path(tmp) / "p") as project:
        for frame in frames:
            assert project.import_events(frame).quarantined == 0
        return dict(project._engine.execute("SELECT id, person_id FROM identities").rows)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=25), seed=st.integers(0, 10_000))
def test_stitching_is_independent_of_arrival_order(rows, seed):
    frame = to_frame(rows)
    expected = reference_persons(rows)
    in_one = persons_after_import([frame])
    assert in_one == expected
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cut = random.Random(seed).randint(0, len(rows))
    assert persons_after_import([shuffled.iloc[:cut], shuffled.iloc[cut:]]) == expected


def test_a_person_spans_devices(project):
    frame = pd.DataFrame({
        "message_id": ["1", "2", "3", "4", "5"],
        "type": ["track", "identify", "track", "identify", "track"],
        "event": ["product_view", None, "product_view", None, "order_completed"],
        "anonymous_id": ["phone", "phone", "laptop", "laptop", None],
        "user_id": [None, "anna", None, "anna", "anna"],
        "timestamp": [f"2026-01-0{d}T10:00:00Z" for d in range(1, 6)],
    })
    project.import_events(frame)
    assert {project.person_of(i) for i in ("phone", "laptop", "anna")} == {"anna"}
    merges = project.merges()
    assert sorted(zip(merges["a_id"], merges["b_id"], strict=True)) == [("anna", "laptop"),
                                                                        ("anna", "phone")]
    assert set(merges["status"]) == {"merged"}
    assert project.stats()["persons"] == 1


def test_one_shared_id_cannot_merge_many_people(project):
    n = 150  # > identity.max_ids_per_person (100)
    frame = pd.DataFrame({
        "message_id": [f"m{i}" for i in range(n)] + ["ok1", "ok2"],
        "type": ["identify"] * (n + 2),
        "anonymous_id": [f"device{i}" for i in range(n)] + ["d-ok", "d-ok2"],
        "user_id": ["shared-test-account"] * n + ["real", "real"],
        "timestamp": "2026-01-01T00:00:00Z",
    })
    project.import_events(frame)
    persons = dict(project._engine.execute("SELECT id, person_id FROM identities").rows)
    assert len({persons[f"device{i}"] for i in range(n)}) == n  # nobody merged via the hub
    assert persons["d-ok"] == persons["d-ok2"] == "real"
    refused = project.merges(status="refused", limit=None)
    assert len(refused) == n
    assert "shared-test-account" in refused["reason"].iloc[0]
    assert "max_ids_per_person" in refused["reason"].iloc[0]


def test_blocked_id_values_never_link(project):
    frame = pd.DataFrame({
        "type": ["identify"] * 3,
        "anonymous_id": ["d1", "d2", "d3"],
        "user_id": ["undefined", "NULL", " 0 "],
        "timestamp": "2026-01-01T00:00:00Z",
    })
    assert project.import_events(frame).quarantined == 0
    assert project.stats()["persons"] == 3
    assert project.stats()["merges"] == 0


def test_component_cap_cuts_the_hub_deterministically():
    # a chain of 5 ids under a cap of 3: the most connected id (ties: the greater) loses links
    a = np.array(["a", "b", "c", "d"], dtype=object)
    b = np.array(["b", "c", "d", "e"], dtype=object)
    first = stitch(a, b, user_ids=set(), max_ids_per_person=3)
    again = stitch(a[::-1], b[::-1], user_ids=set(), max_ids_per_person=3)
    persons = dict(zip(first.ids, first.person_ids, strict=True))
    assert persons == dict(zip(again.ids, again.person_ids, strict=True))
    sizes = pd.Series(persons).value_counts()
    assert sizes.max() <= 3
    assert (first.link_status == REFUSED).sum() >= 1


def reference_stitch(
    links: list[tuple[str, str]], users: set[str], cap: int
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The safeguards as the module docstring states them, in plain Python (links distinct)."""
    neighbours: dict[str, set[str]] = {}
    for a, b in links:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    status = {
        (a, b): REFUSED if max(len(neighbours[a]), len(neighbours[b])) > cap - 1 else "merged"
        for a, b in links
    }

    def components() -> list[set[str]]:
        parent = {x: x for x in neighbours}

        def find(x: str) -> str:
            while parent[x] != x:
                x = parent[x]
            return x

        for (a, b), verdict in status.items():
            if verdict != REFUSED:
                parent[find(a)] = find(b)
        groups: dict[str, set[str]] = {}
        for x in parent:
            groups.setdefault(find(x), set()).add(x)
        return list(groups.values())

    while big := [c for c in components() if len(c) > cap]:
        degree = {x: 0 for x in neighbours}
        for (a, b), verdict in status.items():
            if verdict != REFUSED:
                degree[a] += 1
                degree[b] += 1
        for members in big:
            hub = max(members, key=lambda x: (degree[x], x))
            for a, b in links:
                if hub in (a, b):
                    status[a, b] = REFUSED
    persons = {}
    for members in components():
        person = min((m for m in members if m in users), default=min(members))
        persons.update(dict.fromkeys(members, person))
    return persons, status


def test_safeguards_match_the_plain_reference():
    rng = random.Random(5)
    for cap in (3, 4, 6, 50):
        for _ in range(40):
            names = [f"x{i:02d}" for i in range(rng.randint(2, 30))]
            pairs = {tuple(sorted(rng.sample(names, 2))) for _ in range(rng.randint(1, 40))}
            links = sorted(pairs)
            users = {n for n in names if rng.random() < 0.3}
            want_persons, want_status = reference_stitch(links, users, cap)
            a = np.array([x for x, _ in links], dtype=object)
            b = np.array([y for _, y in links], dtype=object)
            got = stitch(a, b, user_ids=users, max_ids_per_person=cap)
            assert dict(zip(got.ids, got.person_ids, strict=True)) == want_persons
            assert dict(zip(links, got.link_status, strict=True)) == want_status


def test_an_id_that_becomes_a_user_id_later_names_its_person():
    """u0 is only a previous id in the first import (the person is u3, its one user id); the
    second import makes u0 a user id without a new link: the person becomes u0, as if both
    imports had come at once (found by the arrival-order property above)."""
    first = to_frame([{"type": "alias", "previous_id": "u0", "user_id": "u3"}])
    second = to_frame([{"type": "alias", "previous_id": "u3", "user_id": "u0"}])
    second["message_id"] = "m1"
    assert persons_after_import([first]) == {"u0": "u3", "u3": "u3"}
    assert persons_after_import([first, second]) == {"u0": "u0", "u3": "u0"}
    assert persons_after_import([pd.concat([first, second])]) == {"u0": "u0", "u3": "u0"}
