"""Shaping the small aggregates of :func:`wegweiser.analysis.phases.phase_analysis` into its
tables (pandas), and drawing them (Plotly)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from datetime import datetime

    import plotly.graph_objects as go

COLUMNS = {
    "current": ["phase", "persons", "share"],
    "over_time": ["period", "phase", "persons", "share"],
    "transitions": ["from_phase", "to_phase", "count", "persons", "share", "direction",
                    "skipped"],
    "dwell": ["phase", "episodes", "median_hours", "mean_hours", "p90_hours", "open",
              "open_median_hours"],
    "nonlinear": ["kind", "persons", "share_of_multi", "share_of_all"],
    "stuck": ["person_id", "phase", "since", "days"],
}
KINDS = ("regression", "loop", "skipped", "nonlinear")
FREQ = {"day": "D", "week": "7D", "month": "MS"}


def empty_phase_tables(names: list[str]) -> dict[str, pd.DataFrame]:
    out = {name: pd.DataFrame(columns=cols) for name, cols in COLUMNS.items()}
    out["current"] = pd.DataFrame({"phase": names, "persons": 0, "share": 0.0},
                                  columns=COLUMNS["current"])
    out["nonlinear"] = pd.DataFrame({"kind": list(KINDS), "persons": 0, "share_of_multi": 0.0,
                                     "share_of_all": 0.0})
    return out


def period_start(moment: datetime | pd.Timestamp, period: str) -> pd.Timestamp:
    """Start of the period holding ``moment`` (UTC; weeks start on Monday)."""
    ts = pd.Timestamp(moment).tz_convert("UTC").floor("D")
    if period == "week":
        return ts - pd.Timedelta(days=ts.weekday())
    if period == "month":
        return ts.replace(day=1)
    return ts


def _ordered(frame: pd.DataFrame, column: str, names: list[str]) -> pd.Series:
    return frame[column].map({n: i for i, n in enumerate(names)})


def phase_tables(
    frames: dict[str, pd.DataFrame], names: list[str], total: int, as_of: datetime, period: str,
    wanted: Collection[str],
) -> dict[str, pd.DataFrame]:
    """The ``wanted`` tables from the aggregates ``frames`` (those
    :func:`~wegweiser.analysis._phase_queries.needed` names)."""
    shape: dict[str, Callable[[], pd.DataFrame]] = {
        "current": lambda: _current(frames, names, total),
        "over_time": lambda: _over_time(frames["periods"], names, as_of, period),
        "transitions": lambda: _transitions(frames["transitions"], names),
        "dwell": lambda: _dwell(frames["dwell"], names),
        "nonlinear": lambda: _nonlinear(frames["nonlinear"]),
        "stuck": lambda: frames["stuck"].reset_index(drop=True)[COLUMNS["stuck"]],
    }
    return {name: shape[name]() for name in COLUMNS if name in wanted}


def _current(frames: dict[str, pd.DataFrame], names: list[str], total: int) -> pd.DataFrame:
    counts = frames["dwell"] if "dwell" in frames else frames["open"]
    current = counts.set_index("phase")["open"].reindex(names).fillna(0)
    current_frame = pd.DataFrame({"phase": names, "persons": current.astype("int64").to_numpy()})
    current_frame["share"] = (current_frame["persons"] / total).round(4)
    return current_frame


def _over_time(
    deltas: pd.DataFrame, names: list[str], as_of: datetime, period: str
) -> pd.DataFrame:
    """``deltas``: per phase and period the episodes started minus the episodes ended (the
    next one started); their running sum is the persons in the phase at each period end."""
    if deltas.empty:
        return pd.DataFrame(columns=COLUMNS["over_time"])
    if period == "month":
        start = pd.to_datetime(deltas["period"], utc=True)
    else:  # days since the epoch
        start = pd.Timestamp(0, tz="UTC") + pd.to_timedelta(deltas["period"].astype("int64"), "D")
    deltas = deltas.assign(period=start)
    first = period_start(deltas["period"].min(), period)
    periods = pd.date_range(first, period_start(as_of, period), freq=FREQ[period])
    delta = (
        deltas.pivot_table(index="period", columns="phase", values="n", aggfunc="sum")
        .reindex(index=periods, columns=names).fillna(0)
    )
    persons = delta.cumsum().round().astype("int64")
    share = persons.div(persons.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0).round(4)
    out = pd.DataFrame({
        "period": np.repeat(periods, len(names)),
        "phase": names * len(periods),
        "persons": persons.to_numpy().ravel(),
        "share": share.to_numpy().ravel(),
    })
    return out[COLUMNS["over_time"]]


def _transitions(moves: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    if moves.empty:
        return pd.DataFrame(columns=COLUMNS["transitions"])
    moves = moves.copy()
    a, b = _ordered(moves, "from_phase", names), _ordered(moves, "to_phase", names)
    moves["share"] = (moves["count"] / moves.groupby("from_phase")["count"].transform("sum"))
    moves["share"] = moves["share"].round(4)
    moves["direction"] = np.where(b > a, "forward", "backward")
    moves["skipped"] = (b - a - 1).clip(lower=0).astype("int64")
    moves = moves.assign(_a=a, _b=b).sort_values(["_a", "_b"]).reset_index(drop=True)
    return moves[COLUMNS["transitions"]]


def _dwell(dwell: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    dwell = dwell.set_index("phase").reindex(names).reset_index()
    for col in ("episodes", "open"):
        dwell[col] = dwell[col].fillna(0).astype("int64")
    for col in ("median_hours", "mean_hours", "p90_hours", "open_median_hours"):
        dwell[col] = dwell[col].astype("float64").round(3)
    return dwell[COLUMNS["dwell"]]


def _nonlinear(agg: pd.DataFrame) -> pd.DataFrame:
    row = agg.iloc[0].fillna(0)
    persons, multi = int(row["persons"]), int(row["multi"])
    counts = [int(row[k]) for k in KINDS]
    return pd.DataFrame({
        "kind": list(KINDS),
        "persons": counts,
        "share_of_multi": [round(c / multi, 4) if multi else 0.0 for c in counts],
        "share_of_all": [round(c / persons, 4) if persons else 0.0 for c in counts],
    })


# -- figures -----------------------------------------------------------------------------
def phase_figure(result: Any, view: str, names: list[str]) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    if view in COLUMNS and getattr(result, view, None) is None:
        raise ValueError(f"the table {view!r} was not computed: run phase_analysis with it "
                         "in tables=")
    if view == "over_time":
        frame = result.over_time
        for name in names:
            part = frame[frame["phase"] == name]
            fig.add_trace(go.Scatter(x=part["period"], y=part["persons"], name=name,
                                     mode="lines", stackgroup="phases"))
        fig.update_layout(title="Persons per current phase at the end of each period",
                          yaxis_title="persons")
    elif view == "current":
        frame = result.current
        fig.add_trace(go.Bar(x=frame["phase"], y=frame["persons"],
                             text=[f"{s:.0%}" for s in frame["share"]]))
        fig.update_layout(title="Persons per current phase", yaxis_title="persons")
    elif view == "transitions":
        frame = result.transitions
        matrix = (frame.pivot_table(index="from_phase", columns="to_phase", values="count",
                                    aggfunc="sum").reindex(index=names, columns=names))
        fig.add_trace(go.Heatmap(z=matrix.to_numpy(), x=names, y=names, colorscale="Blues",
                                 hovertemplate="%{y} → %{x}: %{z}<extra></extra>"))
        fig.update_layout(title="Phase transitions (backward moves left of the diagonal)",
                          xaxis_title="to", yaxis_title="from", yaxis_autorange="reversed")
    elif view == "dwell":
        frame = result.dwell
        fig.add_trace(go.Bar(x=frame["phase"], y=frame["median_hours"], name="median"))
        fig.add_trace(go.Bar(x=frame["phase"], y=frame["p90_hours"], name="p90"))
        fig.update_layout(title="Dwell time per phase (closed episodes)", yaxis_title="hours",
                          barmode="group")
    else:
        raise ValueError(f"unknown view {view!r}: over_time, current, transitions, dwell")
    return fig


def timeline_figure(episodes: pd.DataFrame, names: list[str]) -> go.Figure:
    import plotly.graph_objects as go

    fig = go.Figure()
    for name in names:
        part = episodes[episodes["phase"] == name]
        if part.empty:
            continue
        start = pd.to_datetime(part["start"], utc=True)
        length = (pd.to_datetime(part["end"], utc=True) - start).dt.total_seconds() * 1000
        fig.add_trace(go.Bar(
            y=part["person_id"], x=length.clip(lower=60_000), base=start, orientation="h",
            name=name, hovertemplate="%{y}: " + name + " from %{base}<extra></extra>",
        ))
    fig.update_layout(title="Phase episodes per person", barmode="overlay",
                      xaxis={"type": "date"}, yaxis={"autorange": "reversed"})
    return fig
