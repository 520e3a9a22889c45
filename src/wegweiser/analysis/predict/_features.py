"""Journey-so-far features and future labels per person at a cutoff, on the engine (internal).

:func:`features_at` turns the journey **before** a cutoff ``T`` (events with
``timestamp < T``) into one row per person with at least one such event: one group-by, so it
runs on DuckDB and Spark alike and nothing but the per-person rows leaves the engine. No
event at or after ``T`` is read (the no-leakage rule; the tests perturb the later events and
compare). Columns (all float64 besides ``person_id``):

* ``recency_days`` (T minus the last event), ``tenure_days`` (T minus the first event);
* ``events``, ``sessions``, ``active_days`` (distinct UTC days), ``channels`` (distinct
  channels seen), ``events_30d`` and ``events_7d`` (events in the 30 and 7 days before T);
* ``phase_reached``: 1-based position (in the configured phase order) of the furthest phase
  the person's events reached, 0 for none; ``phase_7d`` the same over the 7 days before T
  (where the person is now);
* ``orders`` (conversion events), ``revenue`` (sum of ``revenue``);
* ``messages``: events named ``message_*`` (what the journeys engine sends comes back so);
* ``feedback``: ``survey_answered`` events; ``feedback_score``: the mean of their ``score``
  property (NaN without one; the model reads NaN as -1, "no score").

:func:`labels_at` gives the outcome in ``[T, T + horizon)``: ``converted`` (a conversion
event in the window) and ``churned`` (no event in the window).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.filters import property_value

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir

__all__ = ["FEATURES", "FEEDBACK_EVENT", "features_at", "labels_at"]

FEATURES = (
    "recency_days", "tenure_days", "events", "sessions", "active_days", "channels",
    "events_30d", "events_7d", "phase_reached", "phase_7d", "orders", "revenue", "messages",
    "feedback", "feedback_score",
)
FEEDBACK_EVENT = "survey_answered"
_DAY_US = 86_400_000_000


def _us(cutoff: dt.datetime) -> int:
    if cutoff.tzinfo is None:
        cutoff = cutoff.replace(tzinfo=dt.UTC)
    return int((cutoff - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds()) * 1_000_000 + (
        cutoff.microsecond)


def features_at(journey: ir.Table, cutoff: dt.datetime, *, phases: Sequence[str]) -> ir.Table:
    """One row per person with an event before ``cutoff``: ``person_id`` and
    :data:`FEATURES` (an Ibis expression; see the module docstring). ``phases`` is the
    configured phase order."""
    t_us = _us(cutoff)
    us = epoch_us(journey.timestamp)
    t = journey.mutate(_us=us).filter(us < t_us)
    rank = ibis.literal(0)
    if phases:
        rank = ibis.cases(*[(t.phase == p, i + 1) for i, p in enumerate(phases)], else_=0)
    feedback = t.event == FEEDBACK_EVENT
    score = property_value(t.properties, "score").try_cast("float64")
    t = t.mutate(
        _rank=rank.fill_null(0),
        _conv=t.is_conversion.fill_null(False).cast("int64"),
        _msg=t.event.startswith("message_").fill_null(False).cast("int64"),
        _fb=feedback.fill_null(False).cast("int64"),
        _fbscore=ibis.ifelse(feedback, score, None),
        _recent=(us >= t_us - 30 * _DAY_US).cast("int64"),
        _week=(us >= t_us - 7 * _DAY_US).cast("int64"),
    )
    per = t.group_by("person_id").agg(
        _first=t._us.min(), _last=t._us.max(), events=t.count(),
        sessions=t.session.nunique(), active_days=(t._us // _DAY_US).nunique(),
        channels=t.channel.nunique(), events_30d=t._recent.sum(),
        events_7d=t._week.sum(), phase_reached=t._rank.max(),
        phase_7d=ibis.ifelse(t._week == 1, t._rank, 0).max(), orders=t._conv.sum(),
        revenue=t.revenue.fill_null(0.0).sum(), messages=t._msg.sum(), feedback=t._fb.sum(),
        feedback_score=t._fbscore.mean(),
    )
    day = float(_DAY_US)
    cols = {
        "recency_days": (t_us - per._last).cast("float64") / day,
        "tenure_days": (t_us - per._first).cast("float64") / day,
        **{c: per[c].cast("float64") for c in FEATURES[2:-1]},
        "feedback_score": per.feedback_score.cast("float64"),
    }
    return per.select(per.person_id, **cols)


def labels_at(
    journey: ir.Table, cutoff: dt.datetime, horizon_days: int, persons: ir.Table
) -> ir.Table:
    """``(person_id, converted, churned)`` for the persons of ``persons`` (a table with
    ``person_id``) over ``[cutoff, cutoff + horizon_days)``: 1/0 as int64."""
    lo = _us(cutoff)
    hi = lo + horizon_days * _DAY_US
    us = epoch_us(journey.timestamp)
    w = journey.filter((us >= lo) & (us < hi))
    out = w.group_by("person_id").agg(
        _n=w.count(), _conv=w.is_conversion.fill_null(False).cast("int64").max()
    )
    who = persons.select("person_id")
    joined = who.left_join(out, who.person_id == out.person_id).select(
        who.person_id, _n=out._n, _conv=out._conv
    )
    return joined.select(
        "person_id",
        converted=joined._conv.fill_null(0).cast("int64"),
        churned=ibis.ifelse(joined._n.fill_null(0) > 0, 0, 1).cast("int64"),
    )
