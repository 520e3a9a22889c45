"""What the ``wegweiser journeys`` commands share: the console, the ``--state`` option,
reading the journey files, recording an audit entry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.settings import Delivery

out = Console(soft_wrap=True)

StateOpt = Annotated[
    str | None,
    typer.Option("--state", help="State store: a postgresql:// URL for several workers "
                 "(default: WEGWEISER_JOURNEYS_STATE, else journeys.sqlite in the project)."),
]


def read_journeys(project: Path) -> tuple[list[Journey], Delivery]:
    """The journeys in PROJECT/journeys/ and the delivery settings, validated."""
    from wegweiser.config import load_config
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys

    folder = project / JOURNEYS_DIR
    if not folder.is_dir():
        raise InvalidInput(f"{folder} does not exist; put journey files (*.toml) there "
                           "(docs/journeys.md has an example)")
    return load_journeys(folder, phases=load_config(project).phase_names)


def record(project: Path, action: str, target: str, **detail: str | int) -> None:
    """An audit entry of a journeys command (surface ``cli``)."""
    from wegweiser import audit

    audit.record(project, actor=audit.cli_actor(), action=action, target=target,
                 surface="cli", detail=detail or None)
