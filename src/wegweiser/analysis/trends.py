"""Trends: events, persons, conversions and revenue over time, with DAU/WAU/MAU.

Definitions (all times are bucketed in **UTC**; a day is 00:00 to 24:00 UTC):

* **Periods** are UTC days, calendar weeks (Monday to Sunday) or calendar months. ``series``
  has one row per period from the first to the last day with an event (in the scope): a
  period without events is a row of zeros, never a gap. ``complete`` says whether the data
  covers the whole period (it starts on or after the first day with an event and ends on or
  before the last one); the partial first and last periods read low.
* Per period: ``events`` (count), ``persons`` (distinct persons with an event),
  ``conversions`` (events that are conversion events), ``converters`` (distinct persons with a
  conversion) and ``revenue`` (the revenue of the conversions). With ``events`` every figure
  counts only those events: the count or unique persons of any event over time.
* ``active``: per day ``dau`` (distinct persons active that day), ``wau`` (distinct persons
  active in the 7 days ending that day), ``mau`` (in the 30 days ending that day) and
  ``stickiness`` = dau / mau. ``complete`` says whether the 30-day window lies within the
  data: before that, mau (and wau in the first 6 days) reads low.
* ``totals``: one row over the scope: the figures above, the ``conversion_rate``
  (converters / persons), the mean ``dau`` and ``mau`` over the complete days (all days when
  none is complete; ``note`` says so) and their ratio ``stickiness``. With
  ``compare_previous`` the ``comparison`` sets them against the period before.
* ``by`` breaks ``breakdown`` down by a field of the journey (channel, device, country, ...):
  the :data:`MAX_GROUPS` groups with the most events, the rest as ``(other)``; ``group`` is the
  field's value (empty for events without one).
* ``annotations``: the project's marked dates (``annotations.toml``; campaign launches,
  fixes) within the periods shown, drawn on the charts.

>>> import ibis
>>> from datetime import datetime, UTC
>>> j = ibis.memtable({"person_id": ["a", "a", "b"], "event": ["x", "buy", "x"],
...     "timestamp": [datetime(2026, 10, d, 23, 59, tzinfo=UTC) for d in (5, 5, 7)],
...     "is_conversion": [False, True, False], "revenue": [None, 20.0, None]})
>>> trends(j, period="day").series[["events", "persons", "conversions"]].values.tolist()
[[2, 1, 1], [0, 0, 0], [1, 1, 0]]
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import Field

from wegweiser.analysis import rollups
from wegweiser.analysis._names import check_event_names
from wegweiser.analysis.params import Names, Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.analysis.retention import day_index, period_of_day, period_start
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable

    import ibis.expr.types as ir

    from wegweiser.analysis.annotations import Annotation
    from wegweiser.analysis.registry import Inputs

PERIODS = ("day", "week", "month")
#: the fields ``by`` may name
BY_FIELDS = ("channel", "campaign", "source", "medium", "device", "platform", "country",
             "phase", "event")
#: how many groups ``breakdown`` shows (the rest is ``other``)
MAX_GROUPS = 10
OTHER = "(other)"
METRICS = ("events", "persons", "conversions", "converters", "revenue")
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class TrendsResult(Result):
    """``series`` (per period), ``active`` (DAU/WAU/MAU per day), ``totals`` (one row),
    ``breakdown`` (per period and group, with ``by``) and ``annotations``."""

    series: pd.DataFrame
    active: pd.DataFrame
    totals: pd.DataFrame
    annotations: pd.DataFrame
    breakdown: pd.DataFrame | None = None
    note: str = field(default="", kw_only=True)


def trends(
    journey: ir.Table,
    *,
    period: str = "day",
    events: list[str] | None = None,
    by: str | None = None,
    annotations: Iterable[Annotation] = (),
    person_days: ir.Table | None = None,
) -> TrendsResult:
    """The trends of ``journey`` (see the module docstring for the definitions).

    ``person_days``: the journey's materialised roll-up (:mod:`wegweiser.analysis.rollups`),
    read instead of every event when ``events`` is not given (the same figures)."""
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    if by is not None and by not in BY_FIELDS:
        raise InvalidInput(f"by must be one of {', '.join(BY_FIELDS)}, got {by!r}")
    if events:
        check_event_names(journey, events, what="trends events")
    t = journey.filter(journey.event.isin(events)) if events else journey
    params: dict[str, Any] = {"period": period, "events": list(events or []), "by": by}
    t = t.mutate(day=day_index(t.timestamp))
    # one pass over the events: per person and day (every figure below is a sum or a
    # distinct count of persons over these rows): the roll-up, else a temporary table
    use = person_days if person_days is not None and not events else None
    with nullcontext(use) if use is not None else rollups.person_days(t).cache() as days:
        whole = _figures(days, [], first=days.day.min(), last=days.day.max(),
                         rolled=use is not None)
        if pd.isna(whole["first"].iloc[0]):
            return _empty(period, by, params)
        first, last = int(whole["first"].iloc[0]), int(whole["last"].iloc[0])
        indices = range(_index(first, period), _index(last, period) + 1)
        in_periods = days.mutate(period=period_of_day(days.day, period, span=(first, last)))
        series = _series(_figures(in_periods, ["period"], daily=period == "day"), indices,
                         period, first, last)
        active, note = _active(days, first, last)
    breakdown = None
    if by:
        t = t.mutate(period=period_of_day(t.day, period, span=(first, last)))
        breakdown = _breakdown(t, by, indices, period)
    marks = _marks(annotations, period_start(indices[0], period),
                   period_start(indices[-1] + 1, period))
    totals = _totals(whole.drop(columns=["first", "last"]), active)
    return TrendsResult(series=series, active=active, totals=totals, params=params,
                        annotations=marks, breakdown=breakdown, note=note)


def _index(day: int, period: str) -> int:
    """The period of day number ``day`` (as :func:`period_of_day` numbers them)."""
    date = _EPOCH + dt.timedelta(days=day)
    if period == "month":
        return date.year * 12 + date.month - 1
    return day if period == "day" else (day + 3) // 7


def _figures(days: ir.Table, keys: list[Any], *, daily: bool = False, rolled: bool = False,
             **more: Any) -> pd.DataFrame:
    """The figures of the person-days ``days`` per ``keys`` (no keys: one row, with
    ``more``). Distinct persons are counted without hashing their ids where the rows allow
    it: ``daily`` (one key row per person and day: a row is a person) and ``rolled`` (all of
    a person's days are in ``days`` with ``prev_day``: a row without one is a person)."""
    if daily:
        persons, converters = days.count(), days.converted.sum()
    else:
        persons = (days.prev_day.isnull().sum() if rolled else days.person_id.nunique())
        converters = days.person_id.nunique(where=days.converted > 0)
    figures = {
        "events": days.events.sum(), "persons": persons,
        "conversions": days.conversions.sum(), "converters": converters,
        "revenue": days.revenue.sum(), **more,
    }
    return to_frame(days.group_by(keys).agg(**figures) if keys else days.aggregate(**figures))


def _fill(frame: pd.DataFrame) -> pd.DataFrame:
    for name in METRICS:
        values = pd.to_numeric(frame[name]).fillna(0)
        frame[name] = values.astype("float64") if name == "revenue" else values.astype("int64")
    return frame


def _series(counts: pd.DataFrame, indices: range, period: str, first: int, last: int
            ) -> pd.DataFrame:
    frame = counts.set_index("period").reindex(list(indices)).reset_index()
    frame = _fill(frame)
    starts = [period_start(i, period) for i in indices]
    ends = [period_start(i + 1, period) for i in indices]
    frame.insert(0, "period_start", starts)
    frame["complete"] = [(s - _EPOCH).days >= first and (e - _EPOCH).days - 1 <= last
                         for s, e in zip(starts, ends, strict=True)]
    return frame[["period_start", *METRICS, "complete"]]


def _active(per_day: ir.Table, first: int, last: int) -> tuple[pd.DataFrame, str]:
    """DAU, and WAU/MAU by counting each person's covered days without expanding rows: a
    person active on day ``d`` whose previous active day was ``p`` adds the days
    ``max(d, p + w) .. d + w - 1`` to its coverage of window ``w`` (disjoint per person)."""
    import ibis

    if "prev_day" in per_day.columns:  # the roll-up has it
        days = per_day.select("person_id", "day", prev=per_day.prev_day)
    else:  # one row per person and day
        days = rollups.with_previous_day(per_day.select("person_id", "day"))
        days = days.rename(prev="prev_day")
    # every person-day adds one day where its coverage starts and ends it w days later:
    # the ends on day x are the dau of day x - w, so only the starts need the engine
    parts = [days.select(at=days.day, w=ibis.literal(1))]
    for w in (7, 30):
        start = ibis.greatest(days.day, (days.prev + w).fill_null(days.day))
        parts.append(days.select(at=start, w=ibis.literal(w)))
    stacked = ibis.union(*parts)
    counts = to_frame(stacked.group_by("at", "w").agg(n=stacked.count()))
    span = list(range(first, last + 1))
    out = pd.DataFrame({"day": [_EPOCH + dt.timedelta(days=d) for d in span]})

    def on_each_day(w: int) -> pd.Series:
        part = counts[counts["w"] == w].set_index("at")["n"]
        return part.reindex(span, fill_value=0).astype("int64")

    dau = on_each_day(1)
    out["dau"] = dau.to_numpy()
    for w, name in ((7, "wau"), (30, "mau")):
        ends = dau.shift(w, fill_value=0)
        out[name] = (on_each_day(w) - ends).cumsum().to_numpy()
    out["stickiness"] = (out["dau"] / out["mau"]).where(out["mau"] > 0)
    out["complete"] = [d - 29 >= first for d in span]
    note = "" if out["complete"].any() else (
        "the data spans less than 30 days: mau, and the stickiness of the totals, read "
        "over the partial window")
    return out, note


def _totals(whole: pd.DataFrame, active: pd.DataFrame) -> pd.DataFrame:
    frame = _fill(whole.copy())
    persons = int(frame["persons"].iloc[0])
    frame["conversion_rate"] = frame["converters"] / persons if persons else float("nan")
    days = active[active["complete"]] if active["complete"].any() else active
    frame["dau"] = float(days["dau"].mean())
    frame["mau"] = float(days["mau"].mean())
    frame["stickiness"] = frame["dau"] / frame["mau"] if frame["mau"].iloc[0] else float("nan")
    return frame.reset_index(drop=True)


def _breakdown(t: ir.Table, by: str, indices: range, period: str) -> pd.DataFrame:
    import ibis

    value = t[by].cast("string")
    tops = to_frame(t.group_by(group=value).agg(n=t.count()))
    tops = tops.sort_values(["n", "group"], ascending=[False, True], na_position="last")
    keep = list(tops["group"].head(MAX_GROUPS))
    kept = [g for g in keep if isinstance(g, str)]
    grouped = value
    if len(tops) > MAX_GROUPS:
        stays = value.isin(kept)
        if len(kept) < len(keep):  # no value is among the largest groups
            stays = stays | value.isnull()
        grouped = ibis.ifelse(stays.fill_null(False), value, ibis.literal(OTHER))
    grouped_days = rollups.person_days(t.mutate(group=grouped), ("period", "group"))
    frame = _fill(_figures(grouped_days, ["period", "group"]))
    groups = list(dict.fromkeys([*keep, *([OTHER] if len(tops) > MAX_GROUPS else [])]))
    grid = pd.MultiIndex.from_product([list(indices), groups], names=["period", "group"])
    frame["group"] = frame["group"].astype(object).where(frame["group"].notna(), None)
    frame = frame.set_index(["period", "group"]).reindex(grid).reset_index()
    frame = _fill(frame)
    frame.insert(0, "period_start", [period_start(int(i), period) for i in frame["period"]])
    return frame[["period_start", "group", *METRICS]]


def _marks(annotations: Iterable[Annotation], start: dt.date, stop: dt.date) -> pd.DataFrame:
    rows = [{"date": a.date, "text": a.text, "kind": a.kind} for a in annotations
            if start <= a.date < stop]
    return pd.DataFrame(rows, columns=["date", "text", "kind"])


def _empty(period: str, by: str | None, params: dict[str, Any]) -> TrendsResult:
    def frame(columns: dict[str, str]) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series([], dtype=k) for c, k in columns.items()})

    metrics = {m: "float64" if m == "revenue" else "int64" for m in METRICS}
    series = frame({"period_start": "object", **metrics, "complete": "bool"})
    active = frame({"day": "object", "dau": "int64", "wau": "int64", "mau": "int64",
                    "stickiness": "float64", "complete": "bool"})
    totals = pd.DataFrame([{**{m: 0 for m in METRICS}, "revenue": 0.0,
                            "conversion_rate": float("nan"), "dau": float("nan"),
                            "mau": float("nan"), "stickiness": float("nan")}])
    breakdown = frame({"period_start": "object", "group": "object", **metrics}) if by else None
    return TrendsResult(series=series, active=active, totals=totals, params=params,
                        annotations=_marks((), _EPOCH, _EPOCH), breakdown=breakdown)


# -- registry ---------------------------------------------------------------------------------
class TrendsParams(Params):
    """Trends: events, persons, conversions and revenue per day, week or month (UTC), with
    DAU/WAU/MAU and stickiness (DAU/MAU).

    series: per period events, persons (distinct), conversions, converters (distinct) and
    revenue; periods without events are zeros; complete says whether the data covers the
    whole period. active: per day the distinct persons active that day (dau), in the 7 days
    (wau) and in the 30 days (mau) ending that day, and dau/mau. With events, every figure
    counts only those events. by breaks the series down by a field (the 10 largest groups,
    the rest as other). annotations: the project's marked dates.
    """

    period: Literal["day", "week", "month"] = Field("day", description="UTC days, weeks or "
                                                    "months.")
    events: Names | None = Field(
        None, description="Count only these events, comma-separated (default: all)."
    )
    by: Literal["channel", "campaign", "source", "medium", "device", "platform", "country",
                "phase", "event"] | None = Field(
        None, description="Break the series down by this field.")


def _compute(inputs: Inputs, p: TrendsParams) -> TrendsResult:
    marks = getattr(inputs, "annotations", None)
    rollup = getattr(inputs, "rollup", None)
    days = rollup("person_days") if callable(rollup) and not p.events else None
    return trends(inputs.journey(), period=p.period, events=p.events or None, by=p.by,
                  annotations=marks() if callable(marks) else (), person_days=days)


def _view_of(p: TrendsParams) -> str | None:
    return "breakdown" if p.by else None


ANALYSIS = Analysis(
    name="trends",
    renumber=False,  # reads no seq, no next_event
    params=TrendsParams,
    compute=_compute,
    title=Words("Trends", "Trends"),
    summary=Words("Events, persons, conversions and revenue over time; DAU/WAU/MAU",
                  "Ereignisse, Personen, Conversions und Umsatz im Zeitverlauf; DAU/WAU/MAU"),
    views={"series": "series", "active": "active", "totals": "totals",
           "breakdown": "breakdown", "annotations": "annotations"},
    view_of=_view_of,
    charts=(
        Chart("line", "series", x="period_start", y=("persons", "converters"), marks="annotations",
              title=Words("Persons and converters per period",
                          "Personen und Käufer je Zeitraum")),
        Chart("line", "series", x="period_start", y="events", marks="annotations",
              title=Words("Events per period", "Ereignisse je Zeitraum")),
        Chart("line", "series", x="period_start", y="revenue", format="money",
              marks="annotations", title=Words("Revenue per period", "Umsatz je Zeitraum")),
        Chart("line", "active", x="day", y=("dau", "wau", "mau"), marks="annotations",
              title=Words("Daily, weekly and monthly active persons",
                          "Täglich, wöchentlich und monatlich aktive Personen")),
        Chart("line", "active", x="day", y="stickiness", format="percent",
              title=Words("Stickiness (DAU/MAU)", "Stickiness (DAU/MAU)")),
        Chart("line", "breakdown", x="period_start", y="persons", color="group",
              marks="annotations", title=Words("Persons per period by group",
                                               "Personen je Zeitraum nach Gruppe")),
    ),
    compare=("totals", ()),
    report=True,
)
