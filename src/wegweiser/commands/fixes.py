"""``wegweiser fixes``: add, list, check and delete watched fixes.

A fix is a file ``fixes/<name>.toml`` in the project (see :mod:`wegweiser.analysis.fixes`);
``check`` recomputes its effect from the current store (the analysis ``fix_effects``), so
running it again later keeps watching. Thin: it calls :class:`~wegweiser.project.Project`
and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt, out, show
from wegweiser.errors import InvalidInput

app = typer.Typer(
    help="Watched fixes (fixes/<name>.toml): add one (date, touchpoint, metric, note), list "
    "them, check whether they worked (interrupted time series and difference-in-differences), "
    "delete one.",
    no_args_is_help=True,
)

SHOWN = ["fix", "date", "rate_before", "rate_after", "verdict", "method"]
NameArg = Annotated[str, typer.Argument(help="The fix's name (letters, digits, - and _).")]
Conditions = Annotated[list[str] | None, typer.Option(
    help="Condition of the filter model, repeatable: 'event=checkout_payment'.")]


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="fixes")


@app.command("list")
def list_(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """Every fix: name, date, time, touchpoint, its conditions, metric, note."""
    import pandas as pd

    from wegweiser.project import open_project

    with open_project(project) as proj:
        rows = [f.summary() for f in proj.fixes().values()]
    frame = pd.DataFrame(rows, columns=["name", "date", "time", "touchpoint", "where", "metric",
                                        "note"])
    print_frame(frame, fmt, console=out, title="Fixes")


@app.command()
def add(
    name: NameArg,
    date: Annotated[str, typer.Option("--date", help="The day the fix went live (UTC), "
                                      "e.g. 2026-10-01.")],
    touchpoint: Annotated[str, typer.Option("--touchpoint", help="The touchpoint's name, "
                                            "e.g. 'mobile payment'.")],
    where: Conditions = None,
    time: Annotated[str | None, typer.Option("--time", help="The time of day (UTC) it went "
                                             "live, e.g. 14:30; that day is left out.")] = None,
    metric: Annotated[str, typer.Option("--metric", help="friction (share of persons at the "
                                        "touchpoint hitting --friction) or conversion.")]
    = "friction",
    friction: Conditions = None,
    control: Conditions = None,
    note: Annotated[str, typer.Option("--note", help="What was changed.")] = "",
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a fix of this "
                                          "name.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Add a fix to watch: --where defines the touchpoint (all conditions hold; without it
    the touchpoint catalogue's touchpoint of that name is used), --friction
    the friction event (default 'event contains error'), --control the untouched comparison
    group (default: the fix's scope, the touchpoint's non-event conditions, negated; it
    must rule the scope out)."""
    from pydantic import ValidationError

    from wegweiser.analysis.fixes import Fix
    from wegweiser.analysis.registry import describe
    from wegweiser.project import open_project

    values = {"name": name, "date": date, "time": time, "touchpoint": touchpoint,
              "where": list(where or []), "metric": metric, "friction": friction,
              "control": list(control or []), "note": note}
    try:
        fix = Fix.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise InvalidInput(f"fix {name!r}: {describe(exc)}") from None
    with open_project(project) as proj:
        path = proj.save_fix(fix, replace=replace)
    out.print(f"[green]saved[/green] {path}; check it with `wegweiser fixes check {name}`")


@app.command()
def check(
    name: Annotated[str | None, typer.Argument(help="Only this fix (default: every fix).")]
    = None,
    daily: Annotated[bool, typer.Option("--daily", help="Print the daily rates instead.")]
    = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the verdicts: en or de.")]
    = "en",
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Whether each fix worked, from the current store: the effect on the daily rate with a
    95% interval and the verdict, by difference-in-differences when the fix has a scope
    (e.g. device=mobile), an untouched comparison group and parallel trends before it, else
    by the interrupted time series; both estimates beside it, and which decided and why."""
    from rich.markup import escape

    from wegweiser.analysis.fixes import say, why
    from wegweiser.present.i18n import check_lang
    from wegweiser.project import open_project

    check_lang(lang)
    with open_project(project) as proj:
        if name is not None:
            proj.fix(name)  # "Did you mean ...?" when there is none
        result = proj.analyse("fix_effects", fix=name)
    if fmt is not Format.table or daily:
        show(result, fmt, table="daily" if daily else "fixes")
        return
    frame = result.fixes[SHOWN]
    print_frame(frame, fmt, console=out, title="Fixes")
    for row in result.fixes.to_dict("records"):
        out.print(say(row, lang), markup=False, highlight=False)
        reason = why(row, lang)
        out.print(f"[yellow]{escape(reason)}[/yellow]" if row["why"] == "pretrend_failed"
                  else f"[dim]{escape(reason)}[/dim]")
    if result.fixes.empty and result.note:
        out.print(f"[dim]{result.note}[/dim]")


@app.command()
def delete(name: NameArg, project: ProjectOpt = Path(".")) -> None:
    """Delete the fix's file."""
    from wegweiser.project import open_project

    with open_project(project) as proj:
        proj.delete_fix(name)
    out.print(f"[green]deleted[/green] fix {name}")
