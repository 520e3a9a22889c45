"""``wegweiser segments``: list, add, show, delete and export saved segments.

A segment is a file ``segments/<name>.toml`` in the project (see
:mod:`wegweiser.analysis.segments`); every analysis takes ``--segment NAME`` and
``--by-segment A,B``. Thin: it calls :class:`~wegweiser.project.Project` and prints.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame, print_mapping
from wegweiser.commands._common import FormatOpt, ProjectOpt, out
from wegweiser.errors import InvalidInput

app = typer.Typer(
    help="Saved segments (segments/<name>.toml): list, add, show, delete, export members. "
    "Use one in any analysis with --segment NAME or --by-segment A,B.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="The segment's name (letters, digits, - and _).")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Evaluate at this date or time (default: now); the end of "
                 "a --within window."),
]


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="segments")


@app.command("list")
def list_(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """Every saved segment: name, kind, rule, description."""
    import pandas as pd

    from wegweiser.project import open_project

    with open_project(project) as proj:
        rows = [s.summary() for s in proj.segments().values()]
    frame = pd.DataFrame(rows, columns=["name", "kind", "rule", "description"])
    print_frame(frame, fmt, console=out, title="Segments")


@app.command()
def add(
    name: NameArg,
    did: Annotated[list[str] | None, typer.Option(
        "--did", help="Did each of these events (comma list; repeatable).")] = None,
    did_not: Annotated[list[str] | None, typer.Option(
        "--did-not", help="Did none of these events (comma list; repeatable).")] = None,
    within: Annotated[str | None, typer.Option(
        "--within", help="Window of --did/--did-not before the moment of use: 14d, 12h.")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="Condition of the filter model, repeatable: 'trait:plan=pro'.")] = None,
    ids: Annotated[Path | None, typer.Option(
        "--ids", help="A CSV file of person ids (column person_id, else the first column).",
        exists=True, dir_okay=False)] = None,
    description: Annotated[str, typer.Option("--description", help="What it is for.")] = "",
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a segment of this "
                                          "name.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Save a segment: behaviour (--did/--did-not/--within), traits and other conditions
    (--where), or a static list (--ids FILE); all given parts must hold."""
    from pydantic import ValidationError

    from wegweiser.analysis.registry import describe
    from wegweiser.analysis.segments import Segment
    from wegweiser.project import open_project

    values = {
        "name": name, "description": description,
        "did": _commas(did), "did_not": _commas(did_not), "within": within,
        "where": list(where or []), "ids": read_ids(ids) if ids else [],
    }
    try:
        segment = Segment.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise InvalidInput(f"segment {name!r}: {describe(exc)}") from None
    with open_project(project) as proj:
        path = proj.save_segment(segment, replace=replace)
        count = len(proj.members(name))
    out.print(f"[green]saved[/green] {path} ({count:,} members now)")


@app.command()
def show(name: NameArg, project: ProjectOpt = Path("."), as_of: AsOfOpt = None,
         fmt: FormatOpt = Format.table) -> None:
    """The segment's definition and how many persons belong to it."""
    from wegweiser.project import open_project

    with open_project(project) as proj:
        segment = proj.segment(name)
        count = len(proj.members(name, as_of=_moment(as_of)))
    print_mapping({**segment.summary(), "members": count}, fmt, console=out,
                  title=f"Segment {name}")


@app.command()
def delete(name: NameArg, project: ProjectOpt = Path(".")) -> None:
    """Delete the segment's file."""
    from wegweiser.project import open_project

    with open_project(project) as proj:
        proj.delete_segment(name)
    out.print(f"[green]deleted[/green] segment {name}")


@app.command()
def export(
    name: NameArg,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the CSV here (default: standard output).",
        dir_okay=False)] = None,
    project: ProjectOpt = Path("."),
    as_of: AsOfOpt = None,
) -> None:
    """The members' person ids as CSV (one column, person_id, sorted)."""
    from wegweiser.project import open_project

    with open_project(project) as proj:
        frame = proj.members(name, as_of=_moment(as_of))
    if output is None:
        frame.to_csv(sys.stdout, index=False)
    else:
        frame.to_csv(output, index=False)
        out.print(f"[green]wrote[/green] {len(frame):,} person ids to {output}")


def read_ids(path: Path) -> list[str]:
    """The ids of a CSV file: its ``person_id`` column, else its first column."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise InvalidInput(f"{path} is empty; write one person id per line (header person_id)")
    header = [h.strip() for h in rows[0]]
    column = header.index("person_id") if "person_id" in header else 0
    body = rows[1:] if "person_id" in header or not _looks_like_id(header[0]) else rows
    ids = []
    for line, row in enumerate(body, start=2 if body is not rows else 1):
        if len(row) <= column or not row[column].strip():
            raise InvalidInput(f"{path}, line {line}: no person id in column {column + 1}")
        ids.append(row[column].strip())
    return ids


def _looks_like_id(text: str) -> bool:
    return text.lower() not in ("id", "ids", "user_id", "userid", "person", "persons")


def _commas(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    from wegweiser.analysis.params import parse_moment

    return parse_moment(text, what="--as-of")  # a date: the end of that day
