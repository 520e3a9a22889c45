"""``wegweiser report``: the HTML journey report."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wegweiser.commands._common import ProjectOpt, err, out

if TYPE_CHECKING:
    from wegweiser.project import Project


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

        started = time.perf_counter()
        with open_project(project) as proj:
            path = write_with_progress(proj, output, lang=lang.value)
        took = time.perf_counter() - started
        out.print(f"[green]Report written[/green] to {path} ({took:.1f} s)", highlight=False)
        out.print(f"  open it in a browser: {path.resolve().as_uri()}", highlight=False)


def write_with_progress(project: Project, output: Path | None = None, *, lang: str) -> Path:
    """Write the report with a progress bar on a terminal (the step it is at, e.g.
    ``attribution``; one line in a pipe) and return its path."""
    from wegweiser.report import write_report

    if not err.is_terminal:  # a log gets one line, so a long silence is no hang
        err.print("Writing the report ...", highlight=False)
        return write_report(project, output, lang=lang)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("Writing the report: {task.description}"), BarColumn(),
                  MofNCompleteColumn(), console=err, transient=True) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, step: str) -> None:
            bar.update(task, completed=done, total=total, description=step.replace("_", " "))

        return write_report(project, output, lang=lang, progress=progress)
