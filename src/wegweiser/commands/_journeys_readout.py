"""``wegweiser journeys readout`` and ``wegweiser journeys best-time``: what the journeys
did (uplift against the holdout) and when a person is best reached."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt
from wegweiser.commands._journeys_base import StateOpt, out
from wegweiser.errors import InvalidInput


def readout_(
    name: Annotated[str | None, typer.Argument(help="The journey.")] = None,
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    state: StateOpt = None,
    window: Annotated[str, typer.Option(help="Conversion window after entry.")] = "14d",
    by: Annotated[str, typer.Option(
        help="journey: one readout; variant: one per variant of its random splits.")
    ] = "journey",
    control_group: Annotated[bool, typer.Option(
        "--control-group", help="The global control group across all journeys instead.")
    ] = False,
) -> None:
    """A journey's effect: entrants, holdout, conversion (the journey's goal) and revenue
    per person, the uplift against its holdout with an always-valid 95% interval (watching
    daily does not inflate false wins), messages per step and the send-time experiment.
    See docs/journeys.md, Readouts."""
    import pandas as pd

    from wegweiser.analysis.params import duration
    from wegweiser.orchestrate.readouts import project_readout
    from wegweiser.project import open_project

    if by not in ("journey", "variant"):
        raise InvalidInput(f"--by is journey or variant, not {by!r}")
    with open_project(project) as proj:
        result = project_readout(proj, name, by=by,  # type: ignore[arg-type]
                                 control_group=control_group, state=state,
                                 window=duration(window) or pd.Timedelta(days=14))
    title = "Global control group" if control_group else f"Journey {name}"
    if fmt is Format.json:
        import orjson

        typer.echo(orjson.dumps(result.to_dict(), default=str).decode())
        return
    print_frame(result.summary, fmt, console=out, title=f"{title}: readout")
    if not control_group:
        print_frame(result.steps, fmt, console=out, title="Messages per step")
        if not result.send_time.empty:
            print_frame(result.send_time, fmt, console=out, title="Send time: best vs fallback")
    for note in result.notes:
        out.print(note)


def best_time_(
    person: Annotated[str, typer.Argument(help="Any of the person's ids.")],
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    channel: Annotated[str, typer.Option(help="The channel to send on.")] = "email",
    now: Annotated[str | None, typer.Option(
        help="From when (ISO time with zone; default: now).")] = None,
) -> None:
    """A person's best send time within the next 24 hours on a channel, learned from
    engagement (opens, clicks, sessions) with the population or their persona as the prior,
    outside the quiet hours (docs/journeys.md, Best send time)."""
    from datetime import UTC, datetime

    import pandas as pd

    from wegweiser.analysis.result import to_frame
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_delivery
    from wegweiser.orchestrate.person import Person
    from wegweiser.orchestrate.policy import person_zone
    from wegweiser.orchestrate.sendtime import best_send_time
    from wegweiser.orchestrate.sendtime_fit import fit_send_time
    from wegweiser.orchestrate.settings import Delivery
    from wegweiser.project import open_project

    folder = project / JOURNEYS_DIR
    delivery = load_delivery(folder) if folder.is_dir() else Delivery()
    try:
        start = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except ValueError as exc:
        raise InvalidInput(f"--now is an ISO time like 2026-06-01T09:00:00+02:00, not "
                           f"{now!r}") from exc
    if start.tzinfo is None:
        raise InvalidInput(f"--now needs a time zone, e.g. {now}+00:00")
    with open_project(project) as proj:
        pid = proj.person_of(person)
        if pid is None:
            raise InvalidInput(f"no person has the id {person!r}; `wegweiser person --help` "
                               "finds persons by any id or email")
        zones = to_frame(proj.traits(delivery.timezone_trait))
        model = fit_send_time(proj, delivery=delivery, now=start)
    mine = zones[zones["person_id"].astype(str) == str(pid)]
    traits = {} if mine.empty else {delivery.timezone_trait: mine.iloc[0, 1]}
    who = Person(str(pid), traits=traits)
    at = best_send_time(who, channel, start, model=model, delivery=delivery)
    zone = person_zone(who, delivery)
    frame = pd.DataFrame([{"person_id": str(pid), "channel": channel,
                           "history": model.known(str(pid), channel),
                           "best_time_local": at.astimezone(zone).isoformat(),
                           "best_time_utc": at.isoformat(), "time_zone": str(zone)}])
    print_frame(frame, fmt, console=out, title="Best send time")
