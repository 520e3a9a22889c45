"""The runtime: runs enter, wait, branch and act; a worker claims due runs with a lease.

A run is one row of ``wj_runs``: the person's place in one journey (``step``), when that
step is due (``due_at``), and who holds it (``claimed_by`` until ``claim_until``). A worker
claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the single writer lock on SQLite),
advances each as far as it can, and releases it with its next ``due_at``. Every move is
guarded by the claim, so a worker whose lease ran out (it was killed, or stalled) changes
nothing any more; the next worker takes over from the last committed step. Messages go
through the send ledger (:mod:`wegweiser.orchestrate.ledger`): never sent twice.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from wegweiser.orchestrate import ledger, policy, templates
from wegweiser.orchestrate.channels import CanPrepare, Delivered, Message
from wegweiser.orchestrate.conditions import evaluate
from wegweiser.orchestrate.definitions import (
    EmitStep,
    ExitStep,
    RandomStep,
    SendStep,
    SetTraitStep,
    SplitStep,
    WaitStep,
    WebhookStep,
)
from wegweiser.orchestrate.errors import Terminal, Transient
from wegweiser.orchestrate.person import Person
from wegweiser.orchestrate.waits import next_local_time

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from wegweiser.orchestrate.channels import Channel, Outcome, Prepared
    from wegweiser.orchestrate.definitions import Journey, Step
    from wegweiser.orchestrate.settings import Delivery
    from wegweiser.orchestrate.state import StateStore, Tx

log = logging.getLogger("wegweiser.journeys")

RUN_COLUMNS = (
    "run_id, journey, person_id, step, status, due_at, step_at, wait_event, signal_at, "
    "priority, attempts, holdout, person, trigger"
)
MAX_MOVES = 64
"""Steps one claim may take a run through (a loop of splits without waits stops here)."""


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

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Run:
        return cls(
            run_id=row[0], journey=row[1], person_id=row[2], step=row[3], status=row[4],
            due_at=float(row[5]), step_at=float(row[6]), wait_event=row[7],
            signal_at=None if row[8] is None else float(row[8]), priority=int(row[9]),
            attempts=int(row[10]), holdout=bool(row[11]), person=Person.from_json(row[12]),
            trigger=json.loads(row[13]) if row[13] else {},
        )


@dataclass(frozen=True)
class Entrant:
    journey: str
    person: Person
    trigger: Mapping[str, Any] | None = None


class Runtime:
    """Journeys, delivery settings, channels and one state store, as one worker."""

    def __init__(
        self,
        store: StateStore,
        journeys: Iterable[Journey],
        delivery: Delivery,
        channels: Mapping[str, Channel],
        *,
        worker_id: str | None = None,
        clock: Callable[[], float] = time.time,
        unsubscribe_secret: str | None = None,
    ) -> None:
        self.store = store
        self.journeys = {j.name: j for j in journeys}
        self.delivery = delivery
        self.channels = dict(channels)
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.clock = clock
        self.lease = delivery.lease.total_seconds()
        self._unsubscribe_secret = unsubscribe_secret
        self._lanes: list[Runtime] = []
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        """Close the channels' connections, the lanes and the state store."""
        if self._pool is not None:
            self._pool.shutdown()
        for lane in self._lanes:
            lane.store.close()
        for channel in self.channels.values():  # the lanes share them
            channel.close()
        self.store.close()

    # -- entering ------------------------------------------------------------------------
    def enter(
        self, entrants: Iterable[Entrant], *, at: float | None = None,
        mark_imports: Iterable[str] = (),
    ) -> int:
        """Let persons enter journeys under the re-entry rules, entry limits, the global
        control group and holdouts, in one transaction (which also marks ``mark_imports``
        processed); returns how many runs started. A person enters a journey at most once
        per call; the lookups and writes go in bulk (a batch may touch 100k persons)."""
        now = self.clock() if at is None else at
        groups: dict[str, dict[str, Entrant]] = {}
        for entrant in entrants:
            if entrant.journey in self.journeys:
                groups.setdefault(entrant.journey, {}).setdefault(
                    entrant.person.person_id, entrant)
        started = 0
        with self.store.transaction() as tx:
            tx.executemany(
                "INSERT INTO wj_imports (import_id, seen_at) VALUES (:i, :now) "
                "ON CONFLICT (import_id) DO NOTHING",
                [{"i": i, "now": now} for i in mark_imports],
            )
            meta = {
                r[0]: (bool(r[1]), int(r[2]))
                for r in tx.execute("SELECT journey, paused, entrants FROM wj_journeys")
            }
            for name, group in groups.items():
                paused, n_before = meta.get(name, (False, 0))
                if not paused:
                    n = self._enter_group(tx, self.journeys[name], group, n_before, now)
                    if n:
                        tx.execute(
                            "INSERT INTO wj_journeys (journey, paused, entrants) "
                            "VALUES (:j, 0, :n) ON CONFLICT (journey) DO UPDATE "
                            "SET entrants = wj_journeys.entrants + :n",
                            {"j": name, "n": n},
                        )
                    started += n
        return started

    def _enter_group(
        self, tx: Tx, journey: Journey, group: dict[str, Entrant], n_before: int, now: float
    ) -> int:
        rule = journey.entry
        pids = list(group)
        seen = {
            str(r[0]): (int(r[1]), float(r[2]))
            for r in _select_in(tx, "SELECT person_id, n, last_at FROM wj_entries "
                                "WHERE journey = :j AND person_id IN ({ids})",
                                {"j": journey.name}, pids)
        }
        active = {
            str(r[0]) for r in _select_in(
                tx, "SELECT person_id FROM wj_runs WHERE journey = :j AND status = 'active' "
                "AND person_id IN ({ids})", {"j": journey.name}, [p for p in pids if p in seen])
        }
        first = journey.steps[0]
        entries: list[dict[str, Any]] = []
        runs: list[dict[str, Any]] = []
        snapshots: dict[int, str] = {}
        for pid, entrant in group.items():
            if rule.limit is not None and n_before + len(runs) >= rule.limit:
                break
            n, last = seen.get(pid, (0, None))
            if n and rule.reentry == "once":
                continue
            if n and rule.reentry == "once_per" and last is not None and rule.reentry_days and (
                now - last < rule.reentry_days * 86400
            ):
                continue
            if pid in active:
                continue  # one active run per person and journey
            control = policy.in_control_group(pid, self.delivery.control_group)
            person = entrant.person
            snapshot = snapshots.get(id(person))
            if snapshot is None:
                snapshot = snapshots[id(person)] = person.to_json()
            entries.append({"j": journey.name, "p": pid, "now": now})
            runs.append({
                "run": f"{journey.name}:{pid}:{n + 1}", "j": journey.name, "p": pid,
                "step": first.id, "status": "control" if control else "active", "now": now,
                "wait": _wait_event(first), "prio": journey.priority,
                "holdout": int(policy.in_holdout(journey.name, pid, journey.holdout)),
                "person": snapshot,
                "trigger": orjson.dumps(dict(entrant.trigger or {}), default=str).decode(),
                "reason": "global control group" if control else None,
            })
        tx.executemany(
            "INSERT INTO wj_entries (journey, person_id, n, last_at) VALUES (:j, :p, 1, :now) "
            "ON CONFLICT (journey, person_id) DO UPDATE SET n = wj_entries.n + 1, "
            "last_at = :now",
            entries,
        )
        tx.executemany(
            f"INSERT INTO wj_runs ({RUN_COLUMNS}, reason, entered_at, updated_at) VALUES "
            "(:run, :j, :p, :step, :status, :now, :now, :wait, NULL, :prio, 0, :holdout, "
            ":person, :trigger, :reason, :now, :now)",
            runs,
        )
        return len(runs)

    # -- what arrives from the data ------------------------------------------------------
    def signal(self, person_id: str, event: str, properties: Mapping[str, Any], at: float) -> int:
        """An event of the person (that happened at ``at``) arrived: wake the runs waiting
        for it since before ``at`` whose ``where`` holds."""
        with self.store.transaction() as tx:
            rows = tx.execute(
                "SELECT run_id, journey, step, person FROM wj_runs WHERE person_id = :p "
                "AND status = 'active' AND wait_event = :e",
                {"p": person_id, "e": event},
            )
            woken = 0
            for run_id, name, step_id, person in rows:
                journey = self.journeys.get(name)
                if journey is None:
                    continue
                step = journey.step(step_id)
                snapshot = Person.from_json(person)
                if isinstance(step, WaitStep) and all(
                    evaluate(c, snapshot, properties=properties, now=at) for c in step.where
                ):
                    tx.execute(  # signal_at: when it happened; due: now
                        "UPDATE wj_runs SET signal_at = :at, due_at = :now, updated_at = :now "
                        "WHERE run_id = :r AND status = 'active' AND wait_event = :e",
                        {"r": run_id, "at": at, "e": event, "now": self.clock()},
                    )
                    woken += tx.rowcount
        return woken

    def exit_runs(
        self, person_id: str, reason: str, *, journeys: Iterable[str] | None = None,
        at: float | None = None,
    ) -> int:
        """End the person's active runs (all, or of ``journeys``) with ``reason``."""
        now = self.clock() if at is None else at
        names = list(self.journeys) if journeys is None else list(journeys)
        n = 0
        with self.store.transaction() as tx:
            for name in names:
                tx.execute(
                    "UPDATE wj_runs SET status = 'exited', reason = :reason, claimed_by = NULL, "
                    "updated_at = :now WHERE person_id = :p AND journey = :j "
                    "AND status IN ('active', 'parked')",
                    {"p": person_id, "j": name, "reason": reason, "now": now},
                )
                n += tx.rowcount
        return n

    def unsubscribe(self, person_id: str, channel: str, *, at: float | None = None) -> None:
        now = self.clock() if at is None else at
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO wj_unsubscribed (person_id, channel, at) VALUES (:p, :c, :now) "
                "ON CONFLICT (person_id, channel) DO NOTHING",
                {"p": person_id, "c": channel, "now": now},
            )

    def refresh(self, persons: Iterable[Person]) -> int:
        """New snapshots of persons (traits, phase, event counts) for their active and
        parked runs; returns how many persons had such runs."""
        by_id = {p.person_id: p for p in persons}
        with self.store.transaction() as tx:
            running = {str(r[0]) for r in _select_in(
                tx, "SELECT DISTINCT person_id FROM wj_runs WHERE status IN ('active', "
                "'parked') AND person_id IN ({ids})", {}, list(by_id))}
            tx.executemany(
                "UPDATE wj_runs SET person = :person WHERE person_id = :p "
                "AND status IN ('active', 'parked')",
                [{"p": pid, "person": by_id[pid].to_json()} for pid in sorted(running)],
            )
        return len(running)

    # -- working -------------------------------------------------------------------------
    def claim(self, limit: int = 100) -> list[Run]:
        """Take up to ``limit`` due runs for ``claim_until = now + lease``."""
        now = self.clock()
        with self.store.transaction() as tx:
            rows = tx.execute(
                f"UPDATE wj_runs SET claimed_by = :w, claim_until = :lease "
                f"WHERE run_id IN (SELECT run_id FROM wj_runs WHERE status = 'active' "
                f"AND due_at <= :now AND (claim_until IS NULL OR claim_until < :now) "
                f"AND journey NOT IN (SELECT journey FROM wj_journeys WHERE paused = 1) "
                f"ORDER BY priority DESC, due_at LIMIT :n {self.store.skip_locked}) "
                f"RETURNING {RUN_COLUMNS}",
                {"w": self.worker_id, "lease": now + self.lease, "now": now, "n": limit},
            )
        runs = [Run.from_row(r) for r in rows]
        runs.sort(key=lambda r: (-r.priority, r.due_at, r.run_id))
        return runs

    def run_once(self, limit: int = 100, *, threads: int = 1) -> int:
        """Claim due runs and advance each; returns how many were claimed.

        With ``threads > 1`` the claimed runs are advanced by that many lanes at once (each
        with its own state store connection and channel connections; a person's runs stay
        in one lane): sending waits on the network, not on the processor.
        """
        runs = self.claim(limit)
        if threads <= 1 or len(runs) <= 1:
            for run in runs:
                self.advance(run)
            return len(runs)
        while len(self._lanes) < threads:
            self._lanes.append(Runtime(
                self.store.reopen(), self.journeys.values(), self.delivery, self.channels,
                worker_id=self.worker_id, clock=self.clock,
                unsubscribe_secret=self._secret(),
            ))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=threads,
                                            thread_name_prefix="journeys-lane")
        parts: list[list[Run]] = [[] for _ in range(threads)]
        for run in runs:
            parts[zlib.crc32(run.person_id.encode()) % threads].append(run)
        futures = [self._pool.submit(_advance_all, lane, part)
                   for lane, part in zip(self._lanes, parts, strict=False) if part]
        for future in futures:
            future.result()
        return len(runs)

    def run(self, *, stop: Callable[[], bool], poll_seconds: float = 0.5,
            limit: int = 100, threads: int = 1) -> None:
        while not stop():
            try:
                busy = self.run_once(limit, threads=threads)
            except Exception:  # one bad moment (a lost connection, a deadlock) is logged;
                log.exception("journey worker %s: a round failed", self.worker_id)
                busy = 0  # the claims run out and another round takes the runs again
            if not busy:
                time.sleep(poll_seconds)

    def advance(self, run: Run) -> None:
        """Take ``run`` through its steps until it waits, ends or the claim is lost."""
        journey = self.journeys.get(run.journey)
        if journey is None:
            self._release(run, due=self.clock() + 3600, reason="journey file removed")
            return
        current: Run | None = run
        for _ in range(MAX_MOVES):
            if current is None or current.step is None:
                return
            try:
                step = journey.step(current.step)
            except KeyError:
                self._park(current, f"step {current.step!r} no longer in the journey file")
                return
            current = self._step(journey, current, step)
        if current is not None:
            self._release(current, due=self.clock(), reason="many steps at once; continued")

    # -- one step ------------------------------------------------------------------------
    def _step(self, journey: Journey, run: Run, step: Step) -> Run | None:
        now = self.clock()
        if isinstance(step, WaitStep):
            return self._wait(journey, run, step, now)
        if isinstance(step, SplitStep):
            for branch in step.branches:
                if branch.when is None or evaluate(branch.when, run.person, now=now):
                    return self._move(journey, run, branch.next)
            return self._move(journey, run, journey.following(step.id))
        if isinstance(step, RandomStep):
            index = policy.random_branch(journey.name, step.id, run.person_id,
                                         [b.share for b in step.branches])
            return self._move(journey, run, step.branches[index].next)
        if isinstance(step, SendStep | WebhookStep):
            return self._send(journey, run, step)
        if isinstance(step, SetTraitStep):
            person = replace(run.person, traits={**run.person.traits, step.trait: step.value})
            event = self._event(run, "identify", None, {}, traits={step.trait: step.value},
                                tag=step.id)
            return self._move(journey, replace(run, person=person), journey.following(step.id),
                              outbox=[event])
        if isinstance(step, EmitStep):
            props = templates.render_value(step.properties, self._context(journey, run, ""))
            event = self._event(run, "track", step.event, props, tag=step.id)
            return self._move(journey, run, journey.following(step.id), outbox=[event])
        assert isinstance(step, ExitStep)
        self._finish(run, "done", step.reason)
        return None

    def _wait(self, journey: Journey, run: Run, step: WaitStep, now: float) -> Run | None:
        if step.duration is not None:
            due = run.step_at + step.duration.total_seconds()
        elif step.until_time is not None:
            zone = policy.person_zone(run.person, self.delivery)
            due = next_local_time(run.step_at, zone, step.until_time, step.weekdays)
        else:
            assert step.timeout is not None
            if run.signal_at is not None and run.signal_at >= run.step_at:
                return self._move(journey, run, journey.following(step.id))
            due = run.step_at + step.timeout.total_seconds()
            if now >= due:
                return self._move(journey, run, step.on_timeout or journey.following(step.id))
            self._release(run, due=due, reason=None)
            return None
        if now >= due:
            return self._move(journey, run, journey.following(step.id))
        self._release(run, due=due, reason=None)
        return None

    # -- sending -------------------------------------------------------------------------
    def _send(self, journey: Journey, run: Run, step: SendStep | WebhookStep) -> Run | None:
        if isinstance(step, WebhookStep):
            channel_name, ledger_channel, variant = f"webhook:{step.endpoint}", "webhook", ""
        else:
            channel_name = ledger_channel = step.channel
            variant = step.variant
        channel = self.channels.get(channel_name)
        intent = ledger.Intent(
            key=ledger.key_of(run.run_id, step.id, ledger_channel), run_id=run.run_id,
            journey=journey.name, step=step.id, channel=ledger_channel,
            person_id=run.person_id, variant=variant,
        )
        if channel is None:
            self._park(run, f"channel {channel_name!r} is not configured "
                            "(journeys/_delivery.toml)")
            return None
        try:
            message = self._message(journey, run, step, intent)
            render_error = None
        except Terminal as exc:
            message, render_error = None, exc
        prepared: Prepared | None = None
        early: Outcome | None = None
        if message is not None and isinstance(channel, CanPrepare) and not (
            run.holdout and isinstance(step, SendStep)
        ):
            got = channel.prepare(message, intent.key)  # up to the point of no return
            if isinstance(got, Delivered | Transient | Terminal):
                early = got
            else:
                prepared = got
        try:
            attempt, result = self._begin_send(journey, run, step, channel, intent,
                                               render_error)
        except BaseException:
            if prepared is not None:
                prepared.abort()
            raise
        if attempt is None:
            if prepared is not None:
                prepared.abort()
            return result
        if early is not None:
            outcome = early
        elif prepared is not None:
            outcome = prepared.commit()
        else:
            assert message is not None
            outcome = channel.send(message, intent.key)
        return self._outcome(journey, run, step, channel, intent, attempt, outcome)

    def _begin_send(
        self, journey: Journey, run: Run, step: SendStep | WebhookStep, channel: Channel,
        intent: ledger.Intent, render_error: Terminal | None,
    ) -> tuple[int | None, Run | None]:
        """The ledger and policy side of a send, in one transaction: the attempt number if
        the message goes out now (the row is ``sending``), else None and the moved run."""
        nxt = journey.following(step.id)
        now = self.clock()
        with self.store.transaction() as tx:
            if not self._still_mine(tx, run, now):
                return None, None
            tx.lock_person(run.person_id)
            row = ledger.get(tx, intent.key)
            attempt: int | None = None
            if row is not None and row.state == "sending":
                recovered = ledger.recover(tx, intent.key, idempotent=channel.idempotent, now=now)
                if recovered is None:  # another worker's lease is still running
                    self._release_tx(tx, run, due=row.lease_until or now + self.lease)
                    return None, None
                if recovered == "unknown":
                    return None, self._move_tx(tx, journey, run, nxt, now)
                row = ledger.get(tx, intent.key)
            if row is not None and row.state != "pending":
                return None, self._move_tx(tx, journey, run, nxt, now)  # done before
            if run.holdout and isinstance(step, SendStep):
                ledger.record(tx, intent, "holdout", "journey holdout", now=now)
                return None, self._move_tx(tx, journey, run, nxt, now)
            if row is None and isinstance(step, SendStep):
                verdict = self._policy(tx, run, step.channel, now)
                if verdict.verdict in ("suppress", "drop"):
                    state = "suppressed" if verdict.verdict == "suppress" else "dropped"
                    ledger.record(tx, intent, state, verdict.reason, now=now)
                    return None, self._move_tx(tx, journey, run, nxt, now)
                if verdict.verdict == "defer":
                    assert verdict.until is not None
                    self._release_tx(tx, run, due=verdict.until.timestamp(),
                                     reason=f"deferred: {verdict.reason}")
                    return None, None
            if render_error is not None:
                attempt = ledger.start(tx, intent, worker=self.worker_id,
                                       lease_until=now + self.lease, now=now)
                if attempt is not None:
                    ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt,
                                  state="failed", reason=render_error.reason, now=now)
                    self._outbox(tx, [self._event(
                        run, "track", "message_failed",
                        {**self._tags(intent), "reason": render_error.reason}, tag=intent.key,
                        channel=intent.channel)], now)
                self._park_tx(tx, run, render_error.reason, now)
                return None, None
            attempt = ledger.start(tx, intent, worker=self.worker_id,
                                   lease_until=run_lease(now, self.lease), now=now)
            if attempt is None:  # pending, but its next attempt is not due yet
                due = row.next_attempt_at if row is not None and row.next_attempt_at else now
                self._release_tx(tx, run, due=due)
                return None, None
            tx.execute("UPDATE wj_runs SET claim_until = :c WHERE run_id = :r",
                       {"c": run_lease(now, self.lease), "r": run.run_id})
        return attempt, None

    def _outcome(
        self, journey: Journey, run: Run, step: SendStep | WebhookStep, channel: Channel,
        intent: ledger.Intent, attempt: int, outcome: Outcome,
    ) -> Run | None:
        now = self.clock()
        nxt = journey.following(step.id)
        with self.store.transaction() as tx:
            if isinstance(outcome, Delivered):
                ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt,
                              state="sent", reason=None, now=now)
                event = self._event(run, "track", "message_sent", self._tags(intent),
                                    tag=intent.key, channel=intent.channel)
                if not self._still_mine(tx, run, now):
                    self._outbox(tx, [event], now)
                    return None
                return self._move_tx(tx, journey, run, nxt, now, outbox=[event])
            if isinstance(outcome, Transient):
                if outcome.maybe_delivered and not channel.idempotent:
                    ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt,
                                  state="unknown", reason=outcome.reason, now=now)
                    return self._move_tx(tx, journey, run, nxt, now) if self._still_mine(
                        tx, run, now) else None
                if attempt < step.attempts:
                    base = self.delivery.retry_backoff.total_seconds()
                    due = now + min(3600.0, base * 2 ** (attempt - 1))
                    ledger.retry_later(tx, intent.key, worker=self.worker_id, attempt=attempt,
                                       at=due, reason=outcome.reason, now=now)
                    if self._still_mine(tx, run, now):
                        self._release_tx(tx, run, due=due, reason=f"retry: {outcome.reason}")
                    return None
            reason = outcome.reason
            ledger.finish(tx, intent.key, worker=self.worker_id, attempt=attempt,
                          state="failed", reason=reason, now=now)
            failed = self._event(run, "track", "message_failed",
                                 {**self._tags(intent), "reason": reason}, tag=intent.key,
                                 channel=intent.channel)
            self._outbox(tx, [failed], now)
            if self._still_mine(tx, run, now):
                self._park_tx(tx, run, reason, now)
        return None

    def _policy(self, tx: Tx, run: Run, channel: str, now: float) -> policy.Decision:
        unsubscribed = tx.one(
            "SELECT 1 FROM wj_unsubscribed WHERE person_id = :p AND channel IN (:c, '*')",
            {"p": run.person_id, "c": channel},
        ) is not None
        horizon = max([c.window.total_seconds() for c in self.delivery.caps if c.window]
                      + [2 * 86400.0])
        history = ledger.history(tx, run.person_id, since=now - horizon)
        return policy.decide(run.person, channel, datetime.fromtimestamp(now, UTC),
                             self.delivery, history, unsubscribed=unsubscribed)

    def _message(
        self, journey: Journey, run: Run, step: SendStep | WebhookStep, intent: ledger.Intent
    ) -> Message:
        context = self._context(journey, run, intent.variant, channel=intent.channel)
        if isinstance(step, WebhookStep):
            payload = templates.render_value(step.payload, context)
            return Message(person_id=run.person_id, journey=journey.name, step=step.id,
                           payload=payload)
        versions = journey.templates[step.template]
        if run.person.language(self.delivery.default_language) == "en":
            version = versions.get("en") or versions["de"]
        else:
            version = versions.get("de") or versions["en"]
        rendered = templates.render(version.subject, version.text, version.html, context)
        trait = {"email": self.delivery.email.address_trait, "sms": self.delivery.phone_trait,
                 "push": self.delivery.push_token_trait}[step.channel]
        to = run.person.traits.get(trait)
        if not isinstance(to, str) or not to:
            raise Terminal(f"the person has no {trait!r} trait to send {step.channel} to")
        return Message(
            person_id=run.person_id, journey=journey.name, step=step.id, variant=step.variant,
            to=to, subject=rendered.subject, text=rendered.text,
            html=rendered.html if step.channel == "email" else None,
            unsubscribe_url=context["links"]["unsubscribe"],
        )

    def _context(self, journey: Journey, run: Run, variant: str,
                 channel: str = "email") -> dict[str, Any]:
        return {
            "person": {"person_id": run.person_id, "traits": run.person.traits,
                       "phase": run.person.phase, "country": run.person.country},
            "traits": run.person.traits,
            "trigger": run.trigger,
            "journey": journey.name,
            "step": run.step,
            "variant": variant,
            "links": {"unsubscribe": self.unsubscribe_link(run.person_id, channel)},
        }

    def unsubscribe_link(self, person_id: str, channel: str) -> str:
        from wegweiser.orchestrate.unsubscribe import make_token

        token = make_token(self._secret(), person_id, channel)
        return self.delivery.unsubscribe_url.replace("{token}", token)

    def _secret(self) -> str:
        if self._unsubscribe_secret is None:
            from wegweiser.orchestrate.unsubscribe import project_secret

            self._unsubscribe_secret = project_secret(self.store, self.delivery)
        return self._unsubscribe_secret

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
        import hashlib

        mid = hashlib.sha256(f"{run.run_id}|{kind}|{name}|{tag}".encode()).hexdigest()[:32]
        ids = ({"user_id": run.person.user_id} if run.person.user_id
               else {"anonymous_id": run.person_id})
        event: dict[str, Any] = {
            "message_id": f"wj-{mid}", "type": kind, "event": name,
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
        with self.store.transaction() as tx:
            if not self._still_mine(tx, run, now):
                return None
            return self._move_tx(tx, journey, run, step_id, now, outbox=outbox)

    def _move_tx(self, tx: Tx, journey: Journey, run: Run, step_id: str | None, now: float,
                 *, outbox: list[dict[str, Any]] | None = None) -> Run | None:
        if outbox:
            self._outbox(tx, outbox, now)
        if step_id is None:
            tx.execute(
                "UPDATE wj_runs SET status = 'done', step = NULL, reason = 'completed', "
                "claimed_by = NULL, person = :person, updated_at = :now WHERE run_id = :r "
                "AND claimed_by = :w",
                {"r": run.run_id, "w": self.worker_id, "now": now,
                 "person": run.person.to_json()},
            )
            return None
        step = journey.step(step_id)
        tx.execute(
            "UPDATE wj_runs SET step = :step, step_at = :now, due_at = :now, "
            "wait_event = :wait, signal_at = NULL, attempts = 0, reason = NULL, "
            "person = :person, updated_at = :now WHERE run_id = :r AND claimed_by = :w",
            {"r": run.run_id, "w": self.worker_id, "now": now, "step": step_id,
             "wait": _wait_event(step), "person": run.person.to_json()},
        )
        if tx.rowcount != 1:
            return None
        return replace(run, step=step_id, step_at=now, due_at=now, wait_event=_wait_event(step),
                       signal_at=None)

    def _release(self, run: Run, *, due: float, reason: str | None = None) -> None:
        with self.store.transaction() as tx:
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
        with self.store.transaction() as tx:
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
        with self.store.transaction() as tx:
            tx.execute(
                "UPDATE wj_runs SET status = :s, step = NULL, reason = :reason, "
                "claimed_by = NULL, updated_at = :now WHERE run_id = :r AND claimed_by = :w",
                {"r": run.run_id, "w": self.worker_id, "s": status, "reason": reason,
                 "now": now},
            )

    @staticmethod
    def _outbox(tx: Tx, events: list[dict[str, Any]], now: float) -> None:
        tx.executemany(
            "INSERT INTO wj_outbox (message_id, created_at, event) VALUES (:m, :now, :e) "
            "ON CONFLICT (message_id) DO NOTHING",
            [{"m": e["message_id"], "now": now, "e": json.dumps(e, default=str)}
             for e in events],
        )


def _select_in(
    tx: Tx, sql: str, params: Mapping[str, Any], ids: list[str], *, chunk: int = 500
) -> list[tuple[Any, ...]]:
    """``sql`` with ``IN ({ids})`` run over ``ids`` in chunks; the values are bound
    parameters (``:x0``, ``:x1``, ...), only their number shapes the SQL text."""
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        names = {f"x{i}": v for i, v in enumerate(part)}
        out += tx.execute(sql.replace("{ids}", ", ".join(f":{k}" for k in names)),
                          {**params, **names})
    return out


def _advance_all(lane: Runtime, runs: list[Run]) -> None:
    for run in runs:
        lane.advance(run)


def run_lease(now: float, lease: float) -> float:
    return now + lease


def _wait_event(step: Step) -> str | None:
    return step.until_event if isinstance(step, WaitStep) else None
