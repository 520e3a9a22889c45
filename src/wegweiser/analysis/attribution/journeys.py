"""Attribution journeys from the ``journey`` table, aggregated to distinct paths in the engine.

Definitions (the same for every model):

* **Touch** — one per session: a session's touch is its *entry*, the session's first event
  (lowest ``seq``); its channel (and campaign) are that event's, its time that event's
  timestamp. Sessions are the journey table's (``windows.session_gap_minutes`` of
  inactivity, across devices). Further events of a session add no touches, so a person
  clicking around on one visit does not inflate a channel. A missing channel or campaign
  reads ``(none)``.
* **Converting path** — one per conversion event (``is_conversion``): the person's touches
  that come after their previous conversion (in ``seq`` order, so equal timestamps are
  ordered by ``message_id``) and start at most ``lookback_days`` before the conversion
  (``conversion time - lookback <= touch time``, inclusive), in ``seq`` order. The session
  in which the conversion happened always counts, even when it started before the previous
  conversion (two orders in one visit: the second order's path is that visit's entry). A
  repeat conversion therefore starts a new path. The conversion's value is its ``revenue``
  (missing: 0).
* **Non-converting (null) path** — one per person: the touches after the person's last
  conversion (for non-converters: all touches) that start at most ``lookback_days`` before
  the person's last event, inclusive. A person whose last touch is their last conversion's
  session has no null path. Recent null paths may still convert later (they are censored).
* **Lags** — for each touch of a converting path, the whole days (floored) from the touch
  to the conversion; the time-decay model uses them.

Distinct paths are counted in the engine; only the small path table leaves it. The ordered
list of touches per path needs an ordered aggregation; :func:`ordered_lists` isolates it
using the portable idiom (collect ``(seq, value)`` structs, sort the array, map to the
value): ``collect(order_by=...)`` does not compile for Spark, and the array ``sort``/``map``
compile to Spark's ``array_sort``/``transform``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.attribution.paths import CAMPAIGN_SEP, NO_CAMPAIGN, Paths
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir

BY = ("channel", "campaign")
_DAY_MICROS = 86_400_000_000


def _label(journey: ir.Table, by: str) -> ir.StringValue:
    channel = journey.channel.fill_null(NO_CAMPAIGN)
    if by == "channel":
        return channel
    return channel.concat(CAMPAIGN_SEP, journey.campaign.fill_null(NO_CAMPAIGN))


def session_touches(journey: ir.Table, *, by: str = "channel") -> ir.Table:
    """One row per session: ``person_id``, ``session``, ``seq``/``timestamp`` of its first
    event, its ``label`` (channel, or ``channel / campaign``) and ``end`` (last event time)."""
    if by not in BY:
        raise InvalidInput(f"attribution by {by!r} is not supported; use channel or campaign")
    j = journey
    return j.group_by(["person_id", "session"]).agg(
        seq=j.seq.min(),
        timestamp=j.timestamp.min(),
        label=_label(j, by).argmin(j.seq),
        end=j.timestamp.max(),
    )


def ordered_lists(
    table: ir.Table, keys: list[str], order: str, values: dict[str, ir.Value]
) -> ir.Table:
    """Per group of ``keys``, each of ``values`` as a list ordered by ``order``.

    The one ordered aggregation of attribution (see the module docstring for the Spark
    note): structs of ``(order, value...)`` are collected, sorted, then mapped to each value.
    """
    fields = {"_k": table[order], **values}
    grouped = table.group_by(keys).agg(_items=ibis.struct(fields).collect())
    items = grouped["_items"].sort()
    return grouped.select(*keys, **{name: items.map(_field(name)) for name in values})


def _field(name: str) -> Any:
    return lambda item: item[name]


def attribution_paths(
    journey: ir.Table, *, lookback_days: int = 30, by: str = "channel"
) -> ir.Table:
    """Distinct paths as an Ibis expression (see the module docstring for definitions).

    Columns: ``touches`` (array<string>), ``lags`` (array<int64>, NULL for null paths),
    ``conversions``, ``nulls`` (int64) and ``value`` (float64).
    """
    if lookback_days <= 0:
        raise InvalidInput(f"lookback_days must be > 0, got {lookback_days}")
    touches = session_touches(journey, by=by)
    lookback = ibis.interval(days=lookback_days)
    conv = journey.filter(journey.is_conversion)
    w = ibis.window(group_by="person_id", order_by="seq")
    conv = conv.select(
        c_person=conv.person_id,
        c_seq=conv.seq,
        c_ts=conv.timestamp,
        c_session=conv.session,
        c_value=conv.revenue.fill_null(0.0),
        c_prev=conv.seq.lag().over(w).fill_null(-1),
    )
    t = touches
    joined = t.join(conv, t.person_id == conv.c_person)
    on_path = (joined.seq <= joined.c_seq) & (
        ((joined.seq > joined.c_prev) & (joined.timestamp >= joined.c_ts - lookback))
        | (joined.session == joined.c_session)
    )
    pairs = joined.filter(on_path)
    pairs = pairs.mutate(
        lag=(epoch_us(pairs.c_ts) - epoch_us(pairs.timestamp)) // _DAY_MICROS
    )
    per_conv = ordered_lists(
        pairs, ["c_person", "c_seq", "c_value"], "seq",
        {"touches": pairs.label, "lags": pairs.lag.cast("int64")},
    )
    converting = per_conv.group_by(["touches", "lags"]).agg(
        conversions=per_conv.count(), nulls=ibis.literal(0, "int64"),
        value=per_conv.c_value.sum(),
    )

    last_conv = conv.group_by("c_person").agg(last_seq=conv.c_seq.max())
    persons = t.group_by("person_id").agg(last_ts=t.end.max())
    persons = persons.left_join(last_conv, persons.person_id == last_conv.c_person).select(
        p_person=persons.person_id, last_ts=persons.last_ts,
        last_seq=last_conv.last_seq.fill_null(-1),
    )
    tail = t.join(persons, t.person_id == persons.p_person)
    tail = tail.filter((tail.seq > tail.last_seq) & (tail.timestamp >= tail.last_ts - lookback))
    per_person = ordered_lists(tail, ["person_id"], "seq", {"touches": tail.label})
    null = per_person.group_by("touches").agg(n=per_person.count())
    nulls = null.select(
        touches=null.touches,
        lags=ibis.null().cast("array<int64>"),
        conversions=ibis.literal(0, "int64"),
        nulls=null.n,
        value=ibis.literal(0.0, "float64"),
    )
    converting = converting.select(
        "touches", "lags", conversions=converting.conversions.cast("int64"),
        nulls=converting.nulls.cast("int64"), value=converting.value.cast("float64"),
    )
    return converting.union(nulls)


def _canonical_order(table: pa.Table) -> pa.Table:
    """The path table sorted by its touches, then lags: engines return a group-by's rows in
    any order, and the bootstrap and sampled Shapley values draw paths by position, so a
    fixed ``random_state`` gives the same numbers on every engine and run."""
    if table.num_rows < 2:
        return table
    sep = "\x1f"
    touches = pc.binary_join(table["touches"], sep)
    lags = pc.binary_join(pc.cast(table["lags"], pa.list_(pa.string())), sep)
    keys = pa.table({"touches": touches, "lags": lags})
    order = pc.sort_indices(keys, [("touches", "ascending"), ("lags", "ascending")])
    return table.take(order)


def load_paths(journey: ir.Table, *, lookback_days: int = 30, by: str = "channel") -> Paths:
    """Run :func:`attribution_paths` and return the small :class:`Paths` table.

    ``params`` also records the data period (``start``/``end``: first touch and last event
    date, used to sum costs over the same days).
    """
    table: Any = _canonical_order(
        attribution_paths(journey, lookback_days=lookback_days, by=by).to_pyarrow()
    )
    span = journey.aggregate(start=journey.timestamp.min(), end=journey.timestamp.max())
    bounds = span.to_pyarrow().to_pylist()[0]
    params = {
        "lookback_days": lookback_days, "by": by,
        "start": bounds["start"].date() if bounds["start"] is not None else None,
        "end": bounds["end"].date() if bounds["end"] is not None else None,
    }
    return Paths.from_arrow(
        table["touches"], conversions=table["conversions"], nulls=table["nulls"],
        value=table["value"], lags=table["lags"], by=by, params=params,
    )
