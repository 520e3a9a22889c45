"""Results in Jupyter: ``_repr_html_`` holds the declared charts' data and the tables."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import wegweiser
from tests.analysis.reference import frame_of, random_rows
from tests.snapshot import decoded
from wegweiser.analysis.result import Tables


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    with wegweiser.Project.init(tmp_path_factory.mktemp("notebook") / "p") as p:
        p.import_events(frame_of(random_rows(11, n=250, minutes=60 * 24 * 20)))
        yield p


def figures(html: str) -> list[dict]:
    """The Plotly figures of the HTML (``Plotly.newPlot(id, data, layout, config)``)."""
    found = []
    for match in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', html, re.S):
        found.append(json.loads(match.group(1)))
    return found


def test_a_result_shows_its_charts_data_and_tables(project):
    result = project.trends(period="week")
    html = result._repr_html_()
    assert "<h3>Trends</h3>" in html
    traces = figures(html)
    assert len(traces) == 5  # every declared chart whose table the result has (no breakdown)
    persons = next(t for t in traces[0] if t["name"] == "Persons")  # headed by the column
    assert list(decoded(persons["y"])) == result.series["persons"].tolist()
    assert persons["x"] == [d.isoformat() for d in result.series["period_start"]]
    assert "<h4>series</h4>" in html
    assert html.count("<table") == len(result.tables())
    assert f"<td>{result.totals['events'].iloc[0]}</td>" in html


def test_plotly_js_is_embedded_once_and_plain_results_show_tables(project):
    first = project.kpis()._repr_html_()
    again = project.funnel(["a", "b"])._repr_html_()
    assert "<table" in first
    assert "window.PlotlyConfig" not in again  # plotly.js came with an earlier result
    plain = Tables({"x": pd.DataFrame({"n": [1, 2]})})
    shown = plain._repr_html_()
    assert "<h4>x</h4>" in shown
    assert "<h3>" not in shown  # made by no analysis: no charts
