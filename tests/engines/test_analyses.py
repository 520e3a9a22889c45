"""Every analysis gives the same result on Spark as on DuckDB, over the same demo shop.

One case per analysis and the options that change how it runs in the engine; each runs on
the DuckDB project and on the Spark project, and every table of the results must agree
(sorted, floats within 1e-9), as must the parameters they report.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.engines.compare import assert_same_result
from wegweiser.analysis.attribution import Shapley, attribution, compare
from wegweiser.analysis.conversion import conversion
from wegweiser.analysis.dropoffs import dropoffs
from wegweiser.analysis.funnels import FunnelStep, dropped_off, funnel
from wegweiser.analysis.journey_map import journey_map
from wegweiser.analysis.kpis import kpis
from wegweiser.analysis.paths import match_pattern, sankey, step_matrix, top_paths, transitions
from wegweiser.analysis.phases import phase_analysis, phase_timeline
from wegweiser.analysis.retention import retention
from wegweiser.analysis.sessions import sessions

if TYPE_CHECKING:
    from collections.abc import Callable

    from wegweiser.project import Project

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
CHECKOUT = ["product_view", "add_to_cart", "checkout_started", "order_completed"]


def _phases(p: Project) -> list[Any]:
    return list(p.config.phases)


def _costs(p: Project) -> Any:
    return p._engine.ibis().table("costs")  # costs stay in the embedded store on every engine


CASES: dict[str, Callable[[Project], Any]] = {
    "overview": lambda p: p.overview(),
    "stats": lambda p: {k: v for k, v in p.stats().items() if not k.endswith("_event")},
    "sessions": lambda p: sessions(p.journey(), limit=None),
    "sessions_gap": lambda p: sessions(p.journey(), gap=timedelta(minutes=10), limit=None),
    "phases": lambda p: phase_analysis(p.journey(), _phases(p), as_of=AS_OF, stuck_days=10),
    "phases_month": lambda p: phase_analysis(p.journey(), _phases(p), period="month"),
    "phase_timeline": lambda p: phase_timeline(p.journey(), _phases(p), limit=None),
    "transitions": lambda p: transitions(p.journey()),
    "transitions_grouped": lambda p: transitions(
        p.journey(), by="session", collapse=True, groups={"checkout": "checkout_*"},
        exclude=["re:^ad_"],
    ),
    "top_paths": lambda p: top_paths(p.journey(), n=50),
    "top_paths_to_order": lambda p: top_paths(
        p.journey(), start="product_view", end="order_completed", max_length=4
    ),
    "sankey": lambda p: sankey(p.journey(), steps=4, start="landing_page_view"),
    "step_matrix": lambda p: step_matrix(p.journey(), max_steps=6, by="session"),
    "match_pattern": lambda p: match_pattern(
        p.journey(), "add_to_cart -> [^support_*]* -> order_completed"
    ),
    "funnel": lambda p: funnel(p.journey(), CHECKOUT),
    "funnel_unordered_sessions": lambda p: funnel(
        p.journey(), ["product_view", "add_to_cart"], mode="unordered", by="session"
    ),
    "funnel_strict_last_touch": lambda p: funnel(
        p.journey(), ["product_view", "add_to_cart"], mode="strict", breakdown="channel",
        attribution="last_touch",
    ),
    "funnel_property": lambda p: funnel(
        p.journey(), [FunnelStep("product_list_view", where={"category": "jackets"}),
                      "product_view", "add_to_cart"],
        breakdown="property:category", window=timedelta(days=2), exclude=["payment_error"],
    ),
    "dropped_off": lambda p: dropped_off(p.journey(), CHECKOUT, step=3),
    "conversion": lambda p: conversion(p.journey()),
    "conversion_lookback": lambda p: conversion(
        p.journey(), events=["order_completed", "store_purchase"], lookback=timedelta(days=14)
    ),
    "retention": lambda p: retention(p.journey()),
    "retention_purchase": lambda p: retention(
        p.journey(), cohort_by="first_purchase", period="month", kind="unbounded"
    ),
    "retention_days": lambda p: retention(p.journey(), period="day", return_event="product_view"),
    "dropoffs": lambda p: dropoffs(p.journey(), _phases(p), by="device"),
    "journey_map": lambda p: journey_map(
        p.journey(), phases=p.config.phase_names, feedback=p.config.feedback
    ),
    "journey_map_events": lambda p: journey_map(p.journey(), by="event", top_events=2),
    "kpis": lambda p: kpis(p.journey(), feedback=p.config.feedback),
    "attribution_markov": lambda p: attribution(p.journey(), model="markov", costs=_costs(p)),
    "attribution_campaign": lambda p: attribution(
        p.journey(), model=Shapley(random_state=0), by="campaign", costs=_costs(p)
    ),
    "attribution_compare": lambda p: compare(p.journey(), costs=_costs(p), n_bootstrap=20),
}


@pytest.mark.spark
@pytest.mark.parametrize("case", list(CASES))
def test_spark_matches_duckdb(case: str, demo_duckdb: Project, demo_spark: Project) -> None:
    run = CASES[case]
    assert_same_result(run(demo_spark), run(demo_duckdb))
