"""``present.charts.render``: every kind of declared chart, its errors and the no-data figure."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.snapshot import figure_data
from wegweiser.analysis.registry import Chart, Words
from wegweiser.analysis.result import Tables
from wegweiser.errors import InvalidInput
from wegweiser.present.charts import render
from wegweiser.present.theme import PALETTE


@pytest.fixture
def result() -> Tables:
    days = pd.DataFrame({"days": [1, 2, 3, 4], "persons": [40, 25, 10, 5],
                         "share": [0.5, 0.3125, 0.125, 0.0625]})
    daily = pd.DataFrame({
        "date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-01", "2026-01-02"],
                               utc=True),
        "channel": ["email", "email", None, None], "persons": [3, 4, 1, 2],
        "seconds": [30.0, 5400.0, 90.0, None], "revenue": [10.5, 1234.5, 0.0, 99.0],
    })
    funnel = pd.DataFrame({"step": ["view", "cart", "order"], "units": [100, 40, 10]})
    cohorts = pd.DataFrame({"cohort": ["2026-01", "2026-01", "2026-02"],
                            "period": [0, 1, 0], "rate": [1.0, 0.25, 1.0]})
    empty = pd.DataFrame({"days": pd.Series(dtype="int64"),
                          "persons": pd.Series(dtype="int64")})
    return Tables(frames={"days": days, "daily": daily, "funnel": funnel, "cohorts": cohorts,
                          "empty": empty})


CHARTS = {
    "bar": Chart("bar", "days", x="days", y="persons", title=Words("Active days", "Aktive Tage")),
    "bar-several": Chart("bar", "days", x="days", y=("persons", "share")),
    "bar-percent": Chart("bar", "days", x="days", y="share", format="percent"),
    "hbar": Chart("hbar", "daily", x="revenue", y="channel", format="money"),
    "line-color": Chart("line", "daily", x="date", y="persons", color="channel"),
    "line-seconds": Chart("line", "daily", x="date", y="seconds", format="seconds"),
    "heatmap": Chart("heatmap", "cohorts", x="period", y="cohort", value="rate",
                     format="percent"),
    "funnel": Chart("funnel", "funnel", x="units", y="step"),
}


@pytest.mark.parametrize("case", sorted(CHARTS))
def test_every_kind(result, snapshot, case):
    fig = render(CHARTS[case], result, "de")
    data = figure_data(fig)
    assert data["traces"]
    assert not data["no_data"]
    assert fig.layout.separators == ",."
    assert fig.layout.title.text is None  # the chart's title is the page's heading
    snapshot.assert_match(data, case)


def test_one_trace_per_column_or_colour(result):
    several = render(CHARTS["bar-several"], result, "en")
    assert [t.name for t in several.data] == ["Persons", "Share"]  # headed by the column
    assert [t.name for t in render(CHARTS["bar-several"], result, "de").data] == [
        "Personen", "Anteil"]
    split = render(CHARTS["line-color"], result, "en")
    assert [t.name for t in split.data] == ["email", "(none)"]  # the largest first
    assert [t.line.color for t in split.data] == list(PALETTE[:2])
    assert list(split.data[0].y) == [3, 4]


def test_formats(result):
    assert list(render(CHARTS["bar-percent"], result, "de").data[0].text)[:2] == [
        "50,0\xa0%", "31,3\xa0%"]
    money = render(CHARTS["hbar"], result, "en").data[0]
    assert money.orientation == "h"
    assert list(money.text)[:2] == ["€10.50", "€1,234.50"]
    seconds = render(CHARTS["line-seconds"], result, "en")
    texts = [text for trace in seconds.data for text in trace.text]
    assert texts == ["30 s", "1.5 h", "1.5 min", "\u2013"]
    assert render(CHARTS["bar"], result, "en").data[0].text == ("40", "25", "10", "5")


def test_heatmap_pivots_x_by_y(result):
    trace = render(CHARTS["heatmap"], result, "en").data[0]
    assert list(trace.y) == ["2026-01", "2026-02"]
    assert list(trace.x) == ["0", "1"]
    assert trace.z[0][1] == 0.25
    assert trace.z[1][1] != trace.z[1][1]  # a missing cell stays empty (NaN)


def test_an_empty_table_says_so(result):
    fig = render(Chart("bar", "empty", x="days", y="persons"), result, "en")
    assert not fig.data
    assert fig.layout.meta == {"no_data": True}
    assert [a.text for a in fig.layout.annotations] == ["No data for this selection."]
    de = render(Chart("heatmap", "empty", x="days", y="persons", value="persons"), result, "de")
    assert de.layout.annotations[0].text == "Keine Daten für diese Auswahl."


def test_missing_table_or_column_is_a_clear_error(result):
    with pytest.raises(InvalidInput, match=r"no table 'day'; it has 'days', 'daily'"):
        render(Chart("bar", "day", x="days", y="persons"), result, "en")
    with pytest.raises(InvalidInput, match=r"no column 'users'; the table has days, persons"):
        render(Chart("bar", "days", x="days", y=("persons", "users")), result, "en")
    with pytest.raises(InvalidInput, match="no column 'segment'"):
        render(Chart("line", "daily", x="date", y="persons", color="segment"), result, "en")
    with pytest.raises(InvalidInput, match="categories on y: y names one column"):
        render(Chart("hbar", "days", x="persons", y=("days", "share")), result, "en")
    with pytest.raises(InvalidInput, match="needs value="):
        render(Chart("heatmap", "cohorts", x="period", y="cohort"), result, "en")
    with pytest.raises(InvalidInput, match="unknown language"):
        render(CHARTS["bar"], result, "fr")


def test_missing_categories_read_as_none():
    frame = pd.DataFrame({"step": ["view", None], "units": [10, 4]})
    fig = render(Chart("funnel", "t", x="units", y="step"), Tables(frames={"t": frame}), "de")
    assert list(fig.data[0].y) == ["view", "(keine)"]
    bars = render(Chart("bar", "t", x="step", y="units"), Tables(frames={"t": frame}), "en")
    assert list(bars.data[0].x) == ["view", "(none)"]
