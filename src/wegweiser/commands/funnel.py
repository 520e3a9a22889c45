"""``wegweiser funnel``: step counts, breakdowns, time to convert and drop-off lists."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wegweiser._output import Format, print_frame
from wegweiser.commands._common import FormatOpt, ProjectOpt, out, parse_duration, show, split_list
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.analysis.funnels import FunnelStep

_WHERE = re.compile(r"^(?:step)?(\d+):([^=]+)=(.*)$")


class Mode(StrEnum):
    ordered = "ordered"
    strict = "strict"
    unordered = "unordered"


class Unit(StrEnum):
    person = "person"
    session = "session"


class View(StrEnum):
    steps = "steps"
    breakdown = "breakdown"
    time = "time"
    histogram = "histogram"
    entry = "entry"
    reached = "reached"


_TABLES = {View.steps: "steps", View.breakdown: "breakdown", View.time: "time_to_convert",
           View.histogram: "histogram", View.entry: "by_entry_date", View.reached: "reached"}


HELP = "\n\n".join((
    "Funnel: how many persons (or sessions) go through --steps, and where they drop out.",
    "Entry: the unit's FIRST event of step 1 (unordered: of any step). Order: by timestamp, "
    "ties by message_id; 'after' means a later event in that order.",
    "ordered: each next step is the first matching event after the previous step. strict: "
    "it must be the very next event. unordered: row K counts units that did steps 1..K in any "
    "order.",
    "Windows: a step counts when it is at most --window after the entry and at most its "
    "--step-window after the previous step; both edges inclusive.",
    "--exclude: an excluded event after the entry ends the attempt; later steps do not count.",
    "--by session: the funnel must finish within one session (a session ends after "
    "windows.session_gap_minutes without events).",
    "Converted = reached the last step; time to convert = last step time - entry time.",
))


def _step_windows(text: str | None, n: int) -> list[timedelta | None] | None:
    if not text:
        return None
    windows: list[timedelta | None] = [None] * n
    for part in split_list(text):
        step, _, span = part.partition(":")
        if not step.strip().removeprefix("step").isdigit() or not span:
            raise InvalidInput(f"--step-window {part!r}: write STEP:DURATION, e.g. 2:1h,3:30m")
        k = int(step.strip().removeprefix("step"))
        if not 2 <= k <= n:
            raise InvalidInput(f"--step-window {part!r}: the step must be 2..{n}")
        windows[k - 1] = parse_duration(span)
    return windows


def _steps_with_filters(names: list[str], wheres: list[str]) -> list[FunnelStep]:
    from wegweiser.analysis.funnels import FunnelStep

    filters: dict[int, dict[str, str]] = {}
    for text in wheres:
        match = _WHERE.match(text.strip())
        if match is None:
            raise InvalidInput(f"--where {text!r}: write STEP:KEY=VALUE, e.g. step2:plan=pro")
        k = int(match.group(1))
        if not 1 <= k <= len(names):
            raise InvalidInput(f"--where {text!r}: the funnel has steps 1..{len(names)}")
        filters.setdefault(k, {})[match.group(2).strip()] = match.group(3).strip()
    return [FunnelStep(name, where=filters.get(k + 1)) for k, name in enumerate(names)]


def register(app: typer.Typer) -> None:
    @app.command("funnel", help=HELP)
    def funnel_command(
        steps: Annotated[str, typer.Option("--steps", "-s",
                                           help="Events in funnel order: a,b,c.")],
        project: ProjectOpt = Path("."),
        mode: Annotated[Mode, typer.Option(
            help="ordered: other events may come between steps; strict: each step is the "
                 "very next event; unordered: all steps in any order.")] = Mode.ordered,
        window: Annotated[str | None, typer.Option(
            help="Conversion window from the entry, inclusive: 7d, 12h, 90m "
                 "(default: windows.conversion_days).")] = None,
        step_window: Annotated[str | None, typer.Option(
            "--step-window", help="Max time since the previous step, per step: 2:1h,3:30m.",
        )] = None,
        exclude: Annotated[str | None, typer.Option(
            help="Events that end an attempt when they come after the entry: x,y.")] = None,
        where: Annotated[list[str] | None, typer.Option(
            help="Property filter of a step, repeatable: step2:plan=pro.")] = None,
        by: Annotated[Unit, typer.Option(
            help="Count persons, or sessions (the funnel must finish in one session).",
        )] = Unit.person,
        breakdown: Annotated[str | None, typer.Option(
            help="channel, campaign, source, medium, device, platform, country, phase, "
                 "property:KEY (of the attributed step's event) or trait:KEY (from the "
                 "person's latest identify).")] = None,
        attribution: Annotated[str, typer.Option(
            help="Whose breakdown value counts: first_touch (entry), last_touch (last step "
                 "reached) or step:K.")] = "first_touch",
        dropped: Annotated[int | None, typer.Option(
            help="List the units that reached step DROPPED-1 but not step DROPPED.",
        )] = None,
        limit: Annotated[int, typer.Option(help="With --dropped: at most this many rows "
                                                "(0: all).")] = 100,
        view: Annotated[View, typer.Option(
            help="Table to print: steps, breakdown, time, histogram, entry (per entry day) "
                 "or reached (units by distinct steps done).")] = View.steps,
        fmt: FormatOpt = Format.table,
    ) -> None:
        from wegweiser.analysis.funnels import dropped_off, funnel
        from wegweiser.project import open_project

        names = split_list(steps)
        funnel_steps = _steps_with_filters(names, where or [])
        windows = _step_windows(step_window, len(names))
        with open_project(project) as proj:
            span = (parse_duration(window) if window is not None
                    else timedelta(days=proj.config.windows.conversion_days))
            journey = proj.journey()
            if dropped is not None:
                frame = dropped_off(
                    journey, funnel_steps, step=dropped, mode=mode.value, window=span,
                    step_windows=windows, exclude=split_list(exclude), by=by.value,
                    limit=limit or None,
                )
                print_frame(frame, fmt, console=out,
                            title=f"Reached step {dropped - 1}, not step {dropped}")
                return
            if view is View.breakdown and breakdown is None:
                raise InvalidInput("--view breakdown needs --breakdown COLUMN, e.g. "
                                   "--breakdown device")
            traits = None
            if breakdown is not None and breakdown.startswith("trait:"):
                from wegweiser.analysis._funnel_traits import identify_traits

                w = proj.warehouse
                traits = identify_traits(w.table("events"), w.table("identities"),
                                         breakdown[len("trait:"):])
            result = funnel(
                journey, funnel_steps, mode=mode.value, window=span, step_windows=windows,
                exclude=split_list(exclude), by=by.value, breakdown=breakdown,
                attribution=attribution, traits=traits,
            )
            title = f"Funnel ({mode.value}, {by.value}s)"
            if fmt is not Format.table:
                show(result, fmt, table=_TABLES[view], title=title)
                return
            print_frame(_readable(result.tables()[_TABLES[view]]), fmt, console=out, title=title)


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rates as percentages, seconds rounded, the label only where it adds a filter."""
    import pandas as pd

    frame = frame.copy()
    for col in frame.columns:
        if col.startswith("conversion") or col in ("rate", "share"):
            frame[col] = frame[col].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        elif col in ("mean", "median", "p25", "p75", "p90", "min", "max",
                     "median_seconds_from_previous"):
            frame[col] = frame[col].round(1)
    if "label" in frame.columns and (frame["label"] == frame["event"]).all():
        frame = frame.drop(columns="label")
    if "value" in frame.columns:
        frame["value"] = frame["value"].astype(object).where(frame["value"].notna(), "(none)")
    return frame
