"""``wegweiser report`` (the HTML journey report) and ``wegweiser journey-map`` (its grid)."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format
from wegweiser.commands._common import FormatOpt, ProjectOpt, out, rounded, show


class Lang(StrEnum):
    de = "de"
    en = "en"


class Touchpoint(StrEnum):
    channel = "channel"
    event = "event"


class MapView(StrEnum):
    cells = "cells"
    phases = "phases"
    touchpoints = "touchpoints"
    top_events = "top_events"


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
        with open_project(project) as proj:
            path = write_report(proj, output, lang=lang.value)
        took = time.perf_counter() - started
        out.print(f"[green]Report written[/green] to {path} ({took:.1f} s)", highlight=False)
        out.print(f"  open it in a browser: {path.resolve().as_uri()}", highlight=False)

    @app.command("journey-map")
    def journey_map_command(
        project: ProjectOpt = Path("."),
        by: Annotated[
            Touchpoint, typer.Option(help="Touchpoint: the event's channel or its name.")
        ] = Touchpoint.channel,
        view: Annotated[MapView, typer.Option(help="What to show.")] = MapView.cells,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Phases x touchpoints: persons, events, conversion and satisfaction per cell.

        A cell holds the events of one phase and touchpoint (channel; NULL: "(none)").
        Conversion rate: the cell's persons with a conversion event at or after their first
        event in the cell (the same instant counts). Satisfaction: mean of the survey answers
        (feedback events; NPS x 10, CSAT (score - 1) x 25, so 0-100) the cell's persons gave
        at or after that time; empty without answers. Views: cells, phases and touchpoints
        (totals counting each person once), top_events (most frequent events per cell).
        """
        from wegweiser.analysis.journey_map import journey_map
        from wegweiser.project import open_project

        with open_project(project) as proj:
            result = journey_map(proj.journey(), phases=proj.config.phase_names, by=by.value,
                                 feedback=proj.config.feedback)
        show(rounded(result, fmt), fmt, table=view.value)
