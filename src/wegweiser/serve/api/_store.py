"""The store read-outs of the query API: what each computes from a project.

The analyses come from the registry (:mod:`wegweiser.analysis.registry`); these are the
project's own figures and bookkeeping: overview, stats, quarantine, identity links. Each
``@_analysis`` function takes the open :class:`~wegweiser.project.Project` and its parameter
model and returns a :class:`~wegweiser.analysis.result.Result`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel

from wegweiser.analysis.result import Result, Tables
from wegweiser.errors import InvalidInput
from wegweiser.serve.api._params import (
    DropParams,
    FlowParams,
    IdentityParams,
    LedgerParams,
    MergesParams,
    NoParams,
    OverviewParams,
    PersonParams,
    PersonSearchParams,
    QuarantineParams,
    ReadoutParams,
    ReplayParams,
    SimulateParams,
    StepsParams,
)
from wegweiser.serve.errors import ApiError

if TYPE_CHECKING:
    from wegweiser.project import Project

Compute = Callable[["Project", Any], Result]


@dataclass(frozen=True)
class Analysis:
    """One route of the API: ``POST /api/v1{path}`` (``GET`` with query parameters for
    the read-outs of the store)."""

    name: str
    params: type[BaseModel]
    compute: Compute
    path: str
    summary: str
    method: Literal["GET", "POST"] = "POST"
    description: str = ""

    def __post_init__(self) -> None:
        if not self.description:
            object.__setattr__(self, "description", inspect.getdoc(self.compute) or self.summary)


ANALYSES: dict[str, Analysis] = {}


def _analysis(
    name: str,
    params: type[BaseModel],
    summary: str,
    *,
    path: str | None = None,
    method: Literal["GET", "POST"] = "POST",
) -> Callable[[Compute], Compute]:
    def register(compute: Compute) -> Compute:
        ANALYSES[name] = Analysis(
            name, params, compute, path or f"/{name.replace('_', '-')}", summary, method
        )
        return compute

    return register


# -- the analyses ---------------------------------------------------------------------------
@_analysis("overview", OverviewParams, "Headline figures and persons per current phase")
def _overview(project: Project, p: OverviewParams) -> Result:
    """Persons, events, channels, conversions, conversion rate, revenue, average order value
    (table ``figures``, one row) and persons per current phase (``phases``), within the
    date range, filters and segment given (as every analysis of the journey)."""
    from wegweiser.analysis.overview import scoped_overview

    o = scoped_overview(project, p.model_dump(exclude_unset=True))
    return Tables({"figures": pd.DataFrame([o.figures]), "phases": o.phases})


@_analysis("stats", NoParams, "Store counts", method="GET")
def _stats(project: Project, p: NoParams) -> Result:
    """Events, persons, ids, merges, quarantined rows, channels, event names, date range
    (``stats``, one row) and events per type (``types``)."""
    stats = project.stats()
    types: dict[str, int] = stats.pop("types")
    frame = pd.DataFrame({"type": list(types), "events": list(types.values())})
    return Tables({"stats": pd.DataFrame([stats]), "types": frame})


@_analysis("quarantine", QuarantineParams, "Quarantined rows", method="GET")
def _quarantine(project: Project, p: QuarantineParams) -> Result:
    """Rows rejected on import or collection, oldest first: source, line, reason, the raw
    payload and how often they were replayed."""
    frame = project.quarantine(limit=p.limit, reason=p.reason, source=p.source)
    return Tables({"quarantine": frame})


@_analysis(
    "merges",
    MergesParams,
    "Identity links and whether they merged",
    path="/identities/merges",
    method="GET",
)
def _merges(project: Project, p: MergesParams) -> Result:
    """Links between ids (a row with both ids, identify, alias) with their verdict (merged
    or refused) and reason."""
    return Tables({"merges": project.merges(limit=p.limit, status=p.status)})


@_analysis(
    "identity", IdentityParams, "The person an id belongs to", path="/identities/{id}", method="GET"
)
def _identity(project: Project, p: IdentityParams) -> Result:
    """The ``person_id`` of an anonymous id or user id (404 when the id is unknown)."""
    person = project.person_of(p.id)
    if person is None:
        raise ApiError(404, f"id {p.id!r} is not in the store", code="unknown_id")
    return Tables({"identity": pd.DataFrame([{"id": p.id, "person_id": person}])})


@_analysis("persons", PersonSearchParams, "Find persons by id or email", method="GET")
def _persons(project: Project, p: PersonSearchParams) -> Result:
    """Persons whose person_id, stitched anonymous or user id, or email trait is ``q``
    (else whose ids start with it, at least 3 characters): ``person_id``, ``matched``,
    ``kind``; exact matches first."""
    return Tables({"persons": project.find_persons(p.q, limit=p.limit)})


@_analysis("person", PersonParams, "One person's journey", path="/persons/{id}", method="GET")
def _person(project: Project, p: PersonParams) -> Result:
    """Everything about one person (any of their ids or an email trait): ``summary``,
    ``timeline`` (every touchpoint, the latest ``limit``), ``ids``, ``devices``,
    ``phases`` over time, ``conversions``, ``feedback``, ``messages`` (message events)
    and ``sends`` (the journeys' send ledger); 404 when no person has the id.
    Definitions: :mod:`wegweiser.analysis.person`."""
    from wegweiser.orchestrate.operations import person_sends

    # roles (the privacy issue): a person's journey is personal data; restrict it here
    # to the roles allowed to see persons once roles exist
    journey = project.person(p.id, limit=p.limit)
    return journey.with_sends(person_sends(project.path, journey.person_id))


@_analysis("journeys", NoParams, "Journeys: state, entrants, runs and messages",
           method="GET")
def _journeys(project: Project, p: NoParams) -> Result:
    """Per journey (files in ``journeys/`` and journeys with state): paused, entrants, runs
    by status, deferred and parked runs, messages by ledger state (``msg_unknown``: sends a
    crash left undecided, never resent automatically). See docs/journeys.md."""
    from wegweiser.orchestrate.operations import status

    names, store = _journey_state(project)
    with store:
        rows = status(store, names)
    return Tables({"journeys": pd.DataFrame(rows, columns=_columns(rows, ["journey"]))})


@_analysis("journey_ledger", LedgerParams, "The send ledger of the journeys",
           path="/journeys/ledger", method="GET")
def _ledger(project: Project, p: LedgerParams) -> Result:
    """One row per intended message and what became of it (pending, sending, sent,
    unknown, failed, suppressed, dropped, holdout), newest first."""
    from wegweiser.orchestrate.operations import ledger

    _, store = _journey_state(project)
    with store:
        rows = ledger(store, state=p.state, journey=p.journey, limit=p.limit)
    return Tables({"ledger": pd.DataFrame(rows, columns=_columns(rows, ["key", "state"]))})


@_analysis("journey_steps", StepsParams, "Messages per journey step: sent, opened, clicked",
           path="/journeys/steps", method="GET")
def _steps(project: Project, p: StepsParams) -> Result:
    """Per journey, step, channel and variant: messages sent (``sent`` or ``unknown`` in the
    ledger), opened and clicked (messages with an opening or a click, counted by the
    server's open pixel and click redirect), all clicks, and open and click rates."""
    from wegweiser.orchestrate.tracking import per_step

    _, store = _journey_state(project)
    with store:
        rows = per_step(store, p.journey)
    return Tables({"steps": pd.DataFrame(rows, columns=STEP_COLUMNS)})


@_analysis("journey_readout", ReadoutParams,
           "A journey's readout: uplift against its holdout with always-valid intervals",
           path="/journeys/readout", method="GET")
def _readout(project: Project, p: ReadoutParams) -> Result:
    """Per journey (or per variant): entrants, treated persons, holdout and control group
    sizes, conversion (the journey's goal) and revenue per person, the uplift against the
    holdout with its always-valid 95% interval and decision (``summary``); messages per step
    (``steps``); the send-time experiment, best time against fallback (``send_time``). With
    ``control_group``: the global control group against everyone else who entered a
    journey. See docs/journeys.md, Readouts."""
    from datetime import timedelta

    from wegweiser.orchestrate.readouts import project_readout

    out = project_readout(project, p.journey, by=p.by, control_group=p.control_group,
                          window=timedelta(days=p.window_days))
    return Tables({"summary": out.summary, "steps": out.steps, "send_time": out.send_time},
                  note="; ".join(out.notes))
@_analysis("journey_simulation", SimulateParams, "A dry run of the journeys on the last days",
           path="/journeys/simulate", method="GET")
def _simulation(project: Project, p: SimulateParams) -> Result:
    """Replays the store's last ``days`` through the journeys on a throwaway state with a
    simulated clock (nothing is sent, the journey state is not touched): ``steps`` (messages
    per journey and step; suppressed, dropped, holdout), ``entrants`` per journey and the
    first ``limit`` ``messages`` (who, when, what). See docs/journeys.md, Dry run."""
    from wegweiser.orchestrate.simulate import dry_run

    sim = dry_run(project, days=p.days, max_persons=p.max_persons,
                  assume_reachable=p.assume_reachable)
    entrants = pd.DataFrame(list(sim.entrants.items()), columns=["journey", "entrants"])
    return Tables({"steps": sim.steps, "entrants": entrants,
                   "messages": sim.messages.head(p.limit)})


@_analysis("journey_flow", FlowParams, "A journey's flow: runs per step and edge",
           path="/journeys/flow", method="GET")
def _flow(project: Project, p: FlowParams) -> Result:
    """The runs that reached each step of the journey (``nodes``: ``<entry>``, the steps in
    file order, ``<end>``, ``<exited>``; ``waiting``: runs at the step now) and moved along
    each edge (``edges``), from the journey state."""
    from wegweiser.orchestrate.flows import flow

    journey = _journey_named(project, p.journey)
    _, store = _journey_state(project)
    with store:
        found = flow(store, journey)
    return Tables({
        "nodes": pd.DataFrame([vars(n) for n in found.nodes],
                              columns=["id", "kind", "count", "waiting", "detail"]),
        "edges": pd.DataFrame([vars(e) for e in found.edges], columns=["src", "dst", "count"]),
    })


def _journey_named(project: Project, name: str) -> Any:
    """The journey ``name`` of the project's files; an error with the names it has."""
    import difflib

    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys

    folder = project.path / JOURNEYS_DIR
    journeys = load_journeys(folder, phases=project.config.phase_names)[0] if (
        folder.is_dir()) else []
    by_name = {j.name: j for j in journeys}
    if name not in by_name:
        close = difflib.get_close_matches(name, list(by_name), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ApiError(404, f"no journey {name!r} in journeys/; the project has "
                       f"{', '.join(sorted(by_name)) or 'none'}.{hint}")
    return by_name[name]


STEP_COLUMNS = ["journey", "step", "channel", "variant", "sent", "opened", "clicked", "clicks",
                "open_rate", "click_rate"]


def _journey_state(project: Project) -> tuple[list[str], Any]:
    """The names of the project's journey files and its journey state store."""
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys
    from wegweiser.orchestrate.state import open_state

    folder = project.path / JOURNEYS_DIR
    names: list[str] = []
    if folder.is_dir():
        journeys, _ = load_journeys(folder, phases=project.config.phase_names)
        names = [j.name for j in journeys]
    return names, open_state(state_target(project.path), project_dir=project.path)


def _columns(rows: list[dict[str, Any]], least: list[str]) -> list[str]:
    return list(rows[0]) if rows else least


def replay(project: Project, p: ReplayParams) -> dict[str, int]:
    """Import quarantined rows again with the current config (``wegweiser quarantine
    replay``)."""
    summary, skipped = project.replay_quarantine(mapping=p.mapping, reason=p.reason)
    return {**summary.as_dict(), "not_replayable": skipped}


def drop(project: Project, p: DropParams) -> dict[str, int]:
    """Delete quarantined rows for good (``wegweiser quarantine drop``)."""
    if p.reason is None and p.ids is None and not p.all:
        raise InvalidInput("say which rows to drop: reason, ids, or all=true for every row")
    return {"dropped": project.drop_quarantine(reason=p.reason, ids=p.ids)}


