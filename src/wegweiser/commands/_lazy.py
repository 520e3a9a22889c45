"""Commands that are built when they run: ``wegweiser --help`` imports no analysis.

:func:`add_lazy` puts a placeholder in a Typer app: a command with a name and a one-line
help, no options, and a ``load`` function that builds the real command (importing what it
needs). Listing the commands reads the placeholder only; running it, or asking for its
``--help``, builds the real command and hands it the arguments (:meth:`LazyCommand.
make_context`), so the options, checks and help are exactly the real command's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

from wegweiser._help import tidy

if TYPE_CHECKING:
    from collections.abc import Callable

    # Typer carries its own copy of click (typer._click) since 0.2x; its commands are those
    from typer._click.core import Command, Context, Parameter


class LazyCommand(TyperCommand):
    """A placeholder that becomes the command its callback's ``load`` builds."""

    _real: Command | None = None

    def real(self) -> Command:
        """The command itself (built once)."""
        if self._real is None:
            load: Callable[[], Command] = self.callback.load  # type: ignore[union-attr]
            self._real = load()
        return self._real

    def make_context(self, info_name: str | None, args: list[str],
                     parent: Context | None = None, **extra: Any) -> Context:
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Context) -> Any:
        command: Command = ctx.command
        return (self.real() if command is self else command).invoke(ctx)

    def get_params(self, ctx: Context) -> list[Parameter]:
        return self.real().get_params(ctx)


def add_lazy(app: typer.Typer, name: str, *, short_help: str,
             load: Callable[[], Command]) -> None:
    """Add command ``name`` to ``app``, built by ``load`` when it is used."""

    def placeholder() -> None:  # never called: the real command runs instead
        raise RuntimeError(f"the command {name!r} was not built")

    placeholder.load = load  # type: ignore[attr-defined]  # Typer's wrapper copies it
    app.command(name, cls=LazyCommand, help=short_help, short_help=short_help)(placeholder)


def build(name: str, callback: Callable[..., Any], *, help: str, short_help: str
          ) -> Command:
    """The click command Typer makes of ``callback`` (as ``app.command`` would), its help
    made for the terminal (:func:`wegweiser._help.tidy`)."""
    single = typer.Typer(add_completion=False)
    single.command(name, help=help, short_help=short_help)(callback)
    return tidy(typer.main.get_command(single))
