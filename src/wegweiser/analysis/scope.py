"""What every analysis of the journey takes besides its own options: a date range, filters,
a segment, a breakdown by segments and, where it makes sense, the previous period.

The registry adds these fields to the parameter model of every analysis that reads the
journey (:class:`Scope`; :class:`Comparable` for those that declare ``compare``), and runs
the analysis on a **scoped** journey, so every face gets them without knowing them:

* **Date range.** ``since`` is inclusive, ``until`` exclusive: an event counts when
  ``since <= timestamp < until``. A date (``2026-10-01``) means the start of that day (UTC)
  for ``since``; for ``until`` it means the whole day is included (the range ends before
  the next day's 00:00 UTC). A time without a zone is UTC. ``last`` (``30d``, ``12h``) is the
  span ending at ``until`` (or now): ``[until - last, until)``. Costs count for the days the
  range touches.
* **where**: conditions of :mod:`wegweiser.analysis.filters` (all must hold). Event
  conditions and the date range keep the matching events; the journey is renumbered
  (``seq``, ``next_event``) over what is kept for the analyses that read the order as
  positions (``Analysis.renumber``); sessions stay those of the whole journey.
  ``trait:`` conditions and ``segment`` keep all events of the persons that qualify.
* **segment**: only the members of this saved segment (:mod:`wegweiser.analysis.segments`),
  evaluated at the end of the range (or now).
* **by_segment**: the analysis once per named segment; every table gains a first column
  ``segment``.
* **by_persona**: the analysis once per remembered persona (``wegweiser personas``; as the
  filter ``persona = ID`` does it); every table gains a first column ``persona`` (its name).
  Persons with too few events for a persona are in none. Without a remembered fit: an error
  saying to run ``wegweiser personas`` first.
* **compare_previous** (KPIs, funnel, conversion, attribution): the analysis also runs on the
  period of the same length just before (``[since - span, since)``); the table
  ``comparison`` has per key and metric the ``current`` and ``previous`` value, the
  ``change`` (current - previous) and ``relative_change`` (change / |previous|).

>>> r = date_range(since="2026-10-01", until="2026-10-31")
>>> r.since.isoformat(), r.until.isoformat()
('2026-10-01T00:00:00+00:00', '2026-11-01T00:00:00+00:00')
>>> r.previous().since.isoformat()
'2026-08-31T00:00:00+00:00'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import ibis
import pandas as pd
from pydantic import Field

from wegweiser.analysis import filters
from wegweiser.analysis._codes import has_codes
from wegweiser.analysis._persona_assign import after_purchase_phases
from wegweiser.analysis._persona_assign import assign as assign_personas
from wegweiser.analysis._persona_assign import resolve as resolve_personas
from wegweiser.analysis.params import Duration, Name, Names, Params, parse_duration
from wegweiser.analysis.result import Result, Tables
from wegweiser.analysis.segments import members
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs
    from wegweiser.config import Config

__all__ = ["Comparable", "DateRange", "Scope", "compare_tables", "date_range", "scoped"]

MOMENT = Annotated[
    str,
    Field(
        max_length=40, examples=["2026-10-01"], json_schema_extra={"format": "date-or-date-time"}
    ),
]


#: ``where`` as a request carries it: texts and condition objects, read and checked when the
#: analysis runs (:func:`check`), so that a condition that does not parse is a 400 with its
#: reason and position, like every other value that does not fit
Where = Annotated[
    list[Annotated[str, Field(max_length=1000)] | filters.ConditionShape], Field(max_length=100)
]


class Scope(Params):
    """The fields every analysis of the journey has (see :mod:`wegweiser.analysis.scope`)."""

    since: MOMENT | None = Field(
        None, description="Only events from this date or time on (inclusive, UTC)."
    )
    until: MOMENT | None = Field(
        None, description="Only events before this time; a date includes that whole day."
    )
    last: Duration | None = Field(
        None, description="Only the last span before --until (or now): 30d, 12h, 2w."
    )
    where: Where = Field(
        default_factory=list,
        description="Filter, repeatable, all must hold: country=DE, 'channel in email,ads', "
        "'property:plan != free', 'trait:tier is set' (docs/analyses.md, Filters).",
    )
    segment: Name | None = Field(None, description="Only the members of this saved segment.")
    by_segment: Names = Field(
        default_factory=list, description="Break down by these saved segments: a,b."
    )
    by_persona: bool = Field(
        False, description="Break down by the remembered personas (`wegweiser personas`)."
    )


class Comparable(Scope):
    """:class:`Scope` and the comparison with the previous period."""

    compare_previous: bool = Field(
        False, description="Also the period of the same length before (needs a range)."
    )


def check(p: Scope) -> None:
    """Refuse a scope whose fields do not fit together (:class:`InvalidInput`: a 400 on the
    API, not a schema error, as each field alone is valid)."""
    filters.conditions(p.where)
    rng = date_range(since=p.since, until=p.until, last=p.last)
    if getattr(p, "compare_previous", False) and rng.span is None:
        raise InvalidInput(
            "compare_previous needs a closed range: give --last, or --since and --until"
        )


@dataclass(frozen=True)
class DateRange:
    """``since <= timestamp < until`` (either side may be open)."""

    since: datetime | None = None
    until: datetime | None = None

    @property
    def span(self) -> timedelta | None:
        if self.since is None or self.until is None:
            return None
        return self.until - self.since

    def previous(self) -> DateRange:
        """The range of the same length just before this one."""
        span = self.span
        if span is None or self.since is None:
            raise InvalidInput("the previous period needs a closed range (since and until)")
        return DateRange(self.since - span, self.since)

    @property
    def is_open(self) -> bool:
        return self.since is None and self.until is None


def _moment(text: str, *, what: str, end: bool) -> datetime:
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise InvalidInput(
            f"cannot read {what} {text!r}; write a date like 2026-10-01 or a "
            "time like 2026-10-01T18:00:00Z"
        ) from None
    if len(raw) == 10 and end:
        try:
            moment += timedelta(days=1)
        except OverflowError:
            raise InvalidInput(f"{what} {text!r} is out of range") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def date_range(
    *,
    since: str | None = None,
    until: str | None = None,
    last: str | None = None,
    now: datetime | None = None,
) -> DateRange:
    """The range the parameters mean (see the module docstring)."""
    start = _moment(since, what="since", end=False) if since else None
    stop = _moment(until, what="until", end=True) if until else None
    if last:
        if start is not None:
            raise InvalidInput(
                "give --since or --last, not both (--last counts back from --until or now)"
            )
        stop = stop or (now or datetime.now(UTC))
        try:
            start = stop - parse_duration(last, what="last")
        except OverflowError:
            raise InvalidInput(f"last {last!r} reaches before year 1; use a shorter span") from None
    if start is not None and stop is not None and start >= stop:
        raise InvalidInput(
            f"the range is empty: since {start.isoformat()} is not before until {stop.isoformat()}"
        )
    return DateRange(start, stop)


# -- the scoped inputs ------------------------------------------------------------------------
class _Scoped:
    """Inputs whose journey (and costs) are restricted; counts whether the journey was read."""

    def __init__(self, inputs: Inputs, journey: Any, rng: DateRange, *, plain: bool) -> None:
        self._inputs, self._journey, self._range = inputs, journey, rng
        self._plain = plain  # no range, filter or segment: all the data
        self.read = False

    @property
    def config(self) -> Config:
        return self._inputs.config

    def journey(self) -> ir.Table:
        self.read = True
        table: ir.Table = self._journey() if callable(self._journey) else self._journey
        return table

    def whole_journey(self) -> ir.Table | None:
        """The journey before the scope, when the scope restricts it (else None): for what
        links an event in scope to an earlier one, such as feedback to the touchpoint it is
        about, which may lie before the range or outside a filter."""
        if self._plain:
            return None
        return self._inputs.journey()

    def rollup(self, name: str) -> ir.Table | None:
        """The project's roll-up ``name`` (:mod:`wegweiser.analysis.rollups`) when the scope
        is all the data and the inputs have it; else None (compute from the journey)."""
        found = getattr(self._inputs, "rollup", None)
        if not self._plain or found is None:
            return None
        self.read = True
        table: ir.Table = found(name)
        return table

    def costs(self) -> ir.Table | None:
        costs = self._inputs.costs()
        if costs is None or self._range.is_open:
            return costs
        day = costs.date.cast("date")
        if self._range.since is not None:
            costs = costs.filter(day >= self._range.since.date())
        if self._range.until is not None:
            stop = self._range.until
            last = (
                stop.date()
                if stop.time() != datetime.min.time()
                else (stop - timedelta(days=1)).date()
            )
            costs = costs.filter(day <= last)
        return costs

    def traits(self, key: str) -> ir.Table:
        return self._inputs.traits(key)

    def segment(self, name: str) -> Any:
        return self._inputs.segment(name)

    def persona_memory(self) -> dict[str, Any] | None:
        return self._inputs.persona_memory()

    def text_cache(self) -> Any:
        """The project's cache of understood feedback texts, when the inputs have one."""
        cached = getattr(self._inputs, "text_cache", None)
        return cached() if callable(cached) else None

    def annotations(self) -> list[Any]:
        """The project's marked dates, when the inputs have them."""
        found = getattr(self._inputs, "annotations", None)
        return list(found()) if callable(found) else []

    def remember_personas(self, memory: dict[str, Any]) -> None:
        """Kept only for a fit on all data: a fit on a date range, filter or segment names
        its personas from the project's memory but does not replace it."""
        if self._plain:
            self._inputs.remember_personas(memory)


def _renumbered(kept: ir.Table, columns: list[str]) -> ir.Table:
    """``seq``, ``next_event``, ``next_timestamp`` (and the code ``next_event_n``, when the
    journey has codes) over the kept events only."""
    order = ibis.window(group_by="person_id", order_by=["seq"])
    codes = {"next_event_n": kept.event_n.lead().over(order)} if has_codes(kept) else {}
    out = kept.mutate(
        seq=ibis.row_number().over(order).cast("int64"),
        next_event=kept.event.lead().over(order),
        next_timestamp=kept.timestamp.lead().over(order),
        **codes,
    )
    return out.select(*columns)


def _restrict(
    inputs: Inputs, journey: ir.Table, p: Scope, rng: DateRange, only: list[str], renumber: bool
) -> ir.Table:
    """The journey of the scope: members of ``only`` segments, conditions, range."""
    columns = list(journey.columns)
    t = journey
    as_of = rng.until
    for name in only:
        seg = inputs.segment(name)
        who = members(journey, seg, as_of=as_of, traits=inputs.traits,
                      personas=persona_side(inputs, journey),
                      scores=getattr(inputs, "score_table", None))
        t = t.filter(t.person_id.isin(who.person_id))
    conds = [c for c in filters.conditions(p.where) if c.step is None]
    event_level = (any(c.field not in ("trait", "persona", "score") for c in conds)
                   or not rng.is_open)
    t = filters.apply(t, conds, inputs.traits, personas=persona_side(inputs, journey),
                      scores=getattr(inputs, "score_table", None))
    if rng.since is not None:
        t = t.filter(t.timestamp >= ibis.literal(rng.since))
    if rng.until is not None:
        t = t.filter(t.timestamp < ibis.literal(rng.until))
    if renumber and event_level and "seq" in columns:
        return _renumbered(t, columns)
    return t


def persona_side(
    inputs: Inputs, journey: ir.Table
) -> Callable[[Sequence[str]], tuple[ir.Table, list[str]]]:
    """For ``persona`` conditions: each person's remembered persona (over the whole
    ``journey``) and the ids that values name (:mod:`._persona_assign`)."""

    def side(values: Sequence[str]) -> tuple[ir.Table, list[str]]:
        memory = inputs.persona_memory()
        ids = resolve_personas(memory, values)  # says so when no fit is remembered
        kept = getattr(inputs, "persona_assignment", None)  # a breakdown computes it once
        if callable(kept):
            return kept(), ids
        phases = after_purchase_phases(inputs.config)
        return assign_personas(journey, memory, after_phases=phases), ids

    return side


def scoped(
    inputs: Inputs,
    p: Scope,
    *,
    rng: DateRange | None = None,
    only: list[str] | None = None,
    renumber: bool = True,
) -> _Scoped:
    """``inputs`` restricted to the scope of ``p`` (range ``rng`` instead of ``p``'s);
    ``renumber=False`` keeps ``seq`` with gaps and the ``next_*`` of the whole journey."""
    if rng is None:
        rng = date_range(since=p.since, until=p.until, last=p.last)
    chosen = [*([p.segment] if p.segment else []), *(only or [])]
    plain = rng.is_open and not p.where and not chosen
    if plain:
        return _Scoped(inputs, inputs.journey, rng, plain=True)
    journey = inputs.journey
    return _Scoped(
        inputs, lambda: _restrict(inputs, journey(), p, rng, chosen, renumber), rng, plain=False
    )


# -- comparison and breakdown -----------------------------------------------------------------
def compare_tables(
    current: pd.DataFrame, previous: pd.DataFrame, keys: tuple[str, ...]
) -> pd.DataFrame:
    """Long table: keys, metric, current, previous, change, relative_change (numeric
    columns of the two results, matched on ``keys``)."""
    metrics = [
        c
        for c in current.columns
        if c not in keys
        and pd.api.types.is_numeric_dtype(current[c])
        and not pd.api.types.is_bool_dtype(current[c])
    ]

    def long(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame(columns=[*keys, "metric", name])
        cols = [c for c in metrics if c in frame.columns]
        melted = frame[[*keys, *cols]].melt(id_vars=list(keys), var_name="metric", value_name=name)
        melted[name] = pd.to_numeric(melted[name], errors="coerce").astype("float64")
        return melted

    a, b = long(current, "current"), long(previous, "previous")
    if not keys:
        merged = a.merge(b, on=["metric"], how="outer")
    else:
        for frame in (a, b):
            for k in keys:
                frame[k] = frame[k].astype("object")
        merged = a.merge(b, on=[*keys, "metric"], how="outer")
    order = {m: i for i, m in enumerate(metrics)}
    merged["_o"] = merged["metric"].map(order)
    merged = merged.sort_values([*keys, "_o"], kind="stable", ignore_index=True).drop(columns="_o")
    merged["change"] = merged["current"] - merged["previous"]
    base = merged["previous"].abs()
    merged["relative_change"] = (merged["change"] / base).where(base > 0)
    return merged[[*keys, "metric", "current", "previous", "change", "relative_change"]]


def stacked(parts: dict[str, Result], *, column: str = "segment") -> Tables:
    """The tables of several results, each with a first column ``column`` (the label)."""
    names: list[str] = []
    for result in parts.values():
        names += [n for n in result.tables() if n not in names]
    frames = {}
    for name in names:
        pieces = [
            r.tables()[name].assign(**{column: label})
            for label, r in parts.items()
            if name in r.tables()
        ]
        frame = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()
        frames[name] = frame[[column, *[c for c in frame.columns if c != column]]]
    first = next(iter(parts.values()))
    return Tables(frames, params=first.params, note=getattr(first, "note", ""))


def with_table(result: Result, name: str, frame: pd.DataFrame) -> Tables:
    """``result``'s tables plus ``name``."""
    return Tables(
        {**result.tables(), name: frame}, params=result.params, note=getattr(result, "note", "")
    )
