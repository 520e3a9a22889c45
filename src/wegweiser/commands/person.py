"""``wegweiser person ID``: one person's journey; ``--search TEXT`` finds persons.

The same as ``GET /api/v1/persons/{id}`` and the dashboard's person page: the summary,
stitched ids, devices, phases over time, the timeline of every touchpoint, conversions,
feedback, message events and the journeys' send ledger (definitions:
:mod:`wegweiser.analysis.person`). Thin: it calls :meth:`~wegweiser.project.Project.person`
and prints.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame, print_mapping, readable
from wegweiser.commands._common import FormatOpt, ProjectOpt, out
from wegweiser.errors import InvalidInput


class View(StrEnum):
    all = "all"
    summary = "summary"
    timeline = "timeline"
    ids = "ids"
    devices = "devices"
    phases = "phases"
    conversions = "conversions"
    feedback = "feedback"
    messages = "messages"
    sends = "sends"
    traits = "traits"


def register(app: typer.Typer) -> None:
    app.command("person")(person)


def person(
    any_id: Annotated[str | None, typer.Argument(
        metavar="ID", help="A person_id, any stitched anonymous or user id, or an email.")
    ] = None,
    search: Annotated[str | None, typer.Option(
        "--search", "-s", help="Find persons by id or email (else ids starting with it).")
    ] = None,
    view: Annotated[View, typer.Option(
        "--view", help="Which table: all (default), summary, timeline, ids, devices, phases, "
        "conversions, feedback, messages, sends, traits.")] = View.all,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, max=100_000, help="At most this many touchpoints on the timeline "
        "(the latest).")] = 5_000,
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """One person's journey: ids and devices, phases over time, every touchpoint, conversions,
    feedback and messages. ``--format json`` with the default view prints what the API's
    ``/api/v1/persons/{id}`` answers."""
    from wegweiser.analysis.result import jsonable
    from wegweiser.orchestrate.operations import person_sends
    from wegweiser.project import open_project

    if (any_id is None) == (search is None):
        raise InvalidInput("give a person's ID or --search TEXT (one of them)")
    with open_project(project) as proj:
        if search is not None:
            print_frame(proj.find_persons(search), fmt, console=out, title="Persons")
            return
        assert any_id is not None
        journey = proj.person(any_id, limit=limit)
        journey = journey.with_sends(person_sends(proj.path, journey.person_id))
    tables = journey.tables()
    if view is View.summary and fmt is Format.table:
        view = View.all  # the summary as name and value, then nothing else
        tables = {"summary": tables["summary"]}
    if view is not View.all:
        frame = tables[view.value]
        print_frame(frame if fmt is not Format.table else readable(frame), fmt, console=out,
                    title=view.value)
        return
    if fmt is Format.json:
        payload = {"person_id": journey.person_id,
                   "tables": {name: jsonable(frame) for name, frame in tables.items()},
                   "notes": [journey.note] if journey.note else []}
        out.file.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    if fmt is Format.csv:
        raise InvalidInput("CSV holds one table: add --view timeline (or summary, ids, ...)")
    summary = jsonable(journey.summary).pop()
    print_mapping(summary, Format.table, console=out, title=f"Person {journey.person_id}")
    for name, frame in tables.items():
        if name != "summary" and len(frame):
            print_frame(readable(frame), Format.table, console=out, title=name)
    if journey.note:
        more = "" if journey.withheld else "; --limit shows more"
        out.print(f"[dim]{journey.note}{more}[/dim]", highlight=False)
