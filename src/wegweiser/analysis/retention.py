"""Retention: cohorts, churn and lifecycle states over calendar periods.

Definitions:

* **Periods** are calendar days, weeks (Monday to Sunday) or months in UTC; an event at
  midnight UTC (Monday midnight for weeks, the 1st for months) belongs to the period that
  starts then.
* A person's **cohort** is the period of their first event (``cohort_by="first_event"``) or
  of their first conversion event (``"first_purchase"``; persons who never converted are in
  no cohort). Periods are numbered from the cohort: ``period`` 0 is the cohort period.
* A person is **active** in a period when they have a qualifying event in it: any event, or
  with ``return_event`` an event of that name (or names). The cohort period always counts as
  active (the cohort event put the person there), so period 0 retains the whole cohort.
  Activity before the cohort period is ignored.
* ``kind="n_period"``: retained in period *k* = active in period *k*.
  ``kind="unbounded"``: retained in period *k* = active in period *k* **or any later** period
  (up to the end of the data).
* Only observed periods are reported: periods after the one holding the journey's last
  event are left out. ``max_periods`` caps *k*.
* **Partial period.** The period holding the journey's last event is not complete (the data
  may go on): every table marks it ``complete = False``, and its retention ``rate`` and
  ``churn_rate`` are not computed (NaN) — a period seen only in part is not a drop.
  ``retained`` and ``churned`` count what was seen so far.
* **Outlier dates.** Events more than a year (365 days without any event) away from the
  bulk of the data, at most 1% of the events, are left out, and ``note`` says how many and
  when (:mod:`wegweiser.analysis._retention_span`): one event dated 1970 does not stretch the
  tables over 2,800 empty weeks.
* **Lifecycle**, per calendar period *t*, among persons whose cohort period is *t* or earlier:
  ``new`` — cohort period is *t*; ``returning`` — active in *t* and in *t - 1*;
  ``resurrecting`` — active in *t*, not in *t - 1*, but active before; ``dormant`` — active in
  *t - 1*, not in *t*. Counts are positive (the figure draws ``dormant`` below zero).
* **Churn** of period *t*: of the persons active in *t - 1*, the share not active in *t*
  (``churned`` = dormant in *t*).

>>> period_start(2, "week"), period_start(20000, "day"), period_start(24314, "month")
(datetime.date(1970, 1, 12), datetime.date(2024, 10, 4), datetime.date(2026, 3, 1))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ibis
import pandas as pd
from pydantic import Field

from wegweiser.analysis._names import check_event_names
from wegweiser.analysis._retention_span import main_span
from wegweiser.analysis._time import seconds
from wegweiser.analysis.params import Names, Params, Period
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result, table_records, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir
    import plotly.graph_objects as go

COHORT_BY = ("first_event", "first_purchase")
PERIODS = ("day", "week", "month")
KINDS = ("n_period", "unbounded")
STATES = ("new", "returning", "resurrecting", "dormant")
_EPOCH = dt.date(1970, 1, 1)
_EPOCH_TS = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class RetentionResult(Result):
    """Cohort retention, churn and lifecycle.

    * ``cohorts`` — per cohort and period: ``cohort`` (start date), ``size``, ``period``
      (*k*), ``period_start``, ``retained``, ``rate``, ``complete``;
    * ``churn`` — per calendar period: ``period_start``, ``active``, ``active_previous``,
      ``retained`` (active in both), ``churned``, ``churn_rate`` (churned /
      active_previous), ``complete``;
    * ``lifecycle`` — per calendar period and state: ``period_start``, ``state``, ``persons``,
      ``complete``.

    ``complete`` is False for the partial last period (rates NaN there); ``note`` names the
    outlier dates left out, if any.
    """

    cohorts: pd.DataFrame
    churn: pd.DataFrame
    lifecycle: pd.DataFrame
    note: str = field(default="", kw_only=True)

    def figure(self) -> go.Figure:
        """Heatmap: cohorts (rows) by period (columns), coloured by retention rate."""
        import plotly.graph_objects as go

        frame = self.cohorts
        grid = frame.pivot(index="cohort", columns="period", values="rate").sort_index()
        sizes = frame.drop_duplicates("cohort").set_index("cohort")["size"].reindex(grid.index)
        labels = [f"{c} (n={int(n)})" for c, n in zip(grid.index, sizes, strict=True)]
        fig = go.Figure(go.Heatmap(
            z=grid.to_numpy(), x=[str(c) for c in grid.columns], y=labels,
            colorscale="Blues", zmin=0, zmax=1,
            text=[[f"{v:.0%}" if v == v else "" for v in row] for row in grid.to_numpy()],
            texttemplate="%{text}", hovertemplate="%{y}, period %{x}: %{z:.1%}",
        ))
        unit = self.params.get("period", "period")
        fig.update_layout(
            title=f"Retention by cohort ({self.params.get('kind', '')})",
            xaxis_title=f"{unit}s since cohort start", yaxis_title="cohort",
            yaxis_autorange="reversed",
        )
        return fig


def day_index(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Days since 1970-01-01 of ``ts`` in UTC."""
    return (seconds(ts) / 86400.0).floor().cast("int64")


def period_of_day(
    day: ir.IntegerValue, period: str, *, span: tuple[int, int] | None = None
) -> ir.IntegerValue:
    """The calendar period holding day number ``day`` as an integer: days, Monday-weeks or
    months since 1970 (week 0 is the one holding 1970-01-01, a Thursday).

    Months need ``span``, the first and last day number that can occur: the month is then
    found by comparing with the month starts in between (no calendar arithmetic per row).
    """
    if period == "day":
        return day
    if period == "week":
        return ((day + 3) / 7.0).floor().cast("int64")
    if span is None:
        raise ValueError("period_of_day(..., 'month') needs span=(first_day, last_day)")
    first = _month_of(span[0])
    last = _month_of(span[1])
    branches = [
        (day < (period_start(m + 1, "month") - _EPOCH).days, m) for m in range(first, last)
    ]
    if not branches:
        return ibis.literal(first, "int64")
    return ibis.cases(*branches, else_=last).cast("int64")


def _month_of(day: int) -> int:
    when = _EPOCH + dt.timedelta(days=day)
    return when.year * 12 + when.month - 1


def period_start(index: int, period: str) -> dt.date:
    """The first day of period ``index`` (see :func:`period_of_day`)."""
    if period == "month":
        return dt.date(index // 12, index % 12 + 1, 1)
    if period == "day":
        return _EPOCH + dt.timedelta(days=index)
    return _EPOCH + dt.timedelta(days=7 * index - 3)


def _check(cohort_by: str, period: str, kind: str, max_periods: int) -> None:
    for name, value, allowed in (
        ("cohort_by", cohort_by, COHORT_BY), ("period", period, PERIODS), ("kind", kind, KINDS),
    ):
        if value not in allowed:
            raise InvalidInput(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    if max_periods < 0:
        raise InvalidInput(f"max_periods must be 0 or more, got {max_periods}")


def activity(
    journey: ir.Table,
    *,
    cohort_by: str = "first_event",
    period: str = "week",
    return_event: str | Sequence[str] | None = None,
    span: tuple[int, int] | None = None,
) -> ir.Table:
    """Distinct (``person_id``, ``t``) of active periods from the cohort period ``c`` on,
    with ``c`` (see the module docstring); the cohort period is always included.

    Events are first reduced to person-days (one timestamp conversion per event), periods
    are then derived from the day numbers. ``span`` (first and last day number of the
    journey) is needed for months; without it one small query finds it.
    """
    aggs: dict[str, Any] = {"conv": journey.is_conversion.any()}
    if return_event is not None:
        names = [return_event] if isinstance(return_event, str) else list(return_event)
        aggs["ok"] = journey.event.isin(names).any()
    days = journey.group_by("person_id", day=day_index(journey.timestamp)).agg(**aggs)
    if return_event is None:
        days = days.mutate(ok=ibis.literal(True))
    if period == "month" and span is None:
        bounds = _bounds(journey)
        span = (_day_of(bounds["first"] or _EPOCH_TS), _day_of(bounds["last"] or _EPOCH_TS))
    days = days.mutate(t=period_of_day(days.day, period, span=span))
    base = days.filter(days.conv) if cohort_by == "first_purchase" else days
    cohorts = base.group_by("person_id").agg(c=base.t.min())
    active = days.filter(days.ok).select("person_id", "t")
    if period != "day":  # days are distinct per person already
        active = active.distinct()
    joined = active.join(cohorts, "person_id")
    later = joined.filter(joined.t > joined.c).select("person_id", "t", "c")
    own = cohorts.select("person_id", t=cohorts.c, c=cohorts.c)
    return later.union(own)


def _cohorts(
    act: ir.Table, *, kind: str, max_periods: int, last: int, period: str
) -> pd.DataFrame:
    if kind == "n_period":
        span = act.mutate(k=act.t - act.c)
        span = span.filter(span.k <= max_periods)
        counts = span.group_by("c", "k").agg(n=span.count())
    else:
        span = act.group_by("person_id", "c").agg(top=(act.t - act.c).max())
        counts = span.group_by("c", k=span.top).agg(n=span.count())
    found = {(int(c), int(k)): int(n) for c, k, n in to_frame(counts).itertuples(index=False)}
    sizes: dict[int, int] = {}
    for (c, k), n in found.items():  # everyone is active in period 0 / has a last period
        if kind == "unbounded" or k == 0:
            sizes[c] = sizes.get(c, 0) + n
    rows = []
    for c, size in sorted(sizes.items()):
        top = min(max_periods, last - c)
        tail = 0
        if kind == "unbounded":  # persons whose last active period is beyond max_periods
            tail = sum(n for (cc, kk), n in found.items() if cc == c and kk > top)
        retained = [found.get((c, k), 0) for k in range(top + 1)]
        if kind == "unbounded":
            running = tail
            for k in range(top, -1, -1):
                running += retained[k]
                retained[k] = running
        for k in range(top + 1):
            complete = c + k < last
            rows.append({
                "cohort": period_start(c, period), "size": size, "period": k,
                "period_start": period_start(c + k, period), "retained": retained[k],
                "rate": retained[k] / size if complete else float("nan"),
                "complete": complete,
            })
    columns = ["cohort", "size", "period", "period_start", "retained", "rate", "complete"]
    return pd.DataFrame(rows, columns=columns).astype(
        {"size": "int64", "period": "int64", "retained": "int64", "rate": "float64",
         "complete": "bool"}
    )


def _lifecycle(act: ir.Table, *, last: int, period: str) -> pd.DataFrame:
    order = ibis.window(group_by="person_id", order_by="t")
    seq = act.mutate(prev=act.t.lag().over(order), nxt=act.t.lead().over(order))
    state = ibis.cases(
        (seq.t == seq.c, "new"),
        (seq.prev == seq.t - 1, "returning"),
        else_="resurrecting",
    )
    active = seq.group_by(t=seq.t, state=state).agg(persons=seq.count())
    gone = seq.filter(seq.nxt.isnull() | (seq.nxt != seq.t + 1))
    dormant = gone.group_by(t=gone.t + 1).agg(persons=gone.count())
    dormant = dormant.select("t", state=ibis.literal("dormant"), persons=dormant.persons)
    frame = to_frame(active.union(dormant))
    frame = frame[frame["t"] <= last]
    first = int(frame["t"].min()) if len(frame) else 0
    full = pd.MultiIndex.from_product([range(first, last + 1), STATES], names=["t", "state"])
    if not len(frame):
        full = full[:0]
    counts = frame.set_index(["t", "state"])["persons"].reindex(full, fill_value=0)
    out = counts.reset_index()
    out.insert(0, "period_start", [period_start(int(t), period) for t in out["t"]])
    out["complete"] = out["t"] < last
    return out[["period_start", "state", "persons", "complete", "t"]].astype(
        {"persons": "int64", "complete": "bool"})


def _churn(lifecycle: pd.DataFrame) -> pd.DataFrame:
    wide = lifecycle.pivot_table(
        index=["t", "period_start", "complete"], columns="state", values="persons",
        aggfunc="sum", fill_value=0,
    ).reindex(columns=list(STATES), fill_value=0).reset_index()
    active = wide["new"] + wide["returning"] + wide["resurrecting"]
    previous = active.shift(1, fill_value=0)
    frame = pd.DataFrame({
        "period_start": wide["period_start"],
        "active": active.astype("int64"),
        "active_previous": previous.astype("int64"),
        "retained": wide["returning"].astype("int64"),
        "churned": wide["dormant"].astype("int64"),
    })
    frame["churn_rate"] = (frame["churned"] / frame["active_previous"]).where(
        (frame["active_previous"] > 0) & wide["complete"].astype(bool)
    )
    frame["complete"] = wide["complete"].astype(bool)
    return frame.reset_index(drop=True)


def retention(
    journey: ir.Table,
    *,
    cohort_by: str = "first_event",
    period: str = "week",
    kind: str = "n_period",
    return_event: str | Sequence[str] | None = None,
    max_periods: int = 12,
) -> RetentionResult:
    """Cohort retention table, churn per period and lifecycle states per period."""
    _check(cohort_by, period, kind, max_periods)
    params: dict[str, Any] = {
        "cohort_by": cohort_by, "period": period, "kind": kind,
        "return_event": return_event if isinstance(return_event, str | None)
        else list(return_event),
        "max_periods": max_periods,
    }
    day = day_index(journey.timestamp)
    days = to_frame(journey.group_by(day=day).agg(n=journey.count()))
    if days.empty:
        empty = _lifecycle_empty()
        return RetentionResult(
            cohorts=_cohorts_empty(), churn=_churn(empty), lifecycle=empty.drop(columns="t"),
            params=params,
        )
    if return_event is not None:
        check_event_names(journey, [return_event] if isinstance(return_event, str)
                          else return_event, what="retention return event")
    span = main_span(days)
    params["excluded_events"] = span.excluded  # outlier dates left out (see ``note``)
    if span.excluded:
        journey = journey.filter((day >= span.first_day) & (day <= span.last_day))
    last = _period_of(span.last_day, period)
    act = activity(journey, cohort_by=cohort_by, period=period, return_event=return_event,
                   span=(span.first_day, span.last_day))
    with act.cache() as cached:
        cohorts = _cohorts(cached, kind=kind, max_periods=max_periods, last=last, period=period)
        lifecycle = _lifecycle(cached, last=last, period=period)
    return RetentionResult(
        cohorts=cohorts, churn=_churn(lifecycle), lifecycle=lifecycle.drop(columns="t"),
        params=params, note=span.note,
    )


def _bounds(journey: ir.Table) -> dict[str, Any]:
    """First and last timestamp of the journey (ISO text; None when empty)."""
    return table_records(to_frame(journey.aggregate(
        first=journey.timestamp.min(), last=journey.timestamp.max()
    )))[0]


def _day_of(ts: dt.datetime | str) -> int:
    when = dt.datetime.fromisoformat(ts) if isinstance(ts, str) else ts
    return (when.astimezone(dt.UTC).date() - _EPOCH).days


def _period_of(day: int, period: str) -> int:
    if period == "month":
        return _month_of(day)
    return day if period == "day" else (day + 3) // 7


def _cohorts_empty() -> pd.DataFrame:
    return pd.DataFrame({
        "cohort": pd.Series([], dtype=object), "size": pd.Series([], dtype="int64"),
        "period": pd.Series([], dtype="int64"), "period_start": pd.Series([], dtype=object),
        "retained": pd.Series([], dtype="int64"), "rate": pd.Series([], dtype="float64"),
        "complete": pd.Series([], dtype="bool"),
    })


def _lifecycle_empty() -> pd.DataFrame:
    return pd.DataFrame({
        "period_start": pd.Series([], dtype=object), "state": pd.Series([], dtype=object),
        "persons": pd.Series([], dtype="int64"), "complete": pd.Series([], dtype="bool"),
        "t": pd.Series([], dtype="int64"),
    })


# -- registry ---------------------------------------------------------------------------------
class RetentionParams(Params):
    """Retention by cohort, churn per period, lifecycle states per period.

    Cohort: the calendar period (UTC; weeks from Monday) of a person's first event, or
    first conversion. Period 0 is the cohort period and keeps the whole cohort; a person is
    active in a later period with any event (or a return_event) in it. Periods after the
    last event are not shown; the last one is partial: marked complete=false, its rate and
    churn rate not computed. Events more than 365 days away from the bulk of the data (at
    most 1% of them) are left out as outlier dates, and the note says so. Lifecycle: new
    (cohort period),
    returning (active now and in the previous period), resurrecting (active now, not in the
    previous period), dormant (active in the previous period, not now). Churn: dormant /
    active in the previous period.
    """

    cohort: Literal["first_event", "first_purchase"] = Field(
        "first_event", description="Cohort by the period of the first event or purchase."
    )
    period: Period = Field("week", description="Calendar periods in UTC; weeks start on Monday.")
    kind: Literal["n_period", "unbounded"] = Field(
        "n_period", description="n_period: active in period k; unbounded: in k or later."
    )
    return_event: Names | None = Field(
        None, description="Events that count as coming back, comma-separated (default: any "
        "event)."
    )
    max_periods: Annotated[int, Field(ge=0, le=1000)] = Field(
        12, description="Show periods 0..N after the cohort period."
    )


def _compute(inputs: Inputs, p: RetentionParams) -> RetentionResult:
    return retention(inputs.journey(), cohort_by=p.cohort, period=p.period, kind=p.kind,
                     return_event=p.return_event or None, max_periods=p.max_periods)


ANALYSIS = Analysis(
    name="retention",
    renumber=False,  # reads seq only as an order, no next_event
    params=RetentionParams,
    compute=_compute,
    title=Words("Retention", "Bindung"),
    summary=Words("Cohort retention, churn and lifecycle states",
                  "Kohorten-Bindung, Abwanderung und Lebenszyklus"),
    views={"cohorts": "cohorts", "churn": "churn", "lifecycle": "lifecycle"},
    charts=(
        Chart("heatmap", "cohorts", x="period", y="cohort", value="rate", format="percent"),
        Chart("line", "churn", x="period_start", y="churn_rate", format="percent"),
    ),
)
