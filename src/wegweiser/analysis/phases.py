"""Phases: which phase each event puts a person in, where each person is now, how people
move between phases.

**Mapping.** An event belongs to the first phase (in config order) with a matching glob
pattern; events matching no phase leave the person's phase unchanged.

**Order.** A person's phase-mapped events are ordered by timestamp; for equal timestamps the
later phase in config order counts as later, then the journey order (``seq``: message_id).
A person's *current phase* is the phase of the last event in this order, i.e. of the latest
phase-mapped event (ties on the timestamp: the later phase in config order).

**Episodes.** An episode is a maximal run of consecutive phase-mapped events (in the order
above) with the same phase; events without a phase are skipped and never break an episode.
``start`` is the time of its first event, ``end`` the ``start`` of the person's next episode
or, for the person's last episode (``open``: still going on), the time of the person's last
event of any kind. Consecutive episodes of a person always differ in phase, so a transition
is *forward* (to a later phase in config order; ``skipped`` phases in between) or
*backward* (a regression).

:func:`phase_analysis` looks at the data as of ``as_of`` (inclusive; default: the latest
event): events after it are ignored, open episodes are measured up to it. Its tables:

* ``current`` -- persons per current phase; ``share`` of all persons (with or without phase);
* ``over_time`` -- per period (``day``/``week``/``month``, weeks start on Monday, UTC) and
  phase, the persons whose current phase at the end of the period (events before the next
  period start) is that phase; the last period ends at ``as_of``;
* ``transitions`` -- moves between consecutive episodes: ``count``, distinct ``persons``,
  ``share`` of the moves out of ``from_phase``, ``direction``, ``skipped``;
* ``dwell`` -- per phase the dwell time (``end - start``, hours) of *closed* episodes:
  ``episodes``, ``median_hours``, ``mean_hours``, ``p90_hours`` (linear interpolation); open
  episodes are not part of these figures but reported apart: ``open`` and
  ``open_median_hours`` (``as_of - start``);
* ``nonlinear`` -- persons with a ``regression`` (a backward move), a ``loop`` (a phase in two
  or more separate episodes), a ``skipped`` phase (a forward move jumping a phase; the first
  episode never counts as a skip) and with any of them (``nonlinear``), as counts and
  shares of persons with two or more episodes and of all persons with a phase;
* ``stuck`` -- persons whose open episode started more than ``stuck_days`` days before
  ``as_of`` (strictly): ``person_id``, ``phase``, ``since``, ``days``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ibis
from pydantic import Field

from wegweiser.analysis import _phase_tables as tables
from wegweiser.analysis import _time
from wegweiser.analysis.params import MAX_DAYS, Limit, Names, Params, Period, parse_moment
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir
    import pandas as pd
    import plotly.graph_objects as go

    from wegweiser.config import Phase

PERIODS = ("day", "week", "month")


def glob_regex(pattern: str) -> str:
    """An anchored RE2 regex for a glob with ``*`` and ``?``.

    >>> glob_regex("checkout_*")
    '^checkout_.*$'
    """
    return "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"


def _matches(event: ir.StringValue, pattern: str) -> ir.BooleanValue:
    if "*" in pattern or "?" in pattern:
        return event.re_search(glob_regex(pattern))
    return event == pattern


def phase_of(event: ir.StringValue, phases: list[Phase]) -> ir.StringValue:
    """The phase name an event maps to, or NULL.

    >>> import ibis
    >>> from wegweiser.config import default_config
    >>> t = ibis.memtable({"event": ["ad_click", "checkout_payment", "login"]})
    >>> t.select(phase=phase_of(t.event, default_config().phases)).to_pyarrow()["phase"].to_pylist()
    ['Awareness', 'Purchase', None]
    """
    branches = [
        (ibis.or_(*[_matches(event, p) for p in phase.events]), phase.name)
        for phase in phases
        if phase.events
    ]
    if not branches:
        return ibis.null().cast("string")
    return ibis.cases(*branches, else_=ibis.null().cast("string"))


def phase_rank(phase: ir.StringValue, phases: list[Phase]) -> ir.IntegerValue:
    """Position of a phase in the configured order (0-based), NULL for no phase."""
    return ibis.cases(*[(phase == p.name, i) for i, p in enumerate(phases)], else_=ibis.null())


def current_phase(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """One row per person: ``person_id``, ``phase`` (latest phase-mapped event), ``since``.

    The materialised journey has each event's ``phase`` already (the same rules, rebuilt
    when they change): it is used as it is, which halves the time of this query."""
    mapped = journey if "phase" in journey.columns else journey.mutate(
        phase=phase_of(journey.event, phases))
    mapped = mapped.filter(mapped.phase.notnull()).mutate(rank=phase_rank(mapped.phase, phases))
    last = mapped.group_by("person_id").agg(
        since=mapped.timestamp.max(),
    )
    at_last = mapped.join(
        last, (mapped.person_id == last.person_id) & (mapped.timestamp == last.since)
    )
    return at_last.group_by(at_last.person_id).agg(
        phase=at_last.phase.argmax(at_last.rank), since=at_last.since.max()
    )


# -- episodes ----------------------------------------------------------------------------
def _phase_events(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """Phase-mapped events with ``prev`` (phase before, in the documented order) and ``rn``
    (0-based position among the person's phase-mapped events)."""
    mapped = journey.filter(journey.phase.notnull())
    mapped = mapped.select(
        "person_id", "seq", "timestamp", "phase", rank=phase_rank(mapped.phase, phases)
    )
    order = ibis.window(group_by="person_id", order_by=["timestamp", "rank", "seq"])
    return mapped.mutate(prev=mapped.phase.lag().over(order), rn=ibis.row_number().over(order))


def with_episode(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """``journey`` plus ``episode``: the 0-based number of the phase episode each event is
    in (NULL for events without a phase).

    Meant for materialising the journey table once: phase analyses then group by it instead
    of ordering every person's events again.
    """
    m = _phase_events(journey, phases)
    m = m.mutate(new=ibis.ifelse(m.prev.isnull() | (m.prev != m.phase), 1, 0))
    running = ibis.window(group_by="person_id", order_by="rn", preceding=None, following=0)
    numbers = m.select(pid=m.person_id, pseq=m.seq, episode=m.new.sum().over(running) - 1)
    joined = journey.left_join(
        numbers, (journey.person_id == numbers.pid) & (journey.seq == numbers.pseq)
    )
    return joined.drop("pid", "pseq")


def _episodes(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """Episodes with ``rank``, ``next_phase`` and ``next_rank`` (NULL for the open one)."""
    per = journey.group_by("person_id").agg(
        n_mapped=journey.phase.count(), last_event=journey.timestamp.max()
    )
    if "episode" in journey.columns:  # numbered when the journey was materialised
        return _numbered_episodes(journey, per, phases)
    mapped = _phase_events(journey, phases)
    starts = mapped.filter(mapped.prev.isnull() | (mapped.prev != mapped.phase))
    by_start = ibis.window(group_by="person_id", order_by="rn")
    starts = starts.mutate(
        episode=ibis.row_number().over(by_start),
        next_start=starts.timestamp.lead().over(by_start),
        next_rn=starts.rn.lead().over(by_start),
        next_phase=starts.phase.lead().over(by_start),
        next_rank=starts.rank.lead().over(by_start),
    )
    both = starts.join(per, "person_id")
    return both.select(
        "person_id", "episode", "phase", "rank",
        start=both.timestamp,
        end=both.next_start.coalesce(both.last_event),
        events=both.next_rn.coalesce(both.n_mapped) - both.rn,
        open=both.next_start.isnull(),
        next_phase=both.next_phase,
        next_rank=both.next_rank,
    )


def _numbered_episodes(journey: ir.Table, per: ir.Table, phases: list[Phase]) -> ir.Table:
    mapped = journey.filter(journey.episode.notnull())
    ep = mapped.group_by("person_id", "episode").agg(
        phase=mapped.phase.max(), start=mapped.timestamp.min(), events=mapped.count()
    )
    nxt = ep.select(pid=ep.person_id, before=ep.episode - 1, next_start=ep.start,
                    next_phase=ep.phase)
    both = ep.left_join(nxt, (ep.person_id == nxt.pid) & (ep.episode == nxt.before))
    both = both.join(per, both.person_id == per.person_id)
    return both.select(
        "person_id", "episode", "phase",
        rank=phase_rank(both.phase, phases),
        start=both.start,
        end=both.next_start.coalesce(both.last_event),
        events=both.events,
        open=both.next_start.isnull(),
        next_phase=both.next_phase,
        next_rank=phase_rank(both.next_phase, phases),
    )


def phase_episodes(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """Each person's phase episodes (see the module docstring), in order.

    Columns: ``person_id``, ``episode`` (0-based), ``phase``, ``start``, ``end``, ``events``
    (phase-mapped events in it), ``open`` (the person's last episode).

    >>> import ibis
    >>> from datetime import datetime, UTC
    >>> from wegweiser.config import default_config
    >>> t = ibis.memtable({"person_id": ["a"] * 4, "seq": [0, 1, 2, 3],
    ...     "timestamp": [datetime(2026, 1, d, tzinfo=UTC) for d in (1, 2, 3, 4)],
    ...     "phase": ["Awareness", None, "Awareness", "Consideration"]})
    >>> e = phase_episodes(t, default_config().phases).order_by("episode").to_pyarrow()
    >>> e.select(["episode", "phase", "events"]).to_pylist()  # doctest: +NORMALIZE_WHITESPACE
    [{'episode': 0, 'phase': 'Awareness', 'events': 2},
     {'episode': 1, 'phase': 'Consideration', 'events': 1}]
    """
    return _episodes(journey, phases).select(
        "person_id", "episode", "phase", "start", "end", "events", "open"
    )


@dataclass(frozen=True)
class PhaseTimeline(Result):
    """The phase episodes of some persons (``episodes``: columns of :func:`phase_episodes`)."""

    episodes: pd.DataFrame

    def figure(self) -> go.Figure:
        """One row per person, one bar per episode, coloured by phase."""
        return tables.timeline_figure(self.episodes, list(self.params.get("phases", [])))


def phase_timeline(
    journey: ir.Table,
    phases: list[Phase],
    *,
    persons: Sequence[str] | None = None,
    limit: int | None = 1000,
) -> PhaseTimeline:
    """The episodes of ``persons`` (default: all), ordered by person and episode; at most
    ``limit`` rows (None: all)."""
    if persons is not None:
        journey = journey.filter(journey.person_id.isin(list(persons)))
    expr = phase_episodes(journey, phases).order_by("person_id", "episode")
    if limit is not None:
        expr = expr.limit(limit)
    params = {"persons": list(persons) if persons is not None else None, "limit": limit,
              "phases": [p.name for p in phases]}
    return PhaseTimeline(to_frame(expr), params=params)


# -- the analysis ------------------------------------------------------------------------
@dataclass(frozen=True)
class PhaseResult(Result):
    """Phase analytics; see :mod:`wegweiser.analysis.phases` for every definition."""

    current: pd.DataFrame
    over_time: pd.DataFrame
    transitions: pd.DataFrame
    dwell: pd.DataFrame
    nonlinear: pd.DataFrame
    stuck: pd.DataFrame

    def figure(self, *, view: str = "over_time") -> go.Figure:
        """``over_time`` (stacked areas), ``current`` (bars), ``transitions`` (a matrix,
        backward moves below the diagonal) or ``dwell`` (median and p90 hours)."""
        return tables.phase_figure(self, view, list(self.params.get("phases", [])))


def utc(moment: datetime) -> datetime:
    """A timezone-aware UTC datetime (naive input is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def phase_analysis(
    journey: ir.Table,
    phases: list[Phase],
    *,
    as_of: datetime | None = None,
    stuck_days: float = 30,
    period: str = "week",
) -> PhaseResult:
    """Current phases, phases over time, transitions, dwell, non-linear journeys, stuck
    persons (definitions in the module docstring)."""
    if period not in PERIODS:
        raise InvalidInput(f"unknown period {period!r}; use one of: {', '.join(PERIODS)}")
    if stuck_days < 0:
        raise InvalidInput(f"stuck_days must be >= 0, got {stuck_days}")
    names = [p.name for p in phases]
    if as_of is not None:
        as_of = utc(as_of)
        journey = journey.filter(journey.timestamp <= ibis.literal(as_of, type="timestamp('UTC')"))
    head = to_frame(journey.aggregate(
        persons=journey.person_id.nunique(), last=journey.timestamp.max()
    )).iloc[0]
    total = int(head["persons"] or 0)
    if as_of is None and total:
        as_of = head["last"].to_pydatetime()
    params: dict[str, Any] = {"as_of": as_of, "stuck_days": stuck_days, "period": period,
                              "phases": names, "persons": total}
    if not total or as_of is None:
        return PhaseResult(**tables.empty_phase_tables(names), params=params)
    episodes = _episodes(journey, phases)
    # seconds since the epoch, once: timezone-aware date arithmetic is costly per row;
    # differences are taken in integer microseconds (doubles near 1.8e9 s step by 2.4e-7 s)
    episodes = episodes.mutate(
        start_s=_time.seconds(episodes.start),
        end_s=_time.seconds(episodes.end),
        start_us=_time.epoch_us(episodes.start),
        end_us=_time.epoch_us(episodes.end),
    ).cache()
    try:
        frames = _phase_frames(episodes, as_of=as_of, stuck_days=stuck_days, period=period)
    finally:
        episodes.release()
    return PhaseResult(**tables.phase_tables(frames, names, total, as_of, period), params=params)


def _phase_frames(
    e: ir.Table, *, as_of: datetime, stuck_days: float, period: str
) -> dict[str, pd.DataFrame]:
    """The aggregates behind every table, computed in the engine from the episodes."""
    as_of_us = round(as_of.timestamp() * 1e6)  # exact: the double is off by < 0.5 us
    hours = (e.end_us - e.start_us).cast("float64") / 3_600e6
    open_hours = (ibis.literal(as_of_us) - e.start_us).cast("float64") / 3_600e6
    closed = ~e.open
    done, moves = e.filter(closed), e.filter(e.next_phase.notnull())
    # +1 in the period an episode starts, -1 in the period the next one starts
    periods = ibis.union(
        e.select("phase", period=_period_key(e.start, e.start_s, period), n=ibis.literal(1)),
        done.select("phase", period=_period_key(done.end, done.end_s, period),
                    n=ibis.literal(-1)),
        distinct=False,
    )
    out = {
        "periods": periods.group_by("phase", "period").agg(n=periods.n.sum()),
        "transitions": moves.group_by(from_phase=moves.phase, to_phase=moves.next_phase).agg(
            count=moves.count(), persons=moves.person_id.nunique()
        ),
        "dwell": e.group_by("phase").agg(
            episodes=closed.sum(),
            # quantiles of a masked column, not quantile(where=): Ibis masks the quantile
            # argument too, which Spark refuses (it must be a constant)
            median_hours=_masked(hours, closed).median(),
            mean_hours=hours.mean(where=closed),
            p90_hours=_masked(hours, closed).quantile(0.9),
            open=e.open.sum(),
            open_median_hours=_masked(open_hours, e.open).median(),
        ),
    }
    person = e.group_by("person_id").agg(
        n=e.count(),
        phases=e.phase.nunique(),
        back=ibis.ifelse(e.next_rank < e.rank, 1, 0).max(),
        skip=ibis.ifelse(e.next_rank > e.rank + 1, 1, 0).max(),
    )
    loop = ibis.ifelse(person.n > person.phases, 1, 0)
    out["nonlinear"] = person.aggregate(
        persons=person.count(),
        multi=(person.n >= 2).sum(),
        regression=person.back.sum(),
        loop=loop.sum(),
        skipped=person.skip.sum(),
        nonlinear=ibis.greatest(person.back, loop, person.skip).sum(),
    )
    cutoff = ibis.literal(as_of - timedelta(days=stuck_days), type="timestamp('UTC')")
    stuck = e.filter(e.open & (e.start < cutoff))
    days = (ibis.literal(as_of_us) - stuck.start_us).cast("float64") / 86_400e6
    out["stuck"] = stuck.select("person_id", "phase", since=stuck.start, days=days).order_by(
        ibis.desc("days"), "person_id"
    )
    return {name: to_frame(expr) for name, expr in out.items()}


def _masked(value: ir.FloatingValue, keep: ir.BooleanValue) -> ir.FloatingValue:
    """``value`` where ``keep``, else NULL (which aggregates skip)."""
    out: ir.FloatingValue = ibis.ifelse(keep, value, ibis.null("float64"))
    return out


def _period_key(moment: ir.TimestampValue, seconds: ir.FloatingValue, period: str) -> ir.Value:
    """Days since 1970-01-01 of the period start (day, week from Monday), or the month's
    first instant."""
    if period == "month":
        return moment.truncate("M")
    day = (seconds / 86400).floor()
    return day - (day + 3) % 7 if period == "week" else day  # 1970-01-01 was a Thursday


# -- registry ---------------------------------------------------------------------------------
class PhasesParams(Params):
    """Phases: where persons are now and over time, how they move, how long they stay.

    Each event gets the first phase (config order) whose patterns match it; events without
    a phase are skipped. A person's phase events are ordered by time; at the same time the
    later phase counts as later, then message id. An episode is a run of consecutive events
    in one phase; it ends when the next episode starts (the last, open one: at the person's
    last event). Current phase: the phase of the last episode. Transitions: moves between
    episodes, forward or backward (a regression), skipped = phases jumped. Dwell: end -
    start of closed episodes (open ones apart, measured to as_of). Non-linear: a
    regression, a loop (a phase in two episodes) or a skipped phase. Stuck: the current
    episode started more than stuck_days before as_of. Over time: persons per current
    phase at each period's end.
    """

    view: Literal[
        "current", "over-time", "transitions", "dwell", "nonlinear", "stuck", "episodes"
    ] = Field(
        "current",
        description="What to show; episodes lists each person's phase episodes, any other "
        "view computes all six phase tables.",
    )
    period: Period = Field("week", description="Periods of over-time (UTC, weeks from Monday).")
    stuck_days: Annotated[float, Field(ge=0, le=MAX_DAYS)] | None = Field(
        None,
        description="Stuck: in the current phase for more than N days (default: "
        "windows.stuck_days).",
    )
    as_of: Annotated[str, Field(max_length=40)] | None = Field(
        None,
        description="Look at the data as of this date/time (events after it are ignored; a "
        "date means the end of that day). Default: the latest event.",
        examples=["2026-10-31"],
    )
    person: Names | None = Field(None, description="episodes: only these persons.")
    limit: Limit = Field(50, description="Rows of episodes and stuck (0: all).")


def _compute(inputs: Inputs, p: PhasesParams) -> Result:
    moment = None if p.as_of is None else parse_moment(p.as_of, what="as_of")
    journey, phases = inputs.journey(), list(inputs.config.phases)
    if moment is not None:
        journey = journey.filter(journey.timestamp <= moment)
    if p.view == "episodes":
        return phase_timeline(journey, phases, persons=p.person or None, limit=p.limit or None)
    days = inputs.config.windows.stuck_days if p.stuck_days is None else p.stuck_days
    result = phase_analysis(journey, phases, as_of=moment, stuck_days=days, period=p.period)
    if p.limit:
        result = dataclasses.replace(result, stuck=result.stuck.head(p.limit))
    return result


ANALYSIS = Analysis(
    name="phases",
    renumber=False,  # reads seq only as an order, no next_event
    params=PhasesParams,
    compute=_compute,
    title=Words("Phases", "Phasen"),
    summary=Words("Phases now and over time, transitions, dwell, stuck",
                  "Phasen jetzt und im Zeitverlauf, Übergänge, Verweildauer, Stillstand"),
    views={"current": "current", "over-time": "over_time", "transitions": "transitions",
           "dwell": "dwell", "nonlinear": "nonlinear", "stuck": "stuck",
           "episodes": "episodes"},
    view_of=lambda p: p.view,
    charts=(
        Chart("bar", "current", x="phase", y="persons"),
        Chart("line", "over_time", x="period", y="persons", color="phase"),
    ),
)
