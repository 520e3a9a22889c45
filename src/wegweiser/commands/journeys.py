"""``wegweiser journeys``: init, validate, list, run, simulate, status, pause, resume, ledger
(and ``ledger settle``), receipts.

Thin: it calls :mod:`wegweiser.orchestrate` and prints; errors go to the one boundary in
``cli.main`` (an invalid journey file exits 2 with every problem listed).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.orchestrate.definitions import Journey
    from wegweiser.orchestrate.settings import Delivery

app = typer.Typer(
    help="Journeys that act: validate the files in journeys/, run the worker, watch the "
    "ledger. See docs/journeys.md.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)
SEND_TIME_REFIT_SECONDS = 3600.0
"""The worker learns the send-time profiles again at most this often."""



def register(app_: typer.Typer) -> None:
    """Nothing: ``cli.py`` adds this sub-app itself, in one line (``commands.register_all``
    calls every module's ``register``)."""


StateOpt = Annotated[
    str | None,
    typer.Option("--state", help="State store: a postgresql:// URL for several workers "
                 "(default: WEGWEISER_JOURNEYS_STATE, else journeys.sqlite in the project)."),
]


def _journeys(project: Path) -> tuple[list[Journey], Delivery]:
    from wegweiser.config import load_config
    from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys

    folder = project / JOURNEYS_DIR
    if not folder.is_dir():
        raise InvalidInput(f"{folder} does not exist; put journey files (*.toml) there "
                           "(docs/journeys.md has an example)")
    return load_journeys(folder, phases=load_config(project).phase_names)


@app.command()
def validate(project: ProjectOpt = Path(".")) -> None:
    """Check every journey file and the delivery settings; list every problem."""
    journeys, _ = _journeys(project)
    for j in journeys:
        out.print(f"[green]ok[/green] {j.name}: entry {j.entry.kind}, {len(j.steps)} steps")
    out.print(f"{len(journeys)} journeys valid.")


@app.command()
def init(
    project: ProjectOpt = Path("."),
    playbook: Annotated[bool, typer.Option(
        "--playbook", help="The built-in playbook: one journey per phase (docs/journeys.md, "
        "The playbook).")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace journey files of the same name.")] = False,
) -> None:
    """Write journeys into PROJECT/journeys/: the sample journey and delivery settings, or
    with --playbook one journey per phase (German and English), validated."""
    from wegweiser.orchestrate.playbook import write_playbook
    from wegweiser.orchestrate.samples import write_samples

    if not (project / "wegweiser.toml").is_file():
        raise InvalidInput(f"{project} is no Wegweiser project (no wegweiser.toml); "
                           "create one with wegweiser init")
    if playbook:
        written = write_playbook(project, force=force)
    elif write_samples(project):
        written = sorted((project / "journeys").glob("*.toml"))
    else:
        raise InvalidInput(f"{project / 'journeys'} exists already; add --playbook for the "
                           "playbook's journeys")
    journeys, _ = _journeys(project)
    for path in written:
        out.print(f"wrote {path}")
    out.print(f"{len(journeys)} journeys valid.")


@app.command()
def simulate(
    project: ProjectOpt = Path("."),
    days: Annotated[float, typer.Option(min=0.01, help="Replay the last N days of the "
                                        "store.")] = 30,
    max_persons: Annotated[int | None, typer.Option(
        min=1, help="Replay a fixed sample of at most this many persons.")] = None,
    assume_reachable: Annotated[bool, typer.Option(
        "--assume-reachable", help="Treat every person as consenting and reachable (the "
        "store has no consent or addresses).")] = False,
    messages: Annotated[int, typer.Option(
        min=0, help="Also list the first N messages (who, when, what).")] = 0,
    fmt: FormatOpt = Format.table,
) -> None:
    """A dry run: replay the store's last N days through the journeys (the real runtime,
    a simulated clock, a throwaway state) and show who would have entered and what they
    would have received, per journey and step. Nothing is sent; the journey state is not
    touched."""
    from wegweiser.orchestrate.simulate import dry_run
    from wegweiser.project import open_project

    with open_project(project) as proj:
        result = dry_run(proj, days=days, max_persons=max_persons,
                         assume_reachable=assume_reachable)
    title = (f"Dry run {result.start:%Y-%m-%d %H:%M} to {result.end:%Y-%m-%d %H:%M} UTC, "
             f"{result.persons:,} persons: messages per journey and step")
    print_frame(result.steps, fmt, console=out, title=title)
    if fmt is Format.table:
        out.print("entrants: " + ", ".join(f"{k} {v:,}" for k, v in result.entrants.items()))
    if messages:
        print_frame(result.messages.head(messages), fmt, console=out, title="Messages")


def _entry_target(journey: Journey) -> str:
    entry = journey.entry
    target = entry.event or entry.phase or entry.segment or entry.persona
    return "" if target is None else str(target)


@app.command("list")
def list_(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table,
          state: StateOpt = None) -> None:
    """The journeys with their entry, steps and state (paused, entrants, runs)."""
    import pandas as pd

    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.operations import status
    from wegweiser.orchestrate.state import open_state

    journeys, _ = _journeys(project)
    with open_state(state_target(project, state), project_dir=project) as store:
        rows = {r["journey"]: r for r in status(store, [j.name for j in journeys])}
    frame = pd.DataFrame([{
        "journey": j.name, "entry": f"{j.entry.kind} {_entry_target(j)}".strip(),
        "steps": len(j.steps), "paused": rows[j.name]["paused"],
        "entrants": rows[j.name]["entrants"], "active": rows[j.name]["active"],
    } for j in journeys])
    print_frame(frame, fmt, console=out, title="Journeys")


@app.command()
def run(
    project: ProjectOpt = Path("."),
    once: Annotated[bool, typer.Option("--once", help="One round, then stop.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds.")] = 2.0,
    state: StateOpt = None,
    worker_id: Annotated[str | None, typer.Option(help="Name of this worker.")] = None,
    threads: Annotated[int, typer.Option(
        min=1, max=64, help="Runs advanced at once (sending waits on the network).")] = 4,
    from_start: Annotated[bool, typer.Option(
        "--from-start", help="On the first run, act on the imports already in the store too "
        "(default: only on what arrives from now on).")] = False,
) -> None:
    """The worker: evaluate new imports, advance due runs, send, record message events.

    Several workers may run on one PostgreSQL state store (--state postgresql://...).
    """
    from wegweiser.config import load_config
    from wegweiser.orchestrate.assembly import open_runtime
    from wegweiser.orchestrate.operations import flush_outbox
    from wegweiser.orchestrate.readouts import best_time_steps
    from wegweiser.orchestrate.sendtime import install
    from wegweiser.orchestrate.sendtime_fit import fit_send_time
    from wegweiser.orchestrate.triggers import (
        process_imports,
        process_memberships,
        process_schedules,
    )
    from wegweiser.project import open_project

    phases = load_config(project).phase_names
    runtime = open_runtime(project, phases=phases, state=state, worker_id=worker_id)
    timed = any(best_time_steps(j) for j in runtime.journeys.values())
    fitted_at = -math.inf
    changed = audit_definitions(project)
    _audit(project, "journey_run", worker_id or "worker", journeys=len(runtime.journeys),
           changed=changed)
    try:
        while True:
            with open_project(project) as proj:
                summary = process_imports(proj, runtime, from_start=from_start)
                if timed and time.monotonic() - fitted_at > SEND_TIME_REFIT_SECONDS:
                    # steps with send_at = "best_time" use the learned profiles
                    install(fit_send_time(proj, delivery=runtime.delivery), runtime.delivery)
                    fitted_at = time.monotonic()
                scheduled = process_schedules(proj, runtime)
                moved = process_memberships(proj, runtime)
                summary.entered += scheduled.entered + moved.entered
            advanced = 0
            while n := runtime.run_once(limit=50 * threads, threads=threads):
                advanced += n
            with open_project(project) as proj:
                flushed = flush_outbox(proj, runtime.store)
            if once or summary.imports or advanced:
                out.print(f"imports {summary.imports}, persons {summary.persons}, "
                          f"entered {summary.entered}, exited {summary.exited}, "
                          f"runs advanced {advanced}, events recorded {flushed}")
            if once:
                return
            time.sleep(interval)
    finally:
        runtime.close()


@app.command("status")
def status_(
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    state: StateOpt = None,
    steps: Annotated[str | None, typer.Option(
        help="Messages per step, channel, variant and ledger state of this journey.")] = None,
) -> None:
    """Runs by status, deferred and parked runs, messages by ledger state per journey."""
    import pandas as pd

    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.operations import sends_per_step, status
    from wegweiser.orchestrate.state import open_state

    journeys, _ = _journeys(project)
    with open_state(state_target(project, state), project_dir=project) as store:
        if steps is not None:
            per_step = sends_per_step(store, steps)
            print_frame(pd.DataFrame(per_step, columns=["step", "channel", "variant", "state",
                                                        "messages"]),
                        fmt, console=out, title=f"Messages per step: {steps}")
            return
        rows = status(store, [j.name for j in journeys])
    print_frame(pd.DataFrame(rows), fmt, console=out, title="Journeys")
    unknown = sum(r["msg_unknown"] for r in rows)
    if unknown and fmt is Format.table:
        out.print(f"[yellow]{unknown} messages are unknown[/yellow] (a worker stopped while "
                  "sending on a channel without idempotency keys; they are never resent): "
                  "`wegweiser journeys ledger --state-filter unknown`; a provider's "
                  "delivery receipts (`wegweiser journeys receipts FILE`, POST /v1/receipts) "
                  "or `wegweiser journeys ledger settle KEY --as sent|failed|resend` "
                  "settle them")


@app.command()
def pause(name: str, project: ProjectOpt = Path("."), state: StateOpt = None) -> None:
    """Pause a journey: no entrants, runs stay where they are."""
    _pause(project, name, state, paused=True)
    out.print(f"{name} paused.")


@app.command()
def resume(
    name: str,
    project: ProjectOpt = Path("."),
    state: StateOpt = None,
    parked: Annotated[bool, typer.Option(help="Also let parked runs try again.")] = False,
) -> None:
    """Resume a paused journey (and, with --parked, its parked runs)."""
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.operations import resume_parked
    from wegweiser.orchestrate.state import open_state

    _pause(project, name, state, paused=False)
    n = 0
    if parked:
        with open_state(state_target(project, state), project_dir=project) as store:
            n = resume_parked(store, name, now=time.time())
    out.print(f"{name} resumed" + (f"; {n} parked runs go on." if parked else "."))


def _pause(project: Path, name: str, state: str | None, *, paused: bool) -> None:
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.operations import set_paused
    from wegweiser.orchestrate.state import open_state

    journeys, _ = _journeys(project)
    names = [j.name for j in journeys]
    if name not in names:
        raise InvalidInput(f"no journey {name!r}; the journeys are: {', '.join(names)}")
    with open_state(state_target(project, state), project_dir=project) as store:
        set_paused(store, name, paused)
    _audit(project, "journey_pause" if paused else "journey_resume", name)


def audit_definitions(project: Path) -> int:
    """Record a ``journey_change`` audit entry for each journey file (and the delivery
    settings) whose SHA-256 differs from the last one recorded; returns how many."""
    import hashlib

    from wegweiser import audit
    from wegweiser.orchestrate.loading import JOURNEYS_DIR

    last: dict[str, str] = {}
    for entry in audit.read(project, action="journey_change"):
        if entry.target is not None:
            last[entry.target] = str(entry.detail.get("sha256"))
    changed = 0
    folder = Path(project) / JOURNEYS_DIR
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        if last.get(path.name) != digest:
            _audit(project, "journey_change", path.name, sha256=digest,
                   previous=last.get(path.name) or "")
            changed += 1
    return changed


def _audit(project: Path, action: str, target: str, **detail: str | int) -> None:
    from wegweiser import audit

    audit.record(project, actor=audit.cli_actor(), action=action, target=target,
                 surface="cli", detail=detail or None)


@app.command("exit")
def exit_(
    name: str,
    person: Annotated[str, typer.Option(help="The person's id (person_id).")],
    project: ProjectOpt = Path("."),
    state: StateOpt = None,
) -> None:
    """End a person's run in a journey by hand (exit reason: manual)."""
    from wegweiser.config import load_config
    from wegweiser.orchestrate.assembly import open_runtime

    runtime = open_runtime(project, phases=load_config(project).phase_names, state=state)
    try:
        if name not in runtime.journeys:
            raise InvalidInput(f"no journey {name!r}; the journeys are: "
                               f"{', '.join(runtime.journeys)}")
        n = runtime.exit_runs(person, "manual", journeys=[name])
    finally:
        runtime.close()
    _audit(project, "journey_exit", name, person=person, runs=n)
    out.print(f"{n} run(s) of {person} in {name} ended.")


ledger_app = typer.Typer(
    help="The send ledger: one row per intended message and what became of it; `settle` "
    "decides an unknown message by hand.",
)
app.add_typer(ledger_app, name="ledger")


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

    journeys = {j.name: j for j in _journeys(project)[0]} if decision == "resend" else {}
    actor = audit.cli_actor()
    with open_state(state_target(project, state), project_dir=project) as store:
        done = settle(store, keys, decision=decision, reason=reason, actor=actor,
                      now=time.time(), journeys=journeys)
    failed = 0
    for one in done:
        if one.error is None:
            _audit(project, "journey_settle", one.key, decision=decision, reason=reason,
                   before=one.before or "")
            out.print(f"{one.key}: {one.before} -> {one.after}")
        else:
            failed += 1
            out.print(f"[red]{one.key}: not settled[/red]: {one.error}")
    if failed:
        raise typer.Exit(1)


@app.command("receipts")
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


@app.command("readout")
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


@app.command("best-time")
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
