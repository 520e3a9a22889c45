"""The daily metric a fix is watched on, computed on the engine (Ibis; DuckDB and Spark).

For one group of touchpoint conditions (the fix's touchpoint, or the untouched comparison
group), per calendar day (UTC):

* ``n`` — persons with at least one journey event matching every touchpoint condition
  that day (*at the touchpoint*);
* ``k`` — those of them who that same day also had an **outcome** event: one matching every
  ``outcome`` condition (the friction, e.g. ``event=payment_error``), or with ``outcome``
  None a conversion event (``is_conversion``);
* ``rate`` = ``k / n``.

Days without anyone at the touchpoint are not rows. The result is a small pandas table
(``day``, ``n``, ``k``, ``rate``), one row per day, sorted: what :mod:`._fix_estimate`
fits.

>>> import ibis
>>> from datetime import datetime, UTC
>>> from wegweiser.analysis import filters
>>> at = lambda d: datetime(2026, 10, d, 12, tzinfo=UTC)
>>> j = ibis.memtable({"person_id": ["a", "a", "b", "c"],
...     "event": ["pay", "error", "pay", "pay"], "is_conversion": [False] * 4,
...     "timestamp": [at(1), at(1), at(1), at(2)]})
>>> t = daily_rate(j, [filters.parse("event=pay")], [filters.parse("event=error")])
>>> list(zip(t.n, t.k, t.rate))
[(2, 1, 0.5), (1, 0, 0.0)]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import pandas as pd

from wegweiser.analysis import filters
from wegweiser.analysis.result import to_frame

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    import ibis.expr.types as ir

__all__ = ["daily_rate", "daily_rates"]


def _person_days(t: ir.Table) -> ir.Table:
    return t.select(p=t.person_id, d=t.timestamp.date()).distinct()


def daily_rates(
    journey: ir.Table,
    groups: Mapping[str, Sequence[filters.Condition]],
    outcome: Sequence[filters.Condition] | None,
    *,
    traits: Callable[[str], ir.Table] | None = None,
) -> dict[str, pd.DataFrame]:
    """``day``, ``n``, ``k``, ``rate`` of each group of touchpoint conditions (see the module
    docstring), in one query on the engine: one pass over the journey flags each person-day
    (at each group's touchpoint, with an outcome), a second counts them per day."""
    conds = [c for g in groups.values() for c in g] + list(outcome or [])
    if any(c.field == "trait" for c in conds):
        return _with_traits(journey, groups, outcome, traits)
    t = journey
    flags = {f"g{i}": ibis.and_(*[filters.matches(t, c) for c in g])
             for i, g in enumerate(groups.values())}
    hit = t.is_conversion if outcome is None else ibis.and_(
        *[filters.matches(t, c) for c in outcome])
    rows = t.select(p=t.person_id, d=t.timestamp.date(), o=hit, **flags)
    rows = rows.filter(ibis.or_(rows.o, *[rows[f] for f in flags]))
    per = rows.group_by("p", "d").agg(o=rows.o.any(), **{f: rows[f].any() for f in flags})
    counts = {}
    for f in flags:
        counts[f"n{f}"] = per[f].cast("int64").sum()
        counts[f"k{f}"] = (per[f] & per.o).cast("int64").sum()
    frame = to_frame(per.group_by(day=per.d).agg(**counts).order_by("day"))
    out = {}
    for f, name in zip(flags, groups, strict=True):
        rows_of = frame[frame[f"n{f}"].fillna(0) > 0]
        out[name] = _frame(rows_of["day"], rows_of[f"n{f}"], rows_of[f"k{f}"])
    return out


def _frame(day: pd.Series, n: pd.Series, k: pd.Series) -> pd.DataFrame:
    daily = pd.DataFrame({"day": pd.to_datetime(day).dt.date, "n": n.astype("int64"),
                          "k": k.fillna(0).astype("int64")}).reset_index(drop=True)
    daily["rate"] = daily.k / daily.n
    return daily


def _with_traits(
    journey: ir.Table,
    groups: Mapping[str, Sequence[filters.Condition]],
    outcome: Sequence[filters.Condition] | None,
    traits: Callable[[str], ir.Table] | None,
) -> dict[str, pd.DataFrame]:
    """As :func:`daily_rates` for conditions on person traits (joined by ``filters.apply``)."""
    parts = []
    for name, conds in groups.items():
        at = _person_days(filters.apply(journey, conds, traits))
        parts.append(at.mutate(g=ibis.literal(name)))
    reached = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    if outcome is None:
        hit_rows = journey.filter(journey.is_conversion)
    else:
        hit_rows = filters.apply(journey, outcome, traits)
    hits = _person_days(hit_rows)
    hits = hits.select(hp=hits.p, hd=hits.d, hit=1)
    joined = reached.left_join(hits, (reached.p == hits.hp) & (reached.d == hits.hd))
    per_day = joined.group_by(g=joined.g, day=joined.d).agg(
        n=joined.count(), k=joined.hit.fill_null(0).sum())
    frame = to_frame(per_day.order_by("g", "day"))
    out = {}
    for name in groups:
        rows = frame[frame["g"] == name]
        out[name] = _frame(rows["day"], rows["n"], rows["k"])
    return out


def daily_rate(
    journey: ir.Table,
    touchpoint: Sequence[filters.Condition],
    outcome: Sequence[filters.Condition] | None,
    *,
    traits: Callable[[str], ir.Table] | None = None,
) -> pd.DataFrame:
    """``day``, ``n``, ``k``, ``rate`` of the touchpoint (see the module docstring)."""
    return daily_rates(journey, {"t": touchpoint}, outcome, traits=traits)["t"]
