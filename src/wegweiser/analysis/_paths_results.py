"""The result types of :mod:`wegweiser.analysis.paths` (internal; imported from there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wegweiser.analysis.result import Result

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

ENDED = "ENDED"


@dataclass(frozen=True)
class TransitionsResult(Result):
    """``edges``: source, target, count, persons, probability, median_seconds;
    ``nodes``: event, count, persons, starts (units beginning here), exits (ending here)."""

    edges: pd.DataFrame
    nodes: pd.DataFrame

    def figure(self) -> go.Figure:
        """Heatmap of transition probabilities between the 25 most frequent events."""
        import plotly.graph_objects as go

        top = self.nodes["event"].head(25).tolist()
        edges = self.edges[self.edges.source.isin(top) & self.edges.target.isin(top)]
        grid = edges.pivot(index="source", columns="target", values="probability")
        grid = grid.reindex(index=top, columns=top)
        counts = edges.pivot(index="source", columns="target", values="count")
        counts = counts.reindex(index=top, columns=top)
        return go.Figure(
            go.Heatmap(z=grid.to_numpy(), x=top, y=top, colorscale="Blues", zmin=0, zmax=1,
                       customdata=counts.to_numpy(),
                       hovertemplate="%{y} → %{x}<br>p=%{z:.1%}<br>n=%{customdata}<extra></extra>"),
            layout={"title": "Next event: probability", "xaxis_title": "next event",
                    "yaxis_title": "event", "yaxis_autorange": "reversed"},
        )


@dataclass(frozen=True)
class PathsResult(Result):
    """``paths``: path ('a > b > c'), length, count (units), persons, share."""

    paths: pd.DataFrame

    def figure(self) -> go.Figure:
        import plotly.graph_objects as go

        frame = self.paths.iloc[::-1]
        return go.Figure(
            go.Bar(x=frame["share"], y=frame["path"], orientation="h",
                   customdata=frame["count"],
                   hovertemplate="%{y}<br>%{x:.1%} (%{customdata})<extra></extra>"),
            layout={"title": "Top paths", "xaxis_tickformat": ".0%",
                    "margin": {"l": 320}},
        )


@dataclass(frozen=True)
class SankeyResult(Result):
    """``links``: step (of the source), source, target, count, persons;
    ``nodes``: step, event, count, persons, exits (units whose steps end there)."""

    links: pd.DataFrame
    nodes: pd.DataFrame

    def figure(self) -> go.Figure:
        import plotly.graph_objects as go

        nodes = self.nodes.reset_index(drop=True)
        index = {(int(s), e): i for i, (s, e) in enumerate(zip(nodes.step, nodes.event,
                                                               strict=True))}
        last = max(int(nodes.step.max()), 2) if len(nodes) else 2
        links = self.links
        return go.Figure(
            go.Sankey(
                arrangement="snap",
                node={"label": nodes["event"].tolist(),
                      "x": [0.01 + 0.98 * (int(s) - 1) / (last - 1) for s in nodes.step],
                      "customdata": nodes["count"].tolist(),
                      "hovertemplate": "%{label}: %{customdata}<extra></extra>"},
                link={"source": [index[(int(s), e)] for s, e in zip(links.step, links.source,
                                                                     strict=True)],
                      "target": [index[(int(s) + 1, e)] for s, e in zip(links.step, links.target,
                                                                         strict=True)],
                      "value": links["count"].tolist()},
            ),
            layout={"title": "Flows, step by step"},
        )


@dataclass(frozen=True)
class StepMatrixResult(Result):
    """``matrix``: event and one column per step ('1', '2', ...): the share of units at that
    event at that step; the ``ENDED`` row holds the units with fewer steps.
    ``counts``: step, event, count, share (long form, without ENDED)."""

    matrix: pd.DataFrame
    counts: pd.DataFrame

    def figure(self) -> go.Figure:
        import plotly.graph_objects as go

        frame = self.matrix
        steps = [c for c in frame.columns if c != "event"]
        return go.Figure(
            go.Heatmap(z=frame[steps].to_numpy(), x=[f"step {s}" for s in steps],
                       y=frame["event"], colorscale="Blues", zmin=0,
                       hovertemplate="%{y} at %{x}: %{z:.1%}<extra></extra>"),
            layout={"title": "Step matrix: share of units at each event",
                    "yaxis_autorange": "reversed"},
        )


@dataclass(frozen=True)
class PatternResult(Result):
    """``summary`` (one row): pattern, units, matching, share, median_steps, median_seconds;
    ``matches``: unit_id, person_id, start_step, end_step, steps, start_timestamp,
    end_timestamp, seconds — the first match of each matching unit."""

    summary: pd.DataFrame
    matches: pd.DataFrame

    def figure(self) -> go.Figure:
        import plotly.graph_objects as go

        return go.Figure(
            go.Histogram(x=self.matches["steps"]),
            layout={"title": f"Steps in the first match of {self.summary['pattern'].iloc[0]}",
                    "xaxis_title": "steps", "yaxis_title": "units"},
        )
