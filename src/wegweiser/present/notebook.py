"""Results in Jupyter: the declared charts of the analysis and its tables, as HTML.

``wegweiser.Project`` (the first use of a lazy name of the package) installs :func:`html` as
the notebook view of every
:class:`~wegweiser.analysis.result.Result` (the analysis layer cannot draw: the charts are
this layer's). The charts are the ones of the dashboard and the report
(:func:`wegweiser.present.charts.render` of each :class:`~wegweiser.analysis.registry.Chart`
the analysis declares whose table the result has), with plotly.js embedded once per
session, so a notebook works offline; the tables follow (the first rows of each).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from wegweiser.analysis import result as results

if TYPE_CHECKING:
    from wegweiser.analysis.result import Result

__all__ = ["html", "install"]

_sent = {"plotly.js": False}


def html(result: Result, *, lang: str = "en", currency: str = "EUR") -> str:
    """``result`` as HTML: title, each declared chart (a Plotly ``<div>`` with its data),
    then the tables (:func:`wegweiser.analysis.result.tables_html`)."""
    from wegweiser.analysis.registry import analyses
    from wegweiser.present.charts import render

    spec = analyses().get(result.analysis or "")
    parts = []
    if spec is not None:
        parts.append(f"<h3>{escape(spec.title(lang))}</h3>")
        tables = result.tables()
        for chart in spec.charts:
            if chart.table not in tables:
                continue
            fig = render(chart, result, lang, currency=currency)
            title = chart.title(lang) if chart.title else chart.table.replace("_", " ")
            embed = not _sent["plotly.js"]
            parts.append(f"<h4>{escape(title)}</h4>" + fig.to_html(
                full_html=False, include_plotlyjs=embed, config={"displaylogo": False}))
            _sent["plotly.js"] = True
    parts.append(results.tables_html(result))
    return "".join(parts)


def install() -> None:
    """Make :func:`html` the notebook view of every result (idempotent)."""
    if html not in results.HTML_VIEW:
        results.HTML_VIEW.append(html)
