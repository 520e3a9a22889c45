"""Drawing a declared :class:`~wegweiser.analysis.registry.Chart` of a result.

:func:`render` is what the registry's generic faces call for every chart an analysis
declares: ``bar``/``hbar``/``line`` draw one trace per ``y`` column (or per value of
``color``), ``heatmap`` pivots ``x`` by ``y`` coloured by ``value``, ``funnel`` shows ``y``
per ``x`` step. ``format`` decides how values read (hover text, bar labels, the value axis).
A table or column the result lacks is an error that names what exists; an empty table gives
an explicit "no data" figure, never an empty chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

from wegweiser.errors import InvalidInput
from wegweiser.present.i18n import duration, label, money, number, percent
from wegweiser.present.theme import colour, no_data, styled

if TYPE_CHECKING:
    from collections.abc import Callable

    from wegweiser.analysis.registry import Chart
    from wegweiser.analysis.result import Result

#: how many categories a split by ``color`` shows at most (the largest)
MAX_SERIES = 12


def render(chart: Chart, result: Result, lang: str, *, currency: str = "EUR") -> go.Figure:
    """``chart`` drawn from ``result`` in ``lang`` (``currency`` for ``format="money"``).

    The chart's ``title`` is the page's heading above the figure, so the figure has none.
    """
    frame = _table(chart, result)
    if frame.empty:
        return no_data(go.Figure(), lang)
    fmt = _formatter(chart.format, lang, currency)
    if chart.kind == "heatmap":
        return _heatmap(chart, frame, lang, fmt)
    if chart.kind == "funnel":
        return _funnel(chart, frame, lang, fmt)
    fig = go.Figure()
    for i, (name, part) in enumerate(_series(chart, frame, lang)):
        column = part["__y"]
        text = [fmt(v) for v in column]
        cats = _categories(part[chart.x], lang)
        style: dict[str, Any] = {"name": name, "text": text}
        if chart.kind == "line":
            fig.add_trace(go.Scatter(x=cats, y=column, mode="lines+markers",
                                     line={"color": colour(i), "width": 2},
                                     hovertemplate="%{x}: %{text}<extra>%{fullData.name}</extra>",
                                     **style))
        elif chart.kind == "hbar":
            fig.add_trace(go.Bar(x=column, y=cats, orientation="h", marker_color=colour(i),
                                 hovertemplate="%{y}: %{text}<extra>%{fullData.name}</extra>",
                                 **style))
        else:
            fig.add_trace(go.Bar(x=cats, y=column, marker_color=colour(i),
                                 hovertemplate="%{x}: %{text}<extra>%{fullData.name}</extra>",
                                 **style))
    axis = _value_axis(chart.format)
    rows = frame[chart.x].nunique()
    if chart.kind == "hbar":
        return styled(fig, lang, height=max(260, 32 * rows + 90), barmode="group",
                      xaxis=axis, yaxis={"autorange": "reversed"},
                      showlegend=len(fig.data) > 1)
    return styled(fig, lang, height=380, barmode="group", yaxis=axis,
                  showlegend=len(fig.data) > 1)


def _table(chart: Chart, result: Result) -> pd.DataFrame:
    tables = result.tables()
    if chart.table not in tables:
        raise InvalidInput(
            f"chart {chart.kind!r}: the result has no table {chart.table!r}; it has "
            f"{', '.join(map(repr, tables)) or 'none'}. Fix the table name in the Chart."
        )
    frame = tables[chart.table]
    wanted = [chart.x, *chart.ys, *(c for c in (chart.color, chart.value) if c)]
    if chart.kind == "heatmap" and not chart.value:
        raise InvalidInput("a heatmap chart needs value=<column> (the colour of each cell)")
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"chart {chart.kind!r} of table {chart.table!r}: no column "
            f"{', '.join(map(repr, missing))}; the table has {', '.join(map(str, frame.columns))}"
        )
    return frame


def _series(chart: Chart, frame: pd.DataFrame, lang: str) -> list[tuple[str, pd.DataFrame]]:
    """(trace name, rows with the values in ``__y``) per trace."""
    if chart.color is None:
        return [(str(y), frame.assign(__y=frame[y])) for y in chart.ys]
    y = chart.ys[0]
    totals = frame.groupby(chart.color, dropna=False, sort=False)[y].sum()
    order = sorted(totals.index, key=lambda v: (-_num(totals[v]), label(v, lang)))
    out = []
    for value in order[:MAX_SERIES]:
        part = frame[frame[chart.color].isna()] if pd.isna(value) else frame[
            frame[chart.color] == value]
        out.append((label(value, lang), part.assign(__y=part[y])))
    return out


def _heatmap(chart: Chart, frame: pd.DataFrame, lang: str, fmt: Callable[[Any], str]
             ) -> go.Figure:
    assert chart.value is not None
    y = chart.ys[0]
    grid = frame.pivot_table(index=y, columns=chart.x, values=chart.value, aggfunc="first",
                             sort=True, dropna=False)
    values = grid.to_numpy(dtype=float)
    text = [["" if v != v else fmt(v) for v in row] for row in values]
    fig = go.Figure(go.Heatmap(
        z=values, x=[label(c, lang) for c in grid.columns],
        y=[label(r, lang) for r in grid.index], text=text, texttemplate="%{text}",
        colorscale="Blues", xgap=2, ygap=2, zmin=0 if chart.format == "percent" else None,
        zmax=1 if chart.format == "percent" else None,
        colorbar={"thickness": 12, **_value_axis(chart.format)},
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
    ))
    return styled(fig, lang, height=max(300, 28 * len(grid.index) + 110),
                  xaxis={"side": "top", "showgrid": False, "type": "category"},
                  yaxis={"autorange": "reversed", "showgrid": False, "type": "category"})


def _funnel(chart: Chart, frame: pd.DataFrame, lang: str, fmt: Callable[[Any], str]
            ) -> go.Figure:
    fig = go.Figure()
    for i, y in enumerate(chart.ys):
        fig.add_trace(go.Funnel(
            y=[label(v, lang) for v in frame[chart.x]], x=frame[y], name=str(y),
            text=[fmt(v) for v in frame[y]], textinfo="text+percent initial",
            marker={"color": colour(i)}, hovertemplate="%{y}: %{text}<extra></extra>",
        ))
    return styled(fig, lang, height=max(260, 60 * len(frame) + 60),
                  showlegend=len(chart.ys) > 1, margin={"l": 150, "r": 24, "t": 16, "b": 24})


def _categories(column: pd.Series[Any], lang: str) -> list[Any]:
    """The x values: numbers and times as they are (a real axis), other values as labels."""
    if is_numeric_dtype(column) or is_datetime64_any_dtype(column):
        return column.tolist()
    return [label(v, lang) for v in column]


def _formatter(kind: str, lang: str, currency: str) -> Callable[[Any], str]:
    if kind == "percent":
        return lambda v: percent(v, lang)
    if kind == "seconds":
        return lambda v: duration(v, lang)
    if kind == "money":
        return lambda v: money(v, lang, currency)
    return lambda v: number(v, lang, 0 if _whole(v) else 2)


def _value_axis(kind: str) -> dict[str, Any]:
    return {"tickformat": ".0%"} if kind == "percent" else {}


def _whole(value: Any) -> bool:
    try:
        return float(value).is_integer()
    except (TypeError, ValueError):
        return True


def _num(value: Any) -> float:
    try:
        number_ = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number_ if number_ == number_ else 0.0
