"""Plotly figures the dashboard's explorer pages draw from the tables they hold (persons per
phase, a funnel and its breakdown, flows step by step).

Like every builder of :mod:`wegweiser.present.charts`: tables plus ``lang`` in, a styled
``go.Figure`` out, the inputs untouched; no data gives an explicit "no data" figure.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from wegweiser.present.i18n import label, number, percent, t
from wegweiser.present.theme import GRID, PALETTE, REST, no_data, rgba, styled


def phase_bars(phases: pd.DataFrame, lang: str) -> go.Figure:
    """Horizontal bars: persons per current phase (``phase``, ``persons``, ``share``)."""
    if phases.empty:
        return no_data(go.Figure(), lang)
    frame = phases.iloc[::-1]
    text = [f"{number(p, lang)} ({percent(s, lang)})"
            for p, s in zip(frame.persons, frame.share, strict=True)]
    fig = go.Figure(go.Bar(
        x=frame.persons, y=frame.phase, orientation="h", text=text, textposition="auto",
        marker_color=PALETTE[0], hovertemplate="%{y}: %{x}<extra></extra>",
    ))
    return styled(fig, lang, height=max(240, 44 * len(frame) + 60),
                  xaxis_title=t("axis.persons", lang), showlegend=False)


def funnel_steps(steps: pd.DataFrame, lang: str) -> go.Figure:
    """Units per funnel step (``step``, ``label``, ``units``), with the share of the first."""
    if steps.empty:
        return no_data(go.Figure(), lang)
    fig = go.Figure(go.Funnel(
        y=[f"{int(s)}. {name}" for s, name in zip(steps.step, steps.label, strict=True)],
        x=steps.units, textinfo="value+percent initial", marker_color=PALETTE[0],
        connector={"fillcolor": GRID},
    ))
    return styled(fig, lang, height=max(260, 60 * len(steps) + 60),
                  margin={"l": 24, "r": 24, "t": 16, "b": 24})


def funnel_breakdown(breakdown: pd.DataFrame, lang: str, *, top: int = 8) -> go.Figure:
    """One funnel per breakdown value (``value``, ``step``, ``label``, ``units``), the
    ``top`` largest at the first step."""
    if breakdown.empty:
        return no_data(go.Figure(), lang)
    fig = go.Figure()
    first = breakdown[breakdown.step == 1].sort_values(["units", "value"],
                                                         ascending=[False, True])
    for value in first["value"].head(top):
        rows = breakdown[breakdown["value"].isna()] if pd.isna(value) else breakdown[
            breakdown["value"] == value]
        rows = rows.sort_values("step")
        fig.add_trace(go.Funnel(name=label(value, lang), y=rows.label, x=rows.units,
                                textinfo="value"))
    return styled(fig, lang, height=360)


def _top_per_step(links: pd.DataFrame, nodes: pd.DataFrame, keep: int, other: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes beyond the ``keep`` largest of each step merged into ``other``."""
    ranked = nodes.sort_values(["step", "count", "event"], ascending=[True, False, True])
    kept = set(map(tuple, ranked.groupby("step").head(keep)[["step", "event"]].to_numpy()))

    def name(step: Any, event: Any) -> str:
        return str(event) if (step, event) in kept else other

    nodes = nodes.assign(event=[name(s, e) for s, e in zip(nodes.step, nodes.event,
                                                            strict=True)])
    nodes = nodes.groupby(["step", "event"], as_index=False).agg(count=("count", "sum"))
    links = links.assign(
        source=[name(s, e) for s, e in zip(links.step, links.source, strict=True)],
        target=[name(s + 1, e) for s, e in zip(links.step, links.target, strict=True)],
    )
    links = links.groupby(["step", "source", "target"], as_index=False).agg(
        count=("count", "sum"))
    return links, nodes


def flows(links: pd.DataFrame, nodes: pd.DataFrame, lang: str, *, keep: int = 8) -> go.Figure:
    """Sankey of flows step by step (``paths.sankey`` tables); per step the ``keep`` most
    frequent events, the rest as one node."""
    if links.empty or nodes.empty:
        return no_data(go.Figure(), lang)
    other = t("chart.other", lang)
    links, nodes = _top_per_step(links, nodes, keep, other)
    nodes = nodes.sort_values(["step", "count", "event"], ascending=[True, False, True])
    nodes = nodes.reset_index(drop=True)
    index = {(int(s), e): i for i, (s, e) in enumerate(zip(nodes.step, nodes.event, strict=True))}
    last = max(int(nodes.step.max()), 2)
    links = links[[(int(s) + 1, to) in index and (int(s), fro) in index
                   for s, fro, to in zip(links.step, links.source, links.target, strict=True)]]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": nodes["event"].tolist(), "pad": 10, "thickness": 12,
              "color": [REST if e == other else PALETTE[0] for e in nodes.event],
              "x": [0.001 + 0.998 * (int(s) - 1) / (last - 1) for s in nodes.step],
              "hovertemplate": "%{label}: %{value}<extra></extra>"},
        link={"source": [index[(int(s), e)] for s, e in zip(links.step, links.source,
                                                             strict=True)],
              "target": [index[(int(s) + 1, e)] for s, e in zip(links.step, links.target,
                                                                strict=True)],
              "value": links["count"].tolist(), "color": rgba(PALETTE[0], 0.22)},
    ))
    return styled(fig, lang, height=520, margin={"l": 16, "r": 16, "t": 16, "b": 16})


def person_timeline(timeline: pd.DataFrame, lang: str, phases: list[str]) -> go.Figure:
    """One person's touchpoints over time (``timestamp``), one row per ``channel``, coloured
    by ``phase`` (configured order); conversions drawn as stars."""
    if timeline.empty:
        return no_data(go.Figure(), lang)
    frame = timeline.assign(
        _channel=[label(c, lang) for c in timeline["channel"]],
        _phase=[label(p, lang) for p in timeline["phase"]],
    )
    colours = {label(name, lang): PALETTE[i % len(PALETTE)] for i, name in enumerate(phases)}
    order = [*[label(p, lang) for p in phases], label(None, lang)]
    fig = go.Figure()
    for phase in [p for p in order if p in set(frame["_phase"])]:
        rows = frame[frame["_phase"] == phase]
        converted = rows["is_conversion"].astype(bool).to_numpy()
        fig.add_trace(go.Scatter(
            x=rows["timestamp"], y=rows["_channel"], mode="markers", name=phase,
            marker={"color": colours.get(phase, REST), "size": [14 if c else 9 for c in converted],
                    "symbol": ["star" if c else "circle" for c in converted],
                    "line": {"width": 0}},
            customdata=list(zip(rows["event"].astype(str), rows["device"].fillna("").astype(str),
                                strict=True)),
            hovertemplate="%{x|%Y-%m-%d %H:%M}<br>%{customdata[0]} · %{y} · "
                          "%{customdata[1]}<extra>" + phase + "</extra>",
        ))
    channels = sorted(set(frame["_channel"]))
    return styled(fig, lang, height=max(240, 36 * len(channels) + 120),
                  xaxis_title=t("axis.time", lang), yaxis={"categoryorder": "category descending"})
