"""Typed analysis results: DataFrames plus the means to show them.

Every analysis returns a subclass of :class:`Result`. ``tables()`` names its DataFrames
(the first is the main one, used by the CLI's ``--format``); ``figure()`` draws it with
Plotly; ``to_dict()`` is what the JSON faces return.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Callable

    import plotly.graph_objects as go

#: how a result shows itself in a notebook: set by :mod:`wegweiser.present.notebook` (a
#: layer above, loaded by ``import wegweiser``), which draws the declared charts; without
#: it, :meth:`Result._repr_html_` shows the tables only
HTML_VIEW: list[Callable[[Result], str]] = []
#: rows of each table a notebook shows (the result holds all)
NOTEBOOK_ROWS = 20


def jsonable(value: Any) -> Any:
    """A JSON value for ``value`` -- the one serialiser of every face (API, CLI, report).

    NaN/inf/NaT/NA -> None, timestamps -> ISO-8601 text, durations -> seconds, numpy scalars
    and arrays -> numbers and lists, DataFrames -> lists of row objects.

    >>> at = pd.Timestamp("2026-01-02", tz="UTC")
    >>> jsonable({"rate": float("nan"), "n": np.int64(3), "at": at})
    {'rate': None, 'n': 3, 'at': '2026-01-02T00:00:00+00:00'}
    >>> jsonable([np.array([1.5, np.inf]), pd.NA, float("-inf"), pd.Timedelta("90s")])
    [[1.5, None], None, None, 90.0]
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None  # np.float64 too
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return table_records(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        value = pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def table_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of row objects with JSON values (see :func:`jsonable`)."""
    columns = [str(c) for c in frame.columns]
    return [
        {c: jsonable(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


@dataclass(frozen=True)
class Result:
    """Base of all analysis results: DataFrame fields plus ``params`` (the inputs used)."""

    params: dict[str, Any] = field(default_factory=dict, kw_only=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every DataFrame field by name, the main table first."""
        return {
            f.name: v for f in fields(self) if isinstance(v := getattr(self, f.name), pd.DataFrame)
        }

    @property
    def main(self) -> pd.DataFrame:
        return next(iter(self.tables().values()))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"params": jsonable(self.params)}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "params":
                continue
            out[f.name] = jsonable(value)
        return out

    @property
    def analysis(self) -> str | None:
        """The registered analysis that made this result (None when made otherwise)."""
        name = self.__dict__.get("_analysis")
        return name if isinstance(name, str) else None

    def _repr_html_(self) -> str:
        """The result in Jupyter: its declared charts and its tables (the first
        :data:`NOTEBOOK_ROWS` rows of each)."""
        if HTML_VIEW:
            return HTML_VIEW[-1](self)
        return tables_html(self)

    def figure(self) -> go.Figure:
        """A Plotly figure of the main table (subclasses draw something better)."""
        import plotly.graph_objects as go

        frame = self.main
        return go.Figure(
            data=[go.Table(
                header={"values": list(frame.columns)},
                cells={"values": [frame[c].astype(str).tolist() for c in frame.columns]},
            )]
        )


@dataclass(frozen=True)
class Tables(Result):
    """A result that is just named tables (stats, overview, quarantine, ...)."""

    frames: dict[str, pd.DataFrame]
    note: str = field(default="", kw_only=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        return dict(self.frames)

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": jsonable(self.params),
            **{name: table_records(frame) for name, frame in self.frames.items()},
        }


def tables_html(result: Result, *, rows: int = NOTEBOOK_ROWS) -> str:
    """Every table of ``result`` as HTML: a heading, the first ``rows`` rows, the count."""
    from html import escape

    parts = []
    for name, frame in result.tables().items():
        shown = frame.head(rows).to_html(index=False, border=0, na_rep="", escape=True)
        more = f"<p>{rows} of {len(frame):,} rows</p>" if len(frame) > rows else ""
        parts.append(f"<h4>{escape(name)}</h4>{shown}{more}")
    note = getattr(result, "note", "")
    if isinstance(note, str) and note:
        parts.append(f"<p><em>{escape(note)}</em></p>")
    return "<div class=\"wegweiser-result\">" + "".join(parts) + "</div>"


def to_frame(expr: Any) -> pd.DataFrame:
    """Execute an Ibis expression into pandas (through Arrow: Ibis' own ``to_pandas`` trips
    pandas 3.1 deprecations)."""
    frame: pd.DataFrame = expr.to_pyarrow().to_pandas()
    return frame


def to_value(expr: Any) -> Any:
    """Execute a scalar Ibis expression into a Python value."""
    return expr.to_pyarrow().as_py()
