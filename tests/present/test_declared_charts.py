"""Every chart an analysis declares in the registry, drawn by ``present.charts.render`` on a
small demo shop: it finds its table and columns, draws data (no empty or "no data" figure),
one bar or point per category in each trace, and its data is pinned by a golden file."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import wegweiser
from tests.snapshot import figure_data
from wegweiser.analysis.fixes import Fix
from wegweiser.analysis.registry import analyses
from wegweiser.events.demo import generate
from wegweiser.present.charts import render
from wegweiser.present.i18n import has_heading, heading

#: parameters an analysis needs beyond its defaults
PARAMS: dict[str, dict[str, Any]] = {
    "funnel": {"steps": ["product_view", "add_to_cart", "checkout_started", "order_completed"]},
    "trends": {"period": "week", "by": "channel"},
    # the demo's planted geo holdout (events/_demo_geo.py) on a 40-day shop
    "experiment_geo": {"channel": "video", "holdout": ["AT", "CH"], "start": "2026-10-11",
                       "end": "2026-11-01"},
    # a holdout for the diagnostic: the demo's last three weeks
    "clv": {"calibration_end": "2026-10-10", "unit": "day"},
}
DECLARED = [(name, i) for name, spec in analyses().items() for i in range(len(spec.charts))]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    data = generate(400, seed=5, days=40)
    with wegweiser.Project.init(tmp_path_factory.mktemp("declared")) as project:
        project.import_events(data.events)
        project.replace_costs(data.costs)
        project.save_fix(Fix(name="mobile-payment", date="2026-10-21", touchpoint="mobile payment",
                             where=["event=checkout_payment", "device=mobile"]))
        yield project


@pytest.fixture(scope="module")
def run(shop):
    """``spec.run`` on the shop, each (analysis, parameters) computed once per module."""
    done: dict[tuple[str, str], Any] = {}

    def run_(name: str, params: dict[str, Any]) -> Any:
        key = (name, repr(sorted(params.items())))
        if key not in done:
            done[key] = analyses()[name].run(shop, params)
        return done[key]

    return run_


def params_for(name: str, table: str) -> dict[str, Any]:
    """The parameters under which the analysis shows ``table`` (its view, when it has one)."""
    spec = analyses()[name]
    params = dict(PARAMS.get(name, {}))
    views = [v for v, t in spec.views.items() if t == table]
    if "view" in spec.params.model_fields and views and spec.view_of is not None:
        params.setdefault("view", views[0])
    return params


@pytest.mark.parametrize(("name", "index"), [
    pytest.param(n, i, id=f"{n}-{analyses()[n].charts[i].table}") for n, i in DECLARED
])
def test_declared_chart(shop, run, snapshot, name, index):
    spec = analyses()[name]
    chart = spec.charts[index]
    result = run(name, params_for(name, chart.table))
    fig = render(chart, result, "en", currency=shop.config.currency)
    data = figure_data(fig)
    assert not data["no_data"], f"{name}: table {chart.table} is empty on the demo shop"
    assert data["traces"]
    for trace in fig.data:
        if chart.kind in ("heatmap", "scatter"):  # a scatter's points may share an x
            continue
        categories = trace.y if chart.kind in ("hbar", "funnel") else trace.x
        repeated = [c for c, n in Counter(map(str, categories)).items() if n > 1]
        assert not repeated, f"{name}: {chart.kind} draws {repeated[:3]} more than once"
    same_table = [c for c in spec.charts if c.table == chart.table]
    case = f"{name}-{chart.table}" + (f"-{index}" if len(same_table) > 1 else "")
    snapshot.assert_match(data, case)



def test_every_shown_column_has_a_heading(run):
    """The dashboard and the report head a column by its heading in the page's language
    (``present/_words_columns.py``); a column an analysis shows (a view's table, a chart's
    series or axis) without one would appear as its English identifier on a German page."""
    missing: dict[str, set[str]] = {}
    for name, spec in analyses().items():
        tables = run(name, dict(PARAMS.get(name, {}))).tables()
        shown = set(spec.views.values()) or set(tables)
        columns = {str(c) for t in shown if t in tables for c in tables[t].columns}
        for chart in spec.charts:
            columns.update(chart.ys if len(chart.ys) > 1 else ())
            if chart.kind == "scatter":
                columns.update((chart.x, chart.ys[0]))
        lacking = {c for c in columns if not has_heading(c)}
        if lacking:
            missing[name] = lacking
    assert not missing, f"columns without a heading in present/_words_columns.py: {missing}"


def test_headings_in_both_languages():
    assert heading("lost_conversions", "de") == "Verlorene Konversionen"
    assert heading("lost_conversions", "en") == "Lost conversions"
    assert heading("channel:email", "de") == "Kanal: email"
    assert heading("no_such_column", "de") == "no_such_column"
