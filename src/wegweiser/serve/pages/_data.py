"""The numbers behind each page, from the analysis registry (one open project per call).

Every function takes an open :class:`~wegweiser.project.Project` and returns results, plain
values and DataFrames for the templates. A page runs one of them in the query pool,
``ctx.query(_data.overview)`` (:meth:`~wegweiser.serve.context.ServerContext.query`): in a
worker process, on the read snapshot of the store, with the server's time limit; so they are
module-level functions with picklable arguments and results. The analyses run through
:meth:`~wegweiser.project.Project.analyse` with their parameter models, exactly as the CLI
and the API run them (defaults from ``wegweiser.toml`` included). An
:class:`~wegweiser.errors.InvalidInput` a page shows in its form comes back as the page's
``error`` value instead of being raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.analysis.attribution.compare import Comparison
    from wegweiser.analysis.funnels import FunnelResult
    from wegweiser.analysis.journey_map import JourneyMapResult
    from wegweiser.analysis.paths import PathsResult, SankeyResult
    from wegweiser.analysis.person import PersonJourney
    from wegweiser.analysis.result import Result
    from wegweiser.analysis.retention import RetentionResult
    from wegweiser.project import Project


def overview(project: Project, options: dict[str, Any] | None = None,
             period: str = "day") -> dict[str, Any]:
    """Headline figures, KPIs (repeat purchases, NPS, CSAT), persons per phase, data range
    and the trend (:mod:`wegweiser.analysis.trends` per ``period``), all within the scope
    ``options`` (fields of :class:`~wegweiser.analysis.scope.Scope`; None: all data)."""
    from wegweiser.analysis.overview import scoped_overview

    options = options or {}
    trend = project.analyse("trends", {**options, "period": period})
    head = scoped_overview(project, options)
    stats = project.stats()
    extra = project.analyse("kpis", options).as_dict()
    return {"figures": head.figures, "phases": head.phases, "kpis": extra, "stats": stats,
            "currency": project.config.currency, "trend": trend,
            # no event is a conversion event: every conversion figure is 0, say why
            "no_conversion_event": bool(project.conversion_hint()),
            "conversion_events": ", ".join(project.config.conversion_events) or "-"}


def export_table(project: Project, name: str, body: dict[str, Any], table: str
                 ) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows (JSON values) of the table ``table`` of the API's answer to
    ``name`` with ``body`` (:func:`wegweiser.serve.api.queries.run`)."""
    from wegweiser.serve.api.queries import run, table_records

    tables = run(project, name, body).tables()
    if table not in tables:
        raise InvalidInput(f"{name} gives no table {table!r} with these options; it gives "
                           f"{', '.join(tables) or 'none'}")
    frame = tables[table]
    return [str(c) for c in frame.columns], table_records(frame)


def event_names(project: Project, limit: int = 500) -> list[str]:
    """Event names of the project, most frequent first (for pickers)."""
    journey = project.journey()
    frame = to_frame(journey.group_by("event").agg(n=journey.count()))
    frame = frame.sort_values(["n", "event"], ascending=[False, True]).head(limit)
    return [str(e) for e in frame["event"] if e is not None]


@dataclass
class JourneyMap:
    result: JourneyMapResult
    flow: SankeyResult
    phases: list[str]
    tips: dict[tuple[str, str], list[tuple[str, int]]] = field(default_factory=dict)


def journey_map(project: Project, *, by: str, options: dict[str, Any] | None = None
                ) -> JourneyMap:
    """The phases x touchpoints grid plus each person's phases step by step, within the
    scope ``options`` (fields of :class:`~wegweiser.analysis.scope.Scope`)."""
    from wegweiser.analysis.paths import phase_flow
    from wegweiser.analysis.scope import Scope, scoped

    options = options or {}
    result = project.analyse("journey_map", {**options, "by": by})
    journey = scoped(project, Scope.model_validate(options)).journey() if options \
        else project.journey()
    flow = phase_flow(journey)
    names = project.config.phase_names
    tips: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for row in result.top_events.to_dict("records"):
        tips.setdefault((str(row["phase"]), str(row["touchpoint"])), []).append(
            (str(row["event"]), int(row["events"])))
    return JourneyMap(result, flow, names, tips)


def funnel(project: Project, options: dict[str, Any]) -> FunnelResult:
    """The funnel analysis with ``options`` (fields of its parameter model)."""
    result: FunnelResult = project.analyse("funnel", options)
    return result


def paths(project: Project, options: dict[str, Any], *, steps: int
          ) -> tuple[PathsResult, SankeyResult]:
    """Top paths (``options``: fields of the paths model) and the step-by-step flows."""
    tops: PathsResult = project.analyse("paths", {**options, "view": "top"})
    flow_options = {k: v for k, v in options.items() if k not in ("end", "top", "max_length")}
    flows: SankeyResult = project.analyse("paths", {**flow_options, "view": "sankey",
                                                    "steps": steps})
    return tops, flows


def attribution(project: Project, options: dict[str, Any]) -> tuple[Comparison, bool, str]:
    """Models side by side (``options``: fields of the attribution model), whether the
    project has costs, and its currency."""
    result: Comparison = project.analyse("attribution", {**options, "compare": True})
    return result, project.has_costs(), project.config.currency


def retention(project: Project, options: dict[str, Any]) -> RetentionResult:
    result: RetentionResult = project.analyse("retention", options)
    return result


def quarantine(project: Project, *, reason: str | None, limit: int = 100) -> dict[str, Any]:
    """Counts by reason and the oldest ``limit`` quarantined rows (matching ``reason``)."""
    by_reason = project.quarantine_summary(limit=200)
    rows = project.quarantine(limit=limit, reason=reason or None)
    total = project.quarantine_count()
    events = project.event_count()  # where the events live: the lake on Spark
    return {"by_reason": by_reason, "rows": rows, "total": total, "events": events}


def with_events(project: Project, fn: str, *args: Any, **kwargs: Any
                ) -> tuple[list[str], Any, str | None]:
    """The event names (for the page's pickers) and ``fn(project, ...)`` of this module,
    or its :class:`~wegweiser.errors.InvalidInput` message."""
    events = event_names(project)
    try:
        return events, globals()[fn](project, *args, **kwargs), None
    except InvalidInput as exc:
        return events, None, str(exc)


def funnel_page(project: Project, options: dict[str, Any] | None
                ) -> tuple[list[str], FunnelResult | None, str | None, str]:
    """Event names, the funnel (None without ``options``) or its error, default window."""
    window = f"{project.config.windows.conversion_days}d"
    if options is None:
        return event_names(project), None, None, window
    events, result, error = with_events(project, "funnel", options)
    return events, result, error, window


def analysis(project: Project, name: str, given: dict[str, Any]) -> tuple[Result, str]:
    """The registered analysis ``name`` with the page's values ``given`` (validated here, in
    the worker: a model the registry extends is made at run time and does not pickle), and
    the currency."""
    from wegweiser.analysis import registry

    spec = registry.get(name)
    return spec.run(project, spec.validate(given)), project.config.currency


def journeys(project: Project
             ) -> tuple[list[dict[Any, Any]], list[dict[Any, Any]], list[dict[Any, Any]]]:
    """Status per journey, the sends in state ``unknown``, and messages per step (sent,
    opened, clicked)."""
    from wegweiser.serve.api import queries

    status = queries.run(project, "journeys").tables()["journeys"].to_dict("records")
    unknown = queries.run(project, "journey_ledger", {"state": "unknown"}).tables()[
        "ledger"].to_dict("records")
    steps = queries.run(project, "journey_steps").tables()["steps"].to_dict("records")
    return status, unknown, steps


def journey_readouts(project: Project) -> list[dict[Any, Any]]:
    """The readout block of the journeys page: per journey in ``journeys/`` its readout
    rows (uplift against the holdout), and the global control group's; journeys nobody
    entered are left out."""
    from wegweiser.serve.api import queries

    names = queries.run(project, "journeys").tables()["journeys"]
    rows: list[dict[Any, Any]] = []
    for name in names.loc[names["in_files"].astype(bool), "journey"] if not names.empty else []:
        found = queries.run(project, "journey_readout", {"journey": name}).tables()["summary"]
        rows += [dict(r) for r in found.to_dict("records")]
    if rows:
        ctl = queries.run(project, "journey_readout", {"control_group": True}).tables()
        rows += [dict(r) for r in ctl["summary"].to_dict("records")]
    return rows


def person(project: Project, any_id: str, *, limit: int = 2_000) -> PersonJourney:
    """One person's journey with the journeys' send ledger rows for them
    (:class:`~wegweiser.errors.UnknownPerson` when no person has the id)."""
    from wegweiser.orchestrate.operations import person_sends

    journey = project.person(any_id, limit=limit)
    return journey.with_sends(person_sends(project.path, journey.person_id))


def find_persons(project: Project, query: str) -> Any:
    """Persons matching ``query`` (``person_id``, ``matched``, ``kind``), for the search."""
    return project.find_persons(query)


PAGE_DRY_RUN_DAYS, PAGE_DRY_RUN_PERSONS = 30, 300
"""The dry run a journey page shows when the journey never ran (bounded: a page request)."""


def journey_page(project: Project, name: str, lang: str) -> dict[str, Any]:
    """One journey's page: its flow as SVG (from the journey state, or from a bounded dry run
    when the journey never ran), the readout against its holdout (when it has entrants) and
    the ledger's latest rows."""
    from wegweiser.orchestrate.flows import flow
    from wegweiser.orchestrate.operations import ledger
    from wegweiser.present.flowchart import flow_svg
    from wegweiser.serve.api._store import _journey_named, _journey_state

    journey = _journey_named(project, name)
    _, store = _journey_state(project)
    with store:
        found = flow(store, journey)
        rows = ledger(store, journey=name, limit=20)
    simulated = None
    if found.node("<entry>").count + found.control == 0:
        from wegweiser.orchestrate.simulate import dry_run

        sim = dry_run(project, days=PAGE_DRY_RUN_DAYS, max_persons=PAGE_DRY_RUN_PERSONS,
                      assume_reachable=True)
        found, simulated = sim.flows[name], PAGE_DRY_RUN_DAYS
    readout, note = None, None
    if simulated is None:
        readout, note = _readout(project, name)
    return {"journey": name, "description": journey.description,
            "svg": flow_svg(found.nodes, found.edges, lang=lang, title=name),
            "simulated": simulated, "ledger": rows, "readout": readout, "note": note}


def _readout(project: Project, name: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    """The journey's readout as ``wegweiser journeys readout`` computes it (14-day window)."""
    from wegweiser.errors import WegweiserError
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys
    from wegweiser.orchestrate.readouts import journey_readout
    from wegweiser.serve.api._store import _journey_state

    journeys, _ = load_journeys(project.path / JOURNEYS_DIR,
                                       phases=project.config.phase_names)
    journey = next(j for j in journeys if j.name == name)
    _, store = _journey_state(project)
    try:
        with store:
            result = journey_readout(project.journey(), store, journey)
    except WegweiserError as exc:
        return None, str(exc)
    summary = result.summary.astype(object).where(result.summary.notna(), None)
    rows = [{str(k): v for k, v in r.items()} for r in summary.to_dict("records")]
    return rows, "; ".join(result.notes) or None
