"""The numbers behind each page, from the Python API (one open project per call).

Every function takes an open :class:`~wegweiser.project.Project` (the page opens it with
``ctx.store()``) and returns plain values and DataFrames for the templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from wegweiser.analysis.result import to_frame

if TYPE_CHECKING:
    from wegweiser.analysis.attribution.compare import Comparison
    from wegweiser.analysis.funnels import FunnelResult
    from wegweiser.analysis.journey_map import JourneyMapResult
    from wegweiser.analysis.paths import PathsResult, SankeyResult
    from wegweiser.analysis.retention import RetentionResult
    from wegweiser.project import Project


def overview(project: Project) -> dict[str, Any]:
    """Headline figures, KPIs (repeat purchases, NPS, CSAT), persons per phase, data range."""
    from wegweiser.analysis.kpis import kpis

    head = project.overview()
    stats = project.stats()
    extra = kpis(project.journey(), feedback=project.config.feedback).as_dict()
    return {"figures": head.figures, "phases": head.phases, "kpis": extra, "stats": stats}


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


def journey_map(project: Project, *, by: str) -> JourneyMap:
    """The phases x touchpoints grid plus each person's phases step by step."""
    from wegweiser.analysis.journey_map import journey_map as build
    from wegweiser.analysis.paths import phase_flow

    config = project.config
    journey = project.journey()
    names = config.phase_names
    result = build(journey, phases=names, by=by, feedback=config.feedback)
    flow = phase_flow(journey)
    tips: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for row in result.top_events.to_dict("records"):
        tips.setdefault((str(row["phase"]), str(row["touchpoint"])), []).append(
            (str(row["event"]), int(row["events"])))
    return JourneyMap(result, flow, names, tips)


def funnel(project: Project, **options: Any) -> FunnelResult:
    """:func:`wegweiser.analysis.funnels.funnel` on the project's journey (``window`` in
    days when not given)."""
    from wegweiser.analysis.funnels import funnel as build

    options.setdefault("window", timedelta(days=project.config.windows.conversion_days))
    breakdown = options.get("breakdown")
    traits = None
    if breakdown and breakdown.startswith("trait:"):  # on the analyses' engine (Spark too)
        traits = project.traits(breakdown[len("trait:"):])
    return build(project.journey(), traits=traits, **options)


def paths(
    project: Project, *, start: str | None, end: str | None, by: str, top: int,
    max_length: int, collapse: bool, steps: int,
) -> tuple[PathsResult, SankeyResult]:
    """Top paths (from ``start`` and/or to ``end``) and the step-by-step flows."""
    from wegweiser.analysis import paths as analysis

    journey = project.journey()
    prep: dict[str, Any] = {"by": by, "collapse": collapse}
    tops = analysis.top_paths(journey, n=top, max_length=max_length, start=start, end=end,
                              **prep)
    flows = analysis.sankey(journey, steps=steps, start=start, **prep)
    return tops, flows


def attribution(
    project: Project, *, by: str, lookback_days: int, models: list[str]
) -> tuple[Comparison, bool]:
    """``models`` side by side (with costs when the project has any)."""
    from wegweiser.analysis.attribution import compare

    costs = project.costs()
    result = compare(project.journey(), models=list(models), by=by, lookback_days=lookback_days,
                     costs=costs)
    return result, costs is not None


def retention(project: Project, **options: Any) -> RetentionResult:
    from wegweiser.analysis.retention import retention as build

    return build(project.journey(), **options)


def quarantine(project: Project, *, reason: str | None, limit: int = 100) -> dict[str, Any]:
    """Counts by reason and the oldest ``limit`` quarantined rows (matching ``reason``)."""
    by_reason = project.quarantine_summary(limit=200)
    rows = project.quarantine(limit=limit, reason=reason or None)
    total = project.quarantine_count()
    events = project.event_count()  # where the events live: the lake on Spark
    return {"by_reason": by_reason, "rows": rows, "total": total, "events": events}
