"""Sessions: visits of a person, split by inactivity, across all of the person's devices.

Definitions:

* A person's events are ordered by ``seq`` (timestamp, then ``message_id``). A **session**
  ends after an event when the person's next event comes **more than** ``gap`` later; a next
  event exactly ``gap`` later (or at the same time) stays in the session. Devices do not
  matter: a person switching from phone to laptop within the gap stays in one session.
  Without ``gap`` the journey's own ``session`` column is used (the project's
  ``windows.session_gap_minutes``); :func:`sessionize` recomputes it for any other gap.
  Under a filter or a date range the project's sessions stay those of the whole journey
  (restricted to the events in scope); a split at another gap is made on the events in
  scope.
* **duration** is the time from the session's first to its last event, in seconds (a
  session of one event, or of events at one instant, lasts 0 s: the time spent after the
  last event is not known).
* A **bounce** is a session of exactly one event; the bounce rate is their share.
* A session's **entry channel** and **entry device** are those of its first event (lowest
  ``seq``); a session **converts** when it holds at least one conversion event.
* Duration histogram bins are half-open, ``lower <= duration < upper`` seconds.

>>> import ibis
>>> from datetime import datetime, timedelta
>>> ts = [datetime(2026, 1, 1, 9, m) for m in (0, 30, 31, 50)]  # 30 min apart: same session
>>> j = ibis.memtable({"person_id": ["p"] * 4, "seq": [0, 1, 2, 3], "timestamp": ts,
...                    "next_timestamp": [*ts[1:], None], "session": [0] * 4,
...                    "session_id": ["p:0"] * 4})
>>> sessionize(j, gap=timedelta(minutes=15)).order_by("seq").to_pyarrow()["session"].to_pylist()
[0, 1, 1, 2]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import ibis
from pydantic import Field

from wegweiser.analysis._codes import has_codes
from wegweiser.analysis._compiled import fetch
from wegweiser.analysis._intervals import interval
from wegweiser.analysis._session_stats import frames, stats_query
from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.params import Duration, Params, duration
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import plotly.graph_objects as go

#: Upper edges (seconds) of the duration histogram bins; the last bin is open.
DURATION_EDGES = (1, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)

SUMMARY_COLUMNS = (
    "sessions", "persons", "sessions_per_person_mean", "sessions_per_person_median",
    "duration_mean_s", "duration_median_s", "duration_p90_s", "events_per_session_mean",
    "events_per_session_median", "bounce_rate", "conversion_rate",
)
SESSION_COLUMNS = (
    "person_id", "session", "session_id", "start", "end", "duration_s", "events", "channel",
    "device", "conversions",
)


@dataclass(frozen=True)
class SessionsResult(Result):
    """Sessions of a journey.

    * ``summary`` — one row: ``sessions``, ``persons``, ``sessions_per_person_mean/median``,
      ``duration_mean_s/median_s/p90_s``, ``events_per_session_mean/median``,
      ``bounce_rate``, ``conversion_rate`` (share of sessions with a conversion);
    * ``by_channel`` / ``by_device`` — per entry channel / entry device: ``sessions``,
      ``share``, ``persons``, ``events_per_session``, ``duration_mean_s``,
      ``duration_median_s``, ``bounce_rate``, ``conversion_rate`` (most sessions first);
    * ``durations`` — histogram: ``bin``, ``lower_s``, ``upper_s`` (NaN: open), ``sessions``,
      ``share``;
    * ``sessions`` — one row per session (``person_id``, ``session``, ``session_id``,
      ``start``, ``end``, ``duration_s``, ``events``, ``channel``, ``device``,
      ``conversions``), the first ``limit`` by start time.
    """

    summary: pd.DataFrame
    by_channel: pd.DataFrame
    by_device: pd.DataFrame
    durations: pd.DataFrame
    sessions: pd.DataFrame

    def figure(self) -> go.Figure:
        """Histogram of session durations."""
        import plotly.graph_objects as go

        frame = self.durations
        fig = go.Figure(go.Bar(
            x=frame["bin"], y=frame["sessions"],
            customdata=frame["share"], hovertemplate="%{x}: %{y} sessions (%{customdata:.1%})",
        ))
        fig.update_layout(
            title="Session duration", xaxis_title="duration", yaxis_title="sessions",
            bargap=0.05,
        )
        return fig


def check_gap(gap: timedelta) -> timedelta:
    """``gap`` if it is a positive :class:`~datetime.timedelta`, else :class:`InvalidInput`."""
    if not isinstance(gap, timedelta) or gap <= timedelta(0):
        raise InvalidInput(
            f"session gap must be a positive duration, got {gap!r}; pass e.g. 30m or 2h"
        )
    return gap


def sessionize(journey: ir.Table, *, gap: timedelta) -> ir.Table:
    """The journey with ``session`` and ``session_id`` recomputed for another inactivity gap.

    A new session starts after an event whose next event (same person) comes more than
    ``gap`` later. One window pass over ``seq``: the session number of an event is the number
    of session ends before it.
    """
    gap = check_gap(gap)
    ends = ibis.ifelse(
        journey.next_timestamp.notnull()
        & (journey.next_timestamp > journey.timestamp + interval(gap)),
        1, 0,
    )
    marked = journey.mutate(_end=ends)
    running = ibis.window(group_by="person_id", order_by="seq", preceding=None, following=0)
    counted = marked.mutate(session=(marked._end.sum().over(running) - marked._end).cast("int64"))
    counted = counted.mutate(
        session_id=counted.person_id.concat(":", counted.session.cast("string"))
    )
    return counted.select(*journey.columns)


def uses_stored(gap: timedelta | None, stored_gap: timedelta | None) -> bool:
    """Whether a split at ``gap`` is the journey's own (made at ``stored_gap``): the journey
    starts a session where more than its gap passed since the person's previous event, in
    ``seq`` order, on any device — the definition :func:`sessionize` follows (boundaries,
    ties and persons alike; ``tests/analysis/test_sessions.py`` checks they agree)."""
    return gap is None or (stored_gap is not None and check_gap(gap) == stored_gap)


def _per_session(
    journey: ir.Table, *, gap: timedelta | None, stored_gap: timedelta | None = None
) -> ir.Table:
    """One row per session (the columns of :class:`SessionsResult` ``sessions`` but
    ``session_id``, with ``duration_us`` and ``person_n`` when the journey has codes).

    Without ``gap``, or with the ``stored_gap`` the journey's sessions were made with: a
    group-by over the journey's own sessions. With another ``gap``: only the events that end
    a session or convert pass one window over ``seq`` (a session's number is the number of
    session ends before it); each session's first event is then joined back by ``seq`` for
    the entry channel and device.
    """
    # the journey's integer person code, when it has one: integers hash faster
    person = "person_n" if has_codes(journey) else "person_id"
    if uses_stored(gap, stored_gap):
        grouped = journey.group_by(person, "session").agg(
            **({"person_id": journey.person_id.arbitrary()} if person != "person_id" else {}),
            start=journey.timestamp.min(),
            end=journey.timestamp.max(),
            events=journey.count(),
            channel=journey.channel.argmin(journey.seq),
            device=journey.device.argmin(journey.seq),
            conversions=journey.is_conversion.cast("int64").sum(),
        )
        return _durations(grouped, person)
    assert gap is not None  # uses_stored
    gap = check_gap(gap)
    j = journey
    ends = j.next_timestamp.isnull() | (j.next_timestamp > j.timestamp + interval(gap))
    marks = (
        j.filter(ends | j.is_conversion).select(
            "person_id", person, "seq", "timestamp", "is_conversion", is_end=ends
        )
        if person != "person_id"
        else j.filter(ends | j.is_conversion).select(
            "person_id", "seq", "timestamp", "is_conversion", is_end=ends
        )
    )
    before = ibis.window(group_by=person, order_by="seq", rows=(None, -1))
    null_int = ibis.null().cast("int64")
    marks = marks.mutate(
        session=marks.is_end.cast("int64").sum().over(before).coalesce(0),
        first_seq=(ibis.ifelse(marks.is_end, marks.seq, null_int).max().over(before) + 1).coalesce(
            0
        ),
    )
    per = marks.group_by(person, "session").agg(
        **({"person_id": marks.person_id.arbitrary()} if person != "person_id" else {}),
        first_seq=marks.first_seq.max(),
        last_seq=marks.seq.max(),
        end=marks.timestamp.max(),
        conversions=marks.is_conversion.cast("int64").sum(),
    )
    firsts = j.select(
        first_person=j[person],
        first_seq_="seq",
        start="timestamp",
        channel="channel",
        device="device",
    )
    joined = per.join(
        firsts, (per[person] == firsts.first_person) & (per.first_seq == firsts.first_seq_)
    )
    joined = joined.select(
        person,
        *(["person_id"] if person != "person_id" else []),
        "session",
        "start",
        "end",
        events=joined.last_seq - joined.first_seq + 1,
        channel=joined.channel,
        device=joined.device,
        conversions=joined.conversions,
    )
    return _durations(joined, person)


def stored_sessions(journey: ir.Table) -> ir.Table:
    """One row per session of the journey's own sessions: the ``sessions`` roll-up
    (:mod:`wegweiser.analysis.rollups`), which :func:`sessions` aggregates instead of every
    event when asked for those sessions on all the data.

    The columns of the per-session rows (``person_n`` when the journey has codes,
    ``person_id``, ``session``, ``start``, ``end``, ``events``, ``channel``, ``device``,
    ``conversions``, ``duration_us``, ``duration_s``) and, for the per-channel and
    per-device tables:

    * ``channel_n`` / ``device_n`` — 0-based dense rank of the entry channel / device among
      the sessions' (NULL is a value of its own): the group-bys hash integers. They are made
      here, in the same step as the names, and live only in this table;
    * ``first_channel`` / ``first_device`` — 1 on a person's first session with that entry
      channel / device (0 on the others and where the person is NULL): the sum over a
      channel is the number of distinct persons with a session entering by it, without a
      distinct count.
    """
    per = _per_session(journey, gap=None).drop("person")
    person = "person_n" if "person_n" in per.columns else "person_id"
    known = per[person].notnull()
    out = {}
    for column in ("channel", "device"):
        first = ibis.row_number().over(group_by=[per[person], per[column]], order_by=per.session)
        out[f"{column}_n"] = ibis.dense_rank().over(order_by=per[column]).cast("int64")
        out[f"first_{column}"] = (known & (first == 0)).cast("int64")
    return per.mutate(**out)


def _durations(per: ir.Table, person: str) -> ir.Table:
    span = epoch_us(per.end) - epoch_us(per.start)
    return per.mutate(duration_us=span, duration_s=span.cast("float64") / 1e6, person=per[person])


def _bin_label(lower: float, upper: float) -> str:
    def short(s: float) -> str:
        if s >= 3600:
            return f"{s / 3600:g}h"
        if s >= 60:
            return f"{s / 60:g}m"
        return f"{s:g}s"

    if math.isnan(upper):
        return f">= {short(lower)}"
    return f"{short(lower)}-{short(upper)}"


BIN_LABELS = [
    _bin_label(lo, hi)
    for lo, hi in zip((0, *DURATION_EDGES), (*DURATION_EDGES, math.nan), strict=True)
]


def sessions(
    journey: ir.Table,
    *,
    gap: timedelta | None = None,
    limit: int | None = 0,
    stored_gap: timedelta | None = None,
    rollup: ir.Table | None = None,
) -> SessionsResult:
    """Counts, durations and events per session, overall and by entry channel and device.

    ``gap`` recomputes sessions for that inactivity gap (default: the journey's sessions);
    ``stored_gap`` is the gap the journey's sessions were made with (the project's
    ``windows.session_gap_minutes``): a ``gap`` equal to it reads them instead of splitting
    again. ``limit`` is how many per-session rows to return (ordered by start time, then
    person and session number); 0 returns none, None all of them. All tables come from one
    query (:mod:`._session_stats`).

    ``rollup``: the journey's ``sessions`` roll-up (:func:`stored_sessions` of
    ``journey``, materialised), aggregated instead of the events when the sessions asked
    for are the journey's own; the caller passes it only for the whole journey (no filter,
    no range), as the registry does.
    """
    if limit is not None and limit < 0:
        raise InvalidInput(f"limit must be 0 or more, got {limit}")
    if gap is not None:
        check_gap(gap)
    stored = uses_stored(gap, stored_gap)
    if stored and rollup is not None:
        person = "person_n" if "person_n" in rollup.columns else "person_id"
        table = fetch(
            ("sessions", "rollup", limit, rollup.op()),
            lambda: stats_query(
                rollup, person=person, edges=DURATION_EDGES, limit=limit, stored=True
            ),
            rollup.get_backend(),
        )
    else:
        table = fetch(
            ("sessions", None if stored else gap, limit, journey.op()),
            lambda: stats_query(
                _per_session(journey, gap=None if stored else gap),
                person="person",
                edges=DURATION_EDGES,
                limit=limit,
            ),
            journey.get_backend(),
        )
    summary, by_channel, by_device, durations, rows = frames(
        table,
        edges=DURATION_EDGES,
        labels=BIN_LABELS,
        summary_columns=SUMMARY_COLUMNS,
        session_columns=SESSION_COLUMNS,
    )
    params: dict[str, Any] = {
        "gap_seconds": None if gap is None else gap.total_seconds(),
        "limit": limit,
    }
    return SessionsResult(
        summary=summary,
        by_channel=by_channel,
        by_device=by_device,
        durations=durations,
        sessions=rows,
        params=params,
    )


# -- registry ---------------------------------------------------------------------------------
class SessionsParams(Params):
    """Sessions: counts, durations, events per session, by entry channel and device.

    A session is one person's run of events (on any device) with no pause longer than the
    gap; a pause exactly as long as the gap stays in the session. Events at the same time
    are ordered by message id. Duration: first to last event of the session (one event:
    0 s). Bounce: a session of one event. Entry channel/device: those of the session's
    first event.
    """

    gap: Duration | None = Field(
        None,
        description="Inactivity that ends a session, e.g. 30m "
        "(default: the project's windows.session_gap_minutes).",
    )
    limit: Annotated[int, Field(ge=1, le=100_000)] = Field(
        20, description="Rows of the per-session table (earliest first)."
    )


def _compute(inputs: Inputs, p: SessionsParams) -> SessionsResult:
    stored = timedelta(minutes=inputs.config.windows.session_gap_minutes)
    journey, gap = inputs.journey(), duration(p.gap)
    # the stored per-session rows (all the data, the project's gap), when the inputs have
    # them; a journey without codes (Spark) groups its events as before
    rollup = getattr(inputs, "rollup", None)
    rows = (
        rollup("sessions")
        if callable(rollup) and uses_stored(gap, stored) and has_codes(journey)
        else None
    )
    return sessions(journey, gap=gap, limit=p.limit, stored_gap=stored, rollup=rows)


ANALYSIS = Analysis(
    name="sessions",
    # renumbered after a filter: a split at another gap than the project's reads
    # next_timestamp and counts seq positions, which must be those of the events in scope
    params=SessionsParams,
    compute=_compute,
    title=Words("Sessions", "Sitzungen"),
    summary=Words("Sessions: counts, durations, channels, devices",
                  "Sitzungen: Anzahl, Dauer, Kanäle, Geräte"),
    views={"summary": "summary", "channels": "by_channel", "devices": "by_device",
           "durations": "durations", "sessions": "sessions"},
    charts=(
        Chart("bar", "durations", x="bin", y="sessions"),
        Chart("hbar", "by_channel", x="sessions", y="channel"),
    ),
)
