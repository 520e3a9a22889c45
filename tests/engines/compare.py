"""Comparing results across engines: every table sorted, floats with a tolerance."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from wegweiser.analysis.result import jsonable as plain

RTOL = 1e-9
ATOL = 1e-9


def tables_of(result: Any) -> dict[str, pd.DataFrame]:
    """The DataFrames of a result (a Result, an Overview, a DataFrame or a dict)."""
    if isinstance(result, pd.DataFrame):
        return {"frame": result}
    if isinstance(result, dict):
        return {"mapping": pd.DataFrame([{k: _text(v) for k, v in result.items()}])}
    if hasattr(result, "tables"):
        tables: dict[str, pd.DataFrame] = result.tables()
        return tables
    return {
        f.name: v if isinstance(v, pd.DataFrame) else pd.DataFrame([{"value": _text(v)}])
        for f in dataclasses.fields(result)
        if (v := getattr(result, f.name)) is not None
    }


def _text(value: Any) -> Any:
    return value if isinstance(value, int | float | str | type(None)) else repr(plain(value))


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Sortable copy: nested values as text, timestamps in UTC, rows in a canonical order."""
    out = frame.copy().reset_index(drop=True)
    floats = []
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[col] = pd.to_datetime(series, utc=True).astype("datetime64[us, UTC]")
        elif pd.api.types.is_float_dtype(series):
            floats.append(col)
        elif series.dtype == object and series.map(_nested).any():
            out[col] = series.map(lambda v: repr(plain(v)))
    keys = [c for c in out.columns if c not in floats]
    rounded = {f"_r_{c}": out[c].round(6) for c in floats}
    order = out.assign(**rounded).sort_values(
        keys + list(rounded), na_position="last", kind="stable"
    ).index
    return out.loc[order].reset_index(drop=True)


def _nested(value: Any) -> bool:
    return isinstance(value, list | tuple | dict | np.ndarray)


def assert_same_result(got: Any, expected: Any) -> None:
    """Every table of ``got`` equals the one of ``expected`` (sorted; floats within 1e-9)."""
    got_tables, want_tables = tables_of(got), tables_of(expected)
    assert list(got_tables) == list(want_tables)
    for name, want in want_tables.items():
        have = got_tables[name]
        assert list(have.columns) == list(want.columns), name
        assert len(have) == len(want), f"{name}: {len(have)} rows, expected {len(want)}"
        try:
            pd.testing.assert_frame_equal(
                _comparable(have), _comparable(want), check_dtype=False, rtol=RTOL, atol=ATOL
            )
        except AssertionError as exc:
            raise AssertionError(f"table {name!r} differs: {exc}") from None
    if hasattr(expected, "params"):
        assert plain(got.params) == plain(expected.params)
