"""The HTML report works on Spark and shows what DuckDB shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.engines.compare import assert_same_result
from wegweiser.report import write_report
from wegweiser.report.gather import gather

if TYPE_CHECKING:
    from pathlib import Path

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


@pytest.mark.spark
def test_report_sections_match_duckdb(demo_duckdb: Project, demo_spark: Project) -> None:
    spark, duckdb = gather(demo_spark), gather(demo_duckdb)
    assert spark.skipped == duckdb.skipped == {}
    for name in SECTIONS:
        assert_same_result(getattr(spark, name), getattr(duckdb, name))
    assert (spark.first_event, spark.last_event) == (duckdb.first_event, duckdb.last_event)


@pytest.mark.spark
def test_report_written_on_spark(demo_spark: Project, tmp_path: Path) -> None:
    path = write_report(demo_spark, tmp_path / "report.html", lang="de")
    html = path.read_text(encoding="utf-8")
    assert "<html" in html
    assert "Journey-Map" in html
    assert "Plotly.newPlot" in html
