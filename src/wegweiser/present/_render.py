"""Drawing a declared :class:`~wegweiser.analysis.registry.Chart` of a result.

:func:`render` is what the registry's generic faces call for every chart an analysis
declares. ``x`` and ``y`` are the figure's axes: ``bar`` and ``line`` draw one trace per ``y``
column (or per value of ``color``) over the ``x`` categories; ``hbar`` and ``funnel`` put
their categories on ``y`` and the values of ``x`` along them; ``heatmap`` pivots ``x`` by
``y`` coloured by ``value``. ``format`` decides how values read (hover text, bar labels,
the value axis).
A table or column the result lacks is an error that names what exists; an empty table gives
an explicit "no data" figure, never an empty chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

from wegweiser.errors import InvalidInput
from wegweiser.present.i18n import duration, heading, label, money, number, percent
from wegweiser.present.theme import MUTED, colour, no_data, styled, wrap

if TYPE_CHECKING:
    from collections.abc import Callable

    from wegweiser.analysis.registry import Chart
    from wegweiser.analysis.result import Result

#: how many categories a split by ``color`` shows at most (the largest)
MAX_SERIES = 12
#: category labels longer than this break into lines
LABEL_WIDTH = 48


def render(chart: Chart, result: Result, lang: str, *, currency: str = "EUR") -> go.Figure:
    """``chart`` drawn from ``result`` in ``lang`` (``currency`` for ``format="money"``).

    ``x`` and ``y`` are the figure's axes: ``bar``/``line`` have the categories (or times,
    numbers) on ``x`` and the values in ``y``; ``hbar``/``funnel`` have the categories on
    ``y`` (one column) and the values in ``x``. The chart's ``title`` is the page's heading
    above the figure, so the figure has none.
    """
    frame = _table(chart, result)
    if frame.empty:
        return no_data(go.Figure(), lang)
    fmt = _formatter(chart.format, lang, currency)
    if chart.kind == "heatmap":
        return _heatmap(chart, frame, lang, fmt)
    if chart.kind == "scatter":
        return _scatter(chart, frame, lang, fmt)
    category, values = _roles(chart)
    series = _series(chart, frame, values, lang)
    if chart.kind == "funnel":
        return _funnel(series, category, lang, fmt)
    fig = go.Figure()
    for i, (name, part) in enumerate(series):
        column = part["__v"]
        cats = _categories(part[category], lang)
        if chart.kind == "hbar":
            cats = [wrap(c, LABEL_WIDTH) if isinstance(c, str) else c for c in cats]
        style: dict[str, Any] = {"name": name, "text": [fmt(v) for v in column]}
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
    _mark(fig, chart, result)
    axis = _value_axis(chart.format)
    if chart.kind == "hbar":
        rows = frame[category].nunique()
        return styled(fig, lang, height=max(260, 32 * rows + 90), barmode="group",
                      xaxis=axis, yaxis={"autorange": "reversed", "type": "category"},
                      showlegend=len(fig.data) > 1)
    return styled(fig, lang, height=380, barmode="group", yaxis=axis,
                  showlegend=len(fig.data) > 1)


def _mark(fig: go.Figure, chart: Chart, result: Result) -> None:
    """The dated marks of ``chart.marks`` (columns ``date``, ``text``) as dotted vertical
    lines with their text at the top (several on one date share a line)."""
    marks = result.tables().get(chart.marks) if chart.marks else None
    if marks is None or marks.empty or chart.kind not in ("bar", "line"):
        return
    for date, rows in marks.groupby("date", sort=True):
        at = pd.Timestamp(str(date)).isoformat()
        text = "; ".join(str(t) for t in rows["text"])
        fig.add_shape(type="line", xref="x", yref="paper", x0=at, x1=at, y0=0, y1=1,
                      line={"color": MUTED, "width": 1, "dash": "dot"})
        fig.add_annotation(x=at, xref="x", y=1, yref="paper", yanchor="bottom",
                           text=wrap(text, 24), showarrow=False, hovertext=text,
                           font={"size": 11, "color": MUTED})


def _roles(chart: Chart) -> tuple[str, tuple[str, ...]]:
    """(the category column, the value columns) of a bar, hbar, line or funnel chart."""
    if chart.kind in ("bar", "line"):
        return chart.x, chart.ys
    if len(chart.ys) != 1:
        raise InvalidInput(
            f"a {chart.kind} chart has its categories on y: y names one column "
            f"(not {', '.join(chart.ys)}) and x the values"
        )
    return chart.ys[0], (chart.x,)


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


def _series(chart: Chart, frame: pd.DataFrame, values: tuple[str, ...], lang: str
            ) -> list[tuple[str, pd.DataFrame]]:
    """(trace name, rows with the values in ``__v``) per trace: one per value column, or
    one per value of ``color`` (the largest first). A value column's trace is named by its
    heading (:func:`~wegweiser.present.i18n.heading`)."""
    if chart.color is None:
        return [(heading(v, lang), frame.assign(__v=frame[v])) for v in values]
    v = values[0]
    totals = frame.groupby(chart.color, dropna=False, sort=False)[v].sum()
    order = sorted(totals.index, key=lambda c: (-_num(totals[c]), label(c, lang)))
    out = []
    for value in order[:MAX_SERIES]:
        part = frame[frame[chart.color].isna()] if pd.isna(value) else frame[
            frame[chart.color] == value]
        out.append((label(value, lang), part.assign(__v=part[v])))
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


def _scatter(chart: Chart, frame: pd.DataFrame, lang: str, fmt: Callable[[Any], str]
             ) -> go.Figure:
    """A point per row at (``x``, ``y``), labelled by ``value``, split by ``color``; dashed
    lines at the means of ``x`` and ``y`` (the crosshair of a quadrant map)."""
    y = chart.ys[0]
    frame = frame[frame[chart.x].notna() & frame[y].notna()]
    if frame.empty:
        return no_data(go.Figure(), lang)
    fig = go.Figure()
    groups = ([(label(k, lang), g) for k, g in frame.groupby(chart.color, sort=True)]
              if chart.color else [(heading(y, lang), frame)])
    for i, (name, part) in enumerate(groups):
        text = ([label(v, lang) for v in part[chart.value]] if chart.value
                else [""] * len(part))
        fig.add_trace(go.Scatter(
            x=part[chart.x], y=part[y], mode="markers+text", name=name, text=text,
            textposition="top center", marker={"color": colour(i), "size": 10},
            customdata=[[fmt(a), fmt(b)] for a, b in zip(part[chart.x], part[y], strict=True)],
            hovertemplate="%{text}: %{customdata[0]}, %{customdata[1]}<extra></extra>",
        ))
    mean_x, mean_y = float(frame[chart.x].mean()), float(frame[y].mean())
    fig.add_vline(x=mean_x, line_dash="dash", line_color="#888")
    fig.add_hline(y=mean_y, line_dash="dash", line_color="#888")
    axis = _value_axis(chart.format)
    return styled(fig, lang, height=460, showlegend=len(groups) > 1,
                  xaxis={"title": heading(chart.x, lang), **axis},
                  yaxis={"title": heading(y, lang), **axis})


def _funnel(series: list[tuple[str, pd.DataFrame]], category: str, lang: str,
            fmt: Callable[[Any], str]) -> go.Figure:
    fig = go.Figure()
    for i, (name, part) in enumerate(series):
        fig.add_trace(go.Funnel(
            y=[wrap(label(v, lang), LABEL_WIDTH) for v in part[category]], x=part["__v"],
            name=name,
            text=[fmt(v) for v in part["__v"]], textinfo="text+percent initial",
            marker={"color": colour(i)}, hovertemplate="%{y}: %{text}<extra></extra>",
        ))
    rows = max(len(part) for _, part in series)
    return styled(fig, lang, height=max(260, 60 * rows + 60), showlegend=len(series) > 1,
                  margin={"l": 150, "r": 24, "t": 16, "b": 24})


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
