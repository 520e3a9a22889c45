"""Results as JSON: named tables of row objects with plain JSON values.

>>> jsonable({"rate": float("nan"), "n": np.int64(3), "at": pd.Timestamp("2026-01-02", tz="UTC")})
{'rate': None, 'n': 3, 'at': '2026-01-02T00:00:00+00:00'}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from wegweiser.analysis.result import Result


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


def table_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of row objects with JSON values (see :func:`jsonable`)."""
    columns = [str(c) for c in frame.columns]
    return [
        {c: jsonable(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def jsonable(value: Any) -> Any:
    """A JSON value for ``value``: NaN/inf/NaT/NA -> None, timestamps -> ISO-8601 text,
    durations -> seconds, numpy scalars and arrays -> numbers and lists."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
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
