"""``wegweiser audit`` (read the audit log) and ``wegweiser consent set`` (record a
person's consent categories). Thin: they call :mod:`wegweiser.audit` and
:class:`~wegweiser.project.Project` and print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt, out
from wegweiser.errors import InvalidInput

consent_app = typer.Typer(help="Consent categories of persons (docs/privacy.md).",
                          no_args_is_help=True)


def register(app_: typer.Typer) -> None:
    app_.command("audit")(audit_)
    app_.add_typer(consent_app, name="consent")


def audit_(
    project: ProjectOpt = Path("."),
    actor: Annotated[str | None, typer.Option(help="Only this actor (user, token:<id>, "
                                                   "cli:<user>).")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action or pattern, e.g. "
                                                    "person_view or 'journey_*'.")] = None,
    target: Annotated[str | None, typer.Option(help="Only this target (person id, "
                                                    "journey, export).")] = None,
    since: Annotated[str | None, typer.Option(help="From this date or ISO time (UTC), "
                                                   "inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="Before this date or ISO time (UTC).")
                     ] = None,
    limit: Annotated[int, typer.Option(min=1, help="The newest N entries.")] = 200,
    fmt: FormatOpt = Format.table,
) -> None:
    """Read the audit log: log-ins, person views, downloads, consent, settings and journey
    changes, refusals (oldest first)."""
    import pandas as pd

    from wegweiser import audit

    entries = audit.read(project, actor=actor, action=action, target=target, since=since,
                         until=until, limit=limit)
    columns = ["at", "actor", "action", "target", "surface", "detail"]
    frame = pd.DataFrame(
        [{**e.to_dict(), "detail": ", ".join(f"{k}={v}" for k, v in e.detail.items())}
         for e in entries], columns=columns)
    print_frame(frame, fmt, console=out, title="Audit log")


def _categories(items: list[str]) -> dict[str, bool]:
    from wegweiser.events.consent import flag

    found: dict[str, bool] = {}
    for item in items:
        name, sep, value = item.partition("=")
        known = flag(value)
        if not sep or not name.strip() or known is None:
            raise InvalidInput(f"--category {item!r}: write CATEGORY=true or CATEGORY=false, "
                               "e.g. --category Marketing=false")
        found[name.strip()] = known
    return found


@consent_app.command("set")
def consent_set(
    person: Annotated[str, typer.Argument(help="A user id or anonymous id of the person.")],
    category: Annotated[list[str], typer.Option(
        help="CATEGORY=true|false, repeatable (Segment's categoryPreferences), e.g. "
             "Marketing=false.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Record consent categories for a person (an event; the journeys engine honours it per
    channel, latest statement wins)."""
    from wegweiser import audit
    from wegweiser.project import open_project

    categories = _categories(category)
    with open_project(project) as proj:
        proj.set_consent(person, categories, source="cli")
    audit.record(project, actor=audit.cli_actor(), action="consent", target=person,
                 surface="cli", detail=categories)
    out.print(f"Consent of {person} recorded: "
              + ", ".join(f"{k}={'true' if v else 'false'}" for k, v in categories.items()))
