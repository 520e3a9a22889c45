"""``wegweiser import`` and ``wegweiser quarantine``: events in, and the rows the import
rejected (list, replay after a fix, drop); registered by ``cli.py``."""

from __future__ import annotations

import contextlib
import json
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt, err, open_project, out
from wegweiser.errors import WegweiserError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from wegweiser.events.ingest import ImportSummary, Progress

quarantine_app = typer.Typer(
    help="Rows rejected on import: list, replay after a fix, drop.", no_args_is_help=True
)
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        "-m",
        help="Rename your columns to event fields: user_id=client_id,event=action,timestamp=ts; "
        "a quoted value is a constant: event='purchase'",
    ),
]


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
