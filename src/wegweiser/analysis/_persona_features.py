"""Per-person behaviour features for personas, computed on the engine (internal).

:func:`person_features` turns the journey table into one row per person, with one group-by
(plus two small look-ups of the channels and phases present), so it runs on DuckDB and Spark
alike. Columns (all numbers):

* ``events``, ``sessions``, ``active_days``: counts; ``events_per_session`` (depth);
  ``visits_per_week``: sessions per week of the person's span (first to last event, at least
  one week); ``recency_days``: days from the person's last event to the data's last event;
* ``channel:<name>``: share of the person's sessions with an event on that channel (the
  most common ``MAX_CHANNELS`` channels; the rest are ``channel:(other)``): personas differ
  in where their visits come from, and a long session is still one visit;
* ``device:<mobile|desktop|tablet>`` and ``platform:<web|app|store|phone>``: shares of the
  events (``app`` is ios or android);
* ``hours:<night|morning|afternoon|evening>`` (0-5, 6-11, 12-17, 18-23 UTC) and
  ``weekend``: shares of the events;
* ``pace:<quick|brisk|steady|slow>``: the person's pace through a visit -- the gaps between
  an event and their next event (``next_timestamp``) of 1 s to 10 minutes, shares of them by
  length: 1-10 s, 10-30 s, 30-90 s, 90 s-10 min (shorter gaps are events fired together,
  longer ones pauses or a new visit); 0 for a person with no such gap. Personas differ in
  how long they look at a page (a researcher reads, a bargain hunter taps through), and a
  visit of five events gives four gaps, so the pace is sure after few visits where the
  channel mix is not;
* ``phase:<name>``: 1 when the person reached the phase, else 0;
* ``orders`` (conversion events), ``revenue`` (sum), ``order_value`` (revenue per order,
  0 without orders).

Feedback topics and traits are not features yet: the cards show traits beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.result import to_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir

__all__ = ["GROUPS", "MAX_CHANNELS", "PACE", "person_features"]

MAX_CHANNELS = 15
_HOUR_US = 3_600_000_000
_DAY_US = 24 * _HOUR_US
_HOURS = {"night": (0, 5), "morning": (6, 11), "afternoon": (12, 17), "evening": (18, 23)}
_DEVICES = ("mobile", "desktop", "tablet")
_PLATFORMS = {"web": ("web",), "app": ("ios", "android"), "store": ("store",), "phone": ("phone",)}
#: pace bins: name -> (lowest, highest) gap to the next event in seconds, lowest excluded
#: (the first bin includes 1 s)
PACE = {"quick": (1.0, 10.0), "brisk": (10.0, 30.0), "steady": (30.0, 90.0), "slow": (90.0, 600.0)}
#: the feature groups, in the order of the columns (cards and names read them by prefix)
GROUPS = ("activity", "channel", "device", "platform", "hours", "pace", "phase", "value")


def _top(journey: ir.Table, column: str, limit: int) -> list[str]:
    present = journey.filter(journey[column].notnull())
    counts = present.group_by(column).agg(n=present.count())
    frame = to_frame(counts.order_by([ibis.desc("n"), column]).limit(limit))
    return [str(v) for v in frame[column]]


def person_features(
    journey: ir.Table,
    *,
    min_events: int = 1,
    after_phases: Sequence[str] = (),
    channels: Sequence[str] | None = None,
    phases: Sequence[str] | None = None,
) -> ir.Table:
    """One row per person with at least ``min_events`` events: ``person_id`` and the
    features of the module docstring (an Ibis expression; nothing is computed but the
    look-up of channels and phases, unless ``channels`` and ``phases`` give them)."""
    channels = list(channels) if channels is not None else _top(journey, "channel", MAX_CHANNELS)
    phases = list(phases) if phases is not None else _top(journey, "phase", 50)
    us = epoch_us(journey.timestamp)
    hour = (us // _HOUR_US) % 24
    gap = (epoch_us(journey.next_timestamp) - us).cast("float64") / 1e6
    lowest, highest = PACE["quick"][0], max(hi for _, hi in PACE.values())
    t = journey.mutate(
        _us=us,
        _gap=ibis.ifelse(gap.between(lowest, highest), gap, None),
        _hour=hour,
        _day=us // _DAY_US,
        _weekend=(((us // _DAY_US) + 3) % 7 >= 5).cast("int64"),
        _conv=journey.is_conversion.cast("int64"),
        _rev=journey.revenue.fill_null(0.0),
    )
    n = t.count()
    agg: dict[str, ir.Value] = {
        "events": n,
        "sessions": t.session.nunique(),
        "active_days": t._day.nunique(),
        "_first": t._us.min(),
        "_last": t._us.max(),
    }
    chosen = (~t.phase.isin(list(after_phases))).fill_null(True) if after_phases else True
    for c in channels:
        on = (t.channel == c).fill_null(False) & chosen
        agg[f"channel:{c}"] = ibis.ifelse(on, t.session, None).nunique()
    other = (~t.channel.isin(channels)).fill_null(True) & chosen
    agg["channel:(other)"] = ibis.ifelse(other, t.session, None).nunique()
    agg["_visits"] = ibis.ifelse(chosen, t.session, None).nunique()
    for d in _DEVICES:
        agg[f"device:{d}"] = (t.device == d).fill_null(False).cast("int64").sum()
    for name, values in _PLATFORMS.items():
        agg[f"platform:{name}"] = t.platform.isin(values).fill_null(False).cast("int64").sum()
    for name, (lo, hi) in _HOURS.items():
        agg[f"hours:{name}"] = t._hour.between(lo, hi).cast("int64").sum()
    agg["weekend"] = t._weekend.sum()
    for name, (low, high) in PACE.items():
        inside = (t._gap >= low) if low == lowest else (t._gap > low)
        agg[f"pace:{name}"] = (inside & (t._gap <= high)).fill_null(False).cast("int64").sum()
    agg["_gaps"] = t._gap.count()
    for ph in phases:
        agg[f"phase:{ph}"] = (t.phase == ph).fill_null(False).cast("int64").max()
    agg["orders"] = t._conv.sum()
    agg["revenue"] = t._rev.sum()
    per = t.group_by("person_id").agg(**agg)
    per = per.filter(per.events >= min_events)
    end = t.aggregate(_end=t._us.max())
    per = per.cross_join(end)
    ev = per.events.cast("float64")
    week_us = 7 * _DAY_US
    span_weeks = ibis.greatest((per._last - per._first).cast("float64") / week_us, 1.0)
    visits = ibis.greatest(per._visits, 1).cast("float64")
    gaps = ibis.greatest(per._gaps, 1).cast("float64")
    of = {"channel": visits, "pace": gaps}
    shares = {
        k: per[k].cast("float64") / of.get(k.split(":")[0], ev)
        for k in agg
        if k.split(":")[0] in ("channel", "device", "platform", "hours", "pace") or k == "weekend"
    }
    out = per.mutate(
        events_per_session=ev / per.sessions.cast("float64"),
        visits_per_week=per.sessions.cast("float64") / span_weeks,
        recency_days=(per._end - per._last).cast("float64") / _DAY_US,
        order_value=ibis.ifelse(per.orders > 0, per.revenue / per.orders.cast("float64"), 0.0),
        **shares,
    )
    activity = [
        "events",
        "sessions",
        "active_days",
        "events_per_session",
        "visits_per_week",
        "recency_days",
    ]
    share_cols = [k for k in agg if k in shares]
    phase_cols = [f"phase:{ph}" for ph in phases]
    return out.select(
        "person_id",
        *activity,
        *share_cols,
        *[out[c].fill_null(0).cast("float64").name(c) for c in phase_cols],
        out.orders.cast("float64").name("orders"),
        out.revenue.cast("float64").name("revenue"),
        "order_value",
    )
