"""What the operator and the faces ask of the state store: status, pause/resume, the ledger
(``unknown`` rows first of all), and moving the outbox of message events into the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate.state import RUN_PERSON

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.orchestrate.state import StateStore
    from wegweiser.project import Project


def status(store: StateStore, journeys: list[str]) -> list[dict[str, Any]]:
    """Per journey: paused, entrants, runs by status, deferred and parked runs, messages
    by ledger state (``unknown`` among them)."""
    with store.transaction() as tx:
        meta = {r[0]: (bool(r[1]), int(r[2])) for r in tx.execute(
            "SELECT journey, paused, entrants FROM wj_journeys")}
        runs = tx.execute("SELECT journey, status, count(*) FROM wj_runs GROUP BY journey, status")
        deferred = dict(tx.execute(
            "SELECT journey, count(*) FROM wj_runs WHERE status = 'active' "
            "AND reason LIKE 'deferred:%' GROUP BY journey"))
        sends = tx.execute("SELECT journey, state, count(*) FROM wj_ledger GROUP BY journey, state")
    out = []
    for name in sorted(set(journeys) | set(meta)):
        row: dict[str, Any] = {"journey": name, "paused": meta.get(name, (False, 0))[0],
                               "entrants": meta.get(name, (False, 0))[1],
                               "in_files": name in journeys}
        for status_ in ("active", "done", "exited", "parked", "control"):
            row[status_] = sum(int(n) for j, s, n in runs if j == name and s == status_)
        row["deferred"] = int(deferred.get(name, 0))
        for state in ("sent", "unknown", "failed", "pending", "sending", "suppressed",
                      "dropped", "holdout"):
            row[f"msg_{state}"] = sum(int(n) for j, s, n in sends if j == name and s == state)
        out.append(row)
    return out


def sends_per_step(store: StateStore, journey: str) -> list[dict[str, Any]]:
    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT step, channel, variant, state, count(*) FROM wj_ledger WHERE journey = :j "
            "GROUP BY step, channel, variant, state ORDER BY step, channel, variant, state",
            {"j": journey})
    return [dict(zip(("step", "channel", "variant", "state", "messages"), r, strict=True))
            for r in rows]


def set_paused(store: StateStore, journey: str, paused: bool) -> None:
    """A paused journey takes no entrants and its runs stay where they are."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO wj_journeys (journey, paused, entrants) VALUES (:j, :p, 0) "
            "ON CONFLICT (journey) DO UPDATE SET paused = :p",
            {"j": journey, "p": int(paused)},
        )


def resume_parked(store: StateStore, journey: str, *, now: float) -> int:
    """Let the journey's parked runs go on (retry the step they stopped at)."""
    with store.transaction() as tx:
        tx.execute(
            "UPDATE wj_runs SET status = 'active', due_at = :now, reason = NULL, "
            "claimed_by = NULL, claim_until = NULL WHERE journey = :j AND status = 'parked'",
            {"j": journey, "now": now},
        )
        n = tx.rowcount
        tx.execute(  # their failed messages may be tried again, under the same key
            "UPDATE wj_ledger SET state = 'pending', next_attempt_at = NULL, attempts = 0 "
            "WHERE journey = :j AND state = 'failed'",
            {"j": journey},
        )
    return n


LEDGER_COLUMNS = ("key", "journey", "step", "channel", "variant", "person_id", "state",
                  "attempts", "reason", "updated_at")


def ledger(
    store: StateStore, *, state: str | None = None, journey: str | None = None,
    limit: int = 100, person_id: str | None = None,
) -> list[dict[str, Any]]:
    cols = LEDGER_COLUMNS
    with store.transaction() as tx:
        rows = tx.execute(
            f"SELECT {', '.join(cols)} FROM wj_ledger "
            "WHERE (CAST(:s AS TEXT) IS NULL OR state = :s) "
            "AND (CAST(:j AS TEXT) IS NULL OR journey = :j) "
            "AND (CAST(:p AS TEXT) IS NULL OR person_id = :p) "
            "ORDER BY updated_at DESC, key LIMIT :n",
            {"s": state, "j": journey, "p": person_id, "n": limit},
        )
    return [dict(zip(cols, r, strict=True)) for r in rows]


def person_sends(project_dir: Path, person_id: str, *, limit: int = 1_000) -> pd.DataFrame:
    """The send ledger's rows for ``person_id``, oldest first, with ``updated_at`` as a
    UTC time (none when the project has no journey state: nothing is created here)."""
    import pandas as pd

    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.state import open_state

    target = state_target(project_dir)
    local = not target.startswith(("postgresql://", "postgres://", "host="))
    path = Path(target.removeprefix("sqlite:///"))
    if local and not (path if path.is_absolute() else project_dir / path).is_file():
        return pd.DataFrame(columns=list(LEDGER_COLUMNS))
    with open_state(target, project_dir=project_dir) as store:
        rows = ledger(store, person_id=person_id, limit=limit)
    frame = pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], unit="s", utc=True)
    return frame.iloc[::-1].reset_index(drop=True)


def flush_outbox(project: Project, store: StateStore, *, limit: int = 20_000) -> int:
    """Import the message events of the outbox into the project's store (their
    ``message_id`` is fixed, so a repeat after a crash is dropped as a duplicate), then
    forget them."""
    import pyarrow as pa

    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT message_id, event FROM wj_outbox ORDER BY created_at, message_id LIMIT :n",
            {"n": limit})
    if not rows:
        return 0
    events = [json.loads(e) for _, e in rows]
    cols = ("message_id", "type", "event", "user_id", "anonymous_id", "timestamp", "channel")
    data: dict[str, list[Any]] = {c: [e.get(c) for e in events] for c in cols}
    data["properties"] = [json.dumps(e.get("properties") or {}) for e in events]
    data["traits"] = [json.dumps(e["traits"]) if "traits" in e else None for e in events]
    project.import_events(pa.table({k: pa.array(v, type=pa.string()) for k, v in data.items()}))
    with store.transaction() as tx:
        tx.executemany("DELETE FROM wj_outbox WHERE message_id = :m",
                       [{"m": m} for m, _ in rows])
    return len(rows)


def unsubscribe(store: StateStore, person_id: str, channel: str, *, now: float) -> bool:
    """Record that ``person_id`` unsubscribed from ``channel`` (``*``: every channel): the
    delivery policy suppresses their messages on it from now on, and an ``unsubscribed``
    event goes to the outbox (imported into the store by the worker; journeys with
    ``exit.unsubscribed`` end the person's runs then). False when it was recorded before."""
    import hashlib
    from datetime import UTC, datetime

    with store.transaction() as tx:
        known = tx.one("SELECT 1 FROM wj_unsubscribed WHERE person_id = :p AND channel = :c",
                       {"p": person_id, "c": channel})
        if known:
            return False
        tx.execute("INSERT INTO wj_unsubscribed (person_id, channel, at) VALUES (:p, :c, :now) "
                   "ON CONFLICT (person_id, channel) DO NOTHING",
                   {"p": person_id, "c": channel, "now": now})
        snapshot = tx.one(f"{RUN_PERSON} WHERE r.person_id = :p "
                          "ORDER BY r.updated_at DESC LIMIT 1", {"p": person_id})
        data = {} if snapshot is None else snapshot[0]
        user_id = (json.loads(data) if isinstance(data, str) else data).get("user_id")
        ids = {"user_id": user_id} if user_id else {"anonymous_id": person_id}
        mid = hashlib.sha256(f"unsubscribe|{person_id}|{channel}".encode()).hexdigest()[:32]
        event = {"message_id": f"wj-{mid}", "type": "track", "event": "unsubscribed",
                 "timestamp": datetime.fromtimestamp(now, UTC).isoformat(),
                 "properties": {"channel": channel}, **ids}
        tx.execute("INSERT INTO wj_outbox (message_id, created_at, event) VALUES (:m, :now, :e) "
                   "ON CONFLICT (message_id) DO NOTHING",
                   {"m": event["message_id"], "now": now, "e": json.dumps(event)})
    return True


def assignments(store: StateStore, journey: str) -> pd.DataFrame:
    """A journey as an experiment's assignments (``wegweiser journeys readout``): one row
    per person's first run, in the columns of
    :func:`wegweiser.analysis.experiments.assignments.read_csv` -- experiment
    ``journey:<name>``, variant ``control_group`` (the global control group), ``holdout``
    (the journey's holdout) or ``treatment``, ``assigned_at`` the entry time (UTC)."""
    import pandas as pd

    from wegweiser.analysis.experiments.assignments import CSV_COLUMNS

    with store.transaction() as tx:
        rows = tx.execute(
            "SELECT person_id, status, holdout, entered_at FROM wj_runs WHERE journey = :j "
            "ORDER BY person_id, entered_at", {"j": journey})
    first: dict[str, tuple[str, float]] = {}
    for person_id, status_, holdout, entered_at in rows:
        if str(person_id) in first:
            continue
        variant = ("control_group" if status_ == "control" else
                   "holdout" if int(holdout) else "treatment")
        first[str(person_id)] = (variant, float(entered_at))
    frame = pd.DataFrame(
        [(p, f"journey:{journey}", v, at) for p, (v, at) in first.items()],
        columns=list(CSV_COLUMNS))
    frame["assigned_at"] = pd.to_datetime(frame["assigned_at"], unit="s", utc=True)
    return frame


def planned_shares(holdout: float, control_group: float) -> dict[str, float]:
    """The split a journey plans (for the sample-ratio check of its readout): the global
    control group first, then the holdout of the rest."""
    shares = {"treatment": (1 - control_group) * (1 - holdout)}
    if holdout > 0:
        shares["holdout"] = (1 - control_group) * holdout
    if control_group > 0:
        shares["control_group"] = control_group
    return shares
