"""The journey map: phases x touchpoints as a grid, with volume, conversion and satisfaction
per cell.

Definitions:

* **Touchpoint.** ``by="channel"`` (default): the event's ``channel`` (NULL channels form
  the touchpoint ``(none)``); ``by="event"``: the event name.
* **Cell** (phase, touchpoint): the events with that phase and touchpoint. Events without a
  phase are in no cell. A person is *in* a cell with at least one event in it; the cell's
  ``first`` time for the person is the timestamp of the person's first event in it.
* ``persons`` -- distinct persons in the cell; ``events`` -- events in it;
  ``share_of_phase`` -- persons / persons with any event of that phase.
* ``converters`` -- the cell's persons with a conversion event (``is_conversion``) at or
  after their first time in the cell (the same instant counts, so a conversion event in the
  cell counts itself); ``conversion_rate`` = converters / persons.
* ``answers`` -- the scored feedback (survey answers and reviews with a valid score on a
  known scale, see :mod:`wegweiser.analysis._feedback_rows`) counted in the cell.
  ``satisfaction="about"`` (default): the feedback **about** the cell -- its linked
  touchpoint (explicit, else the person's last touchpoint before it) has the cell's
  touchpoint (that event's channel, or its name with ``by="event"``) and its phase is the
  cell's phase; feedback whose (phase, touchpoint) is no cell counts nowhere.
  ``satisfaction="after"``: the survey answers (NPS/CSAT/CES, see
  :mod:`wegweiser.analysis.kpis`) the cell's persons gave at or after their first time in
  the cell, wherever they were given. ``respondents`` -- persons with such feedback;
  ``satisfaction`` -- its mean on the common 0..100 scale (the scale's low end 0, its high
  end 100: NPS score x 10, CSAT and review (score - 1) x 25, CES (score - 1) x 100 / 6),
  every answer weighted equally; NULL (NaN) where there is none.

The ``phases`` table holds the same figures per phase over all its touchpoints (the
persons' first time in the phase), ``touchpoints`` per touchpoint over all phases; both
count each person once (with ``satisfaction="about"``: the feedback of the margin's
cells). ``top_events`` lists the ``top_events`` most frequent events of each cell (ties:
event name).

>>> import ibis
>>> from datetime import datetime, UTC
>>> t = ibis.memtable({"person_id": ["a", "a", "b"], "seq": [0, 1, 0],
...     "timestamp": [datetime(2026, 1, 1, h, tzinfo=UTC) for h in (1, 2, 1)],
...     "event": ["ad_click", "order_completed", "ad_click"], "channel": ["video"] * 3,
...     "phase": ["Awareness", "Purchase", "Awareness"], "is_conversion": [False, True, False],
...     "properties": ["{}"] * 3, "device": ["mobile"] * 3, "message_id": ["m1", "m2", "m3"]})
>>> m = journey_map(t, phases=["Awareness", "Purchase"]).cells
>>> m[["phase", "touchpoint", "persons", "conversion_rate"]].to_dict("records")
... # doctest: +NORMALIZE_WHITESPACE
[{'phase': 'Awareness', 'touchpoint': 'video', 'persons': 2, 'conversion_rate': 0.5},
 {'phase': 'Purchase', 'touchpoint': 'video', 'persons': 1, 'conversion_rate': 1.0}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import ibis
import pandas as pd
from pydantic import Field

from wegweiser.analysis._feedback_rows import SCALES, feedback_rows, scoped_feedback_rows
from wegweiser.analysis.kpis import feedback_answers
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Inputs, Words
from wegweiser.analysis.result import Result, to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir
    import plotly.graph_objects as go

    from wegweiser.config import Config

BY = ("channel", "event")
SATISFACTION = ("about", "after")
NONE = "(none)"
METRICS = ("persons", "events", "conversion_rate", "satisfaction")
CELL_COLUMNS = ["phase", "touchpoint", "persons", "events", "share_of_phase", "converters",
                "conversion_rate", "answers", "respondents", "satisfaction"]


@dataclass(frozen=True)
class JourneyMapResult(Result):
    """The journey map (definitions in :mod:`wegweiser.analysis.journey_map`).

    * ``cells``: phase, touchpoint, persons, events, share_of_phase, converters,
      conversion_rate, answers, respondents, satisfaction -- ordered by phase (config
      order), then persons (descending), then touchpoint;
    * ``phases``: the same columns without touchpoint/share_of_phase, one row per phase;
    * ``touchpoints``: the same per touchpoint over all phases (ordered by persons);
    * ``top_events``: phase, touchpoint, event, events, rank (1 = most frequent).
    """

    cells: pd.DataFrame
    phases: pd.DataFrame
    touchpoints: pd.DataFrame
    top_events: pd.DataFrame

    def grid(self, metric: str = "persons") -> pd.DataFrame:
        """``metric`` as a touchpoints (rows) x phases (columns) table; NaN: empty cell."""
        if metric not in METRICS:
            raise InvalidInput(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
        phases = self.phases["phase"].tolist()
        rows = self.touchpoints["touchpoint"].tolist()
        if self.cells.empty:
            return pd.DataFrame(index=rows, columns=phases, dtype="float64")
        grid = self.cells.pivot(index="touchpoint", columns="phase", values=metric)
        return grid.reindex(index=rows, columns=phases).astype("float64")

    def figure(self, *, metric: str = "persons") -> go.Figure:
        """Heatmap of ``metric``: touchpoints (rows) x phases (columns), in journey order."""
        import plotly.graph_objects as go

        grid = self.grid(metric)
        values = grid.to_numpy()
        percent = metric == "conversion_rate"
        text = [["" if v != v else (f"{v:.0%}" if percent else f"{v:,.0f}") for v in row]
                for row in values]
        fig = go.Figure(go.Heatmap(
            z=values, x=list(grid.columns), y=list(grid.index), text=text,
            texttemplate="%{text}", colorscale="Blues" if metric != "satisfaction" else "RdYlGn",
            zmin=0 if metric != "persons" else None,
            zmax={"conversion_rate": 1, "satisfaction": 100}.get(metric),
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>", xgap=2, ygap=2,
        ))
        fig.update_layout(
            title=f"Journey map: {metric.replace('_', ' ')}", xaxis={"side": "top"},
            yaxis={"autorange": "reversed"}, height=max(320, 34 * len(grid.index) + 140),
        )
        return fig


def journey_map(
    journey: ir.Table,
    *,
    phases: Sequence[str] | None = None,
    by: str = "channel",
    config: Config | None = None,
    satisfaction: str = "about",
    top_events: int = 3,
    feedback: ir.Table | None = None,
) -> JourneyMapResult:
    """Phases x touchpoints with persons, events, conversion and satisfaction per cell.

    ``phases`` gives the column order (default: the phases in the data, alphabetically;
    pass the configured names for the journey order); phases not listed are left out.
    ``config`` says where feedback lives and how events map to phases (default: the default
    configuration); ``satisfaction`` which feedback a cell counts (module docstring).
    ``feedback``: the feedback rows about the cells
    (:func:`~wegweiser.analysis._feedback_rows.feedback_rows`; default: those of ``journey``,
    an analysis in a scope passes those in scope linked in the whole journey).
    """
    if by not in BY:
        raise InvalidInput(f"unknown touchpoint {by!r}; use by='channel' or by='event'")
    if satisfaction not in SATISFACTION:
        raise InvalidInput(
            f"unknown satisfaction {satisfaction!r}; use 'about' or 'after'"
        )
    if top_events < 1:
        raise InvalidInput(f"top_events must be at least 1, got {top_events}")
    if config is None:
        from wegweiser.config import default_config

        config = default_config()
    t = journey.filter(journey.phase.notnull())
    if phases is not None:
        t = t.filter(t.phase.isin(list(phases)))
    touch = t.channel.fill_null(NONE) if by == "channel" else t.event.fill_null(NONE)
    t = t.select("person_id", "timestamp", "phase", "event", touchpoint=touch)
    last_conv = journey.filter(journey.is_conversion).group_by("person_id").agg(
        last_conversion=journey.timestamp.max()
    )
    per_cell = t.group_by("person_id", "phase", "touchpoint").agg(
        first=t.timestamp.min(), events=t.count()
    )
    per_cell = per_cell.left_join(last_conv, "person_id").select(
        *per_cell.columns, "last_conversion"
    )
    if satisfaction == "about":
        rows = feedback if feedback is not None else feedback_rows(journey, config)
        answers = _about(rows, by, t.select("phase", "touchpoint").distinct())
    else:
        answers = feedback_answers(journey, config.feedback).select(
            a_person="person_id", a_time="timestamp", a_value="satisfaction"
        )
    with per_cell.cache() as cached, answers.cache() as rated:  # one pass over the journey
        frames = {
            "cells": _aggregate(cached, ["phase", "touchpoint"], rated),
            "phases": _aggregate(cached, ["phase"], rated),
            "touchpoints": _aggregate(cached, ["touchpoint"], rated),
        }
    counts = t.group_by("phase", "touchpoint", "event").agg(events=t.count())
    rank = ibis.row_number().over(ibis.window(
        group_by=["phase", "touchpoint"], order_by=[ibis.desc("events"), "event"]
    )) + 1
    counts = counts.mutate(rank=rank)
    frames["top_events"] = to_frame(counts.filter(counts.rank <= top_events))
    order = list(phases) if phases is not None else sorted(frames["phases"]["phase"])
    params: dict[str, Any] = {"by": by, "phases": order, "top_events": top_events,
                              "satisfaction": satisfaction}
    return JourneyMapResult(**_tidy(frames, order), params=params)


def _about(rows: ir.Table, by: str, cells: ir.Table) -> ir.Table:
    """The scored feedback ``rows`` about each cell: ``a_person``, ``phase``, ``touchpoint``,
    ``a_value`` (0..100), only for (phase, touchpoint) pairs in ``cells``."""
    rows = rows.filter(rows.valid & rows.score.notnull() & rows.phase.notnull()
                       & rows.kind.isin(list(SCALES)))
    key = rows.touchpoint_channel if by == "channel" else rows.touchpoint
    value = ibis.cases(*[
        (rows.kind == kind, (rows.score - low) * (100.0 / (high - low)))
        for kind, (low, high) in SCALES.items()
    ])
    rows = rows.select(a_person="person_id", phase="phase", touchpoint=key.fill_null(NONE),
                       a_value=value)
    return rows.semi_join(cells, ["phase", "touchpoint"])


def _aggregate(per_cell: ir.Table, keys: list[str], answers: ir.Table) -> pd.DataFrame:
    """Persons, events, converters and satisfaction per ``keys`` (a cell or a margin);
    ``answers`` has ``a_time`` for ``satisfaction="after"``, else ``phase``/``touchpoint``."""
    per = per_cell
    if len(keys) == 1:  # a margin: the person's first time over the cells of the key
        per = per_cell.group_by("person_id", *keys).agg(
            first=per_cell.first.min(), events=per_cell.events.sum(),
            last_conversion=per_cell.last_conversion.max(),
        )
    converted = (per.last_conversion >= per.first).fill_null(False)
    counted = per.group_by(*keys).agg(
        persons=per.count(), events=per.events.sum(), converters=converted.cast("int64").sum(),
    )
    a = answers
    if "a_time" in a.columns:  # "after": the answers given after the first time in the cell
        hits = per.join(a, (per.person_id == a.a_person) & (a.a_time >= per.first))
        rated = hits.group_by(*keys).agg(
            answers=hits.count(), respondents=hits.person_id.nunique(),
            satisfaction=hits.a_value.mean(),
        )
    else:  # "about": the feedback linked to the cell
        rated = a.group_by(*keys).agg(
            answers=a.count(), respondents=a.a_person.nunique(), satisfaction=a.a_value.mean(),
        )
    frame = to_frame(counted)
    scores = to_frame(rated)
    out = frame.merge(scores, on=keys, how="left")
    out["answers"] = out["answers"].fillna(0).astype("int64")
    out["respondents"] = out["respondents"].fillna(0).astype("int64")
    for col in ("persons", "events", "converters"):
        out[col] = out[col].astype("int64")
    out["conversion_rate"] = out["converters"] / out["persons"]
    out["satisfaction"] = out["satisfaction"].astype("float64")
    return out


def _tidy(frames: dict[str, pd.DataFrame], order: list[str]) -> dict[str, pd.DataFrame]:
    rank = {name: i for i, name in enumerate(order)}
    cells, phase_tab = frames["cells"], frames["phases"]
    phase_tab = phase_tab[phase_tab["phase"].isin(rank)]
    phase_tab = phase_tab.assign(_r=phase_tab["phase"].map(rank)).sort_values("_r")
    cells = cells[cells["phase"].isin(rank)]
    total = dict(zip(phase_tab["phase"], phase_tab["persons"], strict=True))
    cells = cells.assign(
        share_of_phase=cells["persons"] / cells["phase"].map(total).astype("float64"),
        _r=cells["phase"].map(rank),
    ).sort_values(["_r", "persons", "touchpoint"], ascending=[True, False, True])
    margin = [c for c in CELL_COLUMNS if c not in ("touchpoint", "share_of_phase")]
    touch = frames["touchpoints"].sort_values(["persons", "touchpoint"],
                                              ascending=[False, True])
    top = frames["top_events"].assign(_r=lambda f: f["phase"].map(rank))
    top = top.sort_values(["_r", "touchpoint", "rank"])
    return {
        "cells": cells[CELL_COLUMNS].reset_index(drop=True),
        "phases": phase_tab[margin].reset_index(drop=True),
        "touchpoints": touch[["touchpoint", *margin[1:]]].reset_index(drop=True),
        "top_events": top[["phase", "touchpoint", "event", "events", "rank"]].astype(
            {"events": "int64", "rank": "int64"}).reset_index(drop=True),
    }


# -- registry ---------------------------------------------------------------------------------
class JourneyMapParams(Params):
    """Phases x touchpoints: persons, events, conversion and satisfaction per cell.

    A cell holds the events of one phase and touchpoint (channel; NULL: "(none)").
    Conversion rate: the cell's persons with a conversion event at or after their first
    event in the cell (the same instant counts). Satisfaction (0-100: NPS x 10, CSAT and
    review (score - 1) x 25, CES (score - 1) x 100 / 6): the mean of the survey answers and
    reviews about the cell -- their touchpoint (named in the answer, else the person's last
    touchpoint before it) is in the cell -- or, with satisfaction=after, of the survey
    answers the cell's persons gave after their first event in it; empty without answers.
    Views: cells, phases and touchpoints (totals counting each person once), top_events
    (most frequent events per cell).
    """

    by: Literal["channel", "event"] = Field(
        "channel", description="Touchpoint: the event's channel or its name."
    )
    satisfaction: Literal["about", "after"] = Field(
        "about", description="Feedback counted in a cell: about its touchpoint, or given "
        "by its persons after they were in it."
    )
    top_events: Annotated[int, Field(ge=1, le=100)] = Field(
        3, description="Most frequent events listed per cell."
    )


def _compute(inputs: Inputs, p: JourneyMapParams) -> JourneyMapResult:
    config = inputs.config
    about = scoped_feedback_rows(inputs) if p.satisfaction == "about" else None
    return journey_map(inputs.journey(), phases=config.phase_names or None, by=p.by,
                       config=config, satisfaction=p.satisfaction, top_events=p.top_events,
                       feedback=about)


ANALYSIS = Analysis(
    name="journey_map",
    renumber=False,  # reads seq only as an order, no next_event
    params=JourneyMapParams,
    compute=_compute,
    title=Words("Journey map", "Journey-Map"),
    summary=Words("Phases x touchpoints: volume, conversion, satisfaction",
                  "Phasen x Touchpoints: Volumen, Conversion, Zufriedenheit"),
    views={"cells": "cells", "phases": "phases", "touchpoints": "touchpoints",
           "top_events": "top_events"},
    charts=(Chart("heatmap", "cells", x="phase", y="touchpoint", value="persons"),),
)
