"""Funnels: how many people (or sessions) go through a list of steps, where they drop out,
and how long they take.

Definitions (the CLI's ``--help`` repeats them):

* **Unit.** ``by="person"`` counts stitched persons over their whole journey;
  ``by="session"`` counts sessions, and the whole funnel must happen within one session.
* **Order of events.** A unit's events are ordered by ``seq`` (timestamp, then
  ``message_id``); "after" means a strictly higher ``seq``, so equal timestamps are allowed
  and ordered by ``message_id``. One event never counts for two steps of an ordered funnel.
* **Step match.** An event matches a step when its name equals the step's event and every
  ``where`` property of the step equals the event's JSON property (as text: a string by its
  value, a number or boolean by its JSON text).
* **Attempts** (``entry="any"``, the default, as PostHog's funnels, ClickHouse's
  ``windowFunnel`` and Mixpanel): *every* event matching step 1 starts an attempt (unordered
  funnels: every event matching any step), each with its own window from its entry. The
  unit counts at its **best attempt**: the one that reaches the most steps (unordered: then
  the most distinct steps); among equals the **earliest** one. Entry date, time to convert,
  ``dropped_off`` and breakdown attribution are those of the best attempt. A person who
  browsed once months ago and comes back to buy within the window converts.
  ``entry="first"``: only the unit's first such event starts an attempt (later step-1
  events never start a second one; the definition before issue 12).
* **ordered** (other events allowed in between): step k is the first event matching step k
  after the event taken for step k-1 — a greedy chain. It counts only if its timestamp is
  ``<= entry time + window`` and, when the step has a window, ``<= time of step k-1 + step
  window`` (both edges inclusive: a step exactly at the edge counts).
* **strict**: step k must be the unit's very next event (``seq`` of step k-1 plus 1; within
  the same session for sessions), with the same windows. Exclusions cannot apply (nothing
  lies between consecutive events).
* **unordered**: a step is done when an event matching it lies in ``[entry, entry + window]``
  (inclusive). Row k of the funnel counts the units that did steps 1..k, in any order;
  ``reached`` shows how many distinct steps the units did. One event may satisfy several
  steps whose filters it matches.
* **Exclusions.** The first exclusion event after an attempt's entry ends that attempt:
  steps found after it (higher ``seq``) do not count; a later attempt starts afresh.
  Exclusion events cannot also be step events.
* **Converted** = reached the last step. Time to convert = last step time - entry time (for
  unordered funnels: when the last missing step was first done); percentiles interpolate
  linearly. ``by_entry_date`` counts every entered unit on the UTC day of its entry (for
  unordered funnels also those that never did step 1).
* **Breakdown attribution** — whose value of the breakdown column labels the unit:
  ``first_touch`` the entry event's, ``last_touch`` the last reached step's (unordered: the
  reached step whose event came last), ``step:<k>`` step k's (NULL when not reached).
  ``trait:<key>`` reads a person table and ignores attribution.

>>> import datetime as dt, ibis
>>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
>>> journey = ibis.memtable({
...     "person_id": ["p1", "p1", "p1", "p2", "p2"], "seq": [0, 1, 2, 0, 1],
...     "timestamp": [t0 + dt.timedelta(minutes=m) for m in (0, 5, 9, 0, 3)],
...     "event": ["view", "cart", "buy", "view", "view"], "properties": ["{}"] * 5,
...     "session_id": ["p1:0"] * 3 + ["p2:0"] * 2})
>>> funnel(journey, ["view", "cart", "buy"]).steps[["event", "units", "conversion_from_start"]]
  event  units  conversion_from_start
0  view      2                    1.0
1  cart      1                    0.5
2   buy      1                    0.5
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
from pydantic import BeforeValidator, Field

from wegweiser.analysis import _funnel_tables as tables
from wegweiser.analysis._funnel_spec import (
    BREAKDOWN_COLUMNS,
    MAX_STEPS,
    FunnelStep,
    make_spec,
)
from wegweiser.analysis._funnel_units import unit_table
from wegweiser.analysis.filters import Condition, ConditionShape, conditions, describe
from wegweiser.analysis.params import (
    ATTRIBUTION_PATTERN,
    BREAKDOWN_PATTERN,
    STEP_WINDOW_PATTERN,
    Duration,
    Limit,
    Name,
    Names,
    Params,
    Short,
    Unit,
    duration,
    parse_duration,
    split,
)
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result, Tables, to_frame
from wegweiser.analysis.scope import Comparable
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir
    import plotly.graph_objects as go

__all__ = ["BREAKDOWN_COLUMNS", "MAX_STEPS", "FunnelResult", "FunnelStep", "dropped_off",
           "funnel"]

DEFAULT_WINDOW = timedelta(days=30)
QUANTILES = tables.QUANTILES
BINS = tables.BINS


@dataclass(frozen=True)
class FunnelResult(Result):
    """A funnel: per-step counts plus breakdown, time to convert and entries per day.

    * ``steps``: step (1-based), event, label, units, conversion_from_start,
      conversion_from_previous, dropped (units lost since the previous step),
      median_seconds_from_previous;
    * ``breakdown``: the same per breakdown value (column ``value``); empty without one;
    * ``time_to_convert``: one row: converted, mean, median, p25, p75, p90, min, max (s);
    * ``histogram``: bin, lower_seconds, upper_seconds, units, share (of converted);
    * ``by_entry_date``: date (UTC day of the entry), entered, converted, rate;
    * ``reached``: n_steps, units — units by the number of distinct steps they did.
    """

    steps: pd.DataFrame
    breakdown: pd.DataFrame
    time_to_convert: pd.DataFrame
    histogram: pd.DataFrame
    by_entry_date: pd.DataFrame
    reached: pd.DataFrame

    def figure(self) -> go.Figure:
        """A funnel chart; with a breakdown, one funnel per value (the 8 largest)."""
        import plotly.graph_objects as go

        fig = go.Figure()
        if self.breakdown.empty:
            s = self.steps
            fig.add_trace(go.Funnel(y=s["label"], x=s["units"], textinfo="value+percent initial"))
        else:
            b = self.breakdown
            first = b[b["step"] == 1].sort_values("units", ascending=False)
            for value in first["value"].head(8):
                rows = b[b["value"].isna()] if pd.isna(value) else b[b["value"] == value]
                fig.add_trace(go.Funnel(
                    name="(none)" if pd.isna(value) else str(value), y=rows["label"],
                    x=rows["units"], textinfo="value+percent initial",
                ))
        unit = self.params.get("by", "person")
        fig.update_layout(title=f"Funnel ({self.params.get('mode')}, {unit}s)")
        return fig


def funnel(
    journey: ir.Table,
    steps: Sequence[str | FunnelStep],
    *,
    mode: str = "ordered",
    window: timedelta = DEFAULT_WINDOW,
    step_windows: Sequence[timedelta | None] | None = None,
    exclude: Sequence[str] | None = None,
    by: str = "person",
    breakdown: str | None = None,
    attribution: str = "first_touch",
    traits: ir.Table | None = None,
    entry: str = "any",
) -> FunnelResult:
    """Count units through ``steps`` (see the module docstring for every definition).

    ``entry`` is ``"any"`` (every step-1 event starts an attempt; the unit counts at its best
    one) or ``"first"`` (only the first one). ``step_windows`` has one entry per step
    (None: no window; the first must be None), an
    alternative to ``FunnelStep.within``. ``breakdown`` is a journey column (channel,
    campaign, source, medium, device, platform, country, phase), ``property:<key>`` of the
    attributed step's event or ``trait:<key>`` of ``traits`` (a table with ``person_id``
    and a ``<key>`` column).
    """
    spec = make_spec(steps, mode=mode, window=window, step_windows=step_windows,
                     exclude=exclude, by=by, breakdown=breakdown, attribution=attribution,
                     entry=entry)
    units = tables.fetch_units(journey, spec, traits)  # one query, SQL memoised; names checked
    steps_, time_ = tables.overall(units, spec)
    return FunnelResult(
        steps=steps_, breakdown=tables.breakdown(units, spec), time_to_convert=time_,
        histogram=tables.histogram(units), by_entry_date=tables.by_entry_date(units, spec),
        reached=tables.reached(units, spec), params=spec.params,
    )


def dropped_off(
    journey: ir.Table,
    steps: Sequence[str | FunnelStep],
    *,
    step: int,
    mode: str = "ordered",
    window: timedelta = DEFAULT_WINDOW,
    step_windows: Sequence[timedelta | None] | None = None,
    exclude: Sequence[str] | None = None,
    by: str = "person",
    limit: int | None = None,
    entry: str = "any",
) -> pd.DataFrame:
    """The units that reached step ``step - 1`` but not step ``step`` (1-based, >= 2).

    Columns: person_id (, session_id), entered_at, reached_at (when they completed step
    ``step - 1``); ordered by reached_at, then person_id. Same definitions as :func:`funnel`.
    """
    spec = make_spec(steps, mode=mode, window=window, step_windows=step_windows,
                     exclude=exclude, by=by, breakdown=None, attribution="first_touch",
                     entry=entry)
    if not 2 <= step <= spec.n:
        raise InvalidInput(f"--dropped/step must be 2..{spec.n} (the step people did not "
                           f"reach), got {step}")
    tables.check_names(journey, spec)
    units = unit_table(journey, spec)
    lost = units.filter(units.n_reached == step - 1)
    keys = ["person_id", "session_id"] if spec.by == "session" else ["person_id"]
    out = lost.select(*keys, entered_at=lost.entered_at, reached_at=lost[f"done_{step - 2}"])
    out = out.order_by("reached_at", *keys)
    if limit is not None:
        out = out.limit(limit)
    return to_frame(out)


# -- registry ---------------------------------------------------------------------------------
class FunnelStepSpec(Params):
    """A funnel step as an object: event name, property filters, window since the previous
    step."""

    event: Name
    where: dict[Name, Annotated[str, Field(max_length=1000)]] | None = None
    within: Duration | None = None


class FunnelParams(Comparable):
    """Funnel: how many persons (or sessions) go through the steps, and where they drop out.

    Attempts: every event of step 1 (unordered: of any step) starts an attempt with its own
    window; the unit counts at its best attempt (most steps; unordered: then most distinct
    steps; then earliest), as PostHog,
    ClickHouse's windowFunnel and Mixpanel count. entry first: only the unit's first step-1
    event starts one. Order: by timestamp, ties by message_id; 'after' means a later event
    in that order. ordered: each next step is the first matching event after the previous
    step. strict: it must be the very next
    event. unordered: row K counts units that did steps 1..K in any order. Windows: a step
    counts when it is at most window after the entry and at most its step_window after the
    previous step; both edges inclusive. exclude: an excluded event after an attempt's
    entry ends it; later steps do not count. Unknown event names are an error ('did you
    mean'). by session: the funnel must finish within one
    session (a session ends after windows.session_gap_minutes without events). Converted =
    reached the last step; time to convert = last step time - entry time.
    """

    steps: Annotated[
        list[Name | FunnelStepSpec], BeforeValidator(split), Field(min_length=2, max_length=20),
        Short("-s"),
    ] = Field(
        description="Events in funnel order: a,b,c (or objects with event/where/within).",
        examples=[["checkout_started", "order_completed"]],
    )
    entry: Literal["any", "first"] = Field(
        "any",
        description="any: every step-1 event starts an attempt, the best one counts; first: "
        "only the unit's first step-1 event.",
    )
    mode: Literal["ordered", "strict", "unordered"] = Field(
        "ordered",
        description="ordered: other events may come between steps; strict: each step is the "
        "very next event; unordered: all steps in any order.",
    )
    window: Duration | None = Field(
        None,
        description="Conversion window from the entry, inclusive: 7d, 12h, 90m "
        "(default: windows.conversion_days).",
    )
    step_window: (
        Annotated[str, Field(max_length=500, json_schema_extra={"pattern": STEP_WINDOW_PATTERN})]
        | None
    ) = Field(None, description="Max time since the previous step, per step: 2:1h,3:30m.")
    exclude: Names = Field(
        default_factory=list,
        description="Events that end an attempt when they come after the entry: x,y.",
    )
    by: Unit = Field(
        "person", description="Count persons, or sessions (the funnel must finish in one session)."
    )
    breakdown: Annotated[Name, Field(json_schema_extra={"pattern": BREAKDOWN_PATTERN})] | None = (
        Field(
            None,
            description="channel, campaign, source, medium, device, platform, country, phase, "
            "property:KEY (of the attributed step's event) or trait:KEY (from the person's "
            "latest identify).",
        )
    )
    attribution: Annotated[
        str, Field(max_length=20, json_schema_extra={"pattern": ATTRIBUTION_PATTERN})
    ] = Field(
        "first_touch",
        description="Whose breakdown value counts: first_touch (entry), last_touch (last step "
        "reached) or step:K.",
    )
    dropped: Annotated[int, Field(ge=2, le=20)] | None = Field(
        None,
        description="Also list the units that reached step DROPPED-1 but not step DROPPED "
        "(table dropped).",
    )
    limit: Limit = Field(100, description="With dropped: at most this many rows (0: all).")


def step_windows_of(text: str | None, n: int) -> list[timedelta | None] | None:
    """``"2:1h,3:30m"`` -> one window per step (None where not given).

    >>> step_windows_of("2:1h,step3:30m", 3)
    [None, datetime.timedelta(seconds=3600), datetime.timedelta(seconds=1800)]
    """
    if not text:
        return None
    windows: list[timedelta | None] = [None] * n
    for part in split(text):
        step, _, span = part.partition(":")
        if not step.strip().removeprefix("step").isdigit() or not span:
            raise InvalidInput(f"step_window {part!r}: write STEP:DURATION, e.g. 2:1h,3:30m")
        k = int(step.strip().removeprefix("step"))
        if not 2 <= k <= n:
            raise InvalidInput(f"step_window {part!r}: the step must be 2..{n}")
        windows[k - 1] = parse_duration(span)
    return windows


def steps_with_filters(
    names: list[str], wheres: list[str | ConditionShape]
) -> list[FunnelStep]:
    """Steps named ``names`` with the step-scoped conditions of ``wheres`` (``stepN:...``;
    conditions without a step are not the steps' and are left out).

    >>> [describe(c) for c in steps_with_filters(["a", "b"], ["step2:plan=pro"])[1].tests]
    ['step2:property:plan=pro']
    """
    scoped: dict[int, list[Condition]] = {}
    for c in conditions(list(wheres)):
        if c.step is None:
            continue
        if not 1 <= c.step <= len(names):
            raise InvalidInput(f"where {describe(c)!r}: the funnel has steps 1..{len(names)}")
        scoped.setdefault(c.step, []).append(c)
    return [FunnelStep(name, conditions=tuple(scoped.get(k + 1, ())))
            for k, name in enumerate(names)]


def _steps(p: FunnelParams) -> list[FunnelStep]:
    names = [s if isinstance(s, str) else s.event for s in p.steps]
    out = []
    for step, spec in zip(steps_with_filters(names, p.where), p.steps, strict=True):
        if isinstance(spec, FunnelStepSpec):
            step = FunnelStep(spec.event, where=spec.where or None, within=duration(spec.within),
                              conditions=step.conditions)
        out.append(step)
    return out


def _compute(inputs: Inputs, p: FunnelParams) -> Result:
    steps = _steps(p)
    window = duration(p.window)
    if window is None:
        window = timedelta(days=inputs.config.windows.conversion_days)
    traits = None
    if p.breakdown is not None and p.breakdown.startswith("trait:"):
        traits = inputs.traits(p.breakdown[len("trait:"):])
    options: dict[str, Any] = {
        "mode": p.mode, "window": window, "step_windows": step_windows_of(p.step_window,
                                                                           len(steps)),
        "exclude": p.exclude, "by": p.by, "entry": p.entry,
    }
    journey = inputs.journey()
    result = funnel(journey, steps, breakdown=p.breakdown, attribution=p.attribution,
                    traits=traits, **options)
    if p.dropped is None:
        return result
    if p.dropped > len(steps):
        raise InvalidInput(f"dropped {p.dropped}: the funnel has steps 1..{len(steps)}")
    frame = dropped_off(journey, steps, step=p.dropped, limit=p.limit or None, **options)
    return Tables({**result.tables(), "dropped": frame}, params=result.params)


def _view(p: FunnelParams) -> str | None:
    if p.dropped is not None:
        return "dropped"
    return "breakdown" if p.breakdown is not None else None


ANALYSIS = Analysis(
    name="funnel",
    params=FunnelParams,
    compute=_compute,
    title=Words("Funnel", "Trichter"),
    summary=Words("Funnel: step counts, breakdown, time to convert",
                  "Trichter: Schritte, Aufschlüsselung, Zeit bis zur Conversion"),
    views={"steps": "steps", "breakdown": "breakdown", "time": "time_to_convert",
           "histogram": "histogram", "entry": "by_entry_date", "reached": "reached",
           "dropped": "dropped"},
    view_of=_view,
    compare=("steps", ("step", "label")),
    step_filters=True,
    charts=(
        Chart("funnel", "steps", x="units", y="label"),
        Chart("line", "by_entry_date", x="date", y="rate", format="percent"),
    ),
)
