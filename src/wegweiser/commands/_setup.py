"""``wegweiser init`` and ``wegweiser demo``: a new project folder, or one with the demo shop
in it, and the engine options both take (registered by ``cli.py``)."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from wegweiser._output import Format, print_frame, print_mapping
from wegweiser.commands._common import open_project, out
from wegweiser.errors import InvalidInput


class EngineKind(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


EngineOpt = Annotated[
    EngineKind | None,
    typer.Option("--engine", help="Where events live and analyses run: duckdb (embedded) or "
                                  "spark (Parquet + Apache Spark, see docs/spark.md)."),
]
SparkMasterOpt = Annotated[
    str | None,
    typer.Option("--spark-master", help="With --engine spark: master URL (default local[*]), "
                                        "e.g. spark://host:7077, yarn."),
]
SparkRemoteOpt = Annotated[
    str | None,
    typer.Option("--spark-remote", help="With --engine spark: Spark Connect URL "
                                        "(sc://host:15002) instead of a master."),
]


def _engine_settings(
    engine: EngineKind | None, master: str | None, remote: str | None
) -> dict[str, Any] | None:
    """The ``[engine]`` keys the options ask for (None: leave wegweiser.toml as it is)."""
    if engine is None:
        if master or remote:
            raise typer.BadParameter("--spark-master/--spark-remote need --engine spark")
        return None
    settings: dict[str, Any] = {"kind": engine.value}
    if master:
        settings["spark_master"] = master
    if remote:
        settings["spark_remote"] = remote
    return settings


def init(
    folder: Annotated[
        Path, typer.Argument(help="Folder to create (default: current folder).", file_okay=False)
    ] = Path("."),
    name: Annotated[
        str | None,
        typer.Option(help="Project name written to wegweiser.toml (default: the folder's name)."),
    ] = None,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_remote: SparkRemoteOpt = None,
) -> None:
    """Create a project folder: wegweiser.toml (phases, channels, windows) and the store."""
    settings = _engine_settings(engine, spark_master, spark_remote)
    from wegweiser.project import Project

    with Project.init(folder, name=name, engine=settings) as project:
        out.print(f"[green]Project ready[/green] in {project.path.resolve()}")
        out.print(
            f"  edit {project.path / 'wegweiser.toml'} for phases, conversion events, channels"
        )
        out.print(f"  next: wegweiser import EVENTS.csv --project {folder}")


def demo(
    project: Annotated[
        Path,
        typer.Option("--project", "-p", file_okay=False, help="Project folder to create or reuse."),
    ] = Path("wegweiser-demo"),
    persons: Annotated[
        int, typer.Option(min=10, help="Number of people (~50 events each).")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 0,
    days: Annotated[int, typer.Option(min=7, help="Days of history.")] = 120,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_remote: SparkRemoteOpt = None,
    lang: Annotated[str, typer.Option(help="Language of the report: de or en.")] = "en",
    serve: Annotated[
        bool, typer.Option("--serve", help="Then start the dashboard (wegweiser serve).")
    ] = False,
    simulate_days: Annotated[int, typer.Option(
        min=0, help="Dry-run the journey playbook on the last N days (0: skip).")] = 30,
) -> None:
    """Generate a realistic demo shop, import it and show what Wegweiser sees.

    Four personas, 12+ channels, several devices per person, journeys through six phases,
    a planted pain point, daily costs and German/English feedback. The data and the planted
    truth go to PROJECT/demo/ (events.parquet, costs.csv, truth.json); the HTML report to
    PROJECT/report-<lang>.html, written after the summary is shown. PROJECT/journeys/ gets
    the journey playbook, and the demo ends with what it would have sent in the last 30 days
    (a dry run: nothing is sent). --serve then starts the dashboard on http://127.0.0.1:8000/.
    """
    if lang not in ("de", "en"):
        raise InvalidInput(f"--lang must be de or en, not {lang!r}")
    from wegweiser.demo_run import run_demo

    started = time.perf_counter()
    with out.status("Starting", spinner="dots") as status:
        def step(message: str) -> None:
            status.update(message + " ...")
            out.print(f"[dim]{time.perf_counter() - started:5.1f}s[/dim] {message}")

        result = run_demo(
            project, persons=persons, seed=seed, days=days, step=step, report_lang=None,
            engine=_engine_settings(engine, spark_master, spark_remote),
            simulate_days=simulate_days or None,
        )
    took = time.perf_counter() - started
    fig = result.overview.figures
    out.print(f"\n[bold green]Demo shop ready[/bold green] in {result.project} ({took:.1f} s)")
    summary = {
        "persons": fig["persons"],
        "events": fig["events"],
        "channels": fig["channels"],
        "conversions": fig["conversions"],
        "conversion rate": f"{fig['conversion_rate']:.1%}",
        "revenue": f"{fig['revenue']:,.2f} {fig['currency']}",
        "average order value": f"{fig['average_order_value']:,.2f} {fig['currency']}",
        "quarantined rows": result.summary.quarantined,
    }
    print_mapping(summary, Format.table, console=out, title="Overview")
    phases = result.overview.phases
    phases = phases.assign(share=phases["share"].map("{:.1%}".format))
    print_frame(phases, Format.table, console=out, title="Persons by current phase")
    p = result.project
    out.print("\n[bold]Next[/bold]")
    out.print(f"  wegweiser phases --project {p} --view transitions")
    out.print(f"  wegweiser funnel --project {p} --steps checkout_started,checkout_payment,"
              "order_completed --breakdown device")
    out.print(f"  wegweiser dropoffs --project {p} --view loops")
    out.print(f"  wegweiser attribution --project {p} --compare")
    out.print(f"  wegweiser fixes check --project {p}    (the planted fix: did it work?)")
    out.print(f"  wegweiser stats --project {p}    (all commands: wegweiser --help)")
    out.print(f"  planted truth: {result.files['truth']}")
    from wegweiser.commands.report import write_with_progress

    with open_project(result.project) as proj:  # after the summary: it takes a while
        report = write_with_progress(proj, lang=lang)
    out.print(f"\n[bold]Report[/bold] {report}")
    out.print(f"  open it in a browser: {report.resolve().as_uri()}")
    other = "en" if lang == "de" else "de"
    out.print(f"  in {'English' if other == 'en' else 'German'}: "
              f"wegweiser report --project {p} --lang {other}")
    out.print(f"\n[bold]Dashboard[/bold] wegweiser serve --project {p}  "
              "→ http://127.0.0.1:8000/")
    if result.simulation is not None:
        _show_dry_run(result.simulation, p)
    if serve:
        from wegweiser.commands.serve import serve as run_server

        out.print("")
        run_server(project=p)


def _show_dry_run(simulation: Any, project: Path) -> None:
    """The demo's last words: what the playbook would have sent (a dry run)."""
    table = simulation.steps[["journey", "step", "channel", "messages"]]
    days = (simulation.end - simulation.start).days
    print_frame(table, Format.table, console=out,
                title=f"The journeys' dry run: what they would have sent in the last {days} "
                f"days ({simulation.persons:,} persons, everyone taken as reachable; nothing "
                "was sent)")
    entrants = ", ".join(f"{k} {v:,}" for k, v in simulation.entrants.items())
    out.print(f"  entrants: {entrants}")
    out.print(f"  wegweiser journeys simulate --project {project} --days {days} "
              "--assume-reachable --messages 20")
