"""``wegweiser journeys``: validate, list, run, status, pause, resume, ledger.

Thin: it calls :mod:`wegweiser.orchestrate` and prints; errors go to the one boundary in
``cli.main`` (an invalid journey file exits 2 with every problem listed).
"""

from __future__ import annotations

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
    from wegweiser.orchestrate.triggers import (
        process_imports,
        process_memberships,
        process_schedules,
    )
    from wegweiser.project import open_project

    phases = load_config(project).phase_names
    runtime = open_runtime(project, phases=phases, state=state, worker_id=worker_id)
    changed = audit_definitions(project)
    _audit(project, "journey_run", worker_id or "worker", journeys=len(runtime.journeys),
           changed=changed)
    try:
        while True:
            with open_project(project) as proj:
                summary = process_imports(proj, runtime, from_start=from_start)
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
                  "`wegweiser journeys ledger --state-filter unknown`")


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


@app.command("ledger")
def ledger_(
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    state: StateOpt = None,
    state_filter: Annotated[str | None, typer.Option(
        "--state-filter", help="Only rows in this state (unknown, failed, sent, ...).")] = None,
    journey: Annotated[str | None, typer.Option(help="Only this journey.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows, newest first.")] = 100,
) -> None:
    """The send ledger: one row per intended message and what became of it."""
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


@app.command("readout")
def readout_(
    name: str,
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    state: StateOpt = None,
    window: Annotated[str, typer.Option(help="Conversion window after entry.")] = "14d",
) -> None:
    """A journey's effect: its treated persons against its holdout and the global control
    group, every metric with always-valid intervals (the experiments engine; see
    docs/analyses.md, Experiments). Entry time is the exposure."""
    import pandas as pd

    from wegweiser.analysis.experiments.analysis import experiment
    from wegweiser.analysis.params import duration
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.operations import assignments, planned_shares
    from wegweiser.orchestrate.state import open_state
    from wegweiser.project import open_project

    journeys, delivery = _journeys(project)
    found = {j.name: j for j in journeys}
    if name not in found:
        raise InvalidInput(f"no journey {name!r}; the project has {', '.join(sorted(found))}")
    with open_state(state_target(project, state), project_dir=project) as store:
        frame = assignments(store, name)
    shares = planned_shares(found[name].holdout, delivery.control_group.share)
    with open_project(project) as proj:
        result = experiment(proj.journey(), name=f"journey:{name}", assignments=frame,
                            shares=shares, window=duration(window) or pd.Timedelta(days=14))
    print_frame(result.summary, fmt, console=out, title=f"Journey {name}: readout")
    if result.note:
        out.print(result.note)
