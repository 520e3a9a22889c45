"""``wegweiser paths``: transitions, top paths, Sankey flows, step matrix, pattern matches."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wegweiser._output import Format
from wegweiser.commands._common import FormatOpt, ProjectOpt, show
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.analysis.result import Result


class PathsView(StrEnum):
    transitions = "transitions"
    top = "top"
    sankey = "sankey"
    steps = "steps"
    match = "match"


class UnitChoice(StrEnum):
    person = "person"
    session = "session"


_TABLES = {
    PathsView.transitions: ("edges", "nodes"), PathsView.top: ("paths",),
    PathsView.sankey: ("links", "nodes"), PathsView.steps: ("matrix", "counts"),
    PathsView.match: ("summary", "matches"),
}


def parse_groups(rules: list[str]) -> dict[str, str]:
    """``["checkout_*=checkout", "re:^cart=cart"]`` -> ``{pattern: group name}``.

    >>> parse_groups(["checkout_*=checkout"])
    {'checkout_*': 'checkout'}
    """
    groups: dict[str, str] = {}
    for rule in rules:
        pattern, sep, name = rule.rpartition("=")
        if not sep or not pattern.strip() or not name.strip():
            raise InvalidInput(f"--group {rule!r} is not PATTERN=NAME; "
                               "write e.g. --group 'checkout_*=checkout'")
        groups[pattern.strip()] = name.strip()
    return groups


def _only(view: PathsView, allowed: set[PathsView], **given: object) -> None:
    for flag, value in given.items():
        if value is not None and view not in allowed:
            names = ", ".join(sorted(v.value for v in allowed))
            raise InvalidInput(f"--{flag.replace('_', '-')} does not apply to --view "
                               f"{view.value}; use it with --view {names}")


def register(app: typer.Typer) -> None:
    @app.command("paths")
    def paths_command(
        project: ProjectOpt = Path("."),
        view: Annotated[
            PathsView | None,
            typer.Option(help="transitions, top (default; match when --pattern is given), "
                              "sankey, steps (step matrix) or match."),
        ] = None,
        start: Annotated[
            str | None, typer.Option(help="Begin at each unit's first event matching this.")
        ] = None,
        end: Annotated[
            str | None,
            typer.Option(help="--view top: the steps up to each unit's first event matching "
                              "this (after --start when given)."),
        ] = None,
        steps: Annotated[
            int | None,
            typer.Option(help="Steps shown by sankey (default 5) and steps (default 10)."),
        ] = None,
        max_length: Annotated[
            int, typer.Option(help="--view top: longest path, in steps.")
        ] = 10,
        top: Annotated[int, typer.Option(help="--view top: how many paths.")] = 20,
        group: Annotated[
            list[str] | None,
            typer.Option(help="PATTERN=NAME: rename matching events (first rule wins); "
                              "repeatable."),
        ] = None,
        exclude: Annotated[
            list[str] | None,
            typer.Option(help="Drop events matching this pattern; repeatable."),
        ] = None,
        collapse: Annotated[
            bool, typer.Option(help="Keep only the first of repeated consecutive events.")
        ] = False,
        pattern: Annotated[
            str | None,
            typer.Option(help="--view match: e.g. 'add_to_cart -> [^support_*]* -> "
                              "order_completed'."),
        ] = None,
        by: Annotated[
            UnitChoice, typer.Option(help="Follow persons (all sessions) or sessions.")
        ] = UnitChoice.person,
        table: Annotated[
            str | None,
            typer.Option(help="Which table to print: edges/nodes (transitions), "
                              "links/nodes (sankey), matrix/counts (steps), "
                              "summary/matches (match)."),
        ] = None,
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Where people go: transitions, top paths, flows, step matrix, matches.

        Steps are a person's events across devices and sessions (--by session:
        one session; a new one after the configured gap), ordered by time and,
        for equal times, by message id; step 1 is the first. Patterns are globs
        (* and ?) or regexes after re:. Cleaning, in this order: --exclude drops
        events (by name or group name), --group renames them, --collapse keeps
        the first of a run of equal events.

        transitions: each step to the next (count, persons, probability = share
        of the moves out of the source, median seconds between).
        top: the first --max-length steps; with --start from the first start;
        with --end the steps up to and including the first end; with both, the
        first start to the first end after it, if within --max-length steps
        (share: of the units with a start).
        sankey, steps: steps 1..k, from the first --start when given.
        match: units containing the --pattern: steps joined by ->; \\[a,b] one
        of, \\[^a,b] none of, . any one, * any run, \\[..]* or \\[..]+ repeated;
        ^ and $ tie it to the first and last step. Shows the first match.
        """
        from wegweiser.analysis import paths as analysis
        from wegweiser.project import open_project

        chosen = view or (PathsView.match if pattern is not None else PathsView.top)
        _only(chosen, {PathsView.top, PathsView.sankey, PathsView.steps}, start=start)
        _only(chosen, {PathsView.top}, end=end)
        _only(chosen, {PathsView.sankey, PathsView.steps}, steps=steps)
        _only(chosen, {PathsView.match}, pattern=pattern)
        if chosen is PathsView.match and pattern is None:
            raise InvalidInput("--view match needs --pattern, e.g. --pattern 'a -> * -> b'")
        if table is not None and table not in _TABLES[chosen]:
            raise InvalidInput(f"--table {table!r} is not a table of --view {chosen.value}; "
                               f"use one of: {', '.join(_TABLES[chosen])}")
        prep: dict[str, Any] = {
            "groups": parse_groups(group or []),
            "exclude": [p.strip() for p in exclude or []],
            "collapse": collapse,
            "by": by.value,
        }
        with open_project(project) as proj:
            journey = proj.journey()
            result: Result
            if chosen is PathsView.transitions:
                result = analysis.transitions(journey, **prep)
            elif chosen is PathsView.top:
                result = analysis.top_paths(journey, n=top, max_length=max_length,
                                            start=start, end=end, **prep)
            elif chosen is PathsView.sankey:
                result = analysis.sankey(journey, steps=steps or 5, start=start, **prep)
            elif chosen is PathsView.steps:
                result = analysis.step_matrix(journey, max_steps=steps or 10, start=start,
                                              **prep)
            else:
                assert pattern is not None
                result = analysis.match_pattern(journey, pattern, **prep)
        if fmt is Format.table:  # readable numbers on screen; csv/json keep full precision
            rounded: dict[str, Any] = {n: f.round(4) for n, f in result.tables().items()}
            result = replace(result, **rounded)
        show(result, fmt, table=table)
