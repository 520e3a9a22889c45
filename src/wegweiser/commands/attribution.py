"""``wegweiser attribution`` (credit per channel or campaign) and ``wegweiser import-costs``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from wegweiser._output import Format, print_mapping
from wegweiser.commands._common import FormatOpt, ProjectOpt, out, show, split_list
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.analysis.attribution import AttributionModel

err = Console(stderr=True, soft_wrap=True)


class By(StrEnum):
    channel = "channel"
    campaign = "campaign"


class Metric(StrEnum):
    conversions = "conversions"
    revenue = "revenue"
    share = "share"
    roas = "roas"
    cpa = "cpa"
    roi = "roi"


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(x) for x in split_list(text)]
    except ValueError:
        raise InvalidInput(f"{what} must be numbers separated by commas, got {text!r}") from None


def _model(name: str, options: dict[str, Any]) -> AttributionModel:
    from wegweiser.analysis.attribution import MODELS, make_model

    if name not in MODELS:
        raise InvalidInput(f"unknown model {name!r}; use one of {', '.join(MODELS)}")
    params: dict[str, Any] = {}
    if name == "markov":
        params["order"] = options["order"]
    if name == "time_decay":
        params["half_life"] = options["half_life"]
    if name == "position_based" and options["position"]:
        first, last = [*_floats(options["position"], "--position"), 0.0, 0.0][:2]
        params.update(first=first, last=last)
    if name == "last_non_direct":
        params["direct"] = tuple(split_list(options["direct"]))
    if name == "custom":
        if not options["weights"]:
            raise InvalidInput("--model custom needs --weights, e.g. --weights 0.7,0.2,0.1 "
                               "(from the conversion backwards)")
        params["weights"] = tuple(_floats(options["weights"], "--weights"))
    return make_model(name, **params)


def register(app: typer.Typer) -> None:
    @app.command("attribution")
    def attribution_command(
        project: ProjectOpt = Path("."),
        model: Annotated[str, typer.Option(
            "--model", "-m", help="first_touch, last_touch, last_non_direct, linear, "
            "time_decay, position_based, j_curve, inverse_j, custom, markov, shapley.")
        ] = "markov",
        compare: Annotated[bool, typer.Option(
            "--compare", help="All models side by side (one column per model).")] = False,
        by: Annotated[By, typer.Option(help="Credit channels or campaigns.")] = By.channel,
        order: Annotated[int, typer.Option(min=1, max=4, help="Markov chain order.")] = 1,
        lookback_days: Annotated[int | None, typer.Option(
            min=1, help="Days before a conversion whose touches count (default: "
            "windows.attribution_lookback_days).")] = None,
        half_life: Annotated[float, typer.Option(
            help="Time decay: days until a touch's weight halves (path files: touches).")
        ] = 7.0,
        position: Annotated[str | None, typer.Option(
            help="Position-based first,last shares, e.g. 0.4,0.4.")] = None,
        weights: Annotated[str | None, typer.Option(
            help="Custom weights from the conversion backwards, e.g. 0.6,0.3,0.1.")] = None,
        direct: Annotated[str, typer.Option(
            help="Channels that count as direct for last_non_direct.")] = "direct",
        paths: Annotated[Path | None, typer.Option(
            "--paths", dir_okay=False,
            help="Use a path table (CSV: path, conversions, nulls, value) instead of the store.")
        ] = None,
        sep: Annotated[str, typer.Option(help="Separator of touchpoints in --paths.")] = ">",
        metric: Annotated[Metric, typer.Option(
            help="--compare: what the table shows per model.")] = Metric.conversions,
        bootstrap: Annotated[int, typer.Option(
            min=0, help="Bootstrap resamples of journeys for 95% intervals (0: none).")] = 0,
        seed: Annotated[int, typer.Option(help="Random seed (bootstrap, Shapley sampling).")
        ] = 0,
        view: Annotated[str, typer.Option(
            help="Table to show: credits, removal_effects, transition_matrix, flows "
            "(markov) or shapley_values (shapley).")] = "credits",
        fmt: FormatOpt = Format.table,
    ) -> None:
        """Credit conversions and revenue to channels or campaigns (multi-touch attribution).

        Touches: one per session, the channel (campaign) of its first event. A conversion's
        path: the person's touches after their previous conversion that start at most
        --lookback-days before it (inclusive), ordered by time, then message id; the
        conversion's own session always counts. Non-converting paths: each person's touches
        after their last conversion, within the lookback before their last event. Markov:
        removal effects of order 1-4, solved exactly; Shapley: conversion rate of each
        channel set (exact up to 16 channels). With costs (wegweiser import-costs): ROAS,
        CPA, ROI over the data's dates.

        These models describe paths; they do not measure incrementality. Use holdout
        experiments for causal effects.
        """
        from wegweiser.analysis.attribution import NOTE, attribution, read_paths
        from wegweiser.analysis.attribution import compare as compare_models
        from wegweiser.config import CONFIG_FILE
        from wegweiser.project import open_project

        options = {"order": order, "half_life": half_life, "position": position,
                   "direct": direct, "weights": weights}
        source: Any
        proj = None
        if paths is not None:
            source = read_paths(paths, sep=sep)
            if (project / CONFIG_FILE).is_file():
                proj = open_project(project)
        else:
            proj = open_project(project)
        try:
            costs = None
            if proj is not None:
                if proj.engine.scalar("SELECT count(*) FROM costs"):
                    costs = proj.engine.ibis().table("costs")
                if paths is None:
                    source = proj.journey()
            lookback = lookback_days or (
                proj.config.windows.attribution_lookback_days if proj is not None else 30)
            if compare:
                est = [_model(name, options) if name in ("markov", "time_decay",
                                                         "position_based", "last_non_direct")
                       else name for name in _default_models()]
                result: Any = compare_models(
                    source, models=est, by=by.value, lookback_days=lookback, costs=costs,
                    metric=metric.value, n_bootstrap=bootstrap, random_state=seed)
                table = None
            else:
                est_one = _model(model, options)
                est_one.set_params(n_bootstrap=bootstrap, random_state=seed)
                result = attribution(source, model=est_one, by=by.value,
                                     lookback_days=lookback, costs=costs)
                tables = result.tables()
                if view not in tables:
                    raise InvalidInput(f"--view {view} is not available for {model}; use one "
                                       f"of {', '.join(tables)}")
                table = view
        finally:
            if proj is not None:
                proj.close()
        if fmt is Format.table:
            result = _rounded(result)
        show(result, fmt, table=table, title="Attribution" if table is None else table)
        note = result.note if result.note else NOTE
        if fmt is Format.table:
            out.print(f"[dim]{note}[/dim]")
        else:
            err.print(note)

    @app.command("import-costs")
    def import_costs_command(
        files: Annotated[list[str], typer.Argument(help="Cost files or globs (CSV, Parquet).")],
        project: ProjectOpt = Path("."),
        mapping: Annotated[str | None, typer.Option(
            "--map", "-m", help="Rename your columns: cost=spend,date=day")] = None,
        input_format: Annotated[str | None, typer.Option(
            "--input-format", help="csv or parquet (default: from the file name).")] = None,
        as_json: Annotated[bool, typer.Option(
            "--json", help='Print {"imported", "replaced", "quarantined"}.')] = False,
    ) -> None:
        """Import spend per date, channel and optional campaign (columns date, channel,
        campaign, cost, currency).

        A file replaces the stored cost of every date/channel/campaign it contains (a
        repeated import never doubles spend); rows of one file with the same key add up.
        Bad rows (unparseable date, empty channel, missing/negative cost, bad currency) go
        to the quarantine with file, line and reason.
        """
        from wegweiser.events.costs import import_costs
        from wegweiser.events.ingest import parse_mapping
        from wegweiser.project import open_project

        with open_project(project) as proj:
            summary = import_costs(proj.engine, proj.config, files,
                                   mapping=parse_mapping(mapping), fmt=input_format)
        if as_json:
            print_mapping(summary.as_dict(), Format.json, console=out)
            return
        out.print(f"[green]Imported[/green] {summary.imported:,} cost rows "
                  f"(replaced {summary.replaced:,}), quarantined {summary.quarantined:,}")
        for e in summary.errors:
            out.print(f"  {e['source']}:{e['line']} {e['reason']}")


def _rounded(result: Any) -> Any:
    """The result with its tables rounded to 2 decimals (4 for shares, probabilities,
    removal effects and Shapley values)."""
    import dataclasses

    import pandas as pd

    changes = {}
    for name, frame in result.tables().items():
        frame = frame.copy()
        for col in frame.columns:
            if pd.api.types.is_float_dtype(frame[col]):
                fine = ("share", "probability", "effect", "shapley", "error")
                digits = 4 if any(word in col for word in fine) else 2
                frame[col] = frame[col].round(digits)
        changes[name] = frame
    return dataclasses.replace(result, **changes)


def _default_models() -> list[str]:
    from wegweiser.analysis.attribution import DEFAULT_MODELS

    return list(DEFAULT_MODELS)
