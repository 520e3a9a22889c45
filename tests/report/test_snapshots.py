"""Golden files of the report's sections and of every chart's data, on the demo shop.

An emptied, dropped or changed figure or section fails here. When a change is meant, run
``pytest tests/report --snapshot-update`` and review ``git diff tests/report/snapshots``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

import wegweiser
from tests.snapshot import decoded, figure_data
from wegweiser.analysis.funnels import funnel
from wegweiser.analysis.paths import sankey
from wegweiser.present import charts
from wegweiser.report.sections import sections

if TYPE_CHECKING:
    from collections.abc import Callable

    import plotly.graph_objects as go

ROWS = 12  # table rows and map rows kept per block

REASONS = pd.DataFrame({"reason": ["timestamp: not a time", "type: unknown 'tap'"],
                        "rows": [7, 2]})

#: every chart builder, drawn from the demo shop's report data (and the dashboard's extras)
CHARTS: dict[str, Callable[[Any, dict[str, Any], str], go.Figure]] = {
    "current_phases": lambda r, x, lang: charts.current_phases(r.overview, lang),
    "kpi_gauges": lambda r, x, lang: charts.kpi_gauges(r.kpis, lang),
    "journey_map-persons": lambda r, x, lang: charts.journey_map(r.journey_map, lang),
    "journey_map-conversion_rate": lambda r, x, lang: charts.journey_map(
        r.journey_map, lang, metric="conversion_rate"),
    "journey_map-satisfaction": lambda r, x, lang: charts.journey_map(
        r.journey_map, lang, metric="satisfaction"),
    "phase_flow": lambda r, x, lang: charts.phase_flow(r.phase_flow, lang, r.phases),
    "funnel": lambda r, x, lang: charts.funnel(r.funnel, lang),
    "dropoffs": lambda r, x, lang: charts.dropoffs(r.dropoffs, lang),
    "paths": lambda r, x, lang: charts.paths(r.paths, lang),
    "attribution": lambda r, x, lang: charts.attribution(r.attribution, lang),
    "attribution-revenue": lambda r, x, lang: charts.attribution(
        r.attribution, lang, metric="revenue"),
    "roas": lambda r, x, lang: charts.roas(r.attribution, lang),
    "retention": lambda r, x, lang: charts.retention(r.retention, lang),
    "quarantine": lambda r, x, lang: charts.quarantine(REASONS, lang),
    # the dashboard's explorer pages
    "phase_bars": lambda r, x, lang: charts.phase_bars(r.overview.phases, lang),
    "funnel_steps": lambda r, x, lang: charts.funnel_steps(r.funnel.steps, lang),
    "funnel_breakdown": lambda r, x, lang: charts.funnel_breakdown(x["breakdown"], lang),
    "flows": lambda r, x, lang: charts.flows(x["flows"].links, x["flows"].nodes, lang),
}


@pytest.fixture(scope="module")
def extra(shop):
    """What the dashboard's pages add: a funnel by channel and the flows of the first steps."""
    report = shop["report"]
    with wegweiser.Project(shop["folder"]) as project:
        journey = project.journey()
        steps = report.funnel.steps["event"].tolist()
        by_channel = funnel(journey, steps, window=timedelta(days=30), breakdown="channel")
        flows = sankey(journey, steps=4, collapse=True)
    return {"breakdown": by_channel.breakdown, "flows": flows}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_data(shop, extra, snapshot, name):
    fig = CHARTS[name](shop["report"], extra, "en")
    data = figure_data(fig)
    assert data["traces"], f"{name} draws nothing"
    assert not data["no_data"]
    snapshot.assert_match(data, name)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_report_sections(shop, snapshot, lang, registered_sections):
    parts = sections(shop["report"], lang)
    assert [s["id"] for s in parts] == ["overview", "map", "funnel", "paths", "attribution",
                                        "retention", *registered_sections, "quality"]
    for section in parts:
        snapshot.assert_match(section_view(section), f"{lang}-{section['id']}")


def section_view(section: dict[str, Any]) -> dict[str, Any]:
    """A section as its golden file holds it: headings, texts, table cells as text, and per
    figure its traces (type, name, number of points; the data is in ``test_chart_data``)."""
    return {"id": section["id"], "title": section["title"], "intro": section["intro"],
            "blocks": [block_view(b) for b in section["blocks"]]}


def block_view(block: dict[str, Any]) -> dict[str, Any]:
    kind = block["kind"]
    if kind == "figure":
        fig = json.loads(block["json"].replace("<\\/", "</"))
        return {"kind": kind, "id": block["id"],
                "traces": [trace_summary(t) for t in fig["data"]]}
    if kind == "table":
        return {"kind": kind, "headers": block["headers"], "align": "".join(block["align"]),
                "rows": block["rows"][:ROWS], "n_rows": len(block["rows"])}
    if kind == "cards":
        return {"kind": kind, "cards": [[c["label"], c["value"], c["sub"]]
                                        for c in block["cards"]]}
    if kind == "list":
        return {"kind": kind, "items": block["items"]}
    if kind == "map":
        return {"kind": kind, "phases": block["phases"], "n_rows": len(block["rows"]),
                "header": [cell_text(c) for c in block["header"]],
                "rows": [[row["label"], *[cell_text(c) for c in row["cells"]],
                          cell_text(row["total"])] for row in block["rows"][:ROWS]]}
    return {"kind": kind, "text": block["text"]}


def cell_text(cell: dict[str, Any]) -> str:
    return "" if cell["empty"] else f"{cell['persons']} | {cell['rate']} | {cell['sat']}"


def trace_summary(trace: dict[str, Any]) -> dict[str, Any]:
    """Type, name and size of a trace from the figure's JSON."""
    def size(value: Any) -> int:
        value = decoded(value)  # a typed array: numpy
        return int(getattr(value, "size", len(value) if isinstance(value, list) else 1))

    out: dict[str, Any] = {"type": trace.get("type", "scatter")}
    if trace.get("name"):
        out["name"] = trace["name"]
    for key in ("x", "y", "z", "values", "value"):
        if key in trace:
            out[f"n_{key}"] = size(trace[key])
    if "node" in trace:
        out["n_nodes"] = len(trace["node"].get("label", []))
        out["n_links"] = size(trace["link"].get("value", []))
    return out
