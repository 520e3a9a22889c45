"""Runs and the writes that move them, every one guarded by the worker's claim.

A run is one row of ``wj_runs``: the person's place in one journey (``step``), when that
step is due (``due_at``), and who holds it (``claimed_by`` until ``claim_until``). A write
whose claim is gone (the lease ran out: the worker was killed or stalled) changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from wegweiser.orchestrate.definitions import WaitStep
from wegweiser.orchestrate.person import Person

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from wegweiser.orchestrate import ledger
    from wegweiser.orchestrate.channels import Channel
    from wegweiser.orchestrate.definitions import Journey, Step
    from wegweiser.orchestrate.settings import Delivery
    from wegweiser.orchestrate.state import StateStore, Tx

log = logging.getLogger("wegweiser.journeys")

_STILL_MINE = " AND status = 'active' AND claim_until >= :now"
"""What :meth:`RunWriter._still_mine` asks besides ``claimed_by``, as a ``WHERE`` tail."""

RUN_COLUMNS = (
    "run_id, journey, person_id, step, status, due_at, step_at, wait_event, signal_at, "
    "priority, attempts, holdout, person, trigger"
)


@dataclass(frozen=True)
class Run:
    run_id: str
    journey: str
    person_id: str
    step: str | None
    status: str
    due_at: float
    step_at: float
    wait_event: str | None
    signal_at: float | None
    priority: int
    attempts: int
    holdout: bool
    person: Person
    trigger: dict[str, Any]
    own_person: bool = False
    """Whether the run keeps a snapshot of its own in ``wj_runs.person`` (a step changed
    it, or the row predates schema 5); else it sees the person's in ``wj_persons``."""

    @classmethod
    def from_row(cls, row: tuple[Any, ...], shared: str | None = None) -> Run:
        """A run from ``RUN_COLUMNS``; ``shared``: the person's snapshot in ``wj_persons``,
        for a row without one of its own."""
        own = row[12]
        text = own if own is not None else shared
        if text is None:
            raise KeyError(f"run {row[0]!r}: no person snapshot (neither in wj_runs nor "
                           "in wj_persons)")
        return cls(
            run_id=row[0], journey=row[1], person_id=row[2], step=row[3], status=row[4],
            due_at=float(row[5]), step_at=float(row[6]), wait_event=row[7],
            signal_at=None if row[8] is None else float(row[8]), priority=int(row[9]),
            attempts=int(row[10]), holdout=bool(row[11]), person=Person.from_json(text),
            trigger=json.loads(row[13]) if row[13] else {}, own_person=own is not None,
        )


@dataclass(frozen=True)
class Entrant:
    journey: str
    person: Person
    trigger: Mapping[str, Any] | None = None


class RunWriter:
    """What moves a run: the base of the runtime's parts."""

    store: StateStore
    journeys: dict[str, Journey]
    delivery: Delivery
    channels: dict[str, Channel]
    worker_id: str
    clock: Callable[[], float]
    lease: float
    _unsubscribe_secret: str | None
    _deferred: list[Callable[[Tx], None]]
    """Writes that wait for this worker's next transaction (:meth:`_defer`)."""

    @contextmanager
    def _tx(self) -> Iterator[Tx]:
        """A transaction of this worker (lane) that first makes the writes :meth:`_defer`
        kept back."""
        with self.store.transaction() as tx:
            pending, self._deferred = self._deferred, []
            for write in pending:
                write(tx)
            yield tx

    def _defer(self, write: Callable[[Tx], None]) -> None:
        """Keep ``write`` back until this worker's next transaction (one commit instead of
        two). Only for writes whose loss a crash may cost: the outcome of a send on a
        channel that honours idempotency keys (a lost ``sent`` leaves ``sending``, which is
        sent again with the same key, and the receiver drops the repeat)."""
        self._deferred.append(write)

    def flush(self) -> None:
        """Write what :meth:`_defer` kept back (at the end of a worker's round)."""
        if self._deferred:
            with self._tx():
                pass

    @staticmethod
    def _tags(intent: ledger.Intent) -> dict[str, Any]:
        return {"journey": intent.journey, "step": intent.step, "variant": intent.variant,
                "channel": intent.channel, "ledger_key": intent.key}

    def _event(
        self, run: Run, kind: str, name: str | None, properties: Mapping[str, Any], *,
        tag: str, traits: Mapping[str, Any] | None = None, channel: str | None = None,
    ) -> dict[str, Any]:
        """An event for the store; its ``message_id`` is fixed by the run and ``tag`` so a
        repeated flush is dropped by the import's deduplication."""
        mid = event_id(run.run_id, kind, name, tag)
        ids = ({"user_id": run.person.user_id} if run.person.user_id
               else {"anonymous_id": run.person_id})
        event: dict[str, Any] = {
            "message_id": mid, "type": kind, "event": name,
            "timestamp": datetime.fromtimestamp(self.clock(), UTC).isoformat(),
            "properties": dict(properties), **ids,
        }
        if traits is not None:
            event["traits"] = dict(traits)
        if channel is not None:
            event["channel"] = channel
        return event

    # -- moving a run (every write guarded by the claim) ---------------------------------
    def _still_mine(self, tx: Tx, run: Run, now: float) -> bool:
        return tx.one(
            "SELECT 1 FROM wj_runs WHERE run_id = :r AND claimed_by = :w AND status = 'active' "
            "AND claim_until >= :now",
            {"r": run.run_id, "w": self.worker_id, "now": now},
        ) is not None

    def _move(self, journey: Journey, run: Run, step_id: str | None, *,
              outbox: list[dict[str, Any]] | None = None) -> Run | None:
        now = self.clock()
        with self._tx() as tx:
            if not self._still_mine(tx, run, now):
                return None
            return self._move_tx(tx, journey, run, step_id, now, outbox=outbox)

    def _move_tx(self, tx: Tx, journey: Journey, run: Run, step_id: str | None, now: float,
                 *, outbox: list[dict[str, Any]] | None = None,
                 still_mine: bool = False) -> Run | None:
        """Move ``run`` to ``step_id`` (None: it ends) if this worker holds it; with
        ``still_mine`` also only while it is active and the claim runs (what
        :meth:`_still_mine` asks, here in the same statement). ``outbox`` is written in
        any case."""
        if outbox:
            self._outbox(tx, outbox, now)
        guard = _STILL_MINE if still_mine else ""
        if step_id is None:
            tx.execute(
                "UPDATE wj_runs SET status = 'done', step = NULL, reason = 'completed', "
                "claimed_by = NULL, person = :person, updated_at = :now WHERE run_id = :r "
                "AND claimed_by = :w" + guard,
                {"r": run.run_id, "w": self.worker_id, "now": now,
                 "person": own_snapshot(run)},
            )
            if tx.rowcount == 1 and run.step is not None:
                self._moved(tx, run, "", now)
            return None
        step = journey.step(step_id)
        tx.execute(
            "UPDATE wj_runs SET step = :step, step_at = :now, due_at = :now, "
            "wait_event = :wait, signal_at = NULL, attempts = 0, reason = NULL, "
            "person = :person, updated_at = :now WHERE run_id = :r AND claimed_by = :w"
            + guard,
            {"r": run.run_id, "w": self.worker_id, "now": now, "step": step_id,
             "wait": wait_event_of(step), "person": own_snapshot(run)},
        )
        if tx.rowcount != 1:
            return None
        if run.step is not None:
            self._moved(tx, run, step_id, now)
        return replace(run, step=step_id, step_at=now, due_at=now, wait_event=wait_event_of(step),
                       signal_at=None)

    @staticmethod
    def _moved(tx: Tx, run: Run, dst: str, now: float) -> None:
        """Count the move in the journey's flow (``dst`` ``''``: the run ended)."""
        tx.execute("INSERT INTO wj_moves (journey, src, dst, at) VALUES (:j, :s, :d, :now)",
                   {"j": run.journey, "s": run.step, "d": dst, "now": now})

    def _release(self, run: Run, *, due: float, reason: str | None = None) -> None:
        with self._tx() as tx:
            self._release_tx(tx, run, due=due, reason=reason)

    def _release_tx(self, tx: Tx, run: Run, *, due: float, reason: str | None = None) -> None:
        """Give the run back until ``due`` (at once if an awaited event came meanwhile)."""
        tx.execute(
            "UPDATE wj_runs SET due_at = CASE WHEN signal_at IS NOT NULL AND signal_at >= "
            "step_at THEN :now ELSE :due END, claimed_by = NULL, claim_until = NULL, "
            "reason = :reason, updated_at = :now WHERE run_id = :r AND claimed_by = :w",
            {"r": run.run_id, "w": self.worker_id, "due": due, "reason": reason,
             "now": self.clock()},
        )

    def _park(self, run: Run, reason: str) -> None:
        with self._tx() as tx:
            self._park_tx(tx, run, reason, self.clock())

    def _park_tx(self, tx: Tx, run: Run, reason: str, now: float) -> None:
        """Stop the run for the operator (``journeys resume`` lets parked runs go on)."""
        log.warning("journey run %s parked: %s", run.run_id, reason)
        tx.execute(
            "UPDATE wj_runs SET status = 'parked', reason = :reason, claimed_by = NULL, "
            "claim_until = NULL, updated_at = :now WHERE run_id = :r AND claimed_by = :w",
            {"r": run.run_id, "w": self.worker_id, "reason": reason, "now": now},
        )

    def _finish(self, run: Run, status: str, reason: str) -> None:
        now = self.clock()
        with self._tx() as tx:
            tx.execute(
                "UPDATE wj_runs SET status = :s, step = NULL, reason = :reason, "
                "claimed_by = NULL, updated_at = :now WHERE run_id = :r AND claimed_by = :w",
                {"r": run.run_id, "w": self.worker_id, "s": status, "reason": reason,
                 "now": now},
            )
            if tx.rowcount == 1 and run.step is not None:
                self._moved(tx, run, "", now)

    @staticmethod
    def _outbox(tx: Tx, events: list[dict[str, Any]], now: float) -> None:
        tx.executemany(
            "INSERT INTO wj_outbox (message_id, created_at, event) VALUES (:m, :now, :e) "
            "ON CONFLICT (message_id) DO NOTHING",
            [{"m": e["message_id"], "now": now,
              "e": orjson.dumps(e, default=str, option=orjson.OPT_NON_STR_KEYS).decode()}
             for e in events],
        )


def event_id(run_id: str, kind: str, name: str | None, tag: str) -> str:
    """The fixed ``message_id`` of a run's event (:meth:`RunWriter._event`): the same
    event written twice is one event in the store.

    >>> event_id("j:p1:1", "track", "message_sent", "j:p1:1|mail|email")
    'wj-b483ee79cb0a21ebee60383fe46cb5d9'
    """
    return "wj-" + hashlib.sha256(f"{run_id}|{kind}|{name}|{tag}".encode()).hexdigest()[:32]


def own_snapshot(run: Run) -> str | None:
    """What ``wj_runs.person`` holds for ``run``: its own snapshot, or NULL (the person's
    in ``wj_persons``)."""
    return run.person.to_json() if run.own_person else None


def run_lease(now: float, lease: float) -> float:
    return now + lease


def wait_event_of(step: Step) -> str | None:
    return step.until_event if isinstance(step, WaitStep) else None

