"""One command per registered analysis, with one option per parameter of its model.

``wegweiser funnel --steps a,b --window 7d`` is :class:`~wegweiser.analysis.funnels.
FunnelParams` ``(steps="a,b", window="7d")``: the option names are the field names with
dashes, the help texts the fields' descriptions, the command's help the model's docstring.
Choices become choices, booleans flags, lists either comma lists (``--steps a,b``, repeatable
too) or repeated options (``--where step2:plan=pro --where ...``). Besides the parameters
every command has ``--project``, ``--format`` and ``--view`` (which table to print; some
analyses take ``view`` as a parameter, then it is that) and ``--table`` (any table of the
result). Nothing here knows a particular analysis.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import click
import typer

from wegweiser._output import Format, print_frame, print_mapping, readable
from wegweiser.commands._common import FormatOpt, ProjectOpt, err, out, show
from wegweiser.commands._lazy import add_lazy, build
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from pydantic import BaseModel
    from typer._click.core import Command

    from wegweiser.analysis import registry

_KIND = inspect.Parameter.KEYWORD_ONLY
_RESERVED = {"project", "fmt", "view_", "table_"}


GROUPS = {  # the help of each command group of analyses (``Analysis.group``)
    "predict": "Predictions per person: lifetime value, propensity, churn, next-best offer.",
}


def register(app: typer.Typer) -> None:
    """One command per analysis; each imports its analysis only when it runs (the names
    and one-line helps come from the generated index, :mod:`wegweiser.analysis._catalog`).
    An analysis with a ``group`` is a command of the sub-command ``wegweiser <group>``."""
    groups: dict[str, typer.Typer] = {}
    for name, (summary, group) in listing().items():
        target = app
        if group:
            if group not in groups:
                groups[group] = typer.Typer(no_args_is_help=True,
                                            help=GROUPS.get(group, f"{group} analyses."))
                app.add_typer(groups[group], name=group)
            target = groups[group]
        add_lazy_analysis(target, name.replace("_", "-"), name, summary)


def summaries() -> dict[str, str]:
    """Every analysis's one-line help by name, from the index while it is current."""
    return {name: summary for name, (summary, _) in listing().items()}


def listing() -> dict[str, tuple[str, str]]:
    """Every analysis's one-line help and command group by name (from the index while it
    is current)."""
    from wegweiser.analysis import _catalog

    indexed = _catalog.entries()
    if indexed is not None:
        return {name: (entry.summary, entry.group) for name, entry in indexed.items()}
    from wegweiser.analysis import registry

    return {name: (spec.summary.en, spec.group) for name, spec in registry.analyses().items()}


def add_lazy_analysis(app: typer.Typer, command: str, analysis: str, summary: str) -> None:
    """Add the command of ``analysis`` to ``app`` under the name ``command``."""
    add_lazy(app, command, short_help=summary, load=partial(_load, command, analysis))


def _load(command: str, analysis: str) -> Command:
    from wegweiser.analysis import registry

    spec = registry.get(analysis)
    return build(command, command_for(spec), help=spec.description,
                 short_help=spec.summary.en)


def command_for(spec: registry.Analysis[Any]) -> Any:
    """The command function of one analysis (for a command under another name)."""
    return _command(spec)


def _command(spec: registry.Analysis[Any]) -> Any:
    fields = spec.params.model_fields
    options = [_option(name, info) for name, info in fields.items()]
    takes_view = "view" in fields
    extra = [
        inspect.Parameter("project", _KIND, annotation=ProjectOpt, default=Path(".")),
        inspect.Parameter("fmt", _KIND, annotation=FormatOpt, default=Format.table),
        inspect.Parameter("table_", _KIND, default=None, annotation=Annotated[
            str | None, typer.Option("--table", help="Print this table of the result instead "
                                     "(names: --format json of the API, or the views').")
        ]),
    ]
    if not takes_view and spec.views:
        extra.append(inspect.Parameter("view_", _KIND, default=None, annotation=Annotated[
            _choices("View", list(spec.views)) | None, typer.Option(
                "--view", help=f"What to show (default: {next(iter(spec.views))}).",
            )
        ]))

    def command(**given: Any) -> None:
        project, fmt = given.pop("project"), given.pop("fmt")
        table, view = given.pop("table_", None), given.pop("view_", None)
        view = view.value if isinstance(view, enum.Enum) else view
        params = _params(spec, given)
        result = _run(spec, project, params, tables=_shown(spec, params, view, table))
        _print(spec, result, params, fmt, view=view, table=table)

    command.__signature__ = inspect.Signature([*options, *extra])  # type: ignore[attr-defined]
    command.__name__ = spec.name
    return command


def _option(name: str, info: Any) -> inspect.Parameter:
    """The Typer option of one parameter field."""
    from wegweiser.analysis.params import comma_list, short_flag

    if name in _RESERVED:
        raise RuntimeError(f"a parameter may not be called {name!r} (the CLI uses it)")
    flag = "--" + name.replace("_", "-")
    decls = [flag, *([s] if (s := short_flag(info)) else [])]
    base, choices = _base(info.annotation)
    help_text = info.description or ""
    required = info.is_required()
    default: Any = ... if required else None
    if base is bool:
        default = False if required else info.default
        annotation: Any = Annotated[bool, typer.Option(f"{flag}/--no-{flag[2:]}", help=help_text)]
        return inspect.Parameter(name, _KIND, annotation=annotation, default=default)
    if base is list:
        many = not comma_list(info)
        hint = " Repeat the option for more." if many else " Comma-separated; repeatable."
        annotation = Annotated[list[str] | None, typer.Option(*decls, help=help_text + hint)]
        return inspect.Parameter(name, _KIND, annotation=annotation,
                                 default=... if required else None)
    shown = _shown_default(info)
    if shown:
        help_text += f" [default: {shown}]"
    kind: Any = _choices(name, choices) if choices else base if base in (int, float) else str
    option = typer.Option(*decls, help=help_text, show_default=False)
    return inspect.Parameter(name, _KIND, annotation=Annotated[kind | None, option],
                             default=default)


def _choices(name: str, values: list[str]) -> Any:
    """An Enum of ``values`` (Typer shows and checks an Enum's values as choices)."""
    return enum.StrEnum(name.title().replace("_", ""), [(v, v) for v in values])


def _base(annotation: Any) -> tuple[type, list[str] | None]:
    """The plain type behind an annotation (Optional, Annotated and Literal unwrapped) and
    the Literal's choices."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            lists = [a for a in args if typing.get_origin(a) is list]
            annotation = lists[0] if lists else args[0]
        elif origin is Literal:
            return str, [str(a) for a in typing.get_args(annotation)]
        elif origin is list:
            return list, None
        else:
            return (annotation if isinstance(annotation, type) else str), None


def _shown_default(info: Any) -> str:
    if info.is_required() or info.default_factory is not None or info.default is None:
        return ""
    return str(info.default).lower() if isinstance(info.default, bool) else str(info.default)


def _params(spec: registry.Analysis[Any], given: dict[str, Any]) -> BaseModel:
    """The parameter model from the options given (left-out options take the defaults)."""
    from pydantic import ValidationError

    from wegweiser.analysis import registry
    from wegweiser.analysis.params import comma_list

    values: dict[str, Any] = {}
    for name, value in given.items():
        if isinstance(value, enum.Enum):
            value = value.value
        if value is None or (value is False and not spec.params.model_fields[name].is_required()
                             and spec.params.model_fields[name].default is False):
            continue
        if isinstance(value, list) and comma_list(spec.params.model_fields[name]):
            value = ",".join(value)
        values[name] = value
    try:
        model = spec.params.model_validate(values)
    except ValidationError as exc:
        message = _as_flags(f"{spec.name}: {registry.describe(exc)}", spec)
        raise click.UsageError(message) from None
    checked: BaseModel = spec.validate(model)  # combinations: InvalidInput
    return checked


def _as_flags(message: str, spec: registry.Analysis[Any]) -> str:
    """A validation message with field names as the options the user typed."""
    for name in spec.params.model_fields:
        message = message.replace(f"; {name}:", f"; --{name.replace('_', '-')}:")
        message = message.replace(f"{spec.name}: {name}:", f"--{name.replace('_', '-')}:")
    return message


def _shown(spec: registry.Analysis[Any], params: BaseModel, view: str | None,
           table: str | None) -> list[str] | None:
    """The one table :func:`_print` will print, when the options say it before the run
    (None: the result's main table, known after it)."""
    chosen = view or (spec.view_of(params) if spec.view_of else None)
    name = table or (spec.views.get(chosen) if chosen else None)
    return [name] if name else None


def _run(spec: registry.Analysis[Any], project: Path, params: BaseModel, *,
         tables: list[str] | None = None) -> Any:
    from wegweiser.config import CONFIG_FILE
    from wegweiser.project import open_project

    if spec.standalone is not None and spec.standalone(params) and not (
        project / CONFIG_FILE
    ).is_file():
        return spec.run(_Defaults(), params, tables=tables)
    with open_project(project) as proj, err.status(f"{spec.title.en} ...", spinner="dots"):
        return spec.run(proj, params, tables=tables)  # a spinner on a terminal, not in a pipe


class _Defaults:
    """Inputs without a project: the default settings and no data (for standalone runs)."""

    def __init__(self) -> None:
        from wegweiser.config import default_config

        self.config = default_config()

    def journey(self) -> Any:
        raise InvalidInput("this needs a project: pass --project DIR")

    def costs(self) -> Any:
        return None

    def traits(self, key: str) -> Any:
        raise InvalidInput("this needs a project: pass --project DIR")

    def persona_memory(self) -> dict[str, Any] | None:
        return None

    def remember_personas(self, memory: dict[str, Any]) -> None:
        return None

    def segment(self, name: str) -> Any:
        raise InvalidInput("segments need a project: pass --project DIR")


def _print(spec: registry.Analysis[Any], result: Any, params: BaseModel, fmt: Format, *,
           view: str | None, table: str | None) -> None:
    tables = result.tables()
    if table is None:
        chosen = view or (spec.view_of(params) if spec.view_of else None)
        table = spec.views.get(chosen) if chosen else None
        if table is not None and table not in tables:
            raise InvalidInput(f"--view {chosen} is not available here; the result has "
                               f"{', '.join(tables)} (use --table)")
    elif table not in tables:
        raise InvalidInput(f"--table {table!r} is not a table of this result; use one of: "
                           f"{', '.join(tables)}")
    name = table or next(iter(tables))
    note = getattr(result, "note", "")
    frame = tables[name]
    if fmt is Format.table:
        if len(frame) == 1 and len(frame.columns) > 4:
            row = {str(k): v for k, v in readable(frame).iloc[0].items()}
            print_mapping(row, fmt, console=out, title=f"{spec.title.en}: {name}")
        else:
            print_frame(readable(frame), fmt, console=out, title=f"{spec.title.en}: {name}")
        if note:
            out.print(f"[dim]{note}[/dim]")
        return
    show(result, fmt, table=name)
    if note:
        err.print(note)
