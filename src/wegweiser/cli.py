"""The ``wegweiser`` command: thin; it parses arguments, calls the library, maps errors.

Exit codes: 0 ok, 1 runtime error, 2 usage error. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.markup import escape

from wegweiser import __version__, commands
from wegweiser._help import HelpGroup
from wegweiser._output import Format, print_mapping
from wegweiser.commands import journeys as journeys_commands
from wegweiser.commands._bookkeeping import identities_app, imports_app
from wegweiser.commands._common import FormatOpt, ProjectOpt, err, open_project, out
from wegweiser.commands._importing import import_, quarantine_app
from wegweiser.commands._setup import demo, init
from wegweiser.errors import DOCS_URL, WegweiserError

app = typer.Typer(
    name="wegweiser",
    help="Wegweiser: customer journeys from touchpoint events. Start with `wegweiser demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=HelpGroup,  # every command's help as flowing text with literal brackets
)
_state = {"debug": False}


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


# the core commands; init, demo: commands/_setup.py; import, quarantine: _importing.py;
# imports, identities: _bookkeeping.py
app.command()(init)
app.command("import")(import_)


@app.command()
def stats(project: ProjectOpt = Path("."), fmt: FormatOpt = Format.table) -> None:
    """Counts: events, persons, ids, merges, quarantined rows, channels, event types, dates.
    Warns when no event is one of the conversion events of wegweiser.toml."""
    with open_project(project) as proj:
        print_mapping(proj.stats(), fmt, console=out, title="Store")
        hint = proj.conversion_hint()
    if hint:
        err.print(f"[yellow]warning:[/yellow] {escape(hint)}", highlight=False)


app.command()(demo)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(imports_app, name="imports")
app.add_typer(identities_app, name="identities")
app.add_typer(journeys_commands.app, name="journeys")

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
