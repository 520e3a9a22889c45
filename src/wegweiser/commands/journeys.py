"""``wegweiser journeys``: init, validate, list, run, simulate, status, pause, resume, ledger
(and ``ledger settle``), receipts, readout, best-time (the ledger and the receipts in
``_journeys_ledger.py``, readout and best-time in ``_journeys_readout.py``).

Thin: it calls :mod:`wegweiser.orchestrate` and prints; errors go to the one boundary in
``cli.main`` (an invalid journey file exits 2 with every problem listed).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt
from wegweiser.commands._journeys_base import StateOpt, out, read_journeys, record
from wegweiser.commands._journeys_ledger import ledger_app, receipts_
from wegweiser.commands._journeys_readout import best_time_, readout_
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.orchestrate.definitions import Journey

app = typer.Typer(
    help="Journeys that act: validate the files in journeys/, run the worker, watch the "
    "ledger. See docs/journeys.md.",
    no_args_is_help=True,
)
SEND_TIME_REFIT_SECONDS = 3600.0
"""The worker learns the send-time profiles again at most this often."""


def register(app_: typer.Typer) -> None:
    """Nothing: ``cli.py`` adds this sub-app itself, in one line (``commands.register_all``
    calls every module's ``register``)."""


@app.command()
def validate(project: ProjectOpt = Path(".")) -> None:
    """Check every journey file and the delivery settings; list every problem."""
    journeys, _ = read_journeys(project)
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
    journeys, _ = read_journeys(project)
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

    journeys, _ = read_journeys(project)
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
    record(project, "journey_run", worker_id or "worker", journeys=len(runtime.journeys),
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

    journeys, _ = read_journeys(project)
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

    journeys, _ = read_journeys(project)
    names = [j.name for j in journeys]
    if name not in names:
        raise InvalidInput(f"no journey {name!r}; the journeys are: {', '.join(names)}")
    with open_state(state_target(project, state), project_dir=project) as store:
        set_paused(store, name, paused)
    record(project, "journey_pause" if paused else "journey_resume", name)


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
            record(project, "journey_change", path.name, sha256=digest,
                   previous=last.get(path.name) or "")
            changed += 1
    return changed


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
    record(project, "journey_exit", name, person=person, runs=n)
    out.print(f"{n} run(s) of {person} in {name} ended.")


app.add_typer(ledger_app, name="ledger")
app.command("receipts")(receipts_)
app.command("readout")(readout_)
app.command("best-time")(best_time_)
