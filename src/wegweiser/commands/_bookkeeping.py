"""``wegweiser imports`` and ``wegweiser identities``: the import history (list, undo) and
the identity links (merges, lookup); registered by ``cli.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt, open_project, out
from wegweiser.errors import WegweiserError

imports_app = typer.Typer(
    help="Import history: list imports (files, collector batches), undo one.",
    no_args_is_help=True,
)
identities_app = typer.Typer(
    help="Identity stitching: merges of ids into persons.", no_args_is_help=True
)


@imports_app.command("list")
def imports_list(
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    limit: Annotated[int, typer.Option(help="Show at most this many imports.")] = 50,
    active: Annotated[
        bool, typer.Option("--active", help="Leave out undone imports.")
    ] = False,
) -> None:
    """Imports, newest first: id, kind, source, counts, and when undone."""
    with open_project(project) as proj:
        df = proj.imports(limit=limit, undone=not active)
        if fmt is Format.table:
            import pandas as pd

            undone = df["undone_at"].dt.strftime("%Y-%m-%d %H:%M").fillna("")
            df = pd.DataFrame({  # the counts before the long columns (narrow terminals)
                "id": df["import_id"].str.slice(0, 8),
                "kind": df["kind"],
                "rows": df["n_rows"],
                "imported": df["n_imported"],
                "dups": df["n_duplicates"],
                "quarantined": df["n_quarantined"],
                "source": df["source"],
                "started": df["started_at"].dt.strftime("%Y-%m-%d %H:%M"),
                **({"undone": undone} if undone.ne("").any() else {}),
            })
        print_frame(df, fmt, console=out, title="Imports")


@imports_app.command("undo")
def imports_undo(
    import_id: Annotated[str, typer.Argument(help="Import id (or its first characters).")],
    project: ProjectOpt = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print what was removed as JSON.")] = (
        False
    ),
) -> None:
    """Undo an import: its events and quarantined rows go, identities are resolved again and
    derived tables are rebuilt on next use. Atomic."""
    with open_project(project) as proj:
        undone = proj.undo_import(import_id)
        if as_json:
            out.file.write(json.dumps(
                {"import_ids": undone.import_ids, "events": undone.events,
                 "quarantined": undone.quarantined}) + "\n")
            return
        out.print(f"[green]undone[/green] {undone.import_ids[0][:12]}: removed "
                  f"{undone.events:,} events and {undone.quarantined:,} quarantined rows")


@identities_app.command("merges")
def identities_merges(
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    status: Annotated[str | None, typer.Option(help="merged or refused")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many rows.")] = 50,
) -> None:
    """Links between ids (a row with both ids, identify, alias) and whether they merged."""
    with open_project(project) as proj:
        print_frame(
            proj.merges(limit=limit, status=status), fmt, console=out, title="Identity links"
        )


@identities_app.command("lookup")
def identities_lookup(
    any_id: Annotated[str, typer.Argument(help="An anonymous id or user id.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Print the person_id an id belongs to."""
    with open_project(project) as proj:
        person = proj.person_of(any_id)
        if person is None:
            raise WegweiserError(f"id {any_id!r} is not in the store")
        out.print(person)
