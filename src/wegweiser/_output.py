"""Render results for the terminal: a rich table, CSV or JSON (a list of row objects)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

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
        if value.is_integer():
            return f"{value:,.0f}"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _looks_numeric(value: Any) -> bool:
    text = str(value)
    return bool(text) and (text[0].isdigit() or text[0] in "-+") and " " not in text.strip()


def print_frame(
    df: pd.DataFrame, fmt: Format, *, console: Console, title: str | None = None
) -> None:
    from wegweiser.analysis.result import table_records as records

    if fmt is Format.json:
        console.print_json(json.dumps(records(df), ensure_ascii=False, default=str))
    elif fmt is Format.csv:
        console.file.write(df.to_csv(index=False))
    else:
        _print_table(df, console, title)


#: a text column wider than this wraps at spaces instead of widening the table
_TEXT_WIDTH = 40
#: a text column is not squeezed below this (or its widest value, if narrower)
_TEXT_MIN = 12


def _print_table(df: pd.DataFrame, console: Console, title: str | None) -> None:
    """A rich table that fits the terminal: numbers never wrap (their column is as wide as
    the widest, its header wraps between words); text columns wrap, down to ``_TEXT_MIN``
    characters, before any column is left out; when even that does not fit, the leading
    columns that do are shown and the rest named (``--format csv`` shows all). Commands put
    the columns to read first (counts, reasons) before long ones (paths, payloads)."""
    from wegweiser.analysis.result import table_records as records

    rows = [[_cell(v) for v in row.values()] for row in records(df)]
    columns = list(df.columns)
    numeric = [_is_numeric(df[c]) for c in columns]
    widths = []  # (least, natural) width of each column's text
    for k, col in enumerate(columns):
        header = str(col).replace("_", " ")
        values = max((len(r[k]) for r in rows), default=0)
        word = max((len(w) for w in header.split()), default=1)
        if numeric[k]:
            least = natural = max(values, word)
        else:
            natural = min(max(values, len(header)), _TEXT_WIDTH)
            least = min(natural, max(_TEXT_MIN, word))
        widths.append((least, natural))
    shown = len(columns)
    while shown > 2 and _frame_width([w[0] for w in widths[:shown]]) > console.width:
        shown -= 1
    sizes = _share(widths[:shown], console.width - _frame_width([0] * shown))
    console.print(_table(rows, columns[:shown], numeric, sizes, title))
    hidden = [str(c) for c in columns[shown:]]
    if hidden:
        console.print(f"[dim]{len(hidden)} more column{'s' * (len(hidden) > 1)} "
                      f"({', '.join(hidden)}): --format csv shows every column.[/dim]",
                      highlight=False)


def _is_numeric(column: pd.Series) -> bool:
    return column.dtype.kind in "iuf" or (
        len(column) > 0 and bool(column.map(_looks_numeric).all()))


def _frame_width(widths: list[int]) -> int:
    """The table's width with columns of these text widths: a border and a space on each
    side of every cell."""
    return sum(widths) + 3 * len(widths) + 1


def _share(widths: list[tuple[int, int]], room: int) -> list[int]:
    """Text widths between (least, natural) that fill ``room``: every column starts at its
    least, the rest goes to those that want more, in proportion to what they lack.

    >>> _share([(5, 5), (12, 40), (12, 20)], 50)
    [5, 29, 16]
    """
    sizes = [least for least, _ in widths]
    spare = room - sum(sizes)
    want = [natural - least for least, natural in widths]
    if spare >= sum(want):
        return [natural for _, natural in widths]
    if spare > 0:
        total = sum(want)
        extra = [spare * w // total for w in want]
        for k in sorted(range(len(want)), key=lambda k: -(want[k] - extra[k])):
            if sum(extra) == spare:
                break
            if extra[k] < want[k]:
                extra[k] += 1
        sizes = [size + e for size, e in zip(sizes, extra, strict=True)]
    return sizes


def _table(rows: list[list[str]], columns: list[Any], numeric: list[bool], sizes: list[int],
           title: str | None) -> Table:
    table = Table(title=title, header_style="bold")
    for col, is_number, size in zip(columns, numeric, sizes, strict=False):
        table.add_column(str(col).replace("_", " "), overflow="fold", width=size,
                         justify="right" if is_number else "left")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row[:len(columns)]))  # data, not markup
    return table


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
            table.add_row(escape(key), escape(str(value)))
        console.print(table)


def duration_text(seconds: float) -> str:
    """A duration to read: ``2d 3h``, ``1h 5m``, ``4m 12s``, ``42s``, ``0.4s``.

    >>> duration_text(183_600), duration_text(3900), duration_text(252), duration_text(0.4)
    ('2d 3h', '1h 5m', '4m 12s', '0.4s')
    """
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 or seconds == int(seconds) else f"{seconds:.1f}s"
    units = (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1))
    parts, rest = [], round(seconds)
    for unit, size in units:
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for a person to read in a terminal table: shares as percentages, durations
    as ``2d 3h``, times to the second, ``n/a`` where a ratio has no value (csv and json keep
    the full values)."""
    import pandas as pd

    from wegweiser.present.i18n import column_kind

    out = frame.copy()
    seen: list[str] = []
    for col in list(out.columns):  # a column equal to an earlier one adds nothing to read
        if out[col].dtype.kind not in "fiuM" and any(out[col].equals(out[c]) for c in seen):
            out = out.drop(columns=col)
        else:
            seen.append(str(col))
    for col in out.columns:
        name, series = str(col), out[col]
        kind = column_kind(name)
        if series.dtype.kind == "f" and kind == "percent":
            out[col] = series.map(lambda v: "n/a" if pd.isna(v) else f"{v:.1%}")
        elif series.dtype.kind in "fi" and kind == "seconds":
            out[col] = series.map(lambda v: "n/a" if pd.isna(v) else duration_text(float(v)))
        elif series.dtype.kind == "M":
            out[col] = series.dt.strftime("%Y-%m-%d %H:%M:%S").where(series.notna(), "")
        elif series.dtype.kind == "f":
            out[col] = series.round(2)
    return out
