"""The send ledger: one row per intended message, never sent twice.

The key is ``run|step|channel`` and unique. States::

    pending ──► sending ──► sent
       ▲           │  ├──► failed      (terminal error, or transient errors past the attempts)
       └───────────┘  └──► unknown     (crashed while sending on a channel without
    (transient error,                   idempotency keys: SMTP, SMS; never resent)
     retried later)
    suppressed (no consent) · dropped (quiet hours, mode "drop") · holdout (not sent on purpose)

A row goes to ``sending`` in the same transaction that checks the delivery policy and
before the channel is called; ``sent`` after the channel said so. A worker that dies in
between leaves ``sending`` behind; whoever takes the run over next calls :func:`recover`:
on a channel that accepts an idempotency key (webhook) the row is sent again with the same
key (the receiver drops the repeat), elsewhere it becomes ``unknown`` for the operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wegweiser.orchestrate.policy import COUNTED

if TYPE_CHECKING:
    from wegweiser.orchestrate.state import Tx

STATES = ("pending", "sending", "sent", "failed", "unknown", "suppressed", "dropped", "holdout")
FINAL = ("sent", "failed", "unknown", "suppressed", "dropped", "holdout")


def key_of(run_id: str, step: str, channel: str) -> str:
    """The idempotency key of one message.

    >>> key_of("welcome:p1:1", "mail", "email")
    'welcome:p1:1|mail|email'
    """
    return f"{run_id}|{step}|{channel}"


@dataclass(frozen=True)
class Row:
    key: str
    state: str
    attempts: int
    worker: str | None
    lease_until: float | None
    next_attempt_at: float | None
    reason: str | None


def get(tx: Tx, key: str) -> Row | None:
    row = tx.one(
        "SELECT key, state, attempts, worker, lease_until, next_attempt_at, reason "
        "FROM wj_ledger WHERE key = :key",
        {"key": key},
    )
    return None if row is None else Row(*row)


def history(tx: Tx, person_id: str, since: float) -> list[tuple[str, float]]:
    """``(channel, started_at)`` of the person's messages that count against caps."""
    rows = tx.execute(
        "SELECT channel, started_at FROM wj_ledger WHERE person_id = :p "
        "AND started_at >= :since AND state IN ('sending', 'sent', 'unknown')",
        {"p": person_id, "since": since},
    )
    assert COUNTED == ("sending", "sent", "unknown")
    return [(str(c), float(t)) for c, t in rows]


@dataclass(frozen=True)
class Intent:
    """One message a run wants to send."""

    key: str
    run_id: str
    journey: str
    step: str
    channel: str
    person_id: str
    variant: str = ""


def _params(intent: Intent, worker: str, lease_until: float, now: float) -> dict[str, object]:
    return {
        "key": intent.key, "run": intent.run_id, "journey": intent.journey,
        "step": intent.step, "channel": intent.channel, "person": intent.person_id,
        "variant": intent.variant, "worker": worker, "lease": lease_until, "now": now,
    }


def begin_new(
    tx: Tx, intent: Intent, *, worker: str, lease_until: float, now: float
) -> int | None:
    """A message without a row yet: its row, ``sending`` by ``worker`` at once (attempt 1);
    None if the row exists (then :func:`get` and :func:`start` as usual)."""
    made = tx.execute(
        "INSERT INTO wj_ledger (key, run_id, journey, step, channel, person_id, variant, "
        "state, attempts, worker, lease_until, started_at, created_at, updated_at) "
        "VALUES (:key, :run, :journey, :step, :channel, :person, :variant, 'sending', 1, "
        ":worker, :lease, :now, :now, :now) ON CONFLICT (key) DO NOTHING "
        "RETURNING attempts",
        _params(intent, worker, lease_until, now),
    )
    return int(made[0][0]) if made else None


def start(
    tx: Tx, intent: Intent, *, worker: str, lease_until: float, now: float, new: bool = False
) -> int | None:
    """Mark the message ``sending`` by ``worker``; returns the attempt number, or None if the
    row exists and is not ``pending`` (or not yet due for its next attempt). ``new``: the
    caller found no row (then one statement makes it, ``sending`` from the start)."""
    if new:
        made = begin_new(tx, intent, worker=worker, lease_until=lease_until, now=now)
        if made is not None:
            return made
    params = _params(intent, worker, lease_until, now)
    tx.execute(
        "INSERT INTO wj_ledger (key, run_id, journey, step, channel, person_id, variant, "
        "state, attempts, created_at, updated_at) VALUES (:key, :run, :journey, :step, "
        ":channel, :person, :variant, 'pending', 0, :now, :now) ON CONFLICT (key) DO NOTHING",
        params,
    )
    rows = tx.execute(
        "UPDATE wj_ledger SET state = 'sending', attempts = attempts + 1, worker = :worker, "
        "lease_until = :lease, started_at = :now, updated_at = :now "
        "WHERE key = :key AND state = 'pending' "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= :now) RETURNING attempts",
        params,
    )
    return int(rows[0][0]) if rows else None


def extend(tx: Tx, key: str, *, worker: str, attempt: int, lease_until: float) -> bool:
    """Lengthen ``worker``'s lease of its ``sending`` attempt; False if it is no longer its."""
    tx.execute(
        "UPDATE wj_ledger SET lease_until = :lease WHERE key = :key AND state = 'sending' "
        "AND worker = :worker AND attempts = :attempt",
        {"key": key, "worker": worker, "attempt": attempt, "lease": lease_until},
    )
    return tx.rowcount == 1


def record(tx: Tx, intent: Intent, state: str, reason: str, *, now: float) -> None:
    """Write a message that is not sent on purpose (suppressed, dropped, holdout), also
    one that was ``pending`` a retry (consent withdrawn meanwhile)."""
    assert state in ("suppressed", "dropped", "holdout")
    tx.execute(
        "INSERT INTO wj_ledger (key, run_id, journey, step, channel, person_id, variant, "
        "state, attempts, reason, created_at, updated_at) VALUES (:key, :run, :journey, "
        ":step, :channel, :person, :variant, :state, 0, :reason, :now, :now) "
        "ON CONFLICT (key) DO UPDATE SET state = :state, reason = :reason, updated_at = :now "
        "WHERE wj_ledger.state = 'pending'",
        {"key": intent.key, "run": intent.run_id, "journey": intent.journey,
         "step": intent.step, "channel": intent.channel, "person": intent.person_id,
         "variant": intent.variant, "state": state, "reason": reason, "now": now},
    )


def finish(
    tx: Tx, key: str, *, worker: str, attempt: int, state: str, reason: str | None, now: float
) -> bool:
    """Record the outcome of ``worker``'s attempt. ``sent`` also corrects a row another
    worker had given up as ``unknown`` or put back to ``pending`` (it did go out)."""
    if state == "sent":
        tx.execute(
            "UPDATE wj_ledger SET state = 'sent', reason = NULL, lease_until = NULL, "
            "updated_at = :now WHERE key = :key AND (state IN ('unknown', 'pending') "
            "OR (state = 'sending' AND worker = :worker AND attempts = :attempt))",
            {"key": key, "worker": worker, "attempt": attempt, "now": now},
        )
    else:
        tx.execute(
            "UPDATE wj_ledger SET state = :state, reason = :reason, lease_until = NULL, "
            "updated_at = :now WHERE key = :key AND state = 'sending' AND worker = :worker "
            "AND attempts = :attempt",
            {"key": key, "worker": worker, "attempt": attempt, "now": now, "state": state,
             "reason": reason},
        )
    return tx.rowcount == 1


def retry_later(
    tx: Tx, key: str, *, worker: str, attempt: int, at: float, reason: str, now: float
) -> bool:
    """A transient failure that surely did not deliver: back to ``pending`` until ``at``."""
    tx.execute(
        "UPDATE wj_ledger SET state = 'pending', reason = :reason, next_attempt_at = :at, "
        "lease_until = NULL, updated_at = :now WHERE key = :key AND state = 'sending' "
        "AND worker = :worker AND attempts = :attempt",
        {"key": key, "worker": worker, "attempt": attempt, "at": at, "reason": reason,
         "now": now},
    )
    return tx.rowcount == 1


def recover(tx: Tx, key: str, *, idempotent: bool, now: float) -> str | None:
    """A ``sending`` row whose worker's lease ran out: ``pending`` again (idempotent
    channels, same key) or ``unknown``. Returns the new state, None if nothing changed."""
    new = "pending" if idempotent else "unknown"
    tx.execute(
        "UPDATE wj_ledger SET state = :new, reason = :reason, lease_until = NULL, "
        "next_attempt_at = NULL, updated_at = :now "
        "WHERE key = :key AND state = 'sending' AND lease_until < :now",
        {"key": key, "new": new, "now": now,
         "reason": "worker stopped while sending; resent with the same idempotency key"
         if idempotent else "worker stopped while sending; may or may not have arrived"},
    )
    return new if tx.rowcount == 1 else None
