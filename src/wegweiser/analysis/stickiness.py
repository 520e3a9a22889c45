"""Stickiness: on how many distinct days of a week (or month) persons are active.

The analysis PostHog and Amplitude call stickiness: not *whether* people come back, but
*how often* -- a product used daily and one used once a week have the same weekly retention.

Definitions:

* An **active day** of a person is a calendar day (UTC) with at least one of their events
  (with ``events``: one of those events), on any device.
* **Periods** are calendar weeks (Monday to Sunday, UTC) or calendar months. A period is
  **complete** when the data covers all of it: it starts on or after the day of the first
  event in the journey and ends on or before the day of the last one. The partial first and
  last periods would make everyone look less sticky, so ``distribution`` and ``summary``
  count complete periods only (all periods when none is complete; ``note`` says so).
* A **person-period** is a person with at least one active day in a period.
  ``distribution`` has one row per number of active days ``days`` (1..7 or 1..31):
  ``persons`` = person-periods with exactly that many active days, ``share`` = their share
  of all person-periods, ``cumulative_share`` = the share with ``days`` or more.
* ``by_period``: per period its start, the active ``persons``, the mean active days per
  active person and whether it is ``complete``. ``summary``: person-periods, mean and
  median active days, and the share active on at least half of the period's days.

>>> import ibis
>>> from datetime import datetime, UTC
>>> days = [5, 5, 6, 7, 5, 12]  # Mon 5 Oct 2026 .. ; person b only on Monday
>>> j = ibis.memtable({"person_id": ["a", "a", "a", "a", "b", "b"], "event": ["x"] * 6,
...     "timestamp": [datetime(2026, 10, d, 12, tzinfo=UTC) for d in days]})
>>> stickiness(j).distribution.query("persons > 0")[["days", "persons"]].values.tolist()
[[1, 1], [3, 1]]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import Field

from wegweiser.analysis._names import check_event_names
from wegweiser.analysis.params import Names, Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.analysis.retention import day_index, period_of_day, period_start
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs

PERIODS = ("week", "month")
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class StickinessResult(Result):
    """``distribution`` (days, persons, share, cumulative_share), ``by_period``
    (period_start, persons, mean_days, complete) and ``summary`` (one row)."""

    distribution: pd.DataFrame
    by_period: pd.DataFrame
    summary: pd.DataFrame
    note: str = field(default="", kw_only=True)


def _length(index: int, period: str) -> int:
    start = period_start(index, period)
    end = period_start(index + 1, period)
    return (end - start).days


def stickiness(
    journey: ir.Table, *, period: str = "week", events: list[str] | None = None
) -> StickinessResult:
    """Active days per person and period (see the module docstring for the definitions)."""
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    if events:
        check_event_names(journey, events, what="stickiness events")
    counted = journey.filter(journey.event.isin(events)) if events else journey
    days = counted.select(person_id=counted.person_id, day=day_index(counted.timestamp))
    days = days.distinct()
    bounds = to_frame(journey.aggregate(first=day_index(journey.timestamp).min(),
                                        last=day_index(journey.timestamp).max())).iloc[0]
    params: dict[str, Any] = {"period": period, "events": list(events or [])}
    longest = 7 if period == "week" else 31
    if pd.isna(bounds["first"]):
        return _empty(longest, params)
    first, last = int(bounds["first"]), int(bounds["last"])
    days = days.mutate(period=period_of_day(days.day, period, span=(first, last)))
    per_person = days.group_by("person_id", "period").agg(n=days.day.nunique())
    periods = to_frame(per_person.group_by("period", "n").agg(persons=per_person.count()))
    if periods.empty:
        return _empty(longest, params)
    periods["complete"] = [
        (period_start(int(p), period) - _EPOCH).days >= first
        and (period_start(int(p) + 1, period) - _EPOCH).days - 1 <= last
        for p in periods["period"]
    ]
    note = ""
    counted_periods = periods[periods["complete"]]
    if counted_periods.empty:
        counted_periods = periods
        note = ("no complete period in the data: distribution and summary count the partial "
                "ones, which understate stickiness")
    return StickinessResult(
        distribution=_distribution(counted_periods, longest),
        by_period=_by_period(periods, period),
        summary=_summary(counted_periods, period),
        params=params, note=note,
    )


def _distribution(periods: pd.DataFrame, longest: int) -> pd.DataFrame:
    counts = periods.groupby("n")["persons"].sum()
    frame = pd.DataFrame({"days": range(1, longest + 1)})
    frame["persons"] = [int(counts.get(d, 0)) for d in frame["days"]]
    total = frame["persons"].sum()
    frame["share"] = frame["persons"] / total if total else float("nan")
    frame["cumulative_share"] = frame["share"][::-1].cumsum()[::-1]
    return frame


def _by_period(periods: pd.DataFrame, period: str) -> pd.DataFrame:
    periods = periods.assign(day_total=periods["n"] * periods["persons"])
    grouped = periods.groupby("period").agg(
        persons=("persons", "sum"), day_total=("day_total", "sum"), complete=("complete", "first")
    ).reset_index().sort_values("period")
    return pd.DataFrame({
        "period_start": [period_start(int(p), period) for p in grouped["period"]],
        "persons": grouped["persons"].astype("int64").to_numpy(),
        "mean_days": (grouped["day_total"] / grouped["persons"]).to_numpy(),
        "complete": grouped["complete"].astype(bool).to_numpy(),
    })


def _summary(periods: pd.DataFrame, period: str) -> pd.DataFrame:
    n = periods["persons"].sum()
    expanded = periods.loc[periods.index.repeat(periods["persons"])]
    half = [
        n_days * 2 >= _length(int(p), period)
        for p, n_days in zip(expanded["period"], expanded["n"], strict=True)
    ]
    return pd.DataFrame([{
        "person_periods": int(n),
        "mean_days": float((periods["n"] * periods["persons"]).sum() / n),
        "median_days": float(expanded["n"].median()),
        "share_half_or_more": float(sum(half) / n),
    }])


def _empty(longest: int, params: dict[str, Any]) -> StickinessResult:
    frame = pd.DataFrame({"days": range(1, longest + 1), "persons": 0})
    frame["share"] = float("nan")
    frame["cumulative_share"] = float("nan")
    by_period = pd.DataFrame({"period_start": pd.Series([], dtype=object),
                              "persons": pd.Series([], dtype="int64"),
                              "mean_days": pd.Series([], dtype="float64"),
                              "complete": pd.Series([], dtype=bool)})
    summary = pd.DataFrame([{"person_periods": 0, "mean_days": float("nan"),
                             "median_days": float("nan"), "share_half_or_more": float("nan")}])
    return StickinessResult(distribution=frame, by_period=by_period, summary=summary,
                            params=dict(params))


# -- registry ---------------------------------------------------------------------------------
class StickinessParams(Params):
    """Stickiness: on how many distinct days of a week (or month) persons are active.

    An active day is a UTC calendar day with at least one of the person's events (with
    events: one of those). Periods are calendar weeks (Monday to Sunday) or months; only
    periods the data covers completely count in the distribution and summary (the partial
    first and last ones would understate it). distribution: person-periods by number of
    active days, with the share active that many days or more; by_period: active persons and
    mean active days per period.
    """

    period: Literal["week", "month"] = Field("week", description="Calendar weeks or months.")
    events: Names | None = Field(
        None, description="Events that make a day active, comma-separated (default: any)."
    )


def _compute(inputs: Inputs, p: StickinessParams) -> StickinessResult:
    return stickiness(inputs.journey(), period=p.period, events=p.events or None)


ANALYSIS = Analysis(
    name="stickiness",
    renumber=False,  # reads seq only as an order, no next_event
    params=StickinessParams,
    compute=_compute,
    title=Words("Stickiness", "Stickiness"),
    summary=Words("Active days per person and week or month",
                  "Aktive Tage je Person und Woche oder Monat"),
    views={"distribution": "distribution", "periods": "by_period", "summary": "summary"},
    charts=(Chart("bar", "distribution", x="days", y="persons",
                  title=Words("Persons by active days per period",
                              "Personen nach aktiven Tagen je Zeitraum")),),
    report=True,
)
