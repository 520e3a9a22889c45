"""``wegweiser conversion``: conversion rate and what it takes to convert."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format
from wegweiser.commands._common import (
    FormatOpt,
    ProjectOpt,
    parse_duration,
    rounded,
    show,
    split_list,
)


class ConversionView(StrEnum):
    summary = "summary"
    takes = "takes"
    mix = "mix"
    distribution = "distribution"


_TABLES = {
    ConversionView.summary: "summary", ConversionView.takes: "what_it_takes",
    ConversionView.mix: "by_channel_mix", ConversionView.distribution: "distribution",
}


def register(app: typer.Typer) -> None:
    @app.command("conversion")
    def conversion_command(
        project: ProjectOpt = Path("."),
        events: Annotated[
            str | None,
            typer.Option(help="Conversion events, comma-separated (default: the project's "
                              "conversion_events)."),
        ] = None,
        lookback: Annotated[
            str | None,
            typer.Option(help="Only count touchpoints this long before the conversion, "
                              "e.g. 30d (default: all)."),
        ] = None,
        view: Annotated[
            ConversionView, typer.Option(help="What to show.")
        ] = ConversionView.summary,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Conversion rate, and what it takes to convert (touchpoints, channels, days).

        Rate: persons with a conversion event / all persons. "What it takes" looks at each
        person's first conversion (events at the same time: message id order) and counts
        the events strictly before it, on all the person's devices (with --lookback: no
        earlier than that before it, the edge included): touchpoints, distinct channels,
        sessions up to the converting one, days from the first counted touchpoint. Mix:
        persons who met a channel before converting (or ever, if they never converted)
        against those who did not.
        """
        from wegweiser.analysis.conversion import conversion
        from wegweiser.project import open_project

        names = split_list(events) or None
        window = None if lookback is None else parse_duration(lookback, what="--lookback")
        with open_project(project) as proj:
            result = conversion(proj.journey(), events=names, lookback=window)
        show(rounded(result, fmt), fmt, table=_TABLES[view])
