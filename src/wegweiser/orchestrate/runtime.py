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

import logging
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from wegweiser.orchestrate import policy, templates
from wegweiser.orchestrate._runs import RUN_COLUMNS, Entrant, Run, wait_event_of
from wegweiser.orchestrate._sending import GROUP, Sending
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
from wegweiser.orchestrate.person import Person
from wegweiser.orchestrate.sendtime import best_send_time, send_time_arm
from wegweiser.orchestrate.state import SHARED_PERSON
from wegweiser.orchestrate.waits import next_local_time

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from wegweiser.orchestrate.channels import Channel
    from wegweiser.orchestrate.definitions import Journey, Step
    from wegweiser.orchestrate.settings import Delivery
    from wegweiser.orchestrate.state import StateStore, Tx

log = logging.getLogger("wegweiser.journeys")

__all__ = ["Entrant", "Run", "Runtime"]

RUN_ROW = ("run_id", "person_id", "status", "holdout", "trigger", "reason")
"""The values of a new run that differ by person, in :meth:`Runtime.enter`'s bulk insert."""
ENTRY_AGAIN = ("ON CONFLICT (journey, person_id) DO UPDATE SET n = wj_entries.n + 1, "
               "last_at = excluded.last_at")
PERSON_AGAIN = ("ON CONFLICT (person_id) DO UPDATE SET person = excluded.person, "
                "updated_at = excluded.updated_at")
"""The person's latest snapshot, which their runs see (``wj_runs.person`` NULL)."""

MAX_MOVES = 64
"""Steps one claim may take a run through (a loop of splits without waits stops here)."""


class Runtime(Sending):
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
        self._deferred = []
        self._begun = {}
        self._lanes: list[Runtime] = []
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        """Close the channels' connections, the lanes and the state store."""
        if self._pool is not None:
            self._pool.shutdown()
        self.flush()
        for lane in self._lanes:
            lane.flush()
            lane.store.close()
        for channel in self.channels.values():  # the lanes share them
            channel.close()
        self.store.close()

    # -- entering ------------------------------------------------------------------------
    def enter(
        self, entrants: Iterable[Entrant], *, at: float | None = None,
        mark_imports: Iterable[str] = (), also: Callable[[Tx], None] | None = None,
    ) -> int:
        """Let persons enter journeys under the re-entry rules, entry limits, the global
        control group and holdouts, in one transaction (which also marks ``mark_imports``
        processed, and runs ``also``); returns how many runs started. A person enters a
        journey at most once per call; the lookups and writes go in bulk (a batch may touch
        100k persons). The snapshot of each person who entered is written once, to
        ``wj_persons`` (the first entrant's, when one call brings a person twice), and their
        runs see it there."""
        now = self.clock() if at is None else at
        groups: dict[str, dict[str, Entrant]] = {name: {} for name in self.journeys}
        for entrant in entrants:
            group = groups.get(entrant.journey)
            if group is not None:
                group.setdefault(entrant.person.person_id, entrant)
        started = 0
        entered: dict[str, Person] = {}  # one snapshot per person, for every journey
        with self.store.transaction() as tx:
            tx.executemany(
                "INSERT INTO wj_imports (import_id, seen_at) VALUES (:i, :now) "
                "ON CONFLICT (import_id) DO NOTHING",
                [{"i": i, "now": now} for i in mark_imports],
            )
            if also is not None:
                also(tx)
            meta = {
                r[0]: (bool(r[1]), int(r[2]))
                for r in tx.execute("SELECT journey, paused, entrants FROM wj_journeys")
            }
            for name, group in groups.items():
                paused, n_before = meta.get(name, (False, 0))
                if group and not paused:
                    n = self._enter_group(tx, self.journeys[name], group, n_before, now,
                                          entered)
                    if n:
                        tx.execute(
                            "INSERT INTO wj_journeys (journey, paused, entrants) "
                            "VALUES (:j, 0, :n) ON CONFLICT (journey) DO UPDATE "
                            "SET entrants = wj_journeys.entrants + :n",
                            {"j": name, "n": n},
                        )
                    started += n
            tx.insert_many("wj_persons", ("person_id", "person"),
                           [(pid, entered[pid].to_json()) for pid in sorted(entered)],
                           constants={"updated_at": now}, conflict=PERSON_AGAIN,
                           long_texts=True)
        return started

    def _enter_group(
        self, tx: Tx, journey: Journey, group: dict[str, Entrant], n_before: int, now: float,
        entered: dict[str, Person],
    ) -> int:
        rule = journey.entry
        pids = list(group)
        seen = {
            str(r[0]): (int(r[1]), float(r[2]))
            for r in select_in(tx, "SELECT person_id, n, last_at FROM wj_entries "
                                "WHERE journey = :j AND person_id IN ({ids})",
                                {"j": journey.name}, pids)
        }
        active = {
            str(r[0]) for r in select_in(
                tx, "SELECT person_id FROM wj_runs WHERE journey = :j AND status = 'active' "
                "AND person_id IN ({ids})", {"j": journey.name}, [p for p in pids if p in seen])
        }
        first, name = journey.steps[0], journey.name
        wait, prio = wait_event_of(first), journey.priority
        control_group = self.delivery.control_group
        controls = control_group.share > 0
        holdout = journey.holdout
        limit = None if rule.limit is None else max(0, rule.limit - n_before)
        once, once_per = rule.reentry == "once", rule.reentry == "once_per"
        window = (rule.reentry_days or 0) * 86400
        dumps = orjson.dumps
        texts: dict[int, str] = {}  # entrants often share one trigger dict: dumped once
        # rows as tuples in the order of ENTRY_ROW / RUN_ROW (a batch: 100k persons)
        entries: list[tuple[Any, ...]] = []
        runs: list[tuple[Any, ...]] = []
        status, reason = "active", None
        for pid, entrant in group.items():  # 100k persons a batch: plain look-ups here
            if limit is not None and len(runs) >= limit:
                break
            n, last = seen.get(pid, (0, None)) if seen else (0, None)
            if n and once:
                continue
            if n and once_per and last is not None and window and now - last < window:
                continue
            if pid in active:
                continue  # one active run per person and journey
            if controls:
                control = policy.in_control_group(pid, control_group)
                status = "control" if control else "active"
                reason = "global control group" if control else None
            if pid not in entered:
                entered[pid] = entrant.person
            trigger = entrant.trigger
            text = texts.get(id(trigger))
            if text is None:
                text = texts[id(trigger)] = dumps(  # the entrants keep it alive: ids hold
                    trigger if type(trigger) is dict else dict(trigger or {}), default=str
                ).decode()
            entries.append((pid,))
            runs.append((  # in the order of RUN_ROW
                f"{name}:{pid}:{n + 1}", pid, status,
                int(holdout > 0 and policy.in_holdout(name, pid, holdout)), text, reason,
            ))
        entries.sort()  # B-trees fill faster in key order (the person ids; one journey)
        runs.sort()  # by run id
        tx.insert_many("wj_entries", ("person_id",), entries,
                       constants={"journey": name, "n": 1, "last_at": now}, conflict=ENTRY_AGAIN)
        tx.insert_many("wj_runs", RUN_ROW, runs, constants={
            "journey": name, "step": first.id, "due_at": now, "step_at": now,
            "wait_event": wait, "signal_at": None, "priority": prio, "attempts": 0,
            "person": None, "entered_at": now, "updated_at": now})
        return len(runs)

    # -- what arrives from the data ------------------------------------------------------
    def signal(self, person_id: str, event: str, properties: Mapping[str, Any], at: float) -> int:
        """An event of the person (that happened at ``at``) arrived: wake the runs waiting
        for it since before ``at`` whose ``where`` holds."""
        with self.store.transaction() as tx:
            rows = tx.execute(
                "SELECT r.run_id, r.journey, r.step, COALESCE(r.person, s.person), r.trigger "
                "FROM wj_runs r LEFT JOIN wj_persons s ON s.person_id = r.person_id WHERE "
                "r.person_id = :p AND r.status = 'active' AND r.wait_event = :e",
                {"p": person_id, "e": event},
            )
            woken = 0
            for run_id, name, step_id, person, trigger in rows:
                journey = self.journeys.get(name)
                if journey is None:
                    continue
                step = journey.step(step_id)
                snapshot = Person.from_json(person)
                if isinstance(step, WaitStep) and all(
                    evaluate(c, snapshot, properties=properties, now=at) for c in step.where
                ):
                    # templates see the awaited event's properties: trigger.awaited.<event>
                    seen = orjson.loads(trigger) if trigger else {}
                    seen.setdefault("awaited", {})[event] = dict(properties)
                    tx.execute(  # signal_at: when it happened; due: now
                        "UPDATE wj_runs SET signal_at = :at, due_at = :now, updated_at = :now, "
                        "trigger = :t WHERE run_id = :r AND status = 'active' "
                        "AND wait_event = :e",
                        {"r": run_id, "at": at, "e": event, "now": self.clock(),
                         "t": orjson.dumps(seen, default=str).decode()},
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
        parked runs (in ``wj_persons``; a run's own copy gives way to it); returns how many
        persons had such runs."""
        by_id = {p.person_id: p for p in persons}
        now = self.clock()
        with self.store.transaction() as tx:
            running = {str(r[0]) for r in select_in(
                tx, "SELECT DISTINCT person_id FROM wj_runs WHERE status IN ('active', "
                "'parked') AND person_id IN ({ids})", {}, list(by_id))}
            ids = sorted(running)
            tx.insert_many("wj_persons", ("person_id", "person"),
                           [(pid, by_id[pid].to_json()) for pid in ids],
                           constants={"updated_at": now}, conflict=PERSON_AGAIN,
                           long_texts=True)
            select_in(tx, "UPDATE wj_runs SET person = NULL WHERE person IS NOT NULL "
                      "AND status IN ('active', 'parked') AND person_id IN ({ids})", {}, ids)
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
            shared = {str(r[0]): str(r[1]) for r in select_in(
                tx, SHARED_PERSON, {}, sorted({r[2] for r in rows if r[12] is None}))}
            runs = []
            for row in rows:
                if row[12] is None and row[2] not in shared:  # a hand-edited state store
                    log.warning("journey run %s parked: no person snapshot", row[0])
                    tx.execute(
                        "UPDATE wj_runs SET status = 'parked', reason = :why, claimed_by = "
                        "NULL, claim_until = NULL, updated_at = :now WHERE run_id = :r",
                        {"r": row[0], "now": now,
                         "why": "no person snapshot (wj_persons lacks the person)"})
                    continue
                runs.append(Run.from_row(row, shared.get(row[2])))
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
            self.advance_all(runs)
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
        futures = [self._pool.submit(lane.advance_all, part)
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

    def advance_all(self, runs: Sequence[Run]) -> None:
        """:meth:`advance` each of ``runs`` in turn (a lane's share of a round), the webhook
        sends of :data:`GROUP` runs at a time begun in one transaction
        (:meth:`begin_group`); then :meth:`flush`."""
        try:
            for start in range(0, len(runs), GROUP):
                group = runs[start:start + GROUP]
                self.begin_group(group)
                for run in group:
                    self.advance(run)
        finally:
            self._begun.clear()  # begun, not sent (an error): ``sending``, recovered later
            self.flush()

    def advance(self, run: Run) -> None:
        """Take ``run`` through its steps until it waits, ends or the claim is lost. The
        outcome of a webhook may be written only with the next transaction: call
        :meth:`flush` after the last run (:meth:`run_once` does)."""
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
        if isinstance(step, SendStep) and step.send_at == "best_time":
            arm = send_time_arm(journey.name, step.id, run.person_id)  # the experiment
            best = best_send_time(run.person, step.channel,
                                  datetime.fromtimestamp(run.step_at, UTC),
                                  delivery=self.delivery, fallback=arm == "fallback"
                                  ).timestamp()
            if now < best:  # a function of step_at: a restart computes the same instant
                self._release(run, due=best, reason=None)
                return None
        if isinstance(step, SendStep | WebhookStep):
            return self._send(journey, run, step)
        if isinstance(step, SetTraitStep):
            person = replace(run.person, traits={**run.person.traits, step.trait: step.value})
            event = self._event(run, "identify", None, {}, traits={step.trait: step.value},
                                tag=step.id)
            return self._move(journey, replace(run, person=person, own_person=True),
                              journey.following(step.id),
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

def select_in(
    tx: Tx, sql: str, params: Mapping[str, Any], ids: list[str], *, chunk: int = 500
) -> list[tuple[Any, ...]]:
    """``sql`` with ``IN ({ids})`` for ``ids``: one statement with the ids as one bound
    parameter where the database can (:meth:`Tx.in_texts`), else in chunks of bound
    parameters (``:x0``, ``:x1``, ...; only their number shapes the SQL text)."""
    one = tx.in_texts("ids_", ids)
    if one is not None:
        if not ids:
            return []
        return tx.execute(sql.replace("IN ({ids})", one[0]), {**params, "ids_": one[1]})
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        names = {f"x{i}": v for i, v in enumerate(part)}
        out += tx.execute(sql.replace("{ids}", ", ".join(f":{k}" for k in names)),
                          {**params, **names})
    return out
