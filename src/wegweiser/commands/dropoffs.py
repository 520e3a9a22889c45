"""``wegweiser dropoffs``: persons lost per phase, where they went, loops as pain points."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format
from wegweiser.commands._common import FormatOpt, ProjectOpt, show


class DropoffsView(StrEnum):
    phases = "phases"
    instead = "instead"
    loops = "loops"


_TABLES = {DropoffsView.phases: "by_phase", DropoffsView.instead: "where_instead",
           DropoffsView.loops: "loops"}


def register(app: typer.Typer) -> None:
    @app.command("dropoffs")
    def dropoffs_command(
        project: ProjectOpt = Path("."),
        view: Annotated[DropoffsView, typer.Option(help="What to show.")] = DropoffsView.phases,
        by: Annotated[
            str | None,
            typer.Option(help="Break loops down by device, channel, platform, country, "
                              "source, medium or campaign."),
        ] = None,
        top: Annotated[
            int | None,
            typer.Option(min=1, help="Rows per phase of --view instead (default 5) and loops "
                                     "shown (default 10)."),
        ] = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Drop-offs per phase, where the lost persons went instead, loops ranked as pain points.

        Reached: a person with an event in the phase. Progressed: at or after their first
        event in it (the same instant counts) an event of a later phase or a conversion;
        the rest are lost (nothing comes after the last phase). Instead: the lost persons'
        last event in the phase and the event right after it ((end): none). Loop: an event
        two or more times in one session (retries x -> x, cycles x -> y -> x); its persons
        convert (in or after that session) vs the others who reached the event's phase
        (from their first session in it): lift = difference of the rates, score = persons
        x max(0, -lift), rank 1 = highest score.
        """
        from wegweiser.analysis.dropoffs import dropoffs
        from wegweiser.project import open_project

        with open_project(project) as proj:
            result = dropoffs(proj.journey(), list(proj.config.phases), by=by,
                              top=top or 5)
        if view is DropoffsView.loops:
            result = dataclasses.replace(result, loops=result.loops.head(top or 10))
        show(result, fmt, table=_TABLES[view])
