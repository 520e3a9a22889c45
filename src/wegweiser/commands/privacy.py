"""Privacy requests on the command line (docs/privacy.md):

* ``wegweiser privacy export ID [--out FILE] [--format json|csv]`` — everything about a
  person (JSON, or a zip of one CSV per kind);
* ``wegweiser privacy erase ID --yes``, ``wegweiser privacy anonymise ID --yes``,
  ``wegweiser privacy erase --batch ids.csv --yes`` — erase or anonymise, physically;
* ``wegweiser privacy records`` — the erasure records;
* ``wegweiser suppress add|remove|list`` — the suppression list;
* ``wegweiser privacy retention apply|show`` — the retention policy of ``[retention]``.

Thin: each calls :mod:`wegweiser.privacy` with the OS user as the actor.
"""

from __future__ import annotations

import getpass
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame, print_mapping
from wegweiser.commands._common import FormatOpt, ProjectOpt, err, out
from wegweiser.errors import InvalidInput

privacy_app = typer.Typer(
    help="Privacy requests: export, erase or anonymise a person; the erasure records.",
    no_args_is_help=True,
)
suppress_app = typer.Typer(
    help="The suppression list: ids whose new events are dropped at collection and import.",
    no_args_is_help=True,
)
retention_app = typer.Typer(
    help="The retention policy ([retention] events_days): delete older events.",
    no_args_is_help=True,
)


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
    app.add_typer(suppress_app, name="suppress")
    # under privacy: ``wegweiser retention`` is the cohort analysis
    privacy_app.add_typer(retention_app, name="retention")


def actor() -> str:
    """Who runs the command (recorded with each request)."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli:unknown"


IdArg = Annotated[str | None, typer.Argument(
    metavar="ID", help="A person_id, any stitched anonymous or user id, or an e-mail address.")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Really do it (it cannot be undone).")]


@privacy_app.command("export")
def export(
    any_id: IdArg = None,
    target: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write to this file (default: print JSON; a zip needs --out).")
    ] = None,
    fmt: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="json: one document; csv: a zip of one CSV per kind.")
    ] = ExportFormat.json,
    project: ProjectOpt = Path("."),
) -> None:
    """Everything Wegweiser holds about a person: events, ids and links, traits, quarantined
    rows, feedback, persona, journey state and messages."""
    from wegweiser.privacy import export_person
    from wegweiser.project import open_project

    if any_id is None:
        raise InvalidInput("give the person's ID (an id or e-mail address)")
    if fmt is ExportFormat.csv and target is None:
        raise InvalidInput("a CSV export is a zip file: add --out person.zip")
    with open_project(project) as proj:
        result = export_person(proj, any_id, actor=actor())
    if target is None:
        out.file.write(result.to_json() + "\n")
        return
    data = result.to_zip() if fmt is ExportFormat.csv else result.to_json().encode()
    target.write_bytes(data)
    target.chmod(0o600)
    err.print(f"Wrote {sum(result.counts().values())} rows of {len(result.tables)} kinds "
              f"to {target}.", highlight=False)


def _erase(any_id: str | None, batch: Path | None, yes: bool, project: Path, fmt: Format,
           kind: str) -> None:
    from wegweiser.privacy import erase_batch, read_ids
    from wegweiser.project import open_project

    if (any_id is None) == (batch is None):
        raise InvalidInput("give a person's ID or --batch FILE.csv (one of them)")
    if not yes:
        raise InvalidInput(f"{kind} cannot be undone: add --yes")
    ids = [any_id] if any_id is not None else read_ids(batch)  # type: ignore[arg-type]
    with open_project(project) as proj:
        done = erase_batch(proj, ids, actor=actor(), kind=kind)
    rows = [{"request_id": s.request_id, "kind": s.kind, **s.counts} for s in done]
    if fmt is Format.json:
        out.file.write(json.dumps(rows) + "\n")
        return
    for summary in done:
        print_mapping({k: v for k, v in summary.counts.items() if v}, fmt, console=out,
                      title=f"{summary.kind} {summary.request_id}")
        if not summary.found:
            err.print("[yellow]Nothing was stored about this id; it is suppressed now."
                      "[/yellow]")


@privacy_app.command("erase")
def erase(
    any_id: IdArg = None,
    batch: Annotated[Path | None, typer.Option(
        "--batch", help="A CSV of ids or e-mail addresses (first column, or a column named "
        "id/email/user_id/anonymous_id).", exists=True, dir_okay=False)] = None,
    yes: YesOpt = False,
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Erase a person everywhere so that the bytes are gone (the store file is rewritten);
    their ids go on the suppression list."""
    _erase(any_id, batch, yes, project, fmt, "erase")


@privacy_app.command("anonymise")
def anonymise(
    any_id: IdArg = None,
    batch: Annotated[Path | None, typer.Option(
        "--batch", help="A CSV of ids or e-mail addresses.", exists=True, dir_okay=False)
    ] = None,
    yes: YesOpt = False,
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
) -> None:
    """Keep a person's events for the totals under a random pseudonym; drop their ids,
    traits, context and feedback texts, and erase the rest."""
    _erase(any_id, batch, yes, project, fmt, "anonymise")


@privacy_app.command("records")
def records(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """The erasure records: what was erased or exported, when, by whom (no personal data)."""
    import pandas as pd

    from wegweiser.privacy import erasure_records

    rows = erasure_records(project)
    frame = pd.DataFrame([{**r, "subjects": len(r.get("subjects", [])),
                           "counts": json.dumps(r.get("counts", {}))} for r in rows])
    print_frame(frame, fmt, console=out, title="Erasure records")


@suppress_app.command("add")
def suppress_add(
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Ids or e-mail addresses.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Drop new events of these ids at collection and import (their stored events stay;
    erase them with `wegweiser privacy erase`)."""
    from wegweiser.events.suppression import SuppressionList

    listing = SuppressionList.load(_folder(project))
    new = listing.add(ids, reason=f"added by {actor()}")
    listing.save(project)
    out.print(f"{len(new)} added, {len(listing)} on the list.", highlight=False)


@suppress_app.command("remove")
def suppress_remove(
    ids: Annotated[list[str], typer.Argument(
        metavar="ID...", help="Ids or e-mail addresses, or hashes as `list` shows them.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Collect these ids again."""
    from wegweiser.events.suppression import SuppressionList

    listing = SuppressionList.load(_folder(project))
    gone = listing.remove(ids)
    if gone == 0:
        raise InvalidInput("none of these ids is on the suppression list; see "
                           "`wegweiser suppress list`")
    listing.save(project)
    out.print(f"{gone} removed, {len(listing)} on the list.", highlight=False)


@suppress_app.command("list")
def suppress_list(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """The suppressed ids as salted hashes (the list never holds an id), with when and why."""
    import pandas as pd

    from wegweiser.events.suppression import SuppressionList

    listing = SuppressionList.load(_folder(project))
    frame = pd.DataFrame([{"hash": h, **v} for h, v in sorted(listing.entries.items())],
                         columns=["hash", "added_at", "reason"])
    print_frame(frame, fmt, console=out, title="Suppressed ids")


def _folder(project: Path) -> Path:
    from wegweiser.config import CONFIG_FILE

    if not (project / CONFIG_FILE).is_file():
        raise InvalidInput(f"{project} is not a Wegweiser project (no {CONFIG_FILE}); "
                           "pass --project DIR")
    return project


@retention_app.command("apply")
def retention_apply(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """Delete events older than `[retention] events_days` (physically: the store file and
    Parquet files holding them are rewritten). Schedule it daily (docs/privacy.md)."""
    from wegweiser.privacy import apply_retention
    from wegweiser.project import open_project

    with open_project(project) as proj:
        summary = apply_retention(proj, actor=actor())
    if summary.cutoff is None:
        err.print("No retention policy: set \\[retention] events_days in wegweiser.toml.")
    print_mapping({"cutoff": None if summary.cutoff is None else summary.cutoff.isoformat(),
                   "events_deleted": summary.events, "parquet_files": summary.files},
                  fmt, console=out, title="Retention")


@retention_app.command("show")
def retention_show(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """The retention policy and the oldest time it keeps."""
    from wegweiser.project import open_project

    with open_project(project) as proj:
        cutoff = proj.retention_cutoff()
        days = proj.config.retention.events_days
    print_mapping({"events_days": days,
                   "keeps_from": None if cutoff is None else cutoff.isoformat()},
                  fmt, console=out, title="Retention")
