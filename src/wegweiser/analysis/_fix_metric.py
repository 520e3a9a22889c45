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
    docstring), in one query on the engine."""
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
        daily = pd.DataFrame({
            "day": pd.to_datetime(rows["day"]).dt.date,
            "n": rows["n"].astype("int64"),
            "k": rows["k"].fillna(0).astype("int64"),
        }).reset_index(drop=True)
        daily["rate"] = daily.k / daily.n
        out[name] = daily
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
