"""``wegweiser phases``: phases now and over time, transitions, dwell, loops, stuck persons."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format
from wegweiser.commands._common import FormatOpt, ProjectOpt, show, split_list
from wegweiser.errors import InvalidInput


class PhasesView(StrEnum):
    current = "current"
    over_time = "over-time"
    transitions = "transitions"
    dwell = "dwell"
    nonlinear = "nonlinear"
    stuck = "stuck"
    episodes = "episodes"


class PeriodUnit(StrEnum):
    day = "day"
    week = "week"
    month = "month"


def parse_moment(text: str, *, what: str = "--as-of") -> datetime:
    """An ISO date or date-time; a bare date means the end of that day (UTC).

    >>> parse_moment("2026-10-31").isoformat()
    '2026-10-31T23:59:59.999999+00:00'
    """
    from wegweiser.analysis.phases import utc

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"cannot read {what} {text!r}; write a date like 2026-10-31 or a time like "
            "2026-10-31T18:00:00Z"
        ) from None
    if len(text.strip()) == 10:
        moment += timedelta(days=1, microseconds=-1)
    return utc(moment)


def register(app: typer.Typer) -> None:
    @app.command("phases")
    def phases_command(
        project: ProjectOpt = Path("."),
        view: Annotated[PhasesView, typer.Option(help="What to show.")] = PhasesView.current,
        period: Annotated[
            PeriodUnit, typer.Option(help="Periods of --view over-time (UTC, weeks from Monday).")
        ] = PeriodUnit.week,
        stuck_days: Annotated[
            float | None,
            typer.Option(min=0, help="Stuck: in the current phase for more than N days "
                                     "(default: the project's windows.stuck_days)."),
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option(help="Look at the data as of this date/time (events after it are "
                              "ignored; a date means the end of that day). Default: the "
                              "latest event."),
        ] = None,
        person: Annotated[
            str | None, typer.Option(help="--view episodes: only these persons (comma-separated).")
        ] = None,
        limit: Annotated[
            int, typer.Option(min=0, help="Rows of --view episodes and stuck (0: all).")
        ] = 50,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Phases: where persons are now and over time, how they move, how long they stay.

        Each event gets the first phase (config order) whose patterns match it; events
        without a phase are skipped. A person's phase events are ordered by time; at the
        same time the later phase counts as later, then message id. An episode is a run of
        consecutive events in one phase; it ends when the next episode starts (the last,
        open one: at the person's last event). Current phase: the phase of the last
        episode. Transitions: moves between episodes, forward or backward (a regression),
        skipped = phases jumped. Dwell: end - start of closed episodes (open ones apart,
        measured to --as-of). Non-linear: a regression, a loop (a phase in two episodes)
        or a skipped phase. Stuck: the current episode started more than --stuck-days
        before --as-of. Over time: persons per current phase at each period's end.
        """
        from wegweiser.analysis.phases import phase_analysis, phase_timeline
        from wegweiser.project import open_project

        moment = None if as_of is None else parse_moment(as_of)
        with open_project(project) as proj:
            journey, phases = proj.journey(), list(proj.config.phases)
            if moment is not None:
                journey = journey.filter(journey.timestamp <= moment)
            if view is PhasesView.episodes:
                persons = split_list(person) or None
                show(phase_timeline(journey, phases, persons=persons, limit=limit or None), fmt)
                return
            days = proj.config.windows.stuck_days if stuck_days is None else stuck_days
            result = phase_analysis(journey, phases, as_of=moment, stuck_days=days,
                                    period=period.value)
        if view is PhasesView.stuck and limit:
            result = dataclasses.replace(result, stuck=result.stuck.head(limit))
        show(result, fmt, table=view.value.replace("-", "_"))
