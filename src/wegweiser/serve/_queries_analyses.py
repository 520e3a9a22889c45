"""The analyses of the query API: what each one computes from a project and its parameters.

Each ``@_analysis`` function takes the open :class:`~wegweiser.project.Project` and its
parameter model and returns a :class:`~wegweiser.analysis.result.Result`; the decorator
enters it in :data:`ANALYSES` with its route. Analysis modules are imported on first use,
as the CLI does, so that the server starts fast.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from wegweiser.analysis.result import Result
from wegweiser.errors import InvalidInput
from wegweiser.serve._queries_json import Tables
from wegweiser.serve._queries_params import (
    AttributionParams,
    ConversionParams,
    DropoffsParams,
    DropParams,
    FunnelParams,
    FunnelStepSpec,
    IdentityParams,
    JourneyMapParams,
    MergesParams,
    NoParams,
    Params,
    PathsParams,
    PhasesParams,
    QuarantineParams,
    ReplayParams,
    RetentionParams,
    SessionsParams,
    duration,
)
from wegweiser.serve.errors import ApiError

if TYPE_CHECKING:
    from wegweiser.analysis.attribution import AttributionModel
    from wegweiser.analysis.funnels import FunnelStep
    from wegweiser.project import Project

Compute = Callable[["Project", Any], Result]


@dataclass(frozen=True)
class Analysis:
    """One analysis of the API: ``POST /api/v1{path}`` (``GET`` with query parameters for
    the read-outs of the store)."""

    name: str
    params: type[Params]
    compute: Compute
    path: str
    summary: str
    method: Literal["GET", "POST"] = "POST"

    @property
    def description(self) -> str:
        return inspect.getdoc(self.compute) or self.summary


ANALYSES: dict[str, Analysis] = {}


def _analysis(
    name: str,
    params: type[Params],
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
@_analysis("overview", NoParams, "Headline figures and persons per current phase")
def _overview(project: Project, p: NoParams) -> Result:
    """Persons, events, channels, conversions, conversion rate, revenue, average order value
    (table ``figures``, one row) and persons per current phase (``phases``)."""
    o = project.overview()
    return Tables({"figures": pd.DataFrame([o.figures]), "phases": o.phases})


@_analysis("kpis", NoParams, "Repeat purchases, NPS and CSAT")
def _kpis(project: Project, p: NoParams) -> Result:
    """Repeat-purchase rate, NPS and CSAT with their counts (one row)."""
    from wegweiser.analysis.kpis import kpis

    return kpis(project.journey(), feedback=project.config.feedback)


@_analysis(
    "journey_map", JourneyMapParams, "Phases x touchpoints: volume, conversion, satisfaction"
)
def _journey_map(project: Project, p: JourneyMapParams) -> Result:
    """The journey map: per cell (phase, touchpoint) persons, events, conversion and
    satisfaction (``cells``), the same per phase and per touchpoint, and the top events of
    each cell."""
    from wegweiser.analysis.journey_map import journey_map

    names = [phase.name for phase in project.config.phases] or None
    return journey_map(
        project.journey(),
        phases=names,
        by=p.by,
        feedback=project.config.feedback,
        top_events=p.top_events,
    )


@_analysis("stats", NoParams, "Store counts", method="GET")
def _stats(project: Project, p: NoParams) -> Result:
    """Events, persons, ids, merges, quarantined rows, channels, event names, date range
    (``stats``, one row) and events per type (``types``)."""
    stats = project.stats()
    types: dict[str, int] = stats.pop("types")
    frame = pd.DataFrame({"type": list(types), "events": list(types.values())})
    return Tables({"stats": pd.DataFrame([stats]), "types": frame})


@_analysis("sessions", SessionsParams, "Sessions: counts, durations, channels, devices")
def _sessions(project: Project, p: SessionsParams) -> Result:
    """Sessions: a person's run of events with no pause longer than the gap. Tables summary,
    by_channel, by_device, durations and sessions (the earliest ``limit``)."""
    from wegweiser.analysis.sessions import sessions

    return sessions(project.journey(), gap=duration(p.gap), limit=p.limit)


@_analysis("phases", PhasesParams, "Phases now and over time, transitions, dwell, stuck")
def _phases(project: Project, p: PhasesParams) -> Result:
    """Phases: current, over_time, transitions, dwell, nonlinear and stuck (the first
    ``limit``); with view ``episodes`` each person's phase episodes instead."""
    from wegweiser.analysis.phases import phase_analysis, phase_timeline

    moment = _moment(p.as_of)
    journey, phases = project.journey(), list(project.config.phases)
    if moment is not None:
        journey = journey.filter(journey.timestamp <= moment)
    if p.view == "episodes":
        return phase_timeline(journey, phases, persons=p.person or None, limit=p.limit or None)
    days = project.config.windows.stuck_days if p.stuck_days is None else p.stuck_days
    result = phase_analysis(journey, phases, as_of=moment, stuck_days=days, period=p.period)
    if p.limit:
        result = dataclasses.replace(result, stuck=result.stuck.head(p.limit))
    return result


@_analysis("paths", PathsParams, "Transitions, top paths, Sankey flows, step matrix, pattern")
def _paths(project: Project, p: PathsParams) -> Result:
    """Where people go. view transitions (edges, nodes), top (paths), sankey (links, nodes),
    steps (matrix, counts) or match (summary, matches)."""
    from wegweiser.analysis import paths as analysis
    from wegweiser.commands.paths import parse_groups

    view = p.view or ("match" if p.pattern is not None else "top")
    for name, allowed in (
        ("start", ("top", "sankey", "steps")),
        ("end", ("top",)),
        ("steps", ("sankey", "steps")),
        ("pattern", ("match",)),
    ):
        if getattr(p, name) is not None and view not in allowed:
            raise InvalidInput(
                f"{name} does not apply to view {view}; use it with view {', '.join(allowed)}"
            )
    prep: dict[str, Any] = {
        "groups": parse_groups(p.group),
        "exclude": p.exclude,
        "collapse": p.collapse,
        "by": p.by,
    }
    journey = project.journey()
    if view == "transitions":
        return analysis.transitions(journey, **prep)
    if view == "top":
        return analysis.top_paths(
            journey, n=p.top, max_length=p.max_length, start=p.start, end=p.end, **prep
        )
    if view == "sankey":
        return analysis.sankey(journey, steps=p.steps or 5, start=p.start, **prep)
    if view == "steps":
        return analysis.step_matrix(journey, max_steps=p.steps or 10, start=p.start, **prep)
    if p.pattern is None:
        raise InvalidInput("view match needs a pattern, e.g. 'a -> * -> b'")
    return analysis.match_pattern(journey, p.pattern, **prep)


@_analysis("funnel", FunnelParams, "Funnel: step counts, breakdown, time to convert")
def _funnel(project: Project, p: FunnelParams) -> Result:
    """Units through the steps: steps, breakdown, time_to_convert, histogram,
    by_entry_date, reached; with ``dropped`` also the units that reached step dropped-1 but
    not step dropped (table ``dropped``)."""
    from wegweiser.analysis.funnels import dropped_off, funnel
    from wegweiser.commands.funnel import _step_windows

    steps = _funnel_steps(p)
    windows = _step_windows(p.step_window, len(steps))
    window = duration(p.window)
    if window is None:
        window = timedelta(days=project.config.windows.conversion_days)
    journey = project.journey()
    traits = None
    if p.breakdown is not None and p.breakdown.startswith("trait:"):
        from wegweiser.analysis._funnel_traits import identify_traits

        con = project.engine.ibis()
        traits = identify_traits(
            con.table("events"), con.table("identities"), p.breakdown[len("trait:") :]
        )
    options: dict[str, Any] = {
        "mode": p.mode,
        "window": window,
        "step_windows": windows,
        "exclude": p.exclude,
        "by": p.by,
    }
    result = funnel(
        journey, steps, breakdown=p.breakdown, attribution=p.attribution, traits=traits, **options
    )
    if p.dropped is None:
        return result
    if p.dropped > len(steps):
        raise InvalidInput(f"dropped {p.dropped}: the funnel has steps 1..{len(steps)}")
    frame = dropped_off(journey, steps, step=p.dropped, limit=p.limit or None, **options)
    return Tables({**result.tables(), "dropped": frame}, params=result.params)


def _funnel_steps(p: FunnelParams) -> list[FunnelStep]:
    """The steps from names/objects plus the CLI-style ``where`` filters."""
    from wegweiser.analysis.funnels import FunnelStep
    from wegweiser.commands.funnel import _steps_with_filters

    names = [s if isinstance(s, str) else s.event for s in p.steps]
    steps = _steps_with_filters(names, p.where)
    out = []
    for step, spec in zip(steps, p.steps, strict=True):
        if isinstance(spec, FunnelStepSpec):
            where = {**(step.where or {}), **(spec.where or {})} or None
            step = FunnelStep(spec.event, where=where, within=duration(spec.within))
        out.append(step)
    return out


@_analysis("conversion", ConversionParams, "Conversion rate and what it takes to convert")
def _conversion(project: Project, p: ConversionParams) -> Result:
    """Conversion rate (summary), what it takes to convert (what_it_takes), channel mix
    (by_channel_mix) and touchpoints before converting (distribution)."""
    from wegweiser.analysis.conversion import conversion

    return conversion(project.journey(), events=p.events or None, lookback=duration(p.lookback))


@_analysis("retention", RetentionParams, "Cohort retention, churn and lifecycle states")
def _retention(project: Project, p: RetentionParams) -> Result:
    """Retention by cohort (cohorts), churn per period (churn), lifecycle states per period
    (lifecycle)."""
    from wegweiser.analysis.retention import retention

    return retention(
        project.journey(),
        cohort_by=p.cohort,
        period=p.period,
        kind=p.kind,
        return_event=p.return_event or None,
        max_periods=p.max_periods,
    )


@_analysis("dropoffs", DropoffsParams, "Drop-offs per phase, where the lost went, loops")
def _dropoffs(project: Project, p: DropoffsParams) -> Result:
    """Persons lost per phase (by_phase), where they went instead (where_instead) and loops
    ranked as pain points (loops)."""
    from wegweiser.analysis.dropoffs import dropoffs

    result = dropoffs(project.journey(), list(project.config.phases), by=p.by, top=p.top or 5)
    return dataclasses.replace(result, loops=result.loops.head(p.top or 10))


@_analysis("attribution", AttributionParams, "Multi-touch attribution: one model or all")
def _attribution(project: Project, p: AttributionParams) -> Result:
    """Credit conversions and revenue to channels or campaigns: one model (credits; Markov
    adds removal_effects, transition_matrix, flows; Shapley shapley_values) or, with
    ``compare``, all side by side (table, credits). With imported costs: ROAS, CPA, ROI.
    Path-based credit is not incrementality (see notes)."""
    from wegweiser.analysis.attribution import DEFAULT_MODELS, attribution, compare

    costs = None
    if project.engine.scalar("SELECT count(*) FROM costs"):
        costs = project.engine.ibis().table("costs")
    lookback = p.lookback_days or project.config.windows.attribution_lookback_days
    journey = project.journey()
    if p.compare:
        models: list[str | AttributionModel] = [
            _estimator(name, p) for name in (p.models or DEFAULT_MODELS)
        ]
        return compare(
            journey,
            models=models,
            by=p.by,
            lookback_days=lookback,
            costs=costs,
            metric=p.metric,
            n_bootstrap=p.bootstrap,
            random_state=p.seed,
        )
    est = _estimator(p.model, p).set_params(n_bootstrap=p.bootstrap, random_state=p.seed)
    return attribution(journey, model=est, by=p.by, lookback_days=lookback, costs=costs)


def _estimator(name: str, p: AttributionParams) -> AttributionModel:
    from wegweiser.analysis.attribution import make_model

    options: dict[str, Any] = {}
    if name == "markov":
        options["order"] = p.order
    if name == "time_decay":
        options["half_life"] = p.half_life
    if name == "position_based" and p.position:
        first, last = [*p.position, 0.0, 0.0][:2]
        options.update(first=first, last=last)
    if name == "last_non_direct":
        options["direct"] = tuple(p.direct)
    if name == "custom":
        if not p.weights:
            raise InvalidInput(
                "model custom needs weights, e.g. [0.7, 0.2, 0.1] (from the conversion backwards)"
            )
        options["weights"] = tuple(p.weights)
    return make_model(name, **options)


@_analysis("quarantine", QuarantineParams, "Quarantined rows", method="GET")
def _quarantine(project: Project, p: QuarantineParams) -> Result:
    """Rows rejected on import or collection, oldest first: source, line, reason, the raw
    payload and how often they were replayed."""
    from wegweiser.events.quarantine import list_quarantine

    frame = list_quarantine(project.engine, limit=p.limit, reason=p.reason, source=p.source)
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


def _moment(text: str | None) -> datetime | None:
    from wegweiser.commands.phases import parse_moment

    if text is None:
        return None
    try:
        return parse_moment(text, what="as_of")
    except OverflowError:
        raise InvalidInput(f"as_of {text!r} is out of range; use a date like 2026-10-31") from None
