"""``wegweiser import-costs``: spend per date, channel and campaign (for ROAS, CPA, ROI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_mapping
from wegweiser.commands._common import ProjectOpt, out


def register(app: typer.Typer) -> None:
    @app.command("import-costs")
    def import_costs_command(
        files: Annotated[list[str], typer.Argument(help="Cost files or globs (CSV, Parquet).")],
        project: ProjectOpt = Path("."),
        mapping: Annotated[str | None, typer.Option(
            "--map", "-m", help="Rename your columns: cost=spend,date=day")] = None,
        input_format: Annotated[str | None, typer.Option(
            "--input-format", help="csv or parquet (default: from the file name).")] = None,
        as_json: Annotated[bool, typer.Option(
            "--json", help='Print {"imported", "replaced", "quarantined"}.')] = False,
    ) -> None:
        """Import spend per date, channel and optional campaign (columns date, channel,
        campaign, cost, currency).

        A file replaces the stored cost of every date/channel/campaign it contains (a
        repeated import never doubles spend); rows of one file with the same key add up.
        Bad rows (unparseable date, empty channel, missing/negative cost, bad currency) go
        to the quarantine with file, line and reason.
        """
        from wegweiser.project import open_project

        with open_project(project) as proj:
            summary = proj.import_costs(files, mapping=mapping, format=input_format)
        if as_json:
            print_mapping(summary.as_dict(), Format.json, console=out)
            return
        out.print(f"[green]Imported[/green] {summary.imported:,} cost rows "
                  f"(replaced {summary.replaced:,}), quarantined {summary.quarantined:,}")
        for e in summary.errors:
            out.print(f"  {e['source']}:{e['line']} {e['reason']}")
