"""Every chart of every face, in one place: pure builders from analysis results to Plotly
figures in the shared look (:mod:`wegweiser.present.theme`), plus :func:`render`, which draws
a declared :class:`~wegweiser.analysis.registry.Chart`.

* results of the report's analyses: :func:`current_phases`, :func:`kpi_gauges`,
  :func:`journey_map`, :func:`phase_flow`, :func:`funnel`, :func:`dropoffs`, :func:`paths`,
  :func:`attribution`, :func:`roas`, :func:`retention`, :func:`quarantine`;
* tables of the dashboard's explorer pages: :func:`phase_bars`, :func:`funnel_steps`,
  :func:`funnel_breakdown`, :func:`flows`, :func:`person_timeline` (one person's
  touchpoints).

The faces only embed the figures (the report as JSON in its file, the dashboard with
``serve.pages._charts.embed``).
"""

from __future__ import annotations

from wegweiser.present._charts_pages import (
    flows,
    funnel_breakdown,
    funnel_steps,
    person_timeline,
    phase_bars,
)
from wegweiser.present._charts_report import (
    attribution,
    current_phases,
    dropoffs,
    funnel,
    journey_map,
    kpi_gauges,
    paths,
    phase_flow,
    quarantine,
    retention,
    roas,
)
from wegweiser.present._render import render

__all__ = [
    "attribution", "current_phases", "dropoffs", "flows", "funnel", "funnel_breakdown",
    "funnel_steps", "journey_map", "kpi_gauges", "paths", "person_timeline", "phase_bars",
    "phase_flow",
    "quarantine", "render", "retention", "roas",
]
