"""Plotly figures of the report, one pure builder per chart; the dashboard uses them too.

Every builder takes analysis results plus ``lang`` (``de``/``en``) and returns a
``go.Figure``: axis and legend text from :mod:`wegweiser.report.i18n`, the language's number
separators, the shared look of :func:`styled`. Chart titles are left to the page (a heading
above the chart), so figures carry none. Builders never touch the store and never mutate
their inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from wegweiser.report.i18n import day, has, number, percent, separators, t

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

#: colours of the report: a calm blue first, phases take them in configured order
PALETTE = ("#1f5f99", "#2a9d8f", "#e9a23b", "#c8553d", "#7b5ea7", "#5c946e", "#3d8fd1",
           "#b56576", "#8d99ae", "#6d597a")
INK, GRID, MUTED = "#1d2733", "#e4e8ee", "#6b7785"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def styled(fig: go.Figure, lang: str, *, height: int = 380, **layout: Any) -> go.Figure:
    """The shared look: white background, system font, the language's separators."""
    base: dict[str, Any] = {  # no Plotly template: cheaper, and small JSON per figure
        "template": "none", "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "separators": separators(lang), "height": height,
        "font": {"family": FONT, "size": 13, "color": INK}, "colorway": list(PALETTE),
        "margin": {"l": 60, "r": 24, "t": 24, "b": 48}, "hoverlabel": {"font_family": FONT},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    }
    fig.update_layout(**{**base, **layout})
    axes = {"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "automargin": True}
    fig.update_xaxes(**axes)
    fig.update_yaxes(**axes)
    return fig


def phase_colours(phases: Sequence[str]) -> dict[str, str]:
    """One palette colour per phase, in the given (configured) order."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(phases)}


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _label(value: Any, lang: str) -> str:
    return t("none", lang) if value is None or value == "(none)" or value != value else str(value)


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
    items = [(key, label, scale, rng) for key, label, scale, rng in (
        ("repeat_purchase_rate", "kpi.repeat", 100.0, (0, 100)),
        ("nps", "kpi.nps", 1.0, (-100, 100)),
        ("csat", "kpi.csat", 1.0, (0, 100)),
    ) if result.get(key) is not None]
    fig = go.Figure()
    for i, (key, label, scale, rng) in enumerate(items):
        fig.add_trace(go.Indicator(
            mode="gauge+number", value=float(result.get(key)) * scale,
            title={"text": t(label, lang)}, domain={"row": 0, "column": i},
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
        z=values, x=list(grid.columns), y=[_label(v, lang) for v in grid.index], text=text,
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
            "color": [_rgba(colours.get(e, PALETTE[-1]), 0.35) for e in links.source],
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
                         marker_color=PALETTE[3]))
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
    parts, lines, line = text.split(" → "), [], ""
    for part in parts:
        piece = part if not line else f"{line} → {part}"
        if line and len(piece) > width:
            lines.append(line + " →")
            line = part
        else:
            line = piece
    lines.append(line)
    return "<br>".join(lines)


# -- attribution -----------------------------------------------------------------------------
def model_name(model: str, lang: str) -> str:
    """A model's display name (``markov`` -> ``Markov``); unknown names as they are."""
    key = f"model.{model}"
    return t(key, lang) if has(key) else model


def attribution(result: Comparison, lang: str, *, metric: str = "conversions") -> go.Figure:
    """Grouped bars: ``metric`` per channel, one bar per model (channels by mean credit)."""
    long = result.credits
    order = result.table["touchpoint"].tolist()
    fig = go.Figure()
    for i, (model, part) in enumerate(long.groupby("model", sort=False)):
        part = part.set_index("touchpoint").reindex(order)
        fig.add_trace(go.Bar(
            x=[_label(v, lang) for v in order], y=part[metric], name=model_name(str(model), lang),
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate="%{x} · " + model_name(str(model), lang) + ": %{y:,.1f}<extra></extra>",
        ))
    return styled(fig, lang, height=400, barmode="group",
                  yaxis_title=t("axis.conversions", lang), xaxis={"tickangle": -30})


def roas(result: Comparison, lang: str) -> go.Figure:
    """Grouped bars: ROAS per channel with costs, one bar per model; a line at 1."""
    long = result.credits
    if "roas" not in long:
        return styled(go.Figure(), lang, height=200)
    spent = long[long["cost"].fillna(0) > 0]
    order = (spent.groupby("touchpoint", sort=False)["cost"].first()
             .sort_values(ascending=False).index.tolist())
    fig = go.Figure()
    for i, (model, part) in enumerate(spent.groupby("model", sort=False)):
        part = part.set_index("touchpoint").reindex(order)
        fig.add_trace(go.Bar(
            x=order, y=part["roas"], name=model_name(str(model), lang),
            marker_color=PALETTE[i % len(PALETTE)],
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
        return styled(go.Figure(), lang, height=200)
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
        marker_color=PALETTE[3],
        hovertemplate="%{y}: %{x:,}<extra></extra>",
    ))
    return styled(fig, lang, height=max(220, 40 * len(frame) + 60),
                  xaxis_title=t("axis.rows", lang), yaxis={"automargin": True},
                  showlegend=False, margin={"l": 24, "r": 24, "t": 16, "b": 48})
