"""Typed analysis results: DataFrames plus the means to show them.

Every analysis returns a subclass of :class:`Result`. ``tables()`` names its DataFrames
(the first is the main one, used by the CLI's ``--format``); ``figure()`` draws it with
Plotly; ``to_dict()`` is what the JSON faces return.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    import plotly.graph_objects as go


def plain(value: Any) -> Any:
    """A JSON-friendly Python value (NaN/inf/NaT -> None, timestamps -> ISO text).

    >>> plain(float("inf")), plain(float("nan")), plain(2.5)
    (None, None, 2.5)
    """
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN, inf: JSON has no such numbers
    if value is pd.NaT:
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    if hasattr(value, "item"):
        return plain(value.item())
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of row objects with JSON-friendly values."""
    return [{str(k): plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


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
        out: dict[str, Any] = {"params": plain(self.params)}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "params":
                continue
            out[f.name] = records(value) if isinstance(value, pd.DataFrame) else plain(value)
        return out

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


def to_frame(expr: Any) -> pd.DataFrame:
    """Execute an Ibis expression into pandas (through Arrow: Ibis' own ``to_pandas`` trips
    pandas 3.1 deprecations)."""
    frame: pd.DataFrame = expr.to_pyarrow().to_pandas()
    return frame


def to_value(expr: Any) -> Any:
    """Execute a scalar Ibis expression into a Python value."""
    return expr.to_pyarrow().as_py()
