"""A small project with one person, Ana, in every place Wegweiser keeps personal data:
events from two devices and her user id, identify calls with her e-mail address, a
feedback answer, a quarantined row, the journey state (runs, ledger, outbox...), a spool
segment, the cache of feedback readings and a read snapshot; and two other persons."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

import wegweiser
from wegweiser.feedback.understand import Reading
from wegweiser.orchestrate.state import open_state

if TYPE_CHECKING:
    from pathlib import Path

ANA_IDS = ("ana-user-7", "ana-dev-phone-1", "ana-dev-laptop-2")
ANA_EMAIL = "Ana.Secret@Example.org"
ANA_TEXT = "zebracorn delivery was late"
OTHERS = ("bob-user-1", "cem-user-2")
BASE = datetime(2026, 3, 2, 9, tzinfo=UTC)
#: what must not be found in any file of the project after Ana's erasure
NEEDLES = (*ANA_IDS, ANA_EMAIL.lower(), "zebracorn")


def _event(i: int, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"message_id": f"m{i:03d}", "type": "track", "event": "page_view",
                           "anonymous_id": None, "user_id": None, "traits": None,
                           "properties": None, "channel": "direct",
                           "timestamp": (BASE + timedelta(hours=i)).isoformat()}
    row.update(fields)
    return row


def ana_and_others() -> pd.DataFrame:
    rows = []
    i = 0
    for device in ANA_IDS[1:]:
        for _ in range(3):
            rows.append(_event(i, anonymous_id=device))
            i += 1
        rows.append(_event(i, type="identify", event=None, anonymous_id=device,
                           user_id=ANA_IDS[0], traits=json.dumps({"email": ANA_EMAIL})))
        i += 1
    rows.append(_event(i, event="order_completed", user_id=ANA_IDS[0], revenue=42.0))
    i += 1
    rows.append(_event(i, event="survey_answered", user_id=ANA_IDS[0],
                       properties=json.dumps({"score": 3, "text": ANA_TEXT})))
    i += 1
    for other in OTHERS:
        for k in range(4):
            rows.append(_event(i, user_id=other, event="page_view" if k else "signup"))
            i += 1
        rows.append(_event(i, type="identify", event=None, user_id=other,
                           traits=json.dumps({"email": f"{other}@example.org"})))
        i += 1
    return pd.DataFrame(rows)


#: seeded rows per kind, for Ana
ANA_EVENTS = 10
ANA_STATE = {"wj_runs": 1, "wj_persons": 1, "wj_entries": 1, "wj_ledger": 1,
             "wj_engagement": 1, "wj_unsubscribed": 1, "wj_members": 1, "wj_outbox": 1}


def seed_state(project_dir: Path, person_ids: dict[str, str], target: str | None = None
               ) -> None:
    """One row in each journey-state table per person (``name -> person_id``), in the
    project's ``journeys.sqlite`` or ``target`` (a PostgreSQL URL)."""
    now = 1.0e9
    where = target or str(project_dir / "journeys.sqlite")
    with open_state(where) as store, store.transaction() as tx:
        for name, pid in person_ids.items():
            person = json.dumps({"person_id": pid, "email": f"{name}@example.org"})
            key = f"welcome:{pid}:1|mail|email"
            tx.execute(
                "INSERT INTO wj_runs (run_id, journey, person_id, status, due_at, step_at, "
                "person, entered_at, updated_at) VALUES (:r, 'welcome', :p, 'done', :t, :t, "
                ":person, :t, :t)", {"r": f"welcome:{pid}:1", "p": pid, "t": now,
                                     "person": person})
            tx.execute("INSERT INTO wj_persons VALUES (:p, :person, :t)",
                       {"p": pid, "person": person, "t": now})
            tx.execute("INSERT INTO wj_entries VALUES ('welcome', :p, 1, :t)",
                       {"p": pid, "t": now})
            tx.execute(
                "INSERT INTO wj_ledger (key, run_id, journey, step, channel, person_id, state, "
                "created_at, updated_at) VALUES (:k, :r, 'welcome', 'mail', 'email', :p, "
                "'sent', :t, :t)", {"k": key, "r": f"welcome:{pid}:1", "p": pid, "t": now})
            tx.execute("INSERT INTO wj_engagement (key, opened_at) VALUES (:k, :t)",
                       {"k": key, "t": now})
            tx.execute("INSERT INTO wj_unsubscribed VALUES (:p, 'email', :t)",
                       {"p": pid, "t": now})
            tx.execute("INSERT INTO wj_members VALUES ('segment:vip', :p, :t)",
                       {"p": pid, "t": now})
            event = json.dumps({"type": "track", "event": "message_sent", "user_id": pid,
                                "messageId": f"out-{pid}"})
            tx.execute("INSERT INTO wj_outbox VALUES (:m, :t, :e)",
                       {"m": f"out-{pid}", "t": now, "e": event})


def seed_spool(project_dir: Path) -> None:
    """A closed segment the collector left (the importer has not taken it yet)."""
    folder = project_dir / "spool"
    folder.mkdir(exist_ok=True)
    lines = [
        {"message_id": "s1", "type": "track", "event": "page_view",
         "anonymous_id": ANA_IDS[1], "timestamp": BASE.isoformat()},
        {"message_id": "s2", "type": "identify", "user_id": ANA_IDS[0],
         "traits": {"email": ANA_EMAIL}, "timestamp": BASE.isoformat()},
        {"message_id": "s3", "type": "track", "event": "page_view", "user_id": OTHERS[0],
         "timestamp": BASE.isoformat()},
    ]
    (folder / "20260302T090000-000001.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def seeded_project(folder: Path, outside: Path) -> wegweiser.Project:
    """The project with Ana everywhere (``outside`` holds the input files)."""
    project = wegweiser.Project.init(folder)
    assert project.import_events(ana_and_others()).imported == ANA_EVENTS + 10
    bad = outside / "bad.jsonl"
    bad.write_text(json.dumps({"type": "track", "event": "x", "userId": ANA_IDS[0],
                               "timestamp": "not a time"}) + "\n"
                   + json.dumps({"type": "track", "event": "x", "userId": OTHERS[1],
                                 "timestamp": "not a time"}) + "\n", encoding="utf-8")
    assert project.import_events(bad).quarantined == 2
    ids = {"ana": project.person_of(ANA_IDS[0]), "bob": project.person_of(OTHERS[0])}
    seed_state(folder, {k: str(v) for k, v in ids.items()})
    project.save_scores("churn", pd.DataFrame({"person_id": [str(v) for v in ids.values()],
                                               "score": [0.7, 0.2]}), version="seed")
    from wegweiser.store.scores import replace_recommendations

    replace_recommendations(project._engine, pd.DataFrame({
        "person_id": [str(ids["ana"]), str(ids["ana"]), str(ids["bob"])], "rank": [1, 2, 1],
        "item": ["shears", "gloves", "hose"], "category": ["Garten", None, "Garten"],
        "score": [0.9, 0.4, 0.8], "version": "seed", "scored_at": datetime(2026, 6, 1).date(),
        "fitted_at": datetime(2026, 6, 1, tzinfo=UTC)}))
    seed_spool(folder)
    cache = project.text_cache()
    cache.put_many("lexicon-1", {ANA_TEXT: Reading("en", "negative", -0.5, ("delivery",)),
                                 "fine shop": Reading("en", "positive", 0.5, ())})
    project.write_snapshot(folder / "snapshots")
    return project


def scan(folder: Path, needles: tuple[str, ...] = NEEDLES) -> list[tuple[str, str]]:
    """(file, needle) for every needle found in the bytes of any file under ``folder``
    (case-insensitive)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes().lower()
            found += [(str(path.relative_to(folder)), n) for n in needles
                      if n.lower().encode() in data]
    return found
