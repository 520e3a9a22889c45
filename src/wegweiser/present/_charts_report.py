"""Plotly figures of analysis results: the report's charts, several shown by the dashboard
too (phase flow, attribution, retention).

Every builder takes analysis results plus ``lang`` (``de``/``en``) and returns a
``go.Figure``: axis and legend text from :mod:`wegweiser.present.i18n`, the language's number
separators, the shared look of :func:`~wegweiser.present.theme.styled`. Chart titles are left
to the page (a heading above the chart), so figures carry none. Builders never touch the
store and never mutate their inputs; an empty result gives an explicit "no data" figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from wegweiser.present.i18n import day, label, model_name, number, percent, t
from wegweiser.present.theme import (
    GRID,
    INK,
    LOSS,
    PALETTE,
    colour,
    no_data,
    phase_colours,
    rgba,
    styled,
    wrap,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wegweiser.analysis.attribution import Comparison
    from wegweiser.analysis.dropoffs import DropoffResult
    from wegweiser.analysis.funnels import FunnelResult
    from wegweiser.analysis.journey_map import JourneyMapResult
    from wegweiser.analysis.kpis import KpiResult
    from wegweiser.analysis.overview import Overview
    from wegweiser.analysis.paths import PathsResult, SankeyResult
    from wegweiser.analysis.retention import RetentionResult

# -- overview ------------------------------------------------------------------------------
def current_phases(overview: Overview, lang: str) -> go.Figure:
    """Bars: persons per current phase (``Overview.phases``)."""
    frame = overview.phases
    colours = phase_colours(frame["phase"].tolist())
    fig = go.Figure(go.Bar(
        x=frame["phase"], y=frame["persons"], marker_color=[colours[p] for p in frame["phase"]],
        text=[percent(s, lang) for s in frame["share"]], textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x}: %{y:,} " + t("axis.persons", lang) + "<extra></extra>",
    ))
    return styled(fig, lang, height=320, yaxis_title=t("axis.persons", lang), showlegend=False)


def kpi_gauges(result: KpiResult, lang: str) -> go.Figure:
    """Gauges of the repeat-purchase rate, NPS and CSAT (those present)."""
    items = [(key, name, scale, rng) for key, name, scale, rng in (
        ("repeat_purchase_rate", "kpi.repeat", 100.0, (0, 100)),
        ("nps", "kpi.nps", 1.0, (-100, 100)),
        ("csat", "kpi.csat", 1.0, (0, 100)),
    ) if result.get(key) is not None]
    fig = go.Figure()
    for i, (key, name, scale, rng) in enumerate(items):
        fig.add_trace(go.Indicator(
            mode="gauge+number", value=float(result.get(key)) * scale,
            title={"text": t(name, lang)}, domain={"row": 0, "column": i},
            number={"valueformat": ".1f", "suffix": "" if key == "nps" else "%"},
            gauge={"axis": {"range": list(rng)}, "bar": {"color": PALETTE[0]}},
        ))
    return styled(fig, lang, height=240, grid={"rows": 1, "columns": max(len(items), 1)})


# -- journey map ---------------------------------------------------------------------------
def journey_map(result: JourneyMapResult, lang: str, *, metric: str = "persons") -> go.Figure:
    """Heatmap of the journey map: touchpoints (rows) x phases (columns), one ``metric``
    (``persons``, ``events``, ``conversion_rate`` or ``satisfaction``)."""
    grid = result.grid(metric)
    values = grid.to_numpy()
    if metric == "conversion_rate":
        text = [[percent(v, lang, 0) if v == v else "" for v in row] for row in values]
    else:
        text = [[number(v, lang) if v == v else "" for v in row] for row in values]
    scale = {"satisfaction": "RdYlGn", "conversion_rate": "Tealgrn"}.get(metric, "Blues")
    fig = go.Figure(go.Heatmap(
        z=values, x=list(grid.columns), y=[label(v, lang) for v in grid.index], text=text,
        texttemplate="%{text}", colorscale=scale, xgap=3, ygap=3,
        zmin=0 if metric != "persons" else None,
        zmax={"conversion_rate": 1, "satisfaction": 100}.get(metric),
        colorbar={"title": {"text": t(f"axis.{metric}", lang)}, "thickness": 12},
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
    ))
    return styled(fig, lang, height=max(320, 32 * len(grid.index) + 110),
                  xaxis={"side": "top", "showgrid": False},
                  yaxis={"autorange": "reversed", "showgrid": False},
                  margin={"l": 130, "r": 24, "t": 48, "b": 24})


def phase_flow(result: SankeyResult, lang: str, phases: Sequence[str]) -> go.Figure:
    """Sankey of the phase flow (a :func:`~wegweiser.analysis.paths.sankey` over phases):
    one column per step, nodes coloured by phase."""
    nodes = result.nodes.reset_index(drop=True)
    colours = phase_colours(phases)
    index = {(int(s), e): i for i, (s, e) in enumerate(zip(nodes.step, nodes.event, strict=True))}
    last = max(int(nodes.step.max()), 2) if len(nodes) else 2
    links = result.links
    node_colour = [colours.get(e, PALETTE[-1]) for e in nodes.event]
    steps = [t("flow.step", lang, n=int(s)) for s in nodes.step]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={
            "label": nodes["event"].tolist(), "color": node_colour, "pad": 14, "thickness": 16,
            "line": {"width": 0},
            "x": [0.001 + 0.998 * (int(s) - 1) / (last - 1) for s in nodes.step],
            "customdata": [[step, number(n, lang)] for step, n in
                           zip(steps, nodes["count"], strict=True)],
            "hovertemplate": "%{customdata[0]} · " + t(
                "flow.hover_node", lang, label="%{label}", n="%{customdata[1]}")
            + "<extra></extra>",
        },
        link={
            "source": [index[(int(s), e)] for s, e in zip(links.step, links.source, strict=True)],
            "target": [index[(int(s) + 1, e)]
                       for s, e in zip(links.step, links.target, strict=True)],
            "value": links["count"].tolist(),
            "color": [rgba(colours.get(e, PALETTE[-1]), 0.35) for e in links.source],
            "customdata": [number(n, lang) for n in links["count"]],
            "hovertemplate": t("flow.hover_link", lang, source="%{source.label}",
                               target="%{target.label}", n="%{customdata}")
            + "<extra></extra>",
        },
    ))
    return styled(fig, lang, height=440, margin={"l": 16, "r": 16, "t": 16, "b": 16})


# -- funnels and drop-offs -----------------------------------------------------------------
def funnel(result: FunnelResult, lang: str) -> go.Figure:
    """The funnel's steps as a funnel chart (persons and share of the first step)."""
    steps = result.steps
    first = float(steps["units"].iloc[0]) if len(steps) else 0.0
    text = [f"{number(u, lang)} · {percent(u / first if first else float('nan'), lang)}"
            for u in steps["units"]]
    fig = go.Figure(go.Funnel(
        y=steps["label"], x=steps["units"], text=text, textinfo="text",
        marker={"color": [PALETTE[0]] * len(steps)}, connector={"fillcolor": GRID},
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    return styled(fig, lang, height=max(260, 60 * len(steps) + 60),
                  margin={"l": 150, "r": 24, "t": 16, "b": 24})


def dropoffs(result: DropoffResult, lang: str, phases: Sequence[str] | None = None) -> go.Figure:
    """Persons reached and lost per phase (bars), the loss rate (line, right axis)."""
    frame = result.by_phase
    fig = go.Figure()
    fig.add_trace(go.Bar(x=frame["phase"], y=frame["reached"], name=t("axis.reached", lang),
                         marker_color=PALETTE[0]))
    fig.add_trace(go.Bar(x=frame["phase"], y=frame["lost"], name=t("axis.lost", lang),
                         marker_color=LOSS))
    fig.add_trace(go.Scatter(
        x=frame["phase"], y=frame["loss_rate"], name=t("axis.loss_rate", lang), yaxis="y2",
        mode="lines+markers", line={"color": INK, "width": 2},
        text=[percent(v, lang) for v in frame["loss_rate"]],
        hovertemplate="%{x}: %{text}<extra></extra>",
    ))
    return styled(fig, lang, height=360, barmode="group",
                  yaxis={"title": t("axis.persons", lang)},
                  yaxis2={"title": t("axis.loss_rate", lang), "overlaying": "y",
                          "side": "right", "tickformat": ".0%", "range": [0, 1.05],
                          "tickvals": [0, 0.25, 0.5, 0.75, 1], "showgrid": False},
                  margin={"l": 60, "r": 60, "t": 24, "b": 48})


# -- paths -----------------------------------------------------------------------------------
def paths(result: PathsResult, lang: str) -> go.Figure:
    """Horizontal bars: the share of units per path (most frequent on top)."""
    frame = result.paths.iloc[::-1]
    labels = [p.replace(" > ", " → ") for p in frame["path"]]
    fig = go.Figure(go.Bar(
        x=frame["share"], y=[_wrap(label, 60) for label in labels], orientation="h",
        marker_color=PALETTE[1], text=[percent(s, lang) for s in frame["share"]],
        textposition="outside", cliponaxis=False,
        customdata=[number(c, lang) for c in frame["count"]],
        hovertemplate="%{y}<br>%{text} (%{customdata})<extra></extra>",
    ))
    return styled(fig, lang, height=max(260, 46 * len(frame) + 60),
                  xaxis={"tickformat": ".0%", "title": t("axis.share", lang)},
                  yaxis={"automargin": True}, margin={"l": 24, "r": 48, "t": 16, "b": 48},
                  showlegend=False)


def _wrap(text: str, width: int) -> str:
    """Break a long label at arrows into lines of about ``width`` characters."""
    return wrap(text, width, sep=" → ")


# -- attribution -----------------------------------------------------------------------------
def attribution(result: Comparison, lang: str, *, metric: str = "conversions",
                order: Sequence[Any] | None = None) -> go.Figure:
    """Grouped bars: ``metric`` per channel, one bar per model; channels in ``order``
    (default: the comparison's, by mean credit)."""
    long = result.credits
    if long.empty:
        return no_data(go.Figure(), lang)
    order = list(result.table["touchpoint"]) if order is None else list(order)
    digits = ".2f" if metric in ("share", "roas", "roi") else ".1f"
    fig = go.Figure()
    for i, (model, part) in enumerate(long.groupby("model", sort=False)):
        part = part.set_index("touchpoint").reindex(order)
        name = model_name(str(model), lang)
        fig.add_trace(go.Bar(
            x=[label(v, lang) for v in order], y=part[metric], name=name,
            marker_color=colour(i),
            hovertemplate="%{x} · " + name + ": %{y:," + digits + "}<extra></extra>",
        ))
    title = t("axis.conversions" if metric == "conversions" else f"metric.{metric}", lang)
    return styled(fig, lang, height=400, barmode="group", yaxis_title=title,
                  xaxis={"tickangle": -30})


def roas(result: Comparison, lang: str) -> go.Figure:
    """Grouped bars: ROAS per channel with costs, one bar per model; a line at 1."""
    long = result.credits
    if "roas" not in long or not (long["cost"].fillna(0) > 0).any():
        return no_data(go.Figure(), lang)
    spent = long[long["cost"].fillna(0) > 0]
    order = (spent.groupby("touchpoint", sort=False)["cost"].first()
             .sort_values(ascending=False).index.tolist())
    fig = go.Figure()
    for i, (model, part) in enumerate(spent.groupby("model", sort=False)):
        part = part.set_index("touchpoint").reindex(order)
        fig.add_trace(go.Bar(
            x=order, y=part["roas"], name=model_name(str(model), lang),
            marker_color=colour(i),
            hovertemplate="%{x} · " + model_name(str(model), lang) + ": %{y:,.2f}<extra></extra>",
        ))
    fig.add_hline(y=1, line={"color": INK, "dash": "dot", "width": 1})
    return styled(fig, lang, height=360, barmode="group", yaxis_title=t("axis.roas", lang))


# -- retention -------------------------------------------------------------------------------
def retention(result: RetentionResult, lang: str) -> go.Figure:
    """Heatmap: cohorts (rows, oldest on top) by period since the cohort start."""
    frame = result.cohorts
    period = str(result.params.get("period", "week"))
    if frame.empty:
        return no_data(go.Figure(), lang)
    grid = frame.pivot(index="cohort", columns="period", values="rate").sort_index()
    sizes = frame.drop_duplicates("cohort").set_index("cohort")["size"].reindex(grid.index)
    labels = [f"{day(pd.Timestamp(c).date(), lang)} (n={number(n, lang)})"
              for c, n in zip(grid.index, sizes, strict=True)]
    values = grid.to_numpy()
    text = [[percent(v, lang, 0) if v == v else "" for v in row] for row in values]
    fig = go.Figure(go.Heatmap(
        z=values, x=[str(c) for c in grid.columns], y=labels, text=text,
        texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1, xgap=2, ygap=2,
        colorbar={"tickformat": ".0%", "thickness": 12},
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
    ))
    unit = t(f"period.{period}s", lang)
    return styled(fig, lang, height=max(300, 26 * len(labels) + 110),
                  xaxis={"title": t("retention.since", lang, period_plural=unit),
                         "showgrid": False, "side": "top"},
                  yaxis={"autorange": "reversed", "showgrid": False},
                  margin={"l": 170, "r": 24, "t": 56, "b": 24})


# -- data quality ----------------------------------------------------------------------------
def quarantine(reasons: pd.DataFrame, lang: str) -> go.Figure:
    """Horizontal bars: quarantined rows per reason (``reason``, ``rows``)."""
    frame = reasons.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=frame["rows"], y=[_wrap(str(r), 70) for r in frame["reason"]], orientation="h",
        marker_color=LOSS,
        hovertemplate="%{y}: %{x:,}<extra></extra>",
    ))
    return styled(fig, lang, height=max(220, 40 * len(frame) + 60),
                  xaxis_title=t("axis.rows", lang), yaxis={"automargin": True},
                  showlegend=False, margin={"l": 24, "r": 24, "t": 16, "b": 48})
