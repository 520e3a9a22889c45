"""Triggers from the data as it arrives: entries, exits and awaited events for the persons
that committed imports touched.

The store's ``imports`` table lists committed imports; the state store keeps the ids the
runtime has processed (``wj_imports``, the cursor). :func:`process_imports` reads only the
events of new imports (``events.import_id``) and, for the persons they touched, their phase
history, traits and the counts of the events journeys ask about, as Ibis expressions on the
project's warehouse (DuckDB or Spark) -- never a scan of every person (:mod:`.snapshots`).
Then, in this order: unsubscribes and exits (goal reached, phase regression), awaited
events, and entries (an event with its property filters; a phase entered or left, backward
moves included). The new import ids are marked processed in the same transaction as the
entries, so a crash repeats a batch rather than losing it, and re-entry rules keep a repeat
from entering twice.

The first time a project's runtime runs, the imports already there are marked processed
without acting on them: journeys act on data that arrives once they run
(:func:`baseline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from wegweiser.analysis.journeys import events_with_person
from wegweiser.orchestrate import memberships
from wegweiser.orchestrate._nogc import paused_gc
from wegweiser.orchestrate._phase_window import current_phases
from wegweiser.orchestrate.conditions import evaluate
from wegweiser.orchestrate.definitions import WaitStep
from wegweiser.orchestrate.runtime import Entrant
from wegweiser.orchestrate.snapshots import (
    SNAPSHOT_COLUMNS,
    UNSUBSCRIBED,
    Batch,
    person_snapshots,
    read_batch,
    read_persons,
    with_scores,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from wegweiser.config import Config
    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.person import Person
    from wegweiser.orchestrate.runtime import Runtime
    from wegweiser.project import Project

__all__ = ["SNAPSHOT_COLUMNS", "UNSUBSCRIBED", "Batch", "Sets", "TriggerSummary", "baseline",
           "committed_imports", "evaluate_batch", "process_imports", "process_memberships",
           "process_schedules", "read_batch", "read_persons", "with_scores"]


@dataclass
class TriggerSummary:
    imports: int = 0
    persons: int = 0
    entered: int = 0
    exited: int = 0
    woken: int = 0
    by_journey: dict[str, int] = field(default_factory=dict)


def committed_imports(project: Project) -> list[str]:
    """Ids of the committed imports that added events and were not undone, oldest first
    (the project's import history)."""
    frame = project.imports(limit=None, undone=False)
    frame = frame[frame["n_imported"] > 0].sort_values(["finished_at", "import_id"])
    return [str(i) for i in frame["import_id"].tolist()]


def _seen(runtime: Runtime) -> set[str]:
    with runtime.store.transaction() as tx:
        return {str(r[0]) for r in tx.execute("SELECT import_id FROM wj_imports")}


def baseline(project: Project, runtime: Runtime, *, from_start: bool = False) -> int:
    """On a runtime's first start, mark the imports already there as processed (with
    ``from_start``, none: the journeys act on the whole history, oldest import first)."""
    with runtime.store.transaction() as tx:
        if tx.one("SELECT 1 FROM wj_meta WHERE key = 'baseline'"):
            return 0
    ids = [] if from_start else committed_imports(project)
    now = runtime.clock()
    with runtime.store.transaction() as tx:
        tx.executemany(
            "INSERT INTO wj_imports (import_id, seen_at) VALUES (:i, :now) "
            "ON CONFLICT (import_id) DO NOTHING",
            [{"i": i, "now": now} for i in ids],
        )
        tx.execute("INSERT INTO wj_meta (key, value) VALUES ('baseline', :v) "
                   "ON CONFLICT (key) DO NOTHING", {"v": str(len(ids))})
    return len(ids)


def evaluate_batch(
    runtime: Runtime, batch: Batch, config: Config, *, sets: Sets | None = None
) -> TriggerSummary:
    """Exits, awaited events and entries for one batch (see the module docstring); ``sets``:
    the batch's changes of segment and persona membership (:mod:`.memberships`)."""
    summary = TriggerSummary(imports=len(batch.import_ids), persons=len(batch.persons))
    journeys = list(runtime.journeys.values())
    runtime.refresh(batch.persons.values())
    awaited = {s.until_event for j in journeys for s in j.steps
               if isinstance(s, WaitStep) and s.until_event}
    rank = {p.name: i for i, p in enumerate(config.phases)}
    goals: dict[str, list[str]] = {}
    for j in journeys:
        for name in j.exit.goal:
            goals.setdefault(name, []).append(j.name)
    for row in batch.events:
        pid, event, ts = row["person_id"], row["event"], row["ts"]
        if event == UNSUBSCRIBED:
            channel = str(row["properties"].get("channel") or "*")
            runtime.unsubscribe(pid, channel, at=ts)
            summary.exited += runtime.exit_runs(
                pid, "unsubscribed", journeys=[j.name for j in journeys if j.exit.unsubscribed])
        goal = goals.get(event)
        if goal:
            summary.exited += runtime.exit_runs(pid, "goal", journeys=goal)
        if event in awaited:
            summary.woken += runtime.signal(pid, event, row["properties"], ts)
    for pid, _, before, after in batch.transitions:
        if before is not None and rank.get(after, 0) < rank.get(before, 0):
            regress = [j.name for j in journeys if j.exit.phase_regression]
            summary.exited += runtime.exit_runs(pid, "phase regression", journeys=regress)
    entrants = _entrants(journeys, batch, rank)
    also = None
    if sets is not None:
        entrants += memberships.entrants(journeys, sets.keys, sets.changes,
                                         {**sets.persons, **batch.persons})
        also = partial(memberships.write, changes=sets.changes, now=runtime.clock())
    summary.entered = runtime.enter(entrants, mark_imports=batch.import_ids, also=also)
    for entrant in entrants:
        summary.by_journey[entrant.journey] = summary.by_journey.get(entrant.journey, 0) + 1
    return summary


def _exit_times(
    batch: Batch, rank: dict[str, int], names: set[str]
) -> dict[str, dict[str, float]]:
    """Per person the last time in the batch of each exit event (``names``) and of a
    backward phase move (key ``"<regression>"``): an entry before one of a journey's exits
    is no entry."""
    last: dict[str, dict[str, float]] = {}
    for row in batch.events:
        if row["event"] not in names:
            continue
        times = last.setdefault(row["person_id"], {})
        times[row["event"]] = max(times.get(row["event"], row["ts"]), row["ts"])
    for pid, ts, before, after in batch.transitions:
        if before is not None and rank.get(after, 0) < rank.get(before, 0):
            times = last.setdefault(pid, {})
            times["<regression>"] = max(times.get("<regression>", ts), ts)
    return last


def _exit_names(journey: Journey) -> list[str]:
    names = list(journey.exit.goal)
    if journey.exit.unsubscribed:
        names.append(UNSUBSCRIBED)
    if journey.exit.phase_regression:
        names.append("<regression>")
    return names


def _exits_after(names: list[str], times: dict[str, float] | None, at: float) -> bool:
    """Whether one of the exits ``names`` came after ``at`` (``times``: the person's)."""
    if not times:
        return False
    return any(times.get(n, float("-inf")) > at for n in names)


def _entrants(journeys: list[Journey], batch: Batch, rank: dict[str, int]) -> list[Entrant]:
    """Entries in the order they happened; one followed by an exit of the journey within
    the same batch is left out (the run would have ended at once). (A batch may hold 100k
    persons: the loops keep to plain look-ups, and entries with the same trigger share one
    trigger dict, which :meth:`Runtime.enter` serialises once.)"""
    out: list[Entrant] = []
    append = out.append
    persons = batch.persons
    exits = _exit_times(batch, rank, {n for j in journeys for n in _exit_names(j)})
    for journey in journeys:
        entry = journey.entry
        names = _exit_names(journey) if exits else []
        name = journey.name
        if entry.kind == "event":
            where, wanted = entry.where, entry.event
            bare = {"event": wanted}  # the trigger of every entry without properties
            for row in batch.events:
                if row["event"] != wanted:
                    continue
                person = persons.get(row["person_id"])
                if person is None:
                    continue
                props = row["properties"]
                if where and not all(evaluate(c, person, properties=props, now=row["ts"])
                                     for c in where):
                    continue
                if names and _exits_after(names, exits.get(person.person_id), row["ts"]):
                    continue
                append(Entrant(name, person, {**bare, **props} if props else bare))
        elif entry.kind in ("phase_entered", "phase_left"):
            entered = entry.kind == "phase_entered"
            phase, direction = entry.phase, entry.direction
            moves: dict[tuple[str | None, str], dict[str, Any]] = {}
            for pid, ts, before, after in batch.transitions:
                hit = (after == phase and before != after) if entered else (
                    before == phase and after != before)
                if not hit:
                    continue
                person = persons.get(pid)
                if person is None or (names and _exits_after(names, exits.get(pid), ts)):
                    continue
                if direction != "any" and before is not None:
                    backward = rank.get(after, 0) < rank.get(before, 0)
                    if backward != (direction == "backward"):
                        continue
                elif direction == "backward":
                    continue  # a first phase is no backward move
                trigger = moves.get((before, after))
                if trigger is None:
                    trigger = moves[before, after] = {"from_phase": before, "to_phase": after}
                append(Entrant(name, person, trigger))
    return out


def process_imports(
    project: Project, runtime: Runtime, *, max_imports: int = 50, from_start: bool = False
) -> TriggerSummary:
    """Evaluate the imports committed since the last call (at most ``max_imports`` of them,
    oldest first); the first call on a fresh state store only sets the baseline (unless
    ``from_start``)."""
    with paused_gc():  # a batch builds ~10 objects per person, all alive until its end
        return _process_imports(project, runtime, max_imports=max_imports,
                                from_start=from_start)


def _process_imports(project: Project, runtime: Runtime, *, max_imports: int,
                     from_start: bool) -> TriggerSummary:
    baseline(project, runtime, from_start=from_start)
    keys = memberships.refs(project, list(runtime.journeys.values()))
    # sets new to the state store (or changed) first: their members before this batch
    whole = _process_memberships(project, runtime, keys=keys) if keys else TriggerSummary()
    seen = _seen(runtime)
    new = [i for i in committed_imports(project) if i not in seen][:max_imports]
    if not new:
        return whole
    names = sorted({n for j in runtime.journeys.values() for n in j.event_names()})
    batch = read_batch(project, new, names)
    sets = None
    if keys:
        changes = memberships.evaluate(project, runtime, keys, touched=list(batch.persons),
                                       now=runtime.clock())
        others = sorted(memberships.moved(changes) - set(batch.persons))
        sets = Sets(keys, changes, read_persons(project, others, names) if others else {})
    summary = evaluate_batch(runtime, batch, project.config, sets=sets)
    summary.entered += whole.entered
    for name, n in whole.by_journey.items():
        summary.by_journey[name] = summary.by_journey.get(name, 0) + n
    return summary


@dataclass
class Sets:
    """Changes of segment and persona membership, with the sets each journey enters on and
    snapshots of movers the batch did not touch."""

    keys: Mapping[str, memberships.SetRef]
    changes: list[memberships.SetChange]
    persons: dict[str, Person]


def process_memberships(
    project: Project, runtime: Runtime, *, keys: Mapping[str, memberships.SetRef] | None = None
) -> TriggerSummary:
    """The worker's round for segments and personas: evaluate in full the sets that are
    new (only remembered), changed (an edited segment, a refit) or have a time window that
    is due again (:mod:`wegweiser.orchestrate.memberships`), and let the movers enter."""
    with paused_gc():
        return _process_memberships(project, runtime, keys=keys)


def _process_memberships(
    project: Project, runtime: Runtime, *, keys: Mapping[str, memberships.SetRef] | None
) -> TriggerSummary:
    if keys is None:
        keys = memberships.refs(project, list(runtime.journeys.values()))
    if not keys:
        return TriggerSummary()
    now = runtime.clock()
    changes = memberships.evaluate(project, runtime, keys, touched=None, now=now)
    if not changes:
        return TriggerSummary()
    names = sorted({n for j in runtime.journeys.values() for n in j.event_names()})
    movers = sorted(memberships.moved(changes))
    persons = read_persons(project, movers, names) if movers else {}
    entrants = memberships.entrants(list(runtime.journeys.values()), keys, changes, persons)
    summary = TriggerSummary(persons=len(persons))
    summary.entered = runtime.enter(
        entrants, also=partial(memberships.write, changes=changes, now=now))
    for entrant in entrants:
        summary.by_journey[entrant.journey] = summary.by_journey.get(entrant.journey, 0) + 1
    return summary


def _next_tick(journey: Journey, last: float | None, now: float, zone: str) -> float:
    """When a ``schedule`` entry fires next: first at the next ``at`` (the project's default
    time zone; one that passed less than an hour ago still counts) or at once without
    ``at``, then every ``every`` after the last time it fired."""
    from zoneinfo import ZoneInfo

    from wegweiser.orchestrate.waits import next_local_time

    entry = journey.entry
    assert entry.every is not None
    if last is not None:
        return last + entry.every.total_seconds()
    if entry.at is None:
        return now
    return next_local_time(now - 3600, ZoneInfo(zone), entry.at)


def process_schedules(project: Project, runtime: Runtime) -> TriggerSummary:
    """Fire the ``schedule`` entries that are due: every person of the store whose
    snapshot meets ``when`` enters (under the re-entry rules)."""
    with paused_gc():  # a snapshot of every person of the store
        return _process_schedules(project, runtime)


def _process_schedules(project: Project, runtime: Runtime) -> TriggerSummary:
    summary = TriggerSummary()
    now = runtime.clock()
    due: list[Journey] = []
    with runtime.store.transaction() as tx:
        ticks = {r[0]: r[1] for r in tx.execute("SELECT journey, last_tick FROM wj_journeys")}
    for journey in runtime.journeys.values():
        if journey.entry.kind == "schedule" and now >= _next_tick(
            journey, ticks.get(journey.name), now, runtime.delivery.default_timezone
        ):
            due.append(journey)
    if not due:
        return summary
    events, identities = project.events(), project.identities()
    names = sorted({n for j in runtime.journeys.values() for n in j.event_names()})
    everyone = identities.select("person_id").distinct()
    with everyone.cache() as persons_t:
        mine = events_with_person(events, identities)
        current = current_phases(mine, list(project.config.phases))
        persons = with_scores(project, person_snapshots(
            mine, identities, persons_t, names, current,
            consent_trait=project.config.privacy.consent_trait))
    summary.persons = len(persons)
    entrants = [
        Entrant(journey.name, person, {"schedule": journey.name})
        for journey in due
        for person in persons.values()
        if journey.entry.when is None or evaluate(journey.entry.when, person, now=now)
    ]
    summary.entered = runtime.enter(entrants)
    with runtime.store.transaction() as tx:
        for journey in due:
            tick = _next_tick(journey, ticks.get(journey.name), now,
                              runtime.delivery.default_timezone)
            every = journey.entry.every.total_seconds()  # type: ignore[union-attr]
            tick += every * ((now - tick) // every)  # a worker down for days fires once
            tx.execute(
                "INSERT INTO wj_journeys (journey, paused, entrants, last_tick) "
                "VALUES (:j, 0, 0, :t) ON CONFLICT (journey) DO UPDATE SET last_tick = :t",
                {"j": journey.name, "t": tick},
            )
    for entrant in entrants:
        summary.by_journey[entrant.journey] = summary.by_journey.get(entrant.journey, 0) + 1
    return summary
