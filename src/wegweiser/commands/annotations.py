"""``wegweiser annotations``: list, add and delete the marked dates of the trend charts.

The annotations are the project's file ``annotations.toml`` (see
:mod:`wegweiser.analysis.annotations`); ``wegweiser trends`` and the dashboard's overview
show them. Thin: it calls :class:`~wegweiser.project.Project` and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt, out
from wegweiser.errors import InvalidInput

app = typer.Typer(
    help="Marked dates on the trend charts (annotations.toml): campaign launches, fixes, "
    "releases. List, add, delete.",
    no_args_is_help=True,
)

DateArg = Annotated[str, typer.Argument(help="The day (UTC), e.g. 2026-10-01.")]


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="annotations")


@app.command("list")
def list_(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """Every annotation: date, kind, text and where it comes from."""
    import pandas as pd

    from wegweiser.project import open_project

    with open_project(project) as proj:
        rows = [{"date": a.date.isoformat(), "kind": a.kind, "text": a.text, "source": a.source}
                for a in proj.annotations()]
    frame = pd.DataFrame(rows, columns=["date", "kind", "text", "source"])
    print_frame(frame, fmt, console=out, title="Annotations")


@app.command()
def add(
    date: DateArg,
    text: Annotated[str, typer.Argument(help="What happened (up to 200 characters).")],
    kind: Annotated[str, typer.Option(
        "--kind", help="campaign, fix, release, note, ... (letters, digits, - and _).")] = "note",
    project: ProjectOpt = Path("."),
) -> None:
    """Mark a date: it shows as a dotted line on the trend charts."""
    from wegweiser.analysis.annotations import Annotation
    from wegweiser.analysis.registry import describe
    from wegweiser.project import open_project

    try:
        item = Annotation.model_validate({"date": date, "text": text, "kind": kind})
    except ValidationError as exc:
        raise InvalidInput(f"annotation: {describe(exc)}") from None
    with open_project(project) as proj:
        proj.add_annotation(item)
    out.print(f"[green]added[/green] {item.date} {item.kind}: {item.text}")


@app.command()
def delete(
    date: DateArg,
    text: Annotated[str | None, typer.Argument(
        help="Only the annotation with this text (default: all of that day).")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Remove the annotations of a day from annotations.toml."""
    from wegweiser.project import open_project

    with open_project(project) as proj:
        gone = proj.delete_annotation(date, text)
    for item in gone:
        out.print(f"[green]deleted[/green] {item.date} {item.kind}: {item.text}")
