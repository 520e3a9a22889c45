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
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ibis
import ibis.expr.operations as ops
from pydantic import Field

from wegweiser.analysis import _phase_queries as queries
from wegweiser.analysis import _phase_tables as tables_
from wegweiser.analysis import _time
from wegweiser.analysis._codes import has_codes
from wegweiser.analysis._phase_queries import TABLES
from wegweiser.analysis.params import MAX_DAYS, Limit, Names, Params, Period, parse_moment
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words, wanted
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

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
    (0-based position among the person's phase-mapped events); with the journey's
    ``person_n`` when it has codes (then the person's windows partition by it)."""
    mapped = journey.filter(journey.phase.notnull())
    code = ["person_n"] if "person_n" in journey.columns else []
    mapped = mapped.select(
        "person_id", *code, "seq", "timestamp", "phase", rank=phase_rank(mapped.phase, phases)
    )
    order = ibis.window(group_by=_key(mapped), order_by=["timestamp", "rank", "seq"])
    return mapped.mutate(prev=mapped.phase.lag().over(order), rn=ibis.row_number().over(order))


def _key(table: ir.Table) -> str:
    """The column that tells persons apart: the integer ``person_n`` when there is one."""
    return "person_n" if "person_n" in table.columns else "person_id"


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
    key = _key(journey) if "episode" not in journey.columns else "person_id"
    per = journey.group_by(key).agg(
        n_mapped=journey.phase.count(), last_event=journey.timestamp.max()
    )
    if "episode" in journey.columns:  # numbered when the journey was materialised
        return _numbered_episodes(journey, per, phases)
    mapped = _phase_events(journey, phases)
    starts = mapped.filter(mapped.prev.isnull() | (mapped.prev != mapped.phase))
    by_start = ibis.window(group_by=key, order_by="rn")
    starts = starts.mutate(
        episode=ibis.row_number().over(by_start),
        next_start=starts.timestamp.lead().over(by_start),
        next_rn=starts.rn.lead().over(by_start),
        next_phase=starts.phase.lead().over(by_start),
        next_rank=starts.rank.lead().over(by_start),
    )
    both = starts.join(per, key)
    return both.select(
        "person_id", *(["person_n"] if key == "person_n" else []), "episode", "phase", "rank",
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
        return tables_.timeline_figure(self.episodes, list(self.params.get("phases", [])))


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
    """Phase analytics; see :mod:`wegweiser.analysis.phases` for every definition. A table
    not asked for (``phase_analysis(tables=...)``) is None."""

    current: pd.DataFrame | None
    over_time: pd.DataFrame | None
    transitions: pd.DataFrame | None
    dwell: pd.DataFrame | None
    nonlinear: pd.DataFrame | None
    stuck: pd.DataFrame | None

    def figure(self, *, view: str = "over_time") -> go.Figure:
        """``over_time`` (stacked areas), ``current`` (bars), ``transitions`` (a matrix,
        backward moves below the diagonal) or ``dwell`` (median and p90 hours)."""
        return tables_.phase_figure(self, view, list(self.params.get("phases", [])))


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
    tables: Collection[str] | None = None,
    episodes: ir.Table | None = None,
) -> PhaseResult:
    """Current phases, phases over time, transitions, dwell, non-linear journeys, stuck
    persons (definitions in the module docstring).

    ``tables``: compute only these (names of :data:`TABLES`; default: all); the others are
    None in the result. ``episodes``: the :func:`episode_table` of the whole ``journey``
    when one is materialised (the ``phase_episodes`` roll-up), read instead of numbering
    the episodes again; only without ``as_of`` (the episodes end at the latest event).
    """
    if period not in PERIODS:
        raise InvalidInput(f"unknown period {period!r}; use one of: {', '.join(PERIODS)}")
    if stuck_days < 0:
        raise InvalidInput(f"stuck_days must be >= 0, got {stuck_days}")
    wanted = _wanted(tables)
    if episodes is not None and as_of is not None:
        raise InvalidInput("give as_of or episodes, not both: stored episodes end at the "
                           "latest event")
    names = [p.name for p in phases]
    if as_of is not None:
        as_of = utc(as_of)
        journey = journey.filter(journey.timestamp <= ibis.literal(as_of, type="timestamp('UTC')"))
    who = journey.person_n if has_codes(journey) else journey.person_id
    head = to_frame(journey.aggregate(persons=who.nunique(), last=journey.timestamp.max())
                    ).iloc[0]
    total = int(head["persons"] or 0)
    if as_of is None and total:
        as_of = head["last"].to_pydatetime()
    params: dict[str, Any] = {"as_of": as_of, "stuck_days": stuck_days, "period": period,
                              "phases": names, "persons": total}
    if not total or as_of is None:
        empty = tables_.empty_phase_tables(names)
        return PhaseResult(**{t: empty[t] if t in wanted else None for t in TABLES},
                           params=params)
    aggregates = queries.needed(wanted)
    e = episode_table(journey, phases) if episodes is None else episodes
    # numbered once, read several times (stored episodes are read as they are)
    cached = len(aggregates) > 1 and not isinstance(e.op(), ops.DatabaseTable)
    if cached:
        e = e.cache()
    try:
        frames = queries.frames(e, aggregates, as_of=as_of, stuck_days=stuck_days,
                                period=period)
    finally:
        if cached:
            e.release()
    shaped = tables_.phase_tables(frames, names, total, as_of, period, wanted)
    return PhaseResult(**{t: shaped.get(t) for t in TABLES}, params=params)


def _wanted(tables: Collection[str] | None) -> list[str]:
    if tables is None:
        return list(TABLES)
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise InvalidInput(f"phases has no table {', '.join(map(repr, unknown))}; its tables: "
                           f"{', '.join(TABLES)}")
    return [t for t in TABLES if t in tables]


def episode_table(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """The episodes of :func:`phase_analysis`: those of :func:`phase_episodes` with the
    phase ``rank``, ``next_phase``/``next_rank`` (NULL for the open one), the times as
    seconds (``start_s``, ``end_s``) and microseconds (``start_us``, ``end_us``) since the
    epoch and, from a journey with codes, ``person_n``. Materialised beside the journey as
    the ``phase_episodes`` roll-up (:mod:`wegweiser.analysis.rollups`)."""
    e = _episodes(journey, phases)
    # seconds since the epoch, once: timezone-aware date arithmetic is costly per row;
    # differences are taken in integer microseconds (doubles near 1.8e9 s step by 2.4e-7 s)
    return e.mutate(
        start_s=_time.seconds(e.start),
        end_s=_time.seconds(e.end),
        start_us=_time.epoch_us(e.start),
        end_us=_time.epoch_us(e.end),
    )


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
        "view is one of the six phase tables (the command line computes only it).",
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
    asked = wanted()
    tables = None if asked is None else [t for t in TABLES if t in asked]
    # the stored episodes (all the data, up to the latest event), when the inputs have them;
    # a journey without codes (Spark) numbers them as before: one cached table per call
    rollup = getattr(inputs, "rollup", None)
    stored = moment is None and callable(rollup) and has_codes(journey)
    episodes = rollup("phase_episodes") if stored and callable(rollup) else None
    result = phase_analysis(journey, phases, as_of=moment, stuck_days=days, period=p.period,
                            tables=tables or None, episodes=episodes)
    if p.limit and result.stuck is not None:
        result = dataclasses.replace(result, stuck=result.stuck.head(p.limit))
    return result


ANALYSIS = Analysis(
    name="phases",
    renumber=False,  # reads seq only as an order, no next_event
    selective=True,  # computes only the tables a face shows (registry.wanted)
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
