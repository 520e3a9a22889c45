"""What every command shares: options, opening the project, printing a result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from wegweiser._output import Format, print_frame

if TYPE_CHECKING:
    from wegweiser.analysis.result import Result
    from wegweiser.project import Project

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ProjectOpt = Annotated[
    Path,
    typer.Option("--project", "-p", help="Project folder (default: current folder).",
                 file_okay=False),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output: table, csv or json.")]


def open_project(path: Path) -> Project:
    """The project at ``path`` (imported here, so that ``--help`` stays light)."""
    from wegweiser.project import open_project as open_

    return open_(path)


def show(
    result: Result, fmt: Format, *, table: str | None = None, title: str | None = None
) -> None:
    """Print one table of a result (default: its main table) as table, csv or json.

    ``--format json`` prints a list of row objects of that table.
    """
    frames = result.tables()
    frame = frames[table] if table else result.main
    if fmt is Format.json:
        from wegweiser.analysis.result import table_records as records

        out.file.write(json.dumps(records(frame), ensure_ascii=False) + "\n")
    else:
        print_frame(frame, fmt, console=out, title=title)
