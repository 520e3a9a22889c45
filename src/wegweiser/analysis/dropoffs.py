"""Drop-offs and loops: first hints of pain points.

**Per phase** (``by_phase``). A person *reached* a phase with at least one event in it. They
*progressed* from it when, at or after the timestamp of their first event in it (the same
instant counts), they had an event of a later phase (config order) or a conversion event.
``lost`` = reached - progressed, ``loss_rate`` = lost / reached. Nothing comes after the
last phase: its persons count as progressed (``lost`` 0).

**Where they went instead** (``where_instead``). For the persons lost at a phase: their last
event in that phase (journey order, ``seq``) as ``last_event`` and the event right after it as
``next_event`` with its ``next_phase`` (``(end)``: nothing followed; ``(none)``: an event
without phase); the ``top`` combinations per phase with ``persons`` and ``share`` of the lost.

**Loops** (``loops``). An event is *looped* in a session when it occurs two or more times in
that session (immediate retries ``x -> x`` as well as cycles ``x -> y -> x``). Per event:

* ``persons`` -- persons with a looped session of the event (*affected*), ``sessions`` the
  number of such sessions, ``rate_affected`` the share of them with a conversion event in
  their first looped session or any later session;
* ``baseline_persons`` -- the persons who reached the event's phase (every person, when the
  event has no phase) without looping on the event; ``rate_baseline`` the share of them with
  a conversion in or after their first session in that phase;
* ``lift`` = ``rate_affected - rate_baseline``; ``score`` = ``persons * max(0, -lift)`` (the
  conversions a loop plausibly costs); ``rank`` 1 = highest score (ties: more persons,
  then event name).

With ``by="device"`` (or another touchpoint column) loops are counted per event and value
of that column: only the events carrying the value count (a person can be in several
groups); conversions count on any device.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ibis
import pandas as pd
from pydantic import Field

from wegweiser.analysis._loops import BY_COLUMNS, loop_table
from wegweiser.analysis.params import Params
from wegweiser.analysis.phases import phase_of, phase_rank
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import plotly.graph_objects as go

    from wegweiser.config import Phase

BY_PHASE = ["phase", "reached", "progressed", "lost", "loss_rate"]
INSTEAD = ["phase", "last_event", "next_event", "next_phase", "persons", "share"]


@dataclass(frozen=True)
class DropoffResult(Result):
    """Drop-offs per phase, where the lost went instead, and loops ranked as pain points."""

    by_phase: pd.DataFrame
    where_instead: pd.DataFrame
    loops: pd.DataFrame

    def figure(self) -> go.Figure:
        """Persons reached and lost per phase, the loss rate on a second axis."""
        import plotly.graph_objects as go

        frame = self.by_phase
        fig = go.Figure()
        fig.add_trace(go.Bar(x=frame["phase"], y=frame["reached"], name="reached"))
        fig.add_trace(go.Bar(x=frame["phase"], y=frame["lost"], name="lost"))
        fig.add_trace(go.Scatter(x=frame["phase"], y=frame["loss_rate"], name="loss rate",
                                 yaxis="y2", mode="lines+markers"))
        fig.update_layout(
            title="Persons reached and lost per phase", barmode="group",
            yaxis={"title": "persons"},
            yaxis2={"title": "loss rate", "overlaying": "y", "side": "right",
                    "tickformat": ".0%", "range": [0, 1]},
        )
        return fig

    def loops_figure(self, top: int = 10) -> go.Figure:
        """The ``top`` loops by score."""
        import plotly.graph_objects as go

        frame = self.loops.head(top)
        label = frame["event"]
        if self.params.get("by"):
            label = label + " · " + frame[self.params["by"]].astype(str)
        fig = go.Figure(go.Bar(x=frame["score"], y=label, orientation="h",
                               customdata=frame[["persons", "lift"]],
                               hovertemplate="%{y}: %{customdata[0]} persons, "
                                             "lift %{customdata[1]:.2f}<extra></extra>"))
        fig.update_layout(title="Loops ranked by conversions at stake",
                          yaxis={"autorange": "reversed"}, xaxis_title="score")
        return fig


def dropoffs(
    journey: ir.Table, phases: list[Phase], *, by: str | None = None, top: int = 5
) -> DropoffResult:
    """Drop-offs per phase, where the lost went instead, loops (module docstring).

    ``by``: break the loops down by a touchpoint column (``device``, ``channel``, ...);
    ``top``: rows of ``where_instead`` per phase.

    >>> import ibis
    >>> from datetime import datetime, UTC
    >>> from wegweiser.config import default_config
    >>> t = ibis.memtable({"person_id": ["a", "a", "b"], "seq": [0, 1, 0], "session": [0] * 3,
    ...     "timestamp": [datetime(2026, 1, 1, h, tzinfo=UTC) for h in (1, 2, 1)],
    ...     "event": ["product_view", "add_to_cart", "product_view"],
    ...     "phase": ["Consideration", "Preference", "Consideration"],
    ...     "is_conversion": [False] * 3, "next_event": ["add_to_cart", None, None]})
    >>> result = dropoffs(t, default_config().phases)
    >>> result.by_phase.iloc[1:3].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'phase': 'Consideration', 'reached': 2, 'progressed': 1, 'lost': 1, 'loss_rate': 0.5},
     {'phase': 'Preference', 'reached': 1, 'progressed': 0, 'lost': 1, 'loss_rate': 1.0}]
    """
    if by is not None and by not in BY_COLUMNS:
        raise InvalidInput(f"cannot break loops down by {by!r}; use one of: "
                           f"{', '.join(BY_COLUMNS)}")
    if top < 1:
        raise InvalidInput(f"top must be at least 1, got {top}")
    names = [p.name for p in phases]
    params = {"by": by, "top": top, "phases": names}
    if not names:
        return DropoffResult(pd.DataFrame(columns=BY_PHASE), pd.DataFrame(columns=INSTEAD),
                             loop_table(journey, phases, by=by), params=params)
    per = _per_person(journey, phases).cache()
    try:
        by_phase = _by_phase(per, names)
        instead = _where_instead(journey, per, phases, by_phase, top)
    finally:
        per.release()
    return DropoffResult(by_phase, instead, loop_table(journey, phases, by=by), params=params)


def _per_person(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """Per person and phase i: ``first_i`` (first time in it), ``later_i`` (last time of a
    later phase or a conversion), ``last_i`` (seq of the last event in it)."""
    pp = journey.group_by("person_id", "phase").agg(
        first=journey.timestamp.min(),
        last_ts=journey.timestamp.max(),
        last_seq=journey.seq.max(),
        conv_ts=journey.timestamp.max(where=journey.is_conversion),
    )
    pp = pp.mutate(rank=phase_rank(pp.phase, phases))
    aggs: dict[str, ir.Value] = {"conv_ts": pp.conv_ts.max()}
    for i, phase in enumerate(phases):
        here = pp.phase == phase.name
        aggs[f"first_{i}"] = pp.first.min(where=here)
        aggs[f"beyond_{i}"] = pp.last_ts.max(where=pp.rank > i)
        aggs[f"last_{i}"] = pp.last_seq.max(where=here)
    per = pp.group_by("person_id").agg(**aggs)
    later = {f"later_{i}": _latest(per[f"beyond_{i}"], per.conv_ts) for i in range(len(phases))}
    return per.mutate(**later)


def _latest(a: ir.TimestampValue, b: ir.TimestampValue) -> ir.TimestampValue:
    """The later of two timestamps, ignoring NULLs."""
    return ibis.cases((a.isnull(), b), (b.isnull(), a), else_=ibis.greatest(a, b))


def _lost(per: ir.Table, i: int) -> ir.BooleanValue:
    first, later = per[f"first_{i}"], per[f"later_{i}"]
    return first.notnull() & (later.isnull() | (later < first))


def _by_phase(per: ir.Table, names: list[str]) -> pd.DataFrame:
    last = len(names) - 1
    aggs = {}
    for i in range(len(names)):
        aggs[f"reached_{i}"] = per[f"first_{i}"].count()
        if i < last:
            aggs[f"lost_{i}"] = ibis.ifelse(_lost(per, i), 1, 0).sum()
    row = to_frame(per.aggregate(**aggs)).iloc[0]
    reached = [_count(row[f"reached_{i}"]) for i in range(len(names))]
    lost = [_count(row[f"lost_{i}"]) if i < last else 0 for i in range(len(names))]
    frame = pd.DataFrame({"phase": names, "reached": reached,
                          "progressed": [r - x for r, x in zip(reached, lost, strict=True)],
                          "lost": lost})
    frame["loss_rate"] = (frame["lost"] / frame["reached"].where(frame["reached"] > 0)).round(4)
    frame["loss_rate"] = frame["loss_rate"].fillna(0.0)
    return frame[BY_PHASE]


def _count(value: Any) -> int:
    return 0 if pd.isna(value) else int(value)


def _where_instead(
    journey: ir.Table, per: ir.Table, phases: list[Phase], by_phase: pd.DataFrame, top: int
) -> pd.DataFrame:
    parts = [
        per.filter(_lost(per, i)).select(
            "person_id", phase=ibis.literal(p.name), last_seq=per[f"last_{i}"]
        )
        for i, p in enumerate(phases[:-1])
        if by_phase["lost"].iloc[i]
    ]
    if not parts:
        return pd.DataFrame(columns=INSTEAD)
    lost = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    at = lost.join(journey, (lost.person_id == journey.person_id) & (lost.last_seq == journey.seq))
    counts = at.group_by(phase=at.phase, last_event=at.event, next_event=at.next_event).agg(
        persons=at.count()
    )
    counts = counts.mutate(next_phase=phase_of(counts.next_event, phases))
    frame = to_frame(counts)
    ended = frame["next_event"].isna()
    frame["next_phase"] = frame["next_phase"].fillna("(none)").where(~ended, "(end)")
    frame["next_event"] = frame["next_event"].fillna("(end)")
    lost_at = by_phase.set_index("phase")["lost"]
    frame["share"] = (frame["persons"] / frame["phase"].map(lost_at)).round(4)
    order = {n: i for i, n in enumerate(by_phase["phase"])}
    frame = frame.assign(_o=frame["phase"].map(order)).sort_values(
        ["_o", "persons", "last_event", "next_event"], ascending=[True, False, True, True]
    )
    frame = frame.groupby("phase", sort=False).head(top).reset_index(drop=True)
    return frame[INSTEAD]


# -- registry ---------------------------------------------------------------------------------
Touchpoint = Literal["device", "channel", "platform", "country", "source", "medium", "campaign"]


class DropoffsParams(Params):
    """Drop-offs per phase, where the lost persons went instead, loops ranked as pain points.

    Reached: a person with an event in the phase. Progressed: at or after their first event
    in it (the same instant counts) an event of a later phase or a conversion; the rest are
    lost (nothing comes after the last phase). Instead: the lost persons' last event in the
    phase and the event right after it ((end): none). Loop: an event two or more times in
    one session (retries x -> x, cycles x -> y -> x); its persons convert (in or after that
    session) vs the others who reached the event's phase (from their first session in it):
    lift = difference of the rates, score = persons x max(0, -lift), rank 1 = highest score.
    """

    by: Touchpoint | None = Field(None, description="Break loops down by this column.")
    top: Annotated[int, Field(ge=1, le=10_000)] | None = Field(
        None, description="Rows per phase of where_instead (default 5) and loops shown "
        "(default 10)."
    )


def _compute(inputs: Inputs, p: DropoffsParams) -> DropoffResult:
    result = dropoffs(inputs.journey(), list(inputs.config.phases), by=p.by, top=p.top or 5)
    return dataclasses.replace(result, loops=result.loops.head(p.top or 10))


ANALYSIS = Analysis(
    name="dropoffs",
    params=DropoffsParams,
    compute=_compute,
    title=Words("Drop-offs", "Abbrüche"),
    summary=Words("Drop-offs per phase, where the lost went, loops",
                  "Abbrüche je Phase, wohin die Verlorenen gingen, Schleifen"),
    views={"phases": "by_phase", "instead": "where_instead", "loops": "loops"},
    charts=(Chart("bar", "by_phase", x="phase", y=("progressed", "lost")),),
)
