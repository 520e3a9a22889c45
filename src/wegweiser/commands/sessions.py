"""``wegweiser sessions``: visits split by inactivity, across devices."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_mapping
from wegweiser.commands._common import FormatOpt, ProjectOpt, out, parse_duration, rounded, show


class SessionsView(StrEnum):
    summary = "summary"
    channels = "channels"
    devices = "devices"
    durations = "durations"
    sessions = "sessions"


_TABLES = {
    SessionsView.summary: "summary", SessionsView.channels: "by_channel",
    SessionsView.devices: "by_device", SessionsView.durations: "durations",
    SessionsView.sessions: "sessions",
}


def register(app: typer.Typer) -> None:
    @app.command("sessions")
    def sessions_command(
        project: ProjectOpt = Path("."),
        gap: Annotated[
            str | None,
            typer.Option(help="Inactivity that ends a session, e.g. 30m, 1h (default: the "
                              "project's windows.session_gap_minutes)."),
        ] = None,
        view: Annotated[
            SessionsView, typer.Option(help="What to show.")
        ] = SessionsView.summary,
        limit: Annotated[
            int, typer.Option(min=1, help="Rows of --view sessions (earliest first).")
        ] = 20,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Sessions: counts, durations, events per session, by entry channel and device.

        A session is one person's run of events (on any device) with no pause longer than
        the gap; a pause exactly as long as the gap stays in the session. Events at the
        same time are ordered by message id. Duration: first to last event of the session
        (one event: 0 s). Bounce: a session of one event. Entry channel/device: those of
        the session's first event.
        """
        from wegweiser.analysis.sessions import sessions
        from wegweiser.project import open_project

        delta = None if gap is None else parse_duration(gap, what="--gap")
        with open_project(project) as proj:
            result = sessions(
                proj.journey(), gap=delta, limit=limit if view is SessionsView.sessions else 0
            )
        if view is SessionsView.summary and fmt is Format.table:
            from wegweiser.analysis.result import table_records as records

            row = records(result.summary)[0]
            print_mapping(
                {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()},
                fmt, console=out, title="Sessions",
            )
            return
        show(rounded(result, fmt), fmt, table=_TABLES[view])

