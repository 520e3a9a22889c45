"""A dry run on history: the store's last days replayed through the journeys.

The real runtime does the work -- entries, re-entry rules, exits, waits, splits, the
delivery policy (consent, quiet hours, caps, control group, holdouts), best send times and
the send ledger -- on a throwaway state store in a temporary folder, with a simulated clock
and every channel replaced by a recorder. Nothing is sent, the project's journey state is
not opened, and nothing is written into the event store.

How the history is fed: the events of the persons active in the window are read once (on
the project's engine, through Ibis), then folded in time order in slices of ``resolution``
(default one hour). Each slice is one "import" for the triggers
(:func:`wegweiser.orchestrate.triggers.evaluate_batch`): the persons it touched, with
snapshots as of the slice's last event, its phase moves and the events journeys ask about.
Before a slice, the runs due until then are advanced with the clock set to each due time,
so a wait ends, a quiet hour defers and a cap holds back exactly as the worker would have.
An entry happens at the time of the slice's last event (at most ``resolution`` late).
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis

from wegweiser.analysis.journeys import events_with_person
from wegweiser.analysis.phases import phase_of, phase_rank
from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput
from wegweiser.orchestrate._lists import epoch_seconds
from wegweiser.orchestrate.channels import Delivered
from wegweiser.orchestrate.flows import Flow, flow
from wegweiser.orchestrate.person import EventStats, Person
from wegweiser.orchestrate.runtime import Runtime
from wegweiser.orchestrate.snapshots import UNSUBSCRIBED, Batch, _json
from wegweiser.orchestrate.state import open_state

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from wegweiser.orchestrate.channels import Message, Outcome
    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.settings import Delivery
    from wegweiser.project import Project

__all__ = ["MESSAGE_COLUMNS", "STEP_COLUMNS", "Recorder", "Simulation", "dry_run", "simulate"]

MESSAGE_COLUMNS = ("journey", "step", "channel", "variant", "person_id", "at", "subject")
STEP_COLUMNS = ("journey", "step", "channel", "messages", "persons", "suppressed", "dropped",
                "holdout")


class Recorder:
    """A channel that sends nothing: it records what would have gone out, and when."""

    idempotent = True

    def __init__(self, name: str, clock: _Clock) -> None:
        self.name = name
        self.clock = clock
        self.sent: list[tuple[Message, float]] = []

    def send(self, message: Message, idempotency_key: str) -> Outcome:
        self.sent.append((message, self.clock()))
        return Delivered("dry run: recorded, not sent")

    def close(self) -> None:
        """Nothing to close."""


class _Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Simulation:
    """What the journeys would have done in ``[start, end]``."""

    start: datetime
    end: datetime
    persons: int
    """Persons with events in the window (after ``max_persons``)."""
    messages: pd.DataFrame
    """One row per message that would have been sent: :data:`MESSAGE_COLUMNS`."""
    steps: pd.DataFrame
    """Per journey and message step: :data:`STEP_COLUMNS` (webhook calls as channel
    ``webhook``)."""
    entrants: dict[str, int]
    flows: dict[str, Flow] = field(default_factory=dict)
    assumed_reachable: bool = False


def simulate(
    project: Project,
    journeys: Sequence[Journey],
    delivery: Delivery,
    *,
    days: float = 30,
    end: datetime | None = None,
    max_persons: int | None = None,
    resolution: timedelta = timedelta(hours=1),
    assume_reachable: bool = False,
) -> Simulation:
    """Replay the last ``days`` of the store (ending at ``end``, default: the last event)
    through ``journeys``. ``max_persons`` bounds the run to a fixed sample of the window's
    persons (by a hash of their id). ``assume_reachable``: treat every person as having
    consented on every channel and having an address (shows what the journeys would do if
    they could reach everyone; consent and addresses are otherwise the persons' traits)."""
    if days <= 0:
        raise InvalidInput(f"--days must be positive, not {days:g}")
    if resolution <= timedelta(0):
        raise InvalidInput("the resolution of a dry run must be positive")
    if not journeys:
        raise InvalidInput("there are no journeys to simulate; write some into journeys/ "
                           "(wegweiser journeys init --playbook)")
    events = project.events()
    if end is None:
        last = to_frame(events.aggregate(last=events.timestamp.max()))["last"].iloc[0]
        if last is None or last != last:
            raise InvalidInput("the store has no events to replay; import some first")
        end = _utc(last)
    end = _utc(end)
    start = end - timedelta(days=days)
    if assume_reachable:
        # no consent trait and no consent category asked for: every channel may be used
        delivery = delivery.model_copy(update={"consent": {}, "consent_categories": {}})
    names = sorted({n for j in journeys for n in j.event_names()} | {UNSUBSCRIBED})
    rows, persons = _read(project, start, end, names, max_persons)
    clock = _Clock(start.timestamp())
    with tempfile.TemporaryDirectory(prefix="wegweiser-dry-run-") as tmp:
        store = open_state(Path(tmp) / "dry-run.sqlite")
        channels: dict[str, Recorder] = {
            c: Recorder(c, clock) for c in ("email", "sms", "push", "webpush")}
        channels |= {f"webhook:{n}": Recorder(f"webhook:{n}", clock) for n in delivery.webhooks}
        runtime = Runtime(store, journeys, delivery, channels, worker_id="dry-run",
                          clock=clock, unsubscribe_secret="dry-run")
        try:
            _replay(project, runtime, clock, rows, start.timestamp(), end.timestamp(),
                    resolution.total_seconds(), names, assume_reachable)
            result = _results(runtime, channels, journeys, start, end, persons,
                              assume_reachable)
        finally:
            runtime.close()
    return result


def _utc(value: Any) -> datetime:
    import pandas as pd

    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def _sample_key(person_id: str) -> str:
    return hashlib.sha256(f"dry-run|{person_id}".encode()).hexdigest()


def _read(project: Project, start: datetime, end: datetime, names: list[str],
          max_persons: int | None) -> tuple[pd.DataFrame, int]:
    """The window's persons' events up to ``end`` (their history before it included: it
    makes their traits, phase and event counts), in time order."""
    config = project.config
    phases = list(config.phases)
    events, identities = project.events(), project.identities()
    with_person = events_with_person(events.filter(events.timestamp <= end), identities)
    with_person = with_person.filter(with_person.person_id.notnull())
    recent = with_person.filter(with_person.timestamp >= start)
    who = [str(p) for p in to_frame(recent.select("person_id").distinct())["person_id"]]
    if max_persons is not None and len(who) > max_persons:
        who = sorted(who, key=_sample_key)[:max_persons]
    mine = with_person.filter(with_person.person_id.isin(who))
    phase = phase_of(mine.event, phases) if phases else ibis.null("string")
    mine = mine.mutate(phase=phase)
    rank = phase_rank(mine.phase, phases) if phases else ibis.literal(0)
    interesting = mine.event.isin(names)
    frame = to_frame(mine.select(
        "person_id", "type", "event", "timestamp", "message_id", "country", "user_id",
        "phase", rank=rank,
        properties=ibis.cases((interesting, mine.properties.cast("string")),
                              else_=ibis.null("string")),
        traits=ibis.cases((mine.type == "identify", mine.traits.cast("string")),
                          else_=ibis.null("string")),
    ))
    frame["ts"] = epoch_seconds(frame, "timestamp")
    frame = frame.sort_values(["ts", "rank", "message_id"], kind="stable", na_position="first")
    return frame.reset_index(drop=True), len(who)


@dataclass
class _Folded:
    traits: dict[str, Any] = field(default_factory=dict)
    phase: str | None = None
    events: dict[str, EventStats] = field(default_factory=dict)
    country: str | None = None
    user_id: str | None = None


def _snapshot(pid: str, state: _Folded, reachable: bool) -> Person:
    traits = dict(state.traits)
    if reachable:  # placeholder addresses: nothing is sent anyway
        for trait, value in (("email", f"{pid}@dry-run.invalid"), ("phone", "+0000000000"),
                             ("push_token", f"dry-run-{pid}")):
            traits.setdefault(trait, value)
    return Person(pid, traits, state.phase, dict(state.events), state.country,
                  state.user_id)


def _replay(project: Project, runtime: Runtime, clock: _Clock, rows: pd.DataFrame,
            start: float, end: float, resolution: float, names: list[str],
            reachable: bool) -> None:
    from wegweiser.orchestrate.triggers import evaluate_batch

    config = project.config
    wanted = set(names)
    folded: dict[str, _Folded] = {}
    batch: Batch | None = None
    touched: set[str] = set()
    slice_end = start
    columns = ("person_id", "type", "event", "ts", "country", "user_id", "phase",
               "properties", "traits")
    data = [rows[c].tolist() for c in columns]

    def flush(at: float) -> None:
        nonlocal batch
        if batch is None:
            return
        _advance(runtime, clock, until=at)
        clock.now = max(clock.now, at)
        batch.persons = {p: _snapshot(p, folded[p], reachable) for p in sorted(touched)}
        evaluate_batch(runtime, batch, config)
        batch = None
        touched.clear()

    last_ts = start
    for pid, kind, event, ts, country, user_id, phase, props, traits in zip(*data, strict=True):
        pid = str(pid)
        state = folded.setdefault(pid, _Folded())
        live = ts >= start
        if live and ts >= slice_end:
            flush(last_ts)
            slice_end = start + ((ts - start) // resolution + 1) * resolution
        if live and batch is None:
            batch = Batch([], [], [], {})
        if isinstance(user_id, str) and user_id:
            state.user_id = user_id
        if isinstance(country, str) and country:
            state.country = country
        if kind == "identify":
            state.traits.update(_json(traits))
        elif isinstance(event, str):
            if event in wanted:
                seen = state.events.get(event)
                state.events[event] = EventStats((seen.count if seen else 0) + 1, ts)
            if isinstance(phase, str) and kind in ("track", "page", "screen") and (
                phase != state.phase
            ):
                if batch is not None:
                    batch.transitions.append((pid, ts, state.phase, phase))
                state.phase = phase
            if batch is not None and event in wanted and kind in ("track", "page", "screen"):
                batch.events.append({"person_id": pid, "event": event, "ts": ts,
                                     "properties": _json(props)})
        if batch is not None:
            touched.add(pid)
            last_ts = ts
    flush(last_ts)
    _advance(runtime, clock, until=end)
    clock.now = max(clock.now, end)


def _advance(runtime: Runtime, clock: _Clock, *, until: float) -> None:
    """Advance every run due until ``until``, the clock at each due time in turn."""
    for _ in range(1_000_000):
        with runtime.store.transaction() as tx:
            row = tx.one("SELECT min(due_at) FROM wj_runs WHERE status = 'active'")
        due = None if row is None or row[0] is None else float(row[0])
        if due is None or due > until:
            return
        clock.now = max(clock.now, due)
        if not runtime.run_once(limit=1_000):
            return  # nothing could be claimed (cannot happen with one worker): stop here


def _results(runtime: Runtime, channels: dict[str, Recorder], journeys: Sequence[Journey],
             start: datetime, end: datetime, persons: int, reachable: bool) -> Simulation:
    import pandas as pd

    sent: list[tuple[str, str, str, str, str, datetime, str | None]] = []
    for recorder in channels.values():
        channel = "webhook" if recorder.name.startswith("webhook:") else recorder.name
        for message, at in recorder.sent:
            sent.append((message.journey, message.step, channel, message.variant,
                         message.person_id, datetime.fromtimestamp(at, UTC), message.subject))
    sent.sort(key=lambda r: (r[5], r[0], r[1], r[4]))
    messages = pd.DataFrame(sent, columns=list(MESSAGE_COLUMNS))
    messages["at"] = pd.to_datetime(messages["at"], utc=True)
    with runtime.store.transaction() as tx:
        states = tx.execute("SELECT journey, step, channel, state, count(*) FROM wj_ledger "
                            "GROUP BY journey, step, channel, state")
        entered = dict(tx.execute("SELECT journey, count(*) FROM wj_runs GROUP BY journey"))
    steps: dict[tuple[str, str, str], dict[str, int]] = {}
    order = {(j.name, s.id): (i, k) for i, j in enumerate(journeys)
             for k, s in enumerate(j.steps)}
    for journey, step, channel, state, n in states:
        row = steps.setdefault((journey, step, channel), {})
        row[state] = row.get(state, 0) + int(n)
    table = []
    for (journey, step, channel), row in sorted(
        steps.items(), key=lambda kv: (order.get(kv[0][:2], (99, 99)), kv[0])
    ):
        mine = messages[(messages["journey"] == journey) & (messages["step"] == step)]
        table.append((journey, step, channel, row.get("sent", 0),
                      int(mine["person_id"].nunique()), row.get("suppressed", 0),
                      row.get("dropped", 0), row.get("holdout", 0)))
    flows = {j.name: flow(runtime.store, j) for j in journeys}
    return Simulation(
        start=start, end=end, persons=persons, messages=messages,
        steps=pd.DataFrame(table, columns=list(STEP_COLUMNS)),
        entrants={j.name: int(entered.get(j.name, 0)) for j in journeys},
        flows=flows, assumed_reachable=reachable,
    )


def dry_run(
    project: Project, *, days: float = 30, max_persons: int | None = None,
    assume_reachable: bool = False, resolution: timedelta = timedelta(hours=1),
) -> Simulation:
    """:func:`simulate` with the project's own journeys (``journeys/``, validated: every
    problem or nothing) and delivery settings."""
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys

    folder = project.path / JOURNEYS_DIR
    if not folder.is_dir():
        raise InvalidInput(f"{folder} does not exist; write journeys first "
                           "(wegweiser journeys init --playbook)")
    journeys, delivery = load_journeys(folder, phases=project.config.phase_names)
    return simulate(project, journeys, delivery, days=days, max_persons=max_persons,
                    assume_reachable=assume_reachable, resolution=resolution)
