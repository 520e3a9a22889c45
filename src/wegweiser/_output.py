"""Render results for the terminal: a rich table, CSV or JSON (a list of row objects)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.table import Table

from wegweiser.analysis.result import table_records as records

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _cell(value: Any) -> str:
    """A table cell: floats rounded for reading (csv and json keep full precision)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"
    return str(value)


def print_frame(
    df: pd.DataFrame, fmt: Format, *, console: Console, title: str | None = None
) -> None:
    if fmt is Format.json:
        console.print_json(json.dumps(records(df), ensure_ascii=False, default=str))
    elif fmt is Format.csv:
        console.file.write(df.to_csv(index=False))
    else:
        table = Table(title=title, header_style="bold")
        for col in df.columns:
            numeric = df[col].dtype.kind in "iuf"
            table.add_column(str(col), overflow="fold", justify="right" if numeric else "left")
        for row in records(df):
            table.add_row(*(_cell(v) for v in row.values()))
        console.print(table)


def print_mapping(
    data: dict[str, Any], fmt: Format, *, console: Console, title: str | None = None
) -> None:
    if fmt is Format.json:
        console.print_json(json.dumps(data, ensure_ascii=False, default=str))
    elif fmt is Format.csv:
        console.file.write("key,value\n")
        for key, value in data.items():
            console.file.write(f"{key},{json.dumps(value) if isinstance(value, dict) else value}\n")
    else:
        table = Table(title=title, show_header=False)
        table.add_column(style="bold")
        table.add_column(justify="right")
        for key, value in data.items():
            if isinstance(value, dict):
                value = ", ".join(
                    f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}" for k, v in value.items()
                )
            elif isinstance(value, int):
                value = f"{value:,}"
            table.add_row(key, str(value))
        console.print(table)
