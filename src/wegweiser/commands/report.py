"""``wegweiser report``: the HTML journey report."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser.commands._common import ProjectOpt, err, out


class Lang(StrEnum):
    de = "de"
    en = "en"


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_command(
        project: ProjectOpt = Path("."),
        output: Annotated[
            Path | None,
            typer.Option("--out", "-o", dir_okay=False,
                         help="HTML file to write (default: PROJECT/report-LANG.html)."),
        ] = None,
        lang: Annotated[Lang, typer.Option(help="Language of the report: de or en.")] = Lang.en,
    ) -> None:
        """Write the journey report: one self-contained HTML file that works offline.

        Sections: overview KPIs (persons, conversion rate, revenue, average order value,
        repeat-purchase rate, NPS, CSAT), the journey map (phases x channels: persons,
        conversion at or after the first contact there, satisfaction from survey answers
        given from then on), the phase flow, a funnel with drop-offs, top paths, attribution
        models side by side (with ROAS when costs are imported; paths, not incrementality),
        retention cohorts and data quality. Sections without data say so.
        """
        from wegweiser.project import open_project
        from wegweiser.report import write_report

        started = time.perf_counter()
        with open_project(project) as proj, err.status("Writing the report ...", spinner="dots"):
            path = write_report(proj, output, lang=lang.value)  # a spinner on a terminal only
        took = time.perf_counter() - started
        out.print(f"[green]Report written[/green] to {path} ({took:.1f} s)", highlight=False)
        out.print(f"  open it in a browser: {path.resolve().as_uri()}", highlight=False)
