"""The data behind each section of the report, gathered by calling the analyses.

:func:`gather` runs every analysis the report shows on a project and returns
:class:`ReportData`: the result objects (None where a section has no data, with the reason
in ``skipped``). Choices made here, so the report needs no options:

* **Funnel** -- :func:`default_funnel`: the shop funnel ``product_view -> add_to_cart ->
  checkout_started -> checkout_payment -> <conversion>`` with the steps that occur in the
  data, when at least two of the first four do; else, per configured phase before the
  conversion's phase, the phase's event reached by most persons, then the conversion event.
  Ordered, per person, ``windows.conversion_days``.
* **Phase flow** -- :func:`~wegweiser.analysis.paths.phase_flow`: a Sankey over each
  person's sequence of phases (events without a phase left out, repeats of a phase merged),
  from the first phase, 4 steps.
* **Paths** -- the 10 most frequent first 5 steps (repeats merged) and the 10 most frequent
  up-to-5-step paths ending at the person's first conversion.
* **Attribution** -- :data:`MODELS` side by side by channel, ``windows.attribution_lookback_days``,
  with ROAS from the store's costs when there are any.
* **Retention** -- cohorts by first event, per day (data spanning up to 3 weeks), week (up to
  6 months) or month, at most 12 periods.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wegweiser.analysis.paths import phase_flow
from wegweiser.analysis.registry import analyses
from wegweiser.analysis.result import to_frame, to_value
from wegweiser.errors import InvalidInput
from wegweiser.report._journeys import JourneysData, gather_journeys

if TYPE_CHECKING:
    from datetime import datetime

    import ibis.expr.types as ir
    import pandas as pd

    from wegweiser.analysis.attribution import Comparison
    from wegweiser.analysis.dropoffs import DropoffResult
    from wegweiser.analysis.funnels import FunnelResult
    from wegweiser.analysis.journey_map import JourneyMapResult
    from wegweiser.analysis.kpis import KpiResult
    from wegweiser.analysis.overview import Overview
    from wegweiser.analysis.paths import PathsResult, SankeyResult
    from wegweiser.analysis.registry import Analysis
    from wegweiser.analysis.result import Result
    from wegweiser.analysis.retention import RetentionResult
    from wegweiser.config import Config
    from wegweiser.project import Project

SHOP_FUNNEL = ("product_view", "add_to_cart", "checkout_started", "checkout_payment")
MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "markov",
          "shapley")
PATH_STEPS = 5
TOP_PATHS = 10


@dataclass
class ReportData:
    """Everything the report shows; a section's result is None when it was skipped, and
    ``skipped[section]`` then holds the i18n key of the reason."""

    name: str
    currency: str
    phases: list[str]
    first_event: datetime | None
    last_event: datetime | None
    overview: Overview
    stats: dict[str, Any]
    conversion_days: int = 30
    #: the project's ``conversion_events`` (named when no person converted)
    conversion_events: list[str] = field(default_factory=list)
    kpis: KpiResult | None = None
    journey_map: JourneyMapResult | None = None
    phase_flow: SankeyResult | None = None
    funnel: FunnelResult | None = None
    dropoffs: DropoffResult | None = None
    paths: PathsResult | None = None
    conversion_paths: PathsResult | None = None
    attribution: Comparison | None = None
    has_costs: bool = False
    retention: RetentionResult | None = None
    quarantine: pd.DataFrame | None = None
    #: the import history's totals and samples (:func:`import_quality`)
    imports: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: the registry's analyses that ask for a report section (``report=True``), in registry
    #: order, each with its result on the default parameters
    registered: list[tuple[Analysis[Any], Result]] = field(default_factory=list)
    #: the registered analyses this project lacks the data for, with the analysis's reason
    #: (its :class:`~wegweiser.errors.InvalidInput` on the default parameters)
    unavailable: list[tuple[Analysis[Any], str]] = field(default_factory=list)
    #: the section "Journeys" (None: the project has no journeys/)
    journeys: JourneysData | None = None

    @property
    def empty(self) -> bool:
        """True when the project has no persons (nothing to report)."""
        return not self.overview.figures.get("persons")


#: the sections gathered before the registered analyses (for the progress of a report)
STEPS = ("journey", "overview", "stats", "quarantine", "imports", "kpis", "journey_map",
         "phase_flow", "dropoffs", "funnel_steps", "funnel", "paths", "conversion_paths",
         "attribution", "retention")

#: ``progress(done, total, step)``: called before each step of :func:`gather`
Progress = Callable[[int, int, str], None]


def gather(project: Project, *, progress: Progress | None = None) -> ReportData:
    """Run the report's analyses on ``project`` (module docstring for the choices);
    ``progress`` hears of each step before it runs, and of ``render`` (``done == total``)
    at the end; steps a project skips are left out."""
    config = project.config
    timings: dict[str, float] = {}
    registered = [spec for spec in analyses().values() if spec.report]
    total = len(STEPS) + len(registered)

    done = [0]

    def timed(name: str, run: Callable[[], Any]) -> Any:
        if progress is not None:
            progress(min(done[0], total - 1), total, name)
        done[0] += 1
        started = time.perf_counter()
        try:
            return run()
        finally:
            timings[name] = round(time.perf_counter() - started, 3)

    journey = timed("journey", project.journey)
    overview = timed("overview", project.overview)
    stats = timed("stats", project.stats)
    bounds = to_frame(journey.aggregate(first=journey.timestamp.min(),
                                        last=journey.timestamp.max())).iloc[0]
    data = ReportData(
        name=config.name, currency=config.currency, phases=config.phase_names,
        first_event=_moment(bounds["first"]), last_event=_moment(bounds["last"]),
        overview=overview, stats=stats, conversion_days=config.windows.conversion_days,
        conversion_events=list(config.conversion_events), timings=timings,
    )
    data.quarantine = timed("quarantine", lambda: quarantine_reasons(project))
    data.imports = timed("imports", lambda: import_quality(project))
    if data.empty:
        return data
    run = project.analyse  # the registry: the same analyses, defaults and checks as every face
    data.kpis = timed("kpis", lambda: run("kpis"))
    if _has_phases(journey):
        data.journey_map = timed("journey_map", lambda: run("journey_map"))
        data.phase_flow = timed("phase_flow", lambda: phase_flow(journey))
        data.dropoffs = timed("dropoffs", lambda: run("dropoffs"))
    else:
        for key in ("journey_map", "phase_flow", "dropoffs"):
            data.skipped[key] = "map.no_phases"
    steps = timed("funnel_steps", lambda: default_funnel(journey, config))
    if len(steps) >= 2:
        data.funnel = timed("funnel", lambda: run("funnel", steps=steps))
    else:
        data.skipped["funnel"] = "funnel.none"
    data.paths = timed("paths", lambda: run("paths", top=TOP_PATHS, max_length=PATH_STEPS,
                                            collapse=True))
    conversions = int(overview.figures.get("conversions") or 0)
    if conversions and config.conversion_events:
        data.conversion_paths = timed("conversion_paths", lambda: run(
            "paths", top=TOP_PATHS, max_length=PATH_STEPS, collapse=True,
            end=config.conversion_events[0]))
        data.has_costs = project.has_costs()
        data.attribution = timed("attribution", lambda: run(
            "attribution", compare=True, models=list(MODELS)))
    else:
        data.skipped["attribution"] = "attribution.none"
    data.retention = timed("retention", lambda: run(
        "retention", period=retention_period(data.first_event, data.last_event)))
    if data.retention.cohorts.empty or data.retention.cohorts["period"].max() < 1:
        data.retention, data.skipped["retention"] = None, "retention.none"
    for spec in registered:
        try:
            result = timed(spec.name, functools.partial(spec.run, project))
        except InvalidInput as exc:  # e.g. lifetime value without purchases
            data.unavailable.append((spec, str(exc)))
            continue
        data.registered.append((spec, result))
    if (project.path / "journeys").is_dir():
        data.journeys = timed("journeys", lambda: gather_journeys(project))
    if progress is not None:
        progress(total, total, "render")
    return data


SAMPLE_ROWS = 10  # duplicates and warnings shown in the data-quality section


def import_quality(project: Project) -> dict[str, Any]:
    """Totals of the imports that stand (undone ones left out): ``imports``, ``duplicates``,
    ``negative_revenue``; up to :data:`SAMPLE_ROWS` of what was treated as a duplicate
    (``duplicate_sample``: source, line, first line, event, why) and of the imports'
    ``warnings``, newest imports first."""
    history = project.imports(limit=None, undone=False)
    out: dict[str, Any] = {"imports": len(history),
                           "duplicates": int(history["n_duplicates"].fillna(0).sum()),
                           "negative_revenue": 0, "duplicate_sample": [], "warnings": []}
    for source, details in zip(history["source"], history["details"], strict=True):
        if not isinstance(details, str) or not details:
            continue
        parsed = json.loads(details)
        out["negative_revenue"] += int(parsed.get("negative_revenue") or 0)
        for row in parsed.get("duplicate_sample") or []:
            out["duplicate_sample"].append({"source": str(source), **row})
        out["warnings"].extend(str(w) for w in parsed.get("warnings") or [])
    out["duplicate_sample"] = out["duplicate_sample"][:SAMPLE_ROWS]
    out["warnings"] = list(dict.fromkeys(out["warnings"]))[:SAMPLE_ROWS]
    return out


def default_funnel(journey: ir.Table, config: Config) -> list[str]:
    """The report's funnel steps (module docstring); [] when there is no conversion event."""
    if not config.conversion_events:
        return []
    goal = config.conversion_events[0]
    reach = to_frame(journey.group_by("event", "phase").agg(persons=journey.person_id.nunique()))
    present = set(reach["event"])
    if goal not in present:
        return []
    shop = [e for e in SHOP_FUNNEL if e in present]
    if len(shop) >= 2:
        return [*shop, goal]
    goal_phase = reach.loc[reach["event"] == goal, "phase"].iloc[0]
    steps = []
    for phase in config.phase_names:
        if phase == goal_phase:
            break
        here = reach[(reach["phase"] == phase) & (reach["event"] != goal)]
        if len(here):
            steps.append(str(here.sort_values(["persons", "event"],
                                              ascending=[False, True])["event"].iloc[0]))
    return [*steps, goal]


def retention_period(first: datetime | None, last: datetime | None) -> str:
    """``day`` for data spanning up to 3 weeks, ``week`` up to ~6 months, else ``month``."""
    if first is None or last is None:
        return "week"
    span = (last - first).days
    return "day" if span <= 21 else "week" if span <= 183 else "month"


def quarantine_reasons(project: Project, top: int = 10) -> pd.DataFrame:
    """Quarantined rows per reason (``reason``, ``rows``), most frequent first."""
    summary = project.quarantine_summary(limit=top)
    return summary[["reason", "n"]].rename(columns={"n": "rows"})


def _has_phases(journey: ir.Table) -> bool:
    return bool(to_value(journey.phase.notnull().any()))


def _moment(value: Any) -> datetime | None:
    import pandas as pd

    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    stamp: datetime = pd.Timestamp(value).to_pydatetime()
    return stamp
