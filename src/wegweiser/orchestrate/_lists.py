"""Query results as plain Python lists, for the triggers' snapshots (internal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd


def epoch_seconds(frame: pd.DataFrame, column: str) -> list[float]:
    """The timestamps of ``frame[column]`` as epoch seconds (naive ones count as UTC)."""
    import pandas as pd

    stamps = pd.to_datetime(frame[column], utc=True)
    return [float(v) for v in (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()]


def as_lists(expr: ir.Table) -> dict[str, list[Any]]:
    """Execute ``expr`` into plain lists by column (straight from Arrow: a batch has 100k
    rows, and a pandas frame in between costs more than the query); timestamp columns as
    epoch seconds (naive ones count as UTC, as in :func:`epoch_seconds`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = expr.to_pyarrow()
    out: dict[str, list[Any]] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(column.type):
            scale = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[column.type.unit]
            column = pc.divide(column.cast(pa.int64()), scale)
        out[name] = column.to_pylist()
    return out
