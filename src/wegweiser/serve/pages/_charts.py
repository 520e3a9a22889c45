"""Plotly charts of the dashboard, with labels in the page's language.

A chart goes into a page as a ``<div>`` plus its figure as JSON in a
``<script type="application/json">`` next to it; ``static/app.js`` draws it with the bundled
plotly.js (no inline script, so the page's Content-Security-Policy can forbid them).

>>> import plotly.graph_objects as go
>>> html = embed(go.Figure(go.Bar(x=[1], y=["</script>"])), "de")
>>> html.count("</script>"), 'class="chart"' in html  # the label cannot end the script
(1, True)
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup, escape

from wegweiser.report import i18n as report_i18n
from wegweiser.serve.pages._i18n import Words

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wegweiser.analysis.paths import SankeyResult

PALETTE = ["#2563eb", "#0d9488", "#f59e0b", "#db2777", "#7c3aed", "#64748b", "#16a34a",
           "#ea580c", "#0891b2", "#9333ea", "#65a30d", "#dc2626"]
FONT = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_ids = itertools.count(1)


def _style(fig: go.Figure, lang: str, height: int | None) -> go.Figure:
    fig.update_layout(
        template=None,
        title=None,
        separators=report_i18n.separators(lang),
        font={"family": FONT, "size": 12, "color": "#1f2937"},
        colorway=PALETTE,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#ffffff",
        margin={"l": 10, "r": 10, "t": 16, "b": 10},
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "y": -0.15},
    )
    fig.update_xaxes(automargin=True, gridcolor="#eef0f3", zerolinecolor="#d1d5db")
    fig.update_yaxes(automargin=True, gridcolor="#eef0f3", zerolinecolor="#d1d5db")
    if height is not None:
        fig.update_layout(height=height)
    return fig


def embed(fig: go.Figure, lang: str, *, height: int | None = None, restyle: bool = True
          ) -> Markup:
    """The figure as HTML for a page (drawn by ``static/app.js``); ``restyle=False`` keeps
    the look of a figure made by :mod:`wegweiser.report.charts`."""
    if restyle:
        _style(fig, lang, height)
    else:
        fig.update_layout(paper_bgcolor="rgba(0,0,0,0)")
    payload = fig.to_json().replace("</", "<\\/")
    chart_id = f"chart-{next(_ids)}"
    return Markup(
        f'<div class="chart" id="{chart_id}" role="img"></div>'
        f'<script type="application/json" data-chart="{escape(chart_id)}">{payload}</script>'
    )


def phase_bars(phases: pd.DataFrame, words: Words) -> Markup:
    """Persons per current phase (``phase``, ``persons``, ``share``)."""
    frame = phases.iloc[::-1]
    text = [f"{words.n(p)} ({words.pct(s)})" for p, s in zip(frame.persons, frame.share,
                                                              strict=True)]
    fig = go.Figure(go.Bar(
        x=frame.persons, y=frame.phase, orientation="h", text=text, textposition="auto",
        marker_color=PALETTE[0], hovertemplate="%{y}: %{x}<extra></extra>",
    ))
    fig.update_layout(xaxis_title=words("chart.persons"))
    return embed(fig, words.lang, height=max(240, 44 * len(frame) + 60))


def phase_flow(flow: SankeyResult, phases: Sequence[str], words: Words) -> Markup:
    """Each person's phases step by step (the report's phase-flow Sankey)."""
    from wegweiser.report import charts

    return embed(charts.phase_flow(flow, words.lang, phases), words.lang, restyle=False)


def _fade(color: str, alpha: float = 0.35) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def funnel_chart(steps: pd.DataFrame, words: Words) -> Markup:
    """Units per funnel step, with the share of the first step."""
    fig = go.Figure(go.Funnel(
        y=[f"{int(s)}. {label}" for s, label in zip(steps.step, steps.label, strict=True)],
        x=steps.units, textinfo="value+percent initial", marker_color=PALETTE[0],
        connector={"fillcolor": "#dbeafe"},
    ))
    return embed(fig, words.lang, height=max(260, 60 * len(steps) + 60))


def breakdown_chart(breakdown: pd.DataFrame, words: Words) -> Markup:
    """One funnel per breakdown value (the 8 largest)."""
    fig = go.Figure()
    first = breakdown[breakdown.step == 1].sort_values("units", ascending=False)
    for value in first["value"].head(8):
        rows = breakdown[breakdown["value"].isna()] if pd.isna(value) else breakdown[
            breakdown["value"] == value]
        fig.add_trace(go.Funnel(name=words("common.none") if pd.isna(value) else str(value),
                                y=rows.label, x=rows.units, textinfo="value"))
    return embed(fig, words.lang, height=360)


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


def sankey(links: pd.DataFrame, nodes: pd.DataFrame, words: Words, *, keep: int = 8) -> Markup:
    """Flows step by step (``paths.sankey`` tables); per step the ``keep`` most frequent
    events, the rest as one node."""
    links, nodes = _top_per_step(links, nodes, keep, words("paths.other"))
    nodes = nodes.sort_values(["step", "count"], ascending=[True, False]).reset_index(drop=True)
    index = {(int(s), e): i for i, (s, e) in enumerate(zip(nodes.step, nodes.event, strict=True))}
    last = max(int(nodes.step.max()), 2) if len(nodes) else 2
    links = links[[(int(s) + 1, t) in index and (int(s), f) in index
                   for s, f, t in zip(links.step, links.source, links.target, strict=True)]]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": nodes["event"].tolist(), "pad": 10, "thickness": 12,
              "color": [PALETTE[5] if e == words("paths.other") else PALETTE[0]
                        for e in nodes.event],
              "x": [0.001 + 0.998 * (int(s) - 1) / (last - 1) for s in nodes.step],
              "hovertemplate": "%{label}: %{value}<extra></extra>"},
        link={"source": [index[(int(s), e)] for s, e in zip(links.step, links.source,
                                                             strict=True)],
              "target": [index[(int(s) + 1, e)] for s, e in zip(links.step, links.target,
                                                                strict=True)],
              "value": links["count"].tolist(), "color": "rgba(37,99,235,0.22)"},
    ))
    return embed(fig, words.lang, height=520)


def attribution_bars(credits: pd.DataFrame, metric: str, words: Words,
                     order: Sequence[str]) -> Markup:
    """``metric`` per touchpoint (in ``order``), one bar per model (long ``compare``
    credits)."""
    fig = go.Figure()
    for model, part in credits.groupby("model", sort=False):
        part = part.set_index("touchpoint").reindex(list(order))
        fig.add_trace(go.Bar(x=list(order), y=part[metric], name=words(f"model.{model}")))
    fig.update_layout(barmode="group", yaxis_title=words(f"metric.{metric}"),
                      legend={"orientation": "h", "y": -0.3})
    return embed(fig, words.lang, height=440)


def retention_heatmap(cohorts: pd.DataFrame, words: Words, period: str) -> Markup:
    """Retention rate by cohort (rows) and period since the cohort (columns)."""
    grid = cohorts.pivot(index="cohort", columns="period", values="rate").sort_index()
    sizes = cohorts.drop_duplicates("cohort").set_index("cohort")["size"].reindex(grid.index)
    labels = [f"{words.day(c)} (n={words.n(n)})" for c, n in zip(grid.index, sizes,
                                                                  strict=True)]
    text: list[list[Any]] = [[words.pct(v, 0) if v == v else "" for v in row]
                             for row in grid.to_numpy()]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[str(c) for c in grid.columns], y=labels, colorscale="Blues",
        zmin=0, zmax=1, text=text, texttemplate="%{text}", xgap=2, ygap=2,
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>", showscale=False,
    ))
    fig.update_layout(xaxis_title=words(f"ret.since.{period}"), xaxis_side="top",
                      yaxis_autorange="reversed")
    return embed(fig, words.lang, height=max(300, 30 * len(grid) + 100))
