"""Per-person facts the touchpoint analysis needs, computed on the engine (internal).

Definitions (see :mod:`wegweiser.analysis.touchpoints`):

* A person's **decision time** is their first conversion event; persons without one have
  none. An event is **before the decision** when it is earlier than that (every event of
  a person who never converted is). Only events before the decision count as experiences,
  friction or covariates: what happens after the purchase cannot have caused it.
* :func:`person_frame`: one row per person with ``converted``, ``revenue`` (sum over their
  conversion events), the ``device``/``platform``/``country`` of their first event, per
  channel ``ch:<channel>`` the number of events before the decision,
  and per touchpoint ``i`` the experiences before the decision ``n<i>``, those in the first
  7 days after the person's first event ``n7_<i>``, the friction flags ``f<i>`` and the
  covariates observed before the touchpoint (below).
* **Friction** ``f<i>``: a touchpoint event right after which the journey ends without a
  conversion; a session with the touchpoint that repeats it or holds an error event; a
  **long dwell** ``dwell<i>``: at the person's first experience, the time to the next event
  of the same session is more than :data:`DWELL` (3) times the median of that time over all
  the touchpoint's experiences, and more than a minute (:data:`MIN_DWELL`);
  **back-tracking** ``back<i>``: the event right after the first experience belongs to an
  earlier phase than the experience's own (when its event has none: the highest phase the
  person had reached by then; phases in their configured order; none without phases).
  Both look at the first experience only: over every repeat, a touchpoint met often would
  flag nearly everyone (one in seven gaps of a log-normal reading time is over 3x its
  median).
* **The cut** ``cut<i>`` (0-based position among the person's events before the decision):
  for a person who experienced the touchpoint, their first experience of it; for the others
  the same relative point: the median share of their pre-decision journey the experienced
  persons had behind them at their first experience, times the person's number of events
  before the decision (rounded down). A fixed cut at the decision would measure the
  unexposed over a longer stretch than the exposed -- more sessions, later phases only
  because more of the journey is counted -- and the models would read that as intent; cut
  at the same share, both groups are described at a comparable point of their journey.
  Before the cut: ``c<i>:<channel>`` events per channel, ``entry<i>`` the entry channel (of
  the first event, "(none)" when the cut is at it), ``ph<i>`` the highest phase rank
  reached (-1 none) and ``sess<i>`` the earlier sessions (the 0-based session number of the
  event at the cut: the sessions before the one where the touchpoint was met).
* :func:`event_frame`: one row per person, event and device kind with an occurrence before
  the decision, for the given events: ``looped`` when it happened twice or more in the
  **first** session with it on that device. Every person at risk gets the same single
  session to loop in: "twice in any session before the decision" grows with the number of
  sessions, and a non-buyer's pre-decision window runs to the end of their journey (a
  buyer's stops at the purchase, the browsing after a declined decision is counted only for
  the non-buyers), so the non-buyers loop more because they did not buy. On the demo shop
  (20,000 persons, seed 0), where looping over product views changes nothing (the persons'
  chance to buy is their persona's times the channel multipliers), the any-session loop on
  mobile cost 1,987 conversions (adjusted gap 0.18; within the planted personas 0.01) and
  ranked above the planted payment error; in the first session the adjusted gap is 0.05
  (within personas 0.04); benchmarks/RESULTS.md, "Issue 17: the demo's first pain point".
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis._time import seconds_between
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
#: a long dwell: the time from an experience to the next event of the session is more than
#: this many times its median for the touchpoint
DWELL = 3.0
#: ... and at least this many seconds (a touchpoint passed in a second or two is no dwell)
MIN_DWELL = 60.0


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
    errors: Sequence[str] | None = None, phases: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per person (module docstring), sorted by ``person_id``; ``errors``: the
    error events (default: found in the journey); ``phases``: the phase names in order
    (for the highest phase reached before the cut)."""
    j = decided(journey)
    flags = {f"m{i}": experienced(j, t) for i, t in enumerate(touchpoints)}
    j = _steps(j.mutate(**flags, rank=j.seq - j.seq.min().over(group_by="person_id"),
                        prank=_phase_rank(j.phase, phases)))
    cuts, slow = _cuts(j, len(touchpoints))
    j = j.left_join(cuts, j.person_id == cuts._cid).drop("_cid")
    week = j.first_ts + ibis.interval(days=FIRST_DAYS)
    j = j.mutate(
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
        once = m & (j.rank == j[f"cut{i}"])  # the first experience
        limit = slow[i]
        dwell = once & (j.gap > limit) if limit is not None else once & ibis.literal(False)
        sess_aggs[f"d{i}"] = dwell.sum()
        sess_aggs[f"b{i}"] = (once & (j.next_rank < j.prank.coalesce(j.reached))).sum()
    sess = j.group_by("person_id", "session").agg(**sess_aggs)
    loop_aggs: dict[str, ir.Value] = {}
    for i in range(len(touchpoints)):
        bad = (sess[f"s{i}"] >= 2) | ((sess[f"s{i}"] >= 1) & (sess.errors >= 1))
        dwell, back = (sess[f"d{i}"] >= 1).max(), (sess[f"b{i}"] >= 1).max()
        loop_aggs[f"dwell{i}"], loop_aggs[f"back{i}"] = dwell, back
        loop_aggs[f"f{i}"] = (bad | (sess[f"e{i}"] >= 1)).max() | dwell | back
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
        before = j.pre & (j.rank < j[f"cut{i}"])
        aggs[f"sess{i}"] = j.session.max(where=j.pre & (j.rank <= j[f"cut{i}"]))
        aggs[f"ph{i}"] = j.prank.max(where=before)
        aggs[f"entry{i}"] = j.channel.max(where=before & j.first)
        for c in channels:
            aggs[f"c{i}:{c}"] = ((j.channel == c) & before).sum()
    per = j.group_by("person_id").agg(**aggs)
    if touchpoints:
        per = per.join(friction, per.person_id == friction._fid).drop("_fid")
    frame = to_frame(per).sort_values("person_id", kind="stable").reset_index(drop=True)
    for col in ("device", "platform", "country",
                *(f"entry{i}" for i in range(len(touchpoints)))):
        frame[col] = frame[col].fillna("(none)").astype(str)
    frame["converted"] = frame["converted"].astype(bool)
    frame["revenue"] = frame["revenue"].astype(float)
    for i in range(len(touchpoints)):
        for col in (f"f{i}", f"dwell{i}", f"back{i}"):
            frame[col] = frame[col].fillna(False).astype(bool)
        frame[f"sess{i}"] = frame[f"sess{i}"].fillna(0).astype("int64")
        frame[f"ph{i}"] = frame[f"ph{i}"].fillna(-1).astype("int64")
    return frame


def _cuts(j: ir.Table, n: int) -> tuple[ir.Table, list[float | None]]:
    """Per person with events before the decision (``_cid``) and touchpoint ``i``:
    ``cut<i>``, the position (0-based, among the events before the decision) the covariates
    stop at: the first experience of the touchpoint, and for persons without one the same
    relative point, the median share of the pre-decision journey the experienced persons
    had behind them at their first experience (module docstring); and per touchpoint the
    long-dwell threshold: :data:`DWELL` x the median ``gap`` after its experiences before
    the decision, at least :data:`MIN_DWELL` (None without gaps). One query for both."""
    pre = j.filter(j.pre)
    aggs: dict[str, ir.Value] = {"_n": pre.count()}
    for i in range(n):
        aggs[f"_k{i}"] = pre.rank.min(where=pre[f"m{i}"])
    per = pre.group_by(_cid=pre.person_id).agg(**aggs)
    if not n:
        return per.select("_cid"), []
    shares = per.aggregate(**{
        f"q{i}": (per[f"_k{i}"].cast("float64") / per._n).median() for i in range(n)
    })
    # NULL outside the rows (not median(where=...): on Spark that makes the percentage an
    # IF(...) expression, which Spark refuses); the median skips NULLs on every engine
    gaps = j.aggregate(**{
        f"g{i}": ibis.ifelse(j[f"m{i}"] & j.pre, j.gap.cast("float64"),
                             ibis.null().cast("float64")).median()
        for i in range(n)
    })
    stats = to_frame(shares.cross_join(gaps))
    cut, slow = {}, []
    for i in range(n):
        q, g = (_number(stats[c].iloc[0]) if len(stats) else float("nan")
                for c in (f"q{i}", f"g{i}"))
        cut[f"cut{i}"] = per[f"_k{i}"].fill_null(
            (per._n * (q if q == q else 1.0)).floor().cast("int64"))
        slow.append(max(DWELL * g, MIN_DWELL) if g >= 0 else None)
    return per.select("_cid", **cut), slow


def _number(value: object) -> float:
    """``value`` as a float, NaN for NULL."""
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def _steps(j: ir.Table) -> ir.Table:
    """``j`` with ``gap`` (seconds to the next event when it is in the same session, else
    NULL), ``reached`` (the highest phase rank so far) and ``next_rank`` (the next event's)."""
    order = ibis.window(group_by="person_id", order_by="seq")
    running = ibis.window(group_by="person_id", order_by="seq", preceding=None, following=0)
    j = j.mutate(
        _next_ts=j.timestamp.lead().over(order), _next_session=j.session.lead().over(order),
        next_rank=j.prank.lead().over(order), reached=j.prank.max().over(running),
    )
    same = j._next_session == j.session
    # exact to the microsecond on every engine (epoch_seconds() rounds on DuckDB and
    # truncates on Spark, which moved a person across the dwell limit)
    between = seconds_between(j.timestamp, j._next_ts)
    return j.mutate(gap=ibis.ifelse(same, between, ibis.null().cast("float64"))).drop(
        "_next_ts", "_next_session")


def _phase_rank(phase: ir.StringValue, phases: Sequence[str]) -> ir.IntegerValue:
    """The position of ``phase`` in ``phases`` (NULL for none or unknown)."""
    if not phases:
        return ibis.null().cast("int64")
    return ibis.cases(*[(phase == p, r) for r, p in enumerate(phases)],
                      else_=ibis.null().cast("int64"))


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
    """``person_id, event, device, looped`` for ``events`` before the decision (``looped``:
    twice or more in the person's first session with the event on the device)."""
    j = decided(journey)
    j = j.filter(j.pre & j.event.isin(list(events) or [""]))
    j = j.mutate(device=j.device.fill_null("(none)"))
    per = j.group_by("person_id", "session", "event", "device").agg(n=j.count())
    # the first session with the event on the device only (module docstring)
    per = per.mutate(_first=per.session.min().over(group_by=["person_id", "event", "device"]))
    per = per.filter(per.session == per._first)
    out = per.group_by("person_id", "event", "device").agg(looped=(per.n >= 2).max())
    frame = to_frame(out).sort_values(["event", "device", "person_id"], kind="stable")
    frame["looped"] = frame["looped"].astype(bool)
    return frame.reset_index(drop=True)
