"""The HTML report works on Spark and shows what DuckDB shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.engines.compare import assert_same_result
from wegweiser.report import render
from wegweiser.report.gather import ReportData, gather

if TYPE_CHECKING:

    from wegweiser.project import Project

SECTIONS = (
    "kpis",
    "journey_map",
    "phase_flow",
    "funnel",
    "dropoffs",
    "paths",
    "conversion_paths",
    "attribution",
    "retention",
)


@pytest.fixture(scope="module")
def spark_data(demo_spark: Project) -> ReportData:
    """The report's data gathered once on Spark (~90 s on 2 cores), for both tests."""
    return gather(demo_spark)


@pytest.mark.spark
def test_report_sections_match_duckdb(spark_data: ReportData, demo_duckdb: Project) -> None:
    spark, duckdb = spark_data, gather(demo_duckdb)
    assert spark.skipped == duckdb.skipped == {}
    for name in SECTIONS:
        assert_same_result(getattr(spark, name), getattr(duckdb, name))
    assert (spark.first_event, spark.last_event) == (duckdb.first_event, duckdb.last_event)


@pytest.mark.spark
def test_report_rendered_on_spark(spark_data: ReportData) -> None:
    """The report of the Spark data renders (``write_report`` is ``render(gather(...))``
    and a file write, which tests/report covers; gathering here again would take ~90 s)."""
    html = render(spark_data, lang="de")
    assert "<html" in html
    assert "Journey-Map" in html
    assert "Plotly.newPlot" in html
