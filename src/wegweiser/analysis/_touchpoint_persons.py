"""Per-person facts the touchpoint analysis needs, computed on the engine (internal).

Definitions (see :mod:`wegweiser.analysis.touchpoints`):

* A person's **decision time** is their first conversion event; persons without one have
  none. An event is **before the decision** when it is earlier than that (every event of
  a person who never converted is). Only events before the decision count as experiences,
  friction or covariates: what happens after the purchase cannot have caused it.
* :func:`person_frame`: one row per person with ``converted``, ``revenue`` (sum over their
  conversion events), the ``device``/``platform``/``country`` of their first event, per
  channel ``ch:<channel>`` the number of events before the decision, and per touchpoint
  ``i`` the experiences before the decision ``n<i>``, those in the first 7 days after the
  person's first event ``n7_<i>``, and the friction flags ``f<i>`` (a touchpoint event
  right after which the journey ends without a conversion, or a session with the
  touchpoint that repeats it or holds an error event).
* :func:`event_frame`: one row per person, event and device kind with an occurrence before
  the decision, for the given events: ``looped`` when it happened twice or more in one
  session.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis.result import to_frame
from wegweiser.analysis.touchpoint_catalogue import experienced

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir
    import pandas as pd

    from wegweiser.analysis.touchpoint_catalogue import Touchpoint

#: event names that are errors (glob patterns, case-sensitive)
ERROR_EVENTS = ("*error*", "*fail*", "*exception*", "*declined*")
#: the first days of a journey for the "in the first week" thresholds
FIRST_DAYS = 7


def is_error(name: str) -> bool:
    return any(fnmatchcase(name, p) for p in ERROR_EVENTS)


def decided(journey: ir.Table) -> ir.Table:
    """``journey`` with ``first_ts``, ``conv_ts`` and ``pre`` (before the decision); a table
    that has them already is returned as it is (compute it once and cache it)."""
    if "pre" in journey.columns:
        return journey
    per = journey.group_by(_pid=journey.person_id).agg(
        first_ts=journey.timestamp.min(),
        conv_ts=journey.timestamp.min(where=journey.is_conversion),
    )
    j = journey.join(per, journey.person_id == per._pid).drop("_pid")
    return j.mutate(pre=j.conv_ts.isnull() | (j.timestamp < j.conv_ts))


def channels_of(journey: ir.Table) -> list[str]:
    """The channels of the journey, sorted."""
    frame = to_frame(journey.select("channel").distinct())
    return sorted(str(c) for c in frame["channel"].dropna())


def person_frame(
    journey: ir.Table, touchpoints: Sequence[Touchpoint], channels: Sequence[str], *,
    errors: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per person (module docstring), sorted by ``person_id``; ``errors``: the
    error events (default: found in the journey)."""
    j = decided(journey)
    flags = {f"m{i}": experienced(j, t) for i, t in enumerate(touchpoints)}
    week = j.first_ts + ibis.interval(days=FIRST_DAYS)
    j = j.mutate(
        **flags,
        err=j.event.isin(list(_error_names(journey) if errors is None else errors) or [""])
        & j.pre,
        end=j.next_event.isnull() & j.conv_ts.isnull(),
        early=j.timestamp < week,
        first=j.seq == j.seq.min().over(group_by="person_id"),
    )
    sess_aggs: dict[str, ir.Value] = {"errors": j.err.sum()}
    for i in range(len(touchpoints)):
        m = j[f"m{i}"] & j.pre
        sess_aggs[f"s{i}"] = m.sum()
        sess_aggs[f"e{i}"] = (m & j.end).sum()
    sess = j.group_by("person_id", "session").agg(**sess_aggs)
    loop_aggs: dict[str, ir.Value] = {}
    for i in range(len(touchpoints)):
        bad = (sess[f"s{i}"] >= 2) | ((sess[f"s{i}"] >= 1) & (sess.errors >= 1))
        loop_aggs[f"f{i}"] = (bad | (sess[f"e{i}"] >= 1)).max()
    friction = sess.group_by(_fid=sess.person_id).agg(**loop_aggs)

    aggs: dict[str, ir.Value] = {
        "converted": j.conv_ts.max().notnull(),
        "revenue": j.revenue.sum(where=j.is_conversion).fill_null(0.0),
        "device": j.device.max(where=j.first),
        "platform": j.platform.max(where=j.first),
        "country": j.country.max(where=j.first),
    }
    for c in channels:
        aggs[f"ch:{c}"] = ((j.channel == c) & j.pre).sum()
    for i in range(len(touchpoints)):
        m = j[f"m{i}"] & j.pre
        aggs[f"n{i}"] = m.sum()
        aggs[f"n7_{i}"] = (m & j.early).sum()
    per = j.group_by("person_id").agg(**aggs)
    if touchpoints:
        per = per.join(friction, per.person_id == friction._fid).drop("_fid")
    frame = to_frame(per).sort_values("person_id", kind="stable").reset_index(drop=True)
    for col in ("device", "platform", "country"):
        frame[col] = frame[col].fillna("(none)").astype(str)
    frame["converted"] = frame["converted"].astype(bool)
    frame["revenue"] = frame["revenue"].astype(float)
    for i in range(len(touchpoints)):
        frame[f"f{i}"] = frame[f"f{i}"].fillna(False).astype(bool)
    return frame


def _error_names(journey: ir.Table) -> list[str]:
    names = to_frame(journey.select("event").distinct())["event"].dropna()
    return sorted(str(n) for n in names if is_error(str(n)))


def error_events(journey: ir.Table) -> dict[str, str | None]:
    """Each error event of the journey and its **step**: the event that most often comes
    right before it (ties: by name; None when nothing does)."""
    names = _error_names(journey)
    if not names:
        return {}
    before = journey.filter(journey.next_event.isin(names) & (journey.event != journey.next_event))
    counts = to_frame(before.group_by("next_event", "event").agg(n=before.count()))
    out: dict[str, str | None] = dict.fromkeys(names)
    if counts.empty:
        return out
    counts = counts[~counts["event"].isin(names)]
    counts = counts.sort_values(["next_event", "n", "event"], ascending=[True, False, True])
    for name, group in counts.groupby("next_event", sort=True):
        out[str(name)] = str(group["event"].iloc[0])
    return out


def loop_events(journey: ir.Table, *, top: int) -> list[str]:
    """The ``top`` events repeated within a session by the most persons (before the
    decision); error events are left out (they are friction signals of their own)."""
    j = decided(journey)
    j = j.filter(j.pre)
    per = j.group_by("person_id", "session", "event").agg(n=j.count())
    looped = per.filter(per.n >= 2)
    counts = to_frame(looped.group_by("event").agg(persons=looped.person_id.nunique()))
    if counts.empty:
        return []
    counts = counts[[not is_error(str(e)) for e in counts["event"]]]
    counts = counts.sort_values(["persons", "event"], ascending=[False, True])
    return [str(e) for e in counts["event"].head(top)]


def event_frame(journey: ir.Table, events: Sequence[str]) -> pd.DataFrame:
    """``person_id, event, device, looped`` for ``events`` before the decision."""
    j = decided(journey)
    j = j.filter(j.pre & j.event.isin(list(events) or [""]))
    j = j.mutate(device=j.device.fill_null("(none)"))
    per = j.group_by("person_id", "session", "event", "device").agg(n=j.count())
    out = per.group_by("person_id", "event", "device").agg(looped=(per.n >= 2).max())
    frame = to_frame(out).sort_values(["event", "device", "person_id"], kind="stable")
    frame["looped"] = frame["looped"].astype(bool)
    return frame.reset_index(drop=True)
