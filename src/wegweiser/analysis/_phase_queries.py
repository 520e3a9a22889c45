"""The engine side of :func:`wegweiser.analysis.phases.phase_analysis` (internal): from a
table of phase episodes (:func:`~wegweiser.analysis.phases.episode_table`) to the small
aggregates behind each phase table, one query per aggregate, and only those asked for.

Which aggregate each table needs (:data:`NEEDS`): ``current`` the open episodes per phase
(``dwell`` has them too: when both are asked, ``dwell`` serves both), ``over_time`` the
started/ended episodes per phase and period, ``transitions`` the moves, ``dwell`` the dwell
figures, ``nonlinear`` the per-person kinds, ``stuck`` the long open episodes. Persons are
counted and grouped by the integer ``person_n`` when the episodes carry it (the DuckDB
journey's code: the same persons as ``person_id``, hashed as integers).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis.result import to_frame

if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from datetime import datetime

    import ibis.expr.types as ir
    import pandas as pd

#: the tables of the phase analysis, in the order of its result
TABLES = ("current", "over_time", "transitions", "dwell", "nonlinear", "stuck")


def needed(tables: Collection[str]) -> list[str]:
    """The aggregates (names of :func:`frames`) that ``tables`` need.

    >>> needed(["current"]), needed(["current", "dwell"]), needed(["over_time"])
    (['open'], ['dwell'], ['periods'])
    """
    out = ["periods" if t == "over_time" else t for t in TABLES if t in tables]
    if "current" in out:
        out.remove("current")
        if "dwell" not in out:
            out.insert(0, "open")
    return out


def frames(
    e: ir.Table, aggregates: Collection[str], *, as_of: datetime, stuck_days: float,
    period: str,
) -> dict[str, pd.DataFrame]:
    """The ``aggregates`` (see :func:`needed`) computed in the engine from the episodes."""
    build: dict[str, Callable[..., ir.Table]] = {
        "open": _open, "periods": _periods, "transitions": _transitions, "dwell": _dwell,
        "nonlinear": _nonlinear, "stuck": _stuck,
    }
    return {name: to_frame(build[name](e, as_of=as_of, stuck_days=stuck_days, period=period))
            for name in aggregates}


def _who(e: ir.Table) -> ir.Value:
    return e.person_n if "person_n" in e.columns else e.person_id


def _open(e: ir.Table, **_: object) -> ir.Table:
    still = e.filter(e.open)
    return still.group_by("phase").agg(open=still.count())


def _periods(e: ir.Table, *, period: str, **_: object) -> ir.Table:
    # +1 in the period an episode starts, -1 in the period the next one starts
    done = e.filter(~e.open)
    periods = ibis.union(
        e.select("phase", period=_period_key(e.start, e.start_s, period), n=ibis.literal(1)),
        done.select("phase", period=_period_key(done.end, done.end_s, period),
                    n=ibis.literal(-1)),
        distinct=False,
    )
    return periods.group_by("phase", "period").agg(n=periods.n.sum())


def _transitions(e: ir.Table, **_: object) -> ir.Table:
    moves = e.filter(e.next_phase.notnull())
    return moves.group_by(from_phase=moves.phase, to_phase=moves.next_phase).agg(
        count=moves.count(), persons=_who(moves).nunique()
    )


def _dwell(e: ir.Table, *, as_of: datetime, **_: object) -> ir.Table:
    as_of_us = round(as_of.timestamp() * 1e6)  # exact: the double is off by < 0.5 us
    hours = (e.end_us - e.start_us).cast("float64") / 3_600e6
    open_hours = (ibis.literal(as_of_us) - e.start_us).cast("float64") / 3_600e6
    closed = ~e.open
    return e.group_by("phase").agg(
        episodes=closed.sum(),
        # quantiles of a masked column, not quantile(where=): Ibis masks the quantile
        # argument too, which Spark refuses (it must be a constant)
        median_hours=_masked(hours, closed).median(),
        mean_hours=hours.mean(where=closed),
        p90_hours=_masked(hours, closed).quantile(0.9),
        open=e.open.sum(),
        open_median_hours=_masked(open_hours, e.open).median(),
    )


def _nonlinear(e: ir.Table, **_: object) -> ir.Table:
    person = e.group_by(who=_who(e)).agg(
        n=e.count(),
        phases=e.phase.nunique(),
        back=ibis.ifelse(e.next_rank < e.rank, 1, 0).max(),
        skip=ibis.ifelse(e.next_rank > e.rank + 1, 1, 0).max(),
    )
    loop = ibis.ifelse(person.n > person.phases, 1, 0)
    return person.aggregate(
        persons=person.count(),
        multi=(person.n >= 2).sum(),
        regression=person.back.sum(),
        loop=loop.sum(),
        skipped=person.skip.sum(),
        nonlinear=ibis.greatest(person.back, loop, person.skip).sum(),
    )


def _stuck(e: ir.Table, *, as_of: datetime, stuck_days: float, **_: object) -> ir.Table:
    as_of_us = round(as_of.timestamp() * 1e6)
    cutoff = ibis.literal(as_of - timedelta(days=stuck_days), type="timestamp('UTC')")
    stuck = e.filter(e.open & (e.start < cutoff))
    days = (ibis.literal(as_of_us) - stuck.start_us).cast("float64") / 86_400e6
    return stuck.select("person_id", "phase", since=stuck.start, days=days).order_by(
        ibis.desc("days"), "person_id"
    )


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
