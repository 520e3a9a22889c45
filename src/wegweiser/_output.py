"""Render results for the terminal: a rich table, CSV or JSON (a list of row objects)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


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
            table.add_column(str(col), overflow="fold")
        for row in records(df):
            table.add_row(*("" if v is None else str(v) for v in row.values()))
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
