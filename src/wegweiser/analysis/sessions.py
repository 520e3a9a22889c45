"""Sessions: visits of a person, split by inactivity, across all of the person's devices.

Definitions:

* A person's events are ordered by ``seq`` (timestamp, then ``message_id``). A **session**
  ends after an event when the person's next event comes **more than** ``gap`` later; a next
  event exactly ``gap`` later (or at the same time) stays in the session. Devices do not
  matter: a person switching from phone to laptop within the gap stays in one session.
  Without ``gap`` the journey's own ``session`` column is used (the project's
  ``windows.session_gap_minutes``); :func:`sessionize` recomputes it for any other gap.
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
import pandas as pd
from pydantic import Field

from wegweiser.analysis._codes import has_codes
from wegweiser.analysis._intervals import interval
from wegweiser.analysis._time import seconds_between
from wegweiser.analysis.params import Duration, Params, duration
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir
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


def session_table(journey: ir.Table, *, gap: timedelta | None = None) -> ir.Table:
    """One row per session (see :class:`SessionsResult` ``sessions``, without ``session_id``).

    Without ``gap``: a group-by over the journey's own sessions. With ``gap``: only the
    events that end a session or convert pass one window over ``seq`` (a session's number
    is the number of session ends before it); each session's first event is then joined
    back by ``seq`` for the entry channel and device.
    """
    # the journey's integer person code, when it has one: integers hash faster
    person = "person_n" if has_codes(journey) else "person_id"
    if gap is None:
        grouped = journey.group_by(person, "session").agg(
            **({"person_id": journey.person_id.arbitrary()} if person != "person_id" else {}),
            start=journey.timestamp.min(),
            end=journey.timestamp.max(),
            events=journey.count(),
            channel=journey.channel.argmin(journey.seq),
            device=journey.device.argmin(journey.seq),
            conversions=journey.is_conversion.cast("int64").sum(),
        )
        grouped = grouped.mutate(duration_s=seconds_between(grouped.start, grouped.end))
        return grouped.select("person_id", "session", "start", "end", "events", "channel",
                              "device", "conversions", "duration_s")
    gap = check_gap(gap)
    j = journey
    ends = j.next_timestamp.isnull() | (j.next_timestamp > j.timestamp + interval(gap))
    marks = j.filter(ends | j.is_conversion).select(
        "person_id", person, "seq", "timestamp", "is_conversion", is_end=ends
    ) if person != "person_id" else j.filter(ends | j.is_conversion).select(
        "person_id", "seq", "timestamp", "is_conversion", is_end=ends
    )
    before = ibis.window(group_by=person, order_by="seq", rows=(None, -1))
    null_int = ibis.null().cast("int64")
    marks = marks.mutate(
        session=marks.is_end.cast("int64").sum().over(before).coalesce(0),
        first_seq=(ibis.ifelse(marks.is_end, marks.seq, null_int).max().over(before) + 1)
        .coalesce(0),
    )
    per = marks.group_by(person, "session").agg(
        **({"person_id": marks.person_id.arbitrary()} if person != "person_id" else {}),
        first_seq=marks.first_seq.max(),
        last_seq=marks.seq.max(),
        end=marks.timestamp.max(),
        conversions=marks.is_conversion.cast("int64").sum(),
    )
    firsts = j.select(
        first_person=j[person], first_seq_="seq", start="timestamp", channel="channel",
        device="device",
    )
    joined = per.join(
        firsts, (per[person] == firsts.first_person) & (per.first_seq == firsts.first_seq_)
    )
    return joined.select(
        "person_id", "session", "start", "end",
        events=joined.last_seq - joined.first_seq + 1, channel=joined.channel,
        device=joined.device, conversions=joined.conversions,
        duration_s=seconds_between(joined.start, joined.end),
    )


def _by(per_session: ir.Table, key: str) -> ir.Table:
    s = per_session
    return s.group_by(key).agg(
        sessions=s.count(),
        persons=s.person_id.nunique(),
        events_per_session=s.events.mean(),
        duration_mean_s=s.duration_s.mean(),
        duration_median_s=s.duration_s.median(),
        bounce_rate=(s.events == 1).cast("float64").mean(),
        conversion_rate=(s.conversions > 0).cast("float64").mean(),
    )


def _histogram(per_session: ir.Table) -> pd.DataFrame:
    s = per_session
    bucket = ibis.cases(
        *[(s.duration_s < edge, i) for i, edge in enumerate(DURATION_EDGES)],
        else_=len(DURATION_EDGES),
    )
    counts = to_frame(s.group_by(bin_index=bucket).agg(sessions=s.count()))
    found = dict(zip(counts["bin_index"], counts["sessions"], strict=True))
    lowers = (0, *DURATION_EDGES)
    uppers: tuple[float, ...] = (*DURATION_EDGES, math.nan)
    rows = [
        {"bin": _bin_label(lo, hi), "lower_s": float(lo), "upper_s": hi,
         "sessions": int(found.get(i, 0))}
        for i, (lo, hi) in enumerate(zip(lowers, uppers, strict=True))
    ]
    frame = pd.DataFrame(rows, columns=["bin", "lower_s", "upper_s", "sessions"])
    total = int(frame["sessions"].sum())
    frame["share"] = frame["sessions"] / total if total else 0.0
    return frame


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


def _ordered(frame: pd.DataFrame, key: str, total: int) -> pd.DataFrame:
    frame = frame.sort_values(["sessions", key], ascending=[False, True], na_position="last")
    frame = frame.reset_index(drop=True)
    frame.insert(2, "share", frame["sessions"] / total if total else 0.0)
    frame["sessions"] = frame["sessions"].astype("int64")
    frame["persons"] = frame["persons"].astype("int64")
    return frame


def _summary(per_session: ir.Table) -> pd.DataFrame:
    s = per_session
    per_person = s.group_by("person_id").agg(n=s.count())
    head = s.aggregate(
        sessions=s.count(),
        duration_mean_s=s.duration_s.mean(),
        duration_median_s=s.duration_s.median(),
        duration_p90_s=s.duration_s.quantile(0.9),
        events_per_session_mean=s.events.mean(),
        events_per_session_median=s.events.median(),
        bounce_rate=(s.events == 1).cast("float64").mean(),
        conversion_rate=(s.conversions > 0).cast("float64").mean(),
    ).cross_join(per_person.aggregate(
        persons=per_person.count(),
        sessions_per_person_mean=per_person.n.mean(),
        sessions_per_person_median=per_person.n.median(),
    ))
    summary = to_frame(head)[list(SUMMARY_COLUMNS)]
    for column in ("sessions", "persons"):
        summary[column] = summary[column].fillna(0).astype("int64")
    return summary


def sessions(
    journey: ir.Table, *, gap: timedelta | None = None, limit: int | None = 0
) -> SessionsResult:
    """Counts, durations and events per session, overall and by entry channel and device.

    ``gap`` recomputes sessions for that inactivity gap (default: the journey's sessions).
    ``limit`` is how many per-session rows to return (ordered by start time, then person
    and session number); 0 returns none, None all of them.
    """
    if limit is not None and limit < 0:
        raise InvalidInput(f"limit must be 0 or more, got {limit}")
    with session_table(journey, gap=gap).cache() as per_session:
        summary = _summary(per_session)
        total = int(summary["sessions"].sum())
        by_channel = _ordered(to_frame(_by(per_session, "channel")), "channel", total)
        by_device = _ordered(to_frame(_by(per_session, "device")), "device", total)
        durations = _histogram(per_session)
        ordered = per_session.mutate(
            session_id=per_session.person_id.concat(":", per_session.session.cast("string"))
        ).select(*SESSION_COLUMNS).order_by("start", "person_id", "session")
        if limit == 0:  # no query: an empty frame of the right types
            rows = ordered.schema().to_pyarrow().empty_table().to_pandas()
        else:
            rows = to_frame(ordered if limit is None else ordered.limit(limit))
    params: dict[str, Any] = {
        "gap_seconds": None if gap is None else gap.total_seconds(), "limit": limit,
    }
    return SessionsResult(
        summary=summary, by_channel=by_channel, by_device=by_device, durations=durations,
        sessions=rows, params=params,
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
    return sessions(inputs.journey(), gap=duration(p.gap), limit=p.limit)


ANALYSIS = Analysis(
    name="sessions",
    renumber=False,  # reads seq only as an order, no next_event
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
