"""The ``wegweiser`` command: thin; it parses arguments, calls the library, maps errors.

Exit codes: 0 ok, 1 runtime error, 2 usage error. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape

from wegweiser import __version__, commands
from wegweiser._help import HelpGroup
from wegweiser._output import Format, print_frame, print_mapping
from wegweiser.commands import journeys as journeys_commands
from wegweiser.errors import DOCS_URL, InvalidInput, WegweiserError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from wegweiser.events.ingest import ImportSummary, Progress
    from wegweiser.project import Project

app = typer.Typer(
    name="wegweiser",
    help="Wegweiser: customer journeys from touchpoint events. Start with `wegweiser demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=HelpGroup,  # every command's help as flowing text with literal brackets
)
quarantine_app = typer.Typer(
    help="Rows rejected on import: list, replay after a fix, drop.", no_args_is_help=True
)
identities_app = typer.Typer(
    help="Identity stitching: merges of ids into persons.", no_args_is_help=True
)
imports_app = typer.Typer(
    help="Import history: list imports (files, collector batches), undo one.",
    no_args_is_help=True,
)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(imports_app, name="imports")
app.add_typer(identities_app, name="identities")
app.add_typer(journeys_commands.app, name="journeys")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
_state = {"debug": False}

ProjectOpt = Annotated[
    Path,
    typer.Option(
        "--project", "-p", help="Project folder (default: current folder).", file_okay=False
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output: table, csv or json.")]
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        "-m",
        help="Rename your columns to event fields: user_id=client_id,event=action,timestamp=ts; "
        "a quoted value is a constant: event='purchase'",
    ),
]


def open_project(path: Path) -> Project:
    """The project at ``path`` (imported here, so that ``--help`` stays light)."""
    from wegweiser.project import open_project as open_

    return open_(path)


def _version(value: bool) -> None:
    if value:
        out.print(f"wegweiser {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    _state["debug"] = debug


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


@app.command()
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


class EpochUnit(StrEnum):
    s = "s"
    ms = "ms"
    us = "us"


# how values read: options of `import`, and of `quarantine replay` for the rows it retries
TimestampFormatOpt = Annotated[
    str | None,
    typer.Option("--timestamp-format", help="strptime format of the timestamps, e.g. "
                 "'%Y%m%d' or '%d.%m.%Y %H:%M' (default: ISO-8601, epochs, YYYYMMDD)."),
]
EpochUnitOpt = Annotated[
    EpochUnit | None,
    typer.Option("--epoch-unit", help="Numeric timestamps are epochs in s, ms or us "
                 "(default: told apart by size)."),
]
DecimalOpt = Annotated[
    str, typer.Option("--decimal", help="Decimal mark of revenue: . or , (1.234,56).")
]


@app.command("import")
def import_(
    files: Annotated[
        list[str], typer.Argument(help="Files, folders or globs (CSV, JSON Lines, Parquet).")
    ],
    project: ProjectOpt = Path("."),
    mapping: MapOpt = None,
    input_format: Annotated[
        str | None,
        typer.Option("--input-format", help="csv, jsonl or parquet (default: from the file name)."),
    ] = None,
    timestamp_format: TimestampFormatOpt = None,
    epoch_unit: EpochUnitOpt = None,
    delimiter: Annotated[
        str | None,
        typer.Option("--delimiter", help="CSV field separator: one character, tab, or "
                     "whitespace (runs of spaces); default: from the header line."),
    ] = None,
    decimal: DecimalOpt = ".",
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Text encoding of CSV/JSON Lines, e.g. latin-1, "
                     "cp1252, utf-16 (default UTF-8)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Undo each file's earlier imports and import it "
                           "again, in one transaction (after fixing --map).")
    ] = False,
    max_quarantine_share: Annotated[
        float | None,
        typer.Option("--max-quarantine-share", min=0.0, max=1.0, help="Exit 1 when more than "
                     "this share of the rows is quarantined (always when all of them are)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print the summary as JSON ({"imported", '
                           '"duplicates", "quarantined", "rows", "warnings", ...}).')
    ] = False,
) -> None:
    """Import events. Bad rows are quarantined with a reason and line; the rest go in.

    Each file is one import, in one transaction (see `wegweiser imports list`); rows are
    deduplicated on message_id, so importing the same data twice adds nothing. In --map a
    quoted value is a constant: --map "user_id=customer_id,event='purchase'".
    """
    with open_project(project) as proj:
        started = time.perf_counter()
        with _progress(quiet=as_json) as progress:
            summary = proj.import_events(
                files, mapping=mapping, format=input_format, progress=progress,
                timestamp_format=timestamp_format,
                epoch_unit=epoch_unit.value if epoch_unit else None, delimiter=delimiter,
                decimal=decimal, encoding=encoding, replace=replace,
            )
        if summary.imported and (hint := proj.conversion_hint()):
            summary.warnings.append(hint)  # else conversions, revenue, attribution: all 0
        if as_json:
            out.file.write(json.dumps(summary.as_dict(full=True), default=str) + "\n")
        else:
            _print_summary(summary, time.perf_counter() - started)
        _check_share(summary, max_quarantine_share)


def _print_summary(summary: ImportSummary, took: float) -> None:
    out.print(
        f"[green]imported[/green] {summary.imported:,}  duplicates {summary.duplicates:,}  "
        f"quarantined {summary.quarantined:,}  of {summary.rows:,} rows  ({took:.1f} s)"
    )
    if summary.replaced:
        out.print(f"  replaced {len(summary.replaced)} earlier import(s) of the same file(s)")
    for e in summary.errors[:5]:
        out.print(
            f"  [yellow]{escape(e['source'])}:{e['line']}[/yellow] {escape(e['reason'])}",
            highlight=False,
        )
    if summary.quarantined:
        out.print(
            "  see all: wegweiser quarantine list; fix the mapping or config, then "
            "wegweiser quarantine replay (it takes --map, --timestamp-format, --epoch-unit "
            "and --decimal; a wrong --delimiter or --encoding: import the file again with it "
            "and --replace)"
        )
    for d in summary.duplicate_sample[:3]:
        out.print(f"  [dim]duplicate line {d['line']}: {escape(d['why'])}[/dim]", highlight=False)
    for w in summary.warnings:
        out.print(f"  [yellow]warning:[/yellow] {escape(w)}", highlight=False)


def _check_share(summary: ImportSummary, limit: float | None) -> None:
    """Exit 1 (for pipelines) when everything, or more than ``limit``, was quarantined."""
    if not summary.rows or not summary.quarantined:
        return
    share = summary.quarantine_share
    everything = summary.quarantined == summary.rows
    if everything or (limit is not None and share > limit):
        if everything:
            raise WegweiserError(
                f"{summary.quarantined:,} of {summary.rows:,} rows were quarantined (all rows) "
                "and nothing was imported: check --map and the options (wegweiser quarantine "
                "list shows why)"
            )
        ids = " ".join(i[:12] for i in summary.import_ids)
        raise WegweiserError(
            f"{summary.quarantined:,} of {summary.rows:,} rows were quarantined ({share:.1%} "
            f"of the rows, more than {limit:g}); the rest is imported — check --map and the "
            f"options, or undo: wegweiser imports undo {ids}"
        )


@contextlib.contextmanager
def _progress(*, quiet: bool) -> Iterator[Progress | None]:
    """A rich progress bar per file on a terminal; nothing in pipes or with --json."""
    if quiet or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bars: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
        transient=True,
    ) as bar:
        def report(source: str, done: int, total: int) -> None:
            if source not in bars:
                bars[source] = bar.add_task(Path(source).name, total=total)
            bar.update(bars[source], completed=done, total=total)

        yield report


@app.command()
def stats(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """Counts: events, persons, ids, merges, quarantined rows, channels, event types, dates.
    Warns when no event is one of the conversion events of wegweiser.toml."""
    with open_project(project) as proj:
        print_mapping(proj.stats(), fmt, console=out, title="Store")
        hint = proj.conversion_hint()
    if hint:
        err.print(f"[yellow]warning:[/yellow] {escape(hint)}", highlight=False)


@app.command()
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


@quarantine_app.command("list")
def quarantine_list(
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    limit: Annotated[int, typer.Option(help="Show at most this many rows.")] = 50,
    reason: Annotated[
        str | None, typer.Option(help="Only rows whose reason contains this.")
    ] = None,
) -> None:
    """Show quarantined rows: source file, line, reason and the raw payload."""
    with open_project(project) as proj:
        df = proj.quarantine(limit=limit, reason=reason)
        if fmt is Format.table:  # what to read first: narrow terminals wrap the long ones
            df = df[["quarantine_id", "line", "reason", "source", "raw"]]
            df = df.assign(raw=df["raw"].str.slice(0, 50))
        print_frame(df, fmt, console=out, title="Quarantine")


@quarantine_app.command("replay")
def quarantine_replay(
    project: ProjectOpt = Path("."),
    mapping: MapOpt = None,
    reason: Annotated[
        str | None, typer.Option(help="Only rows whose reason contains this.")
    ] = None,
    timestamp_format: TimestampFormatOpt = None,
    epoch_unit: EpochUnitOpt = None,
    decimal: DecimalOpt = ".",
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Import quarantined rows again with the current wegweiser.toml, --map and the options
    of how values read (--timestamp-format, --epoch-unit, --decimal), as the import takes
    them.

    A row keeps the columns its file was split into: for a wrong --delimiter or --encoding,
    import the file again with it and --replace.
    """
    with open_project(project) as proj:
        summary, skipped = proj.replay_quarantine(
            mapping=mapping, reason=reason, timestamp_format=timestamp_format,
            epoch_unit=epoch_unit.value if epoch_unit else None, decimal=decimal,
        )
        result = {**summary.as_dict(), "not_replayable": skipped}
        if as_json:
            out.file.write(json.dumps(result) + "\n")
            return
        out.print(
            f"replayed: imported {summary.imported:,}, duplicates {summary.duplicates:,}, "
            f"still quarantined {summary.quarantined:,}"
        )
        if skipped:
            out.print(
                f"  {skipped:,} unparsed lines cannot be replayed: fix the file and import "
                "it again, or `wegweiser quarantine drop --reason ...`"
            )


@quarantine_app.command("drop")
def quarantine_drop(
    project: ProjectOpt = Path("."),
    reason: Annotated[
        str | None, typer.Option(help="Only rows whose reason contains this.")
    ] = None,
    ids: Annotated[list[int] | None, typer.Option("--id", help="Quarantine ids to drop.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Delete quarantined rows for good."""
    if not yes and not typer.confirm("Delete these quarantined rows for good?"):
        raise typer.Exit(1)
    with open_project(project) as proj:
        out.print(f"dropped {proj.drop_quarantine(reason=reason, ids=ids):,} rows")


@imports_app.command("list")
def imports_list(
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    limit: Annotated[int, typer.Option(help="Show at most this many imports.")] = 50,
    active: Annotated[
        bool, typer.Option("--active", help="Leave out undone imports.")
    ] = False,
) -> None:
    """Imports, newest first: id, kind, source, counts, and when undone."""
    with open_project(project) as proj:
        df = proj.imports(limit=limit, undone=not active)
        if fmt is Format.table:
            import pandas as pd

            undone = df["undone_at"].dt.strftime("%Y-%m-%d %H:%M").fillna("")
            df = pd.DataFrame({  # the counts before the long columns (narrow terminals)
                "id": df["import_id"].str.slice(0, 8),
                "kind": df["kind"],
                "rows": df["n_rows"],
                "imported": df["n_imported"],
                "dups": df["n_duplicates"],
                "quarantined": df["n_quarantined"],
                "source": df["source"],
                "started": df["started_at"].dt.strftime("%Y-%m-%d %H:%M"),
                **({"undone": undone} if undone.ne("").any() else {}),
            })
        print_frame(df, fmt, console=out, title="Imports")


@imports_app.command("undo")
def imports_undo(
    import_id: Annotated[str, typer.Argument(help="Import id (or its first characters).")],
    project: ProjectOpt = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print what was removed as JSON.")] = (
        False
    ),
) -> None:
    """Undo an import: its events and quarantined rows go, identities are resolved again and
    derived tables are rebuilt on next use. Atomic."""
    with open_project(project) as proj:
        undone = proj.undo_import(import_id)
        if as_json:
            out.file.write(json.dumps(
                {"import_ids": undone.import_ids, "events": undone.events,
                 "quarantined": undone.quarantined}) + "\n")
            return
        out.print(f"[green]undone[/green] {undone.import_ids[0][:12]}: removed "
                  f"{undone.events:,} events and {undone.quarantined:,} quarantined rows")


@identities_app.command("merges")
def identities_merges(
    project: ProjectOpt = Path("."),
    fmt: FormatOpt = Format.table,
    status: Annotated[str | None, typer.Option(help="merged or refused")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many rows.")] = 50,
) -> None:
    """Links between ids (a row with both ids, identify, alias) and whether they merged."""
    with open_project(project) as proj:
        print_frame(
            proj.merges(limit=limit, status=status), fmt, console=out, title="Identity links"
        )


@identities_app.command("lookup")
def identities_lookup(
    any_id: Annotated[str, typer.Argument(help="An anonymous id or user id.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Print the person_id an id belongs to."""
    with open_project(project) as proj:
        person = proj.person_of(any_id)
        if person is None:
            raise WegweiserError(f"id {any_id!r} is not in the store")
        out.print(person)


# the analysis commands, listed after the core ones
commands.register_all(app)


def main() -> None:
    """Entry point: run the app with one error boundary.

    Files the command creates (store, its write-ahead log, reports, spool, exports) hold
    personal data, so they are created readable by their owner only (umask 077).
    """
    os.umask(os.umask(0o077) | 0o077)
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:  # click returns a command's typer.Exit(n) here
            sys.exit(code)
    except WegweiserError as exc:
        if _state["debug"]:
            raise
        err.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False)
        err.print(f"  docs: {DOCS_URL}", style="dim", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(1)
    except click.ClickException as exc:  # usage errors: bad option value, missing argument
        exc.show()
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:  # anything unexpected
        if _state["debug"]:
            raise
        err.print(
            f"[red]Unexpected error:[/red] {type(exc).__name__}: {escape(str(exc))}",
            highlight=False,
        )
        err.print("  run again with --debug for the traceback and report it", style="dim")
        sys.exit(1)


if __name__ == "__main__":
    main()
