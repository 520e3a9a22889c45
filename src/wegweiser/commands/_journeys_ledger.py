"""``wegweiser journeys ledger`` (and ``ledger settle``) and ``wegweiser journeys receipts``:
the send ledger, unknown messages settled by hand, delivery receipts applied to it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt
from wegweiser.commands._journeys_base import StateOpt, out, read_journeys, record
from wegweiser.errors import InvalidInput

ledger_app = typer.Typer(
    help="The send ledger: one row per intended message and what became of it; `settle` "
    "decides an unknown message by hand.",
)


@ledger_app.callback(invoke_without_command=True)
def ledger_(
    ctx: typer.Context,
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    state: StateOpt = None,
    state_filter: Annotated[str | None, typer.Option(
        "--state-filter", help="Only rows in this state (unknown, failed, sent, ...).")] = None,
    journey: Annotated[str | None, typer.Option(help="Only this journey.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows, newest first.")] = 100,
) -> None:
    """The send ledger: one row per intended message and what became of it."""
    if ctx.invoked_subcommand is not None:
        return
    import pandas as pd

    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.ledger import STATES
    from wegweiser.orchestrate.operations import ledger
    from wegweiser.orchestrate.state import open_state

    if state_filter is not None and state_filter not in STATES:
        raise InvalidInput(f"--state-filter is one of {', '.join(STATES)}, not {state_filter!r}")
    with open_state(state_target(project, state), project_dir=project) as store:
        rows = ledger(store, state=state_filter, journey=journey, limit=limit)
    print_frame(pd.DataFrame(rows, columns=["key", "journey", "step", "channel", "variant",
                                            "person_id", "state", "attempts", "reason",
                                            "updated_at"]),
                fmt, console=out, title="Ledger")


@ledger_app.command("settle")
def settle_(
    keys: Annotated[list[str], typer.Argument(help="Ledger keys (run|step|channel) of "
                                              "unknown messages.")],
    decision: Annotated[str, typer.Option(
        "--as", help="sent (it arrived), failed (it did not; do not send again) or resend "
        "(back to pending: the worker sends it again with the same key).")],
    reason: Annotated[str, typer.Option(help="Why (kept with the message and in the audit "
                                        "log), e.g. 'checked the mail server log'.")],
    project: ProjectOpt = Path("."),
    state: StateOpt = None,
) -> None:
    """Settle unknown messages by hand, after checking the mail server's log or the
    provider's records (docs/journeys.md, Settling unknown messages). Each change is in
    the audit log with who, when and why."""
    from wegweiser import audit
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.settle import settle
    from wegweiser.orchestrate.state import open_state

    journeys = {j.name: j for j in read_journeys(project)[0]} if decision == "resend" else {}
    actor = audit.cli_actor()
    with open_state(state_target(project, state), project_dir=project) as store:
        done = settle(store, keys, decision=decision, reason=reason, actor=actor,
                      now=time.time(), journeys=journeys)
    failed = 0
    for one in done:
        if one.error is None:
            record(project, "journey_settle", one.key, decision=decision, reason=reason,
                   before=one.before or "")
            out.print(f"{one.key}: {one.before} -> {one.after}")
        else:
            failed += 1
            out.print(f"[red]{one.key}: not settled[/red]: {one.error}")
    if failed:
        raise typer.Exit(1)


def receipts_(
    file: Annotated[Path, typer.Argument(help="Receipts as JSON lines (.jsonl, one object "
                                         "per line, or a JSON list) or CSV (.csv).")],
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    state: StateOpt = None,
) -> None:
    """Apply delivery receipts of an email or SMS provider to the ledger: delivered settles
    an unknown message as sent, bounced or failed as failed; nothing is ever sent. Each
    receipt: {"message_id" | "key", "status": "delivered" | "bounced" | "failed", "at",
    "reason"} (docs/journeys.md, Delivery receipts). Lists what was applied and what was
    refused and why; exits 1 when any receipt was refused."""
    import pandas as pd

    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.receipts import apply, read_file
    from wegweiser.orchestrate.state import open_state

    items = read_file(file)
    with open_state(state_target(project, state), project_dir=project) as store:
        result = apply(store, items, now=time.time())
    if fmt is Format.json:
        import orjson

        typer.echo(orjson.dumps(result.to_dict()).decode())
    else:
        applied = pd.DataFrame([a.to_dict() for a in result.applied],
                               columns=["index", "key", "status", "before", "after", "repeat"])
        print_frame(applied, fmt, console=out, title=f"Receipts applied ({file.name})")
        if result.refused:
            print_frame(pd.DataFrame([r.to_dict() for r in result.refused],
                                     columns=["index", "error"]),
                        fmt, console=out, title="Receipts refused")
        summary = result.to_dict()
        out.print(f"{summary['n_applied']} applied ({summary['n_changed']} changed the "
                  f"ledger), {summary['n_rejected']} refused.")
    if result.refused:
        raise typer.Exit(1)
