"""Conversion: how many people convert, and what it takes them to get there.

Definitions:

* A **conversion** is an event named in ``events`` (default: the project's conversion
  events, the journey's ``is_conversion``). A **converter** is a person with at least one;
  the **rate** is converters / persons; ``conversions`` counts conversion events and
  ``revenue`` sums their ``revenue``.
* **What it takes** looks at each converter's *first* conversion (lowest ``seq``; among
  events at the same instant the ``message_id`` order decides). Its **path** is the
  person's events strictly before it (``seq`` lower) — on every device of the person — and,
  with ``lookback``, no earlier than ``lookback`` before it (an event exactly ``lookback``
  before counts). Of the path:

  - ``touchpoints`` — its number of events (0 when the conversion is the first event);
  - ``channels`` — its number of distinct non-NULL channels;
  - ``days`` — days from its first event to the conversion (0 for an empty path);
  - ``sessions`` — visits up to and including the converting one: the sessions of the path
    events and of the conversion.

* **Channel mix**: a person is *exposed* to a channel when it appears in the person's path:
  for a converter the path above, for anyone else all of the person's events (with
  ``lookback``, too: a non-converter has no conversion to look back from). Per channel the
  table compares exposed and unexposed persons: conversion rate, and the touchpoints and
  sessions their converters needed.

>>> import ibis
>>> from datetime import datetime
>>> journey = ibis.memtable({
...     "person_id": ["p"] * 3, "seq": [0, 1, 2], "session": [0, 1, 2],
...     "timestamp": [datetime(2026, 1, day) for day in (1, 2, 5)],
...     "event": ["video_view", "email_open", "order_completed"],
...     "channel": ["video", "email", "direct"], "revenue": [None, None, 20.0],
...     "is_conversion": [False, False, True]})
>>> conversion(journey).what_it_takes.set_index("metric")["median"].to_dict()
{'touchpoints': 2.0, 'channels': 2.0, 'sessions': 3.0, 'days': 4.0}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
from pydantic import Field

from wegweiser.analysis._conversion_stats import (
    QUANTILES,
    channel_mix,
    empty_takes,
    touchpoint_histogram,
)
from wegweiser.analysis._intervals import interval
from wegweiser.analysis._names import check_event_names
from wegweiser.analysis._time import seconds_between
from wegweiser.analysis.params import Duration, Names, Params, duration
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result, table_records, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import timedelta

    import ibis.expr.types as ir
    import plotly.graph_objects as go

TAKES_METRICS = ("touchpoints", "channels", "sessions", "days")
_NEVER = 2**62  # a seq no event reaches: the path of a non-converter is all of its events
_LONG_AGO = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ConversionResult(Result):
    """Conversion rate and what it takes to convert.

    * ``summary`` — one row: ``persons``, ``converters``, ``rate``, ``conversions``,
      ``revenue``, ``revenue_per_converter``;
    * ``what_it_takes`` — one row per metric (``touchpoints``, ``channels``, ``sessions``,
      ``days``) over the converters' first conversions: ``converters``, ``mean``, ``p25``,
      ``median``, ``p75``, ``p90`` (linear interpolation between order statistics);
    * ``by_channel_mix`` — per channel, persons exposed vs not: ``persons_exposed``,
      ``converters_exposed``, ``rate_exposed``, the same ``_unexposed``, ``rate_lift``
      (exposed / unexposed rate), ``touchpoints_median/mean_exposed/_unexposed``,
      ``touchpoints_ratio`` (mean exposed / mean unexposed),
      ``sessions_mean_exposed/_unexposed``; most exposed persons first;
    * ``distribution`` — converters by ``touchpoints``: ``converters``, ``share``,
      ``cumulative_share``.
    """

    summary: pd.DataFrame
    what_it_takes: pd.DataFrame
    by_channel_mix: pd.DataFrame
    distribution: pd.DataFrame

    def figure(self) -> go.Figure:
        """Touchpoints needed before the first conversion (converters per count)."""
        import plotly.graph_objects as go

        frame = self.distribution
        fig = go.Figure(go.Bar(
            x=frame["touchpoints"], y=frame["converters"], customdata=frame["cumulative_share"],
            hovertemplate="%{x} touchpoints: %{y} converters (cumulative %{customdata:.1%})",
        ))
        fig.update_layout(
            title="Touchpoints before the first conversion", xaxis_title="touchpoints",
            yaxis_title="converters", bargap=0.05,
        )
        return fig


def _conversion_flag(
    journey: ir.Table, events: str | Sequence[str] | None
) -> ir.BooleanValue:
    if events is None:
        return journey.is_conversion
    names = [events] if isinstance(events, str) else [e for e in events if e]
    if not names:
        raise InvalidInput("no conversion events given; pass event names, e.g. order_completed")
    return journey.event.isin(names)


def person_channels(
    journey: ir.Table,
    *,
    events: str | Sequence[str] | None = None,
    lookback: timedelta | None = None,
) -> ir.Table:
    """One row per person and channel (NULL channel included) with the partial aggregates
    :func:`conversion` combines: ``n_path`` (path events), ``n_conv``, ``revenue``,
    ``first_touch`` (first path event), ``s_min`` (session of the first path event) and
    the person's ``conv_ts``/``conv_session`` (first conversion; NULL for non-converters)."""
    conv = _conversion_flag(journey, events)
    null_int = ibis.null().cast("int64")
    firsts = journey.group_by("person_id").agg(
        conv_seq=ibis.ifelse(conv, journey.seq, null_int).min(),
        conv_session=ibis.ifelse(conv, journey.session, null_int).min(),
        conv_ts=ibis.ifelse(
            conv, journey.timestamp, ibis.null().cast(journey.timestamp.type())
        ).min(),
    )
    cuts: dict[str, Any] = {"cut": firsts.conv_seq.coalesce(_NEVER)}
    if lookback is not None:  # non-converters: no window
        cuts["since"] = ibis.ifelse(
            firsts.conv_ts.isnull(), ibis.literal(_LONG_AGO),
            firsts.conv_ts - interval(lookback),
        )
    firsts = firsts.mutate(**cuts)
    rows = journey.select(
        "person_id", "seq", "timestamp", "channel", "session", "revenue", conv=conv
    ).join(firsts, "person_id")
    before = rows.seq < rows.cut
    if lookback is not None:
        before = before & (rows.timestamp >= rows.since)
    return rows.group_by("person_id", "channel").agg(
        n_path=before.cast("int64").sum(),
        n_conv=rows.conv.cast("int64").sum(),
        revenue=rows.revenue.sum(where=rows.conv),
        first_touch=rows.timestamp.min(where=before),
        s_min=rows.session.min(where=before),
        conv_ts=rows.conv_ts.max(),
        conv_session=rows.conv_session.max(),
    )


def persons_table(per_channel: ir.Table) -> ir.Table:
    """One row per person: ``converted``, ``conversions``, ``revenue``, ``touchpoints``,
    ``channels``, ``sessions``, ``days`` (see the module docstring)."""
    pc = per_channel
    persons = pc.group_by("person_id").agg(
        conversions=pc.n_conv.sum(),
        revenue=pc.revenue.sum(),
        touchpoints=pc.n_path.sum(),
        channels=((pc.n_path > 0) & pc.channel.notnull()).cast("int64").sum(),
        first_touch=pc.first_touch.min(),
        conv_ts=pc.conv_ts.max(),
        s_min=pc.s_min.min(),
        conv_session=pc.conv_session.max(),
    )
    converted = persons.conv_ts.notnull()
    days = ibis.ifelse(
        persons.first_touch.isnull(), 0.0,
        seconds_between(persons.first_touch, persons.conv_ts) / 86400.0,
    )
    return persons.mutate(
        converted=converted,
        sessions=ibis.ifelse(
            converted, persons.conv_session - persons.s_min.coalesce(persons.conv_session) + 1, 0
        ),
        days=ibis.ifelse(converted, days, ibis.null().cast("float64")),
    )


def _summary(persons: ir.Table) -> pd.DataFrame:
    p = persons
    head = table_records(to_frame(p.aggregate(
        persons=p.count(),
        converters=p.converted.cast("int64").sum(),
        conversions=p.conversions.sum(),
        revenue=p.revenue.sum(),
    )))[0]
    n = int(head["persons"] or 0)
    converters = int(head["converters"] or 0)
    revenue = float(head["revenue"] or 0.0)
    return pd.DataFrame([{
        "persons": n,
        "converters": converters,
        "rate": converters / n if n else 0.0,
        "conversions": int(head["conversions"] or 0),
        "revenue": revenue,
        "revenue_per_converter": revenue / converters if converters else 0.0,
    }])


def _what_it_takes(persons: ir.Table) -> pd.DataFrame:
    p = persons.filter(persons.converted)
    aggs: dict[str, Any] = {"converters": p.count()}
    for metric in TAKES_METRICS:
        col = p[metric].cast("float64")
        aggs[f"{metric}__mean"] = col.mean()
        for name, q in QUANTILES.items():
            aggs[f"{metric}__{name}"] = col.median() if q == 0.5 else col.quantile(q)
    row = table_records(to_frame(p.aggregate(**aggs)))[0]
    converters = int(row["converters"] or 0)
    if not converters:
        return empty_takes(TAKES_METRICS)
    out = [
        {"metric": metric, "converters": converters, "mean": float(row[f"{metric}__mean"]),
         **{name: float(row[f"{metric}__{name}"]) for name in QUANTILES}}
        for metric in TAKES_METRICS
    ]
    return pd.DataFrame(out, columns=["metric", "converters", "mean", *QUANTILES])


def conversion(
    journey: ir.Table,
    *,
    events: str | Sequence[str] | None = None,
    lookback: timedelta | None = None,
) -> ConversionResult:
    """Conversion rate, what it takes to convert, channel mix and the touchpoint histogram.

    ``events`` names the conversion events (default: the journey's ``is_conversion``);
    ``lookback`` limits the path before the first conversion (default: all of it).
    """
    if lookback is not None and lookback.total_seconds() < 0:
        raise InvalidInput(f"lookback must not be negative, got {lookback}")
    if events is not None:
        check_event_names(journey, [events] if isinstance(events, str) else events,
                          what="conversion event")
    per_channel = person_channels(journey, events=events, lookback=lookback)
    with per_channel.cache() as pc, persons_table(pc).cache() as persons:
        summary = _summary(persons)
        takes = _what_it_takes(persons)
        counts = to_frame(persons.group_by("converted", "touchpoints").agg(
            persons=persons.count(), sessions=persons.sessions.sum(),
        ))
        exposed = pc.filter((pc.n_path > 0) & pc.channel.notnull()).select("person_id", "channel")
        joined = exposed.join(persons, "person_id")
        exposed_counts = to_frame(joined.group_by("channel", "converted", "touchpoints").agg(
            persons=joined.count(), sessions=joined.sessions.sum(),
        ))
    params: dict[str, Any] = {
        "events": None if events is None else [events] if isinstance(events, str)
        else list(events),
        "lookback_days": None if lookback is None else lookback.total_seconds() / 86400,
    }
    return ConversionResult(
        summary=summary,
        what_it_takes=takes,
        by_channel_mix=channel_mix(exposed_counts, counts),
        distribution=touchpoint_histogram(counts),
        params=params,
    )



# -- registry ---------------------------------------------------------------------------------
class ConversionParams(Params):
    """Conversion rate, and what it takes to convert (touchpoints, channels, days).

    Rate: persons with a conversion event / all persons. "What it takes" looks at each
    person's first conversion (events at the same time: message id order) and counts the
    events strictly before it, on all the person's devices (with lookback: no earlier than
    that before it, the edge included): touchpoints, distinct channels, sessions up to the
    converting one, days from the first counted touchpoint. Mix: persons who met a channel
    before converting (or ever, if they never converted) against those who did not.
    """

    events: Names | None = Field(
        None, description="Conversion events, comma-separated (default: the project's "
        "conversion_events)."
    )
    lookback: Duration | None = Field(
        None, description="Only count touchpoints this long before the conversion, e.g. 30d "
        "(default: all)."
    )


def _compute(inputs: Inputs, p: ConversionParams) -> ConversionResult:
    return conversion(inputs.journey(), events=p.events or None, lookback=duration(p.lookback))


ANALYSIS = Analysis(
    name="conversion",
    renumber=False,  # reads seq only as an order, no next_event
    params=ConversionParams,
    compute=_compute,
    title=Words("Conversion", "Conversion"),
    summary=Words("Conversion rate and what it takes to convert",
                  "Conversion-Rate und was es bis zur Conversion braucht"),
    views={"summary": "summary", "takes": "what_it_takes", "mix": "by_channel_mix",
           "distribution": "distribution"},
    compare=("summary", ()),
    charts=(
        Chart("bar", "distribution", x="touchpoints", y="converters"),
        Chart("hbar", "by_channel_mix", x="rate_lift", y="channel", format="percent"),
    ),
)
