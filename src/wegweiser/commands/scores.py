"""``wegweiser scores``: refit the prediction models and show the stored scores.

``wegweiser scores refit`` fits ``propensity`` and ``churn`` on the whole journey and keeps
each person's score in the store, and each person's next-best offers (``recommend``, read by
journey templates as ``recommendations``) (:mod:`wegweiser.project_scores`); run it on a schedule
(cron: ``15 3 * * * wegweiser scores refit -p /srv/shop``). The stored scores are what the
filter ``--where 'score:churn>0.7'``, segments and journeys read. Thin: it calls
:class:`~wegweiser.project.Project` and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt, out

app = typer.Typer(
    help="Predicted scores per person (propensity, churn) and next-best offers: refit them "
    "(on a schedule, e.g. cron) and show them. Filter with --where 'score:churn>0.7'.",
    no_args_is_help=True,
)


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="scores")


@app.command()
def refit(
    model: Annotated[list[str] | None, typer.Option(
        "--model", help="propensity, churn or recommend (repeatable; default: all).")] = None,
    horizon_days: Annotated[int, typer.Option(
        "--horizon-days", min=1, max=365, help="The prediction window N in days.")] = 14,
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Fit the models on the whole journey and store every person's score (with the model
    version and the day it describes) and next-best offers; prints AUC and calibration
    error per model, recall of the offers against the most popular products."""
    from wegweiser.project import open_project

    with open_project(project) as proj:
        summary = proj.refit_scores(model or None, horizon_days=horizon_days)
    print_frame(summary, fmt, console=out, title="Scores refitted")


@app.command()
def show(
    model: Annotated[str | None, typer.Option(
        "--model", help="propensity or churn (default: both).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Rows to show (0: all).")] = 20,
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """The stored scores, highest first: person_id, model, score, version, scored_at."""
    from wegweiser.project import open_project

    with open_project(project) as proj:
        frame = proj.scores(model)
    frame = frame.sort_values(["model", "score", "person_id"], ascending=[True, False, True],
                              ignore_index=True)
    print_frame(frame.head(limit) if limit else frame, fmt, console=out, title="Scores")
