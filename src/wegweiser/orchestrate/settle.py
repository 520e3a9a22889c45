"""Settling undecided messages by hand: the operator's decision on an ``unknown`` row.

A crash during the send on a channel without idempotency keys (SMTP, SMS) leaves the
message ``unknown``; it is never resent automatically. When no delivery receipt settles it
(:mod:`wegweiser.orchestrate.receipts`), the operator does, after checking the mail server's
log or the provider's records (``wegweiser journeys ledger settle KEY... --as ...``, the API,
the dashboard's journeys page):

* ``sent``: it did arrive. The row becomes ``sent`` (and ``message_sent`` goes into the
  outbox, as the worker would have written it).
* ``failed``: it did not arrive and should not go again. The row becomes ``failed``.
* ``resend``: it did not arrive and should go again: the row goes back to ``pending`` and
  the run back to that step (due now); the worker sends it with the same key, under the
  delivery policy of that moment (consent, quiet hours, caps). The run then walks on from
  that step as before; the messages after it that are in the ledger already are not sent
  again (their rows are final), waits after it wait again. Only a run that is active (and
  not being worked on) or done can go back; an exited or parked run cannot.

Only ``unknown`` rows, and ``sending`` rows whose worker's lease ran out (a worker that is
gone), are settled by hand; any other key is refused with its state. Each change names who,
when and why in the row's reason; the faces also write it to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from wegweiser.orchestrate._runs import event_id, wait_event_of
from wegweiser.orchestrate.receipts import outbox
from wegweiser.orchestrate.tracking import event_base

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.state import StateStore, Tx

Decision = Literal["sent", "failed", "resend"]
DECISIONS: tuple[Decision, ...] = ("sent", "failed", "resend")


@dataclass(frozen=True)
class Settled:
    """What became of one key: ``error`` None when it was settled."""

    key: str
    before: str | None
    after: str | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "before": self.before, "after": self.after,
                "error": self.error}


def settle(
    store: StateStore, keys: Sequence[str], *, decision: str, reason: str, actor: str,
    now: float, journeys: Mapping[str, Journey] | None = None,
) -> list[Settled]:
    """Settle each key (one transaction each: one refused key does not hold up the others).
    ``journeys`` (by name) are needed for ``resend`` (the step the run goes back to)."""
    if decision not in DECISIONS:
        from wegweiser.errors import InvalidInput

        raise InvalidInput(f"--as is one of {', '.join(DECISIONS)}, not {decision!r}")
    if not reason.strip():
        from wegweiser.errors import InvalidInput

        raise InvalidInput("say why (--reason): it is kept with the message and in the "
                           "audit log")
    when = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = f"settled by hand as {decision} by {actor} at {when}: {reason.strip()[:300]}"
    out = []
    for key in dict.fromkeys(keys):
        with store.transaction() as tx:
            out.append(_settle(tx, key, decision, note, now, journeys or {}))
    return out


def _settle(tx: Tx, key: str, decision: str, note: str, now: float,
            journeys: Mapping[str, Journey]) -> Settled:
    row = tx.one("SELECT state, lease_until, run_id, journey, step, channel, person_id, "
                 "variant FROM wj_ledger WHERE key = :k", {"k": key})
    if row is None:
        return Settled(key, None, None, "no message in the send ledger has this key")
    state, lease, run_id, journey, step, channel, person_id, variant = row
    stale = state == "sending" and (lease is None or float(lease) < now)
    if state != "unknown" and not stale:
        hint = ("a worker is sending it right now" if state == "sending"
                else "only unknown messages are settled by hand")
        return Settled(key, state, state, f"the message is {state}; {hint}")
    if decision == "resend":
        error = _run_back(tx, run_id, journey, step, now, journeys)
        if error is not None:
            return Settled(key, state, state, error)
        after = "pending"
    else:
        after = decision
    tx.execute("UPDATE wj_ledger SET state = :t, reason = :r, lease_until = NULL, "
               "next_attempt_at = NULL, worker = NULL, updated_at = :now "
               "WHERE key = :k AND state = :s",
               {"t": after, "r": note, "now": now, "k": key, "s": state})
    if after == "sent":
        base = event_base(tx, run_id, person_id, channel, at=now)
        outbox(tx, [{**base, "message_id": event_id(run_id, "track", "message_sent", key),
                     "event": "message_sent",
                     "properties": {"journey": journey, "step": step, "variant": variant,
                                    "channel": channel, "ledger_key": key, "by": "operator"}}],
               now)
    return Settled(key, state, after)


def _run_back(tx: Tx, run_id: str, journey: str, step: str, now: float,
              journeys: Mapping[str, Journey]) -> str | None:
    """Put the run back at ``step`` (due now); the error text when it cannot go back."""
    definition = journeys.get(journey)
    if definition is None:
        return f"the journey {journey!r} is not in journeys/ any more; it cannot resend"
    try:
        found = definition.step(step)
    except KeyError:
        return f"the journey {journey!r} has no step {step!r} any more; it cannot resend"
    run = tx.one("SELECT status, claimed_by, claim_until FROM wj_runs WHERE run_id = :r",
                 {"r": run_id})
    if run is None:
        return f"the run {run_id!r} is gone (erased?); it cannot resend"
    status, claimed_by, claim_until = run
    if status not in ("active", "done"):
        return f"the run {run_id!r} is {status}; only an active or done run can resend"
    if claimed_by is not None and claim_until is not None and float(claim_until) >= now:
        return (f"the run {run_id!r} is being worked on by {claimed_by}; try again in a "
                "moment")
    tx.execute("UPDATE wj_runs SET status = 'active', step = :s, due_at = :now, step_at = "
               ":now, wait_event = :w, signal_at = NULL, claimed_by = NULL, claim_until = "
               "NULL, reason = :why, updated_at = :now WHERE run_id = :r",
               {"s": step, "now": now, "w": wait_event_of(found), "r": run_id,
                "why": f"resend of step {step} by hand"})
    return None
