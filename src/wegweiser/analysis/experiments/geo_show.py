"""A geo holdout's readout in the analysis registry (``wegweiser experiment_geo``).

See :mod:`wegweiser.analysis.experiments.geo` for the computation.
"""

from __future__ import annotations

import datetime as dt  # noqa: TC003 (pydantic reads the annotations)
import tomllib
from pathlib import Path  # noqa: TC003 (pydantic reads the annotations)
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, ValidationError

from wegweiser.analysis.experiments.geo import GeoResult, empty, geo_readout
from wegweiser.analysis.params import CliOnly, Name, Names, Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.analysis.registry import Inputs


class GeoParams(Params):
    """A media experiment: a channel switched off in some regions for a while (a geo holdout).

    Reads out the channel's incremental conversions and revenue -- what the holdout regions
    lost against a counterfactual from the control regions (time-based regression on the
    days before the test, Kerman et al. 2017) -- with intervals; the same share of the
    control regions' figures is the channel's effect where it ran, and over its spend in
    the test period the incremental ROAS. Beside it, what attribution credits the channel
    with in the same regions and period, and by how much that over- or understates.
    """

    channel: Name | None = Field(None, description="The channel switched off in the holdout.")
    campaign: Name | None = Field(
        None, description="Only this campaign of the channel was switched off."
    )
    holdout: Names | None = Field(
        None, description="The holdout regions, where the channel was off (comma list)."
    )
    controls: Names | None = Field(
        None, description="The control regions (default: every other region)."
    )
    geo: Name = Field(
        "country",
        description="What a region is: a journey column (country, ...), property:KEY or "
        "trait:KEY.",
    )
    start: dt.date | None = Field(None, description="First day of the test (UTC).")
    end: dt.date | None = Field(None, description="Day after the test's last day (UTC).")
    pre_days: Annotated[int, Field(ge=7, le=730)] = Field(
        56, description="Days before the test that teach the counterfactual."
    )
    alpha: Annotated[float, Field(ge=0.0001, lt=0.5)] = Field(0.05, description="Error rate.")
    definition: Annotated[Path | None, CliOnly()] = Field(
        None,
        description="A TOML file that defines the test with these options' names (channel, "
        "holdout, start, end, ...); options given on the command line win.",
    )


def with_definition(p: GeoParams) -> GeoParams:
    """``p`` completed from its ``definition`` file (options set explicitly win)."""
    if p.definition is None:
        return p
    try:
        with p.definition.open("rb") as fh:
            found: dict[str, Any] = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"geo test definition {p.definition}: {exc}") from None
    allowed = set(GeoParams.model_fields) - {"definition"}
    unknown = sorted(set(found) - allowed)
    if unknown:
        raise InvalidInput(
            f"geo test definition {p.definition}: unknown key(s) {', '.join(unknown)}; "
            f"use {', '.join(sorted(allowed))}"
        )
    given = p.model_dump(exclude_unset=True, exclude={"definition"})
    try:
        return GeoParams.model_validate({**found, **given})
    except ValidationError as exc:
        raise InvalidInput(f"geo test definition {p.definition}: {exc}") from None


def _compute(inputs: Inputs, p: GeoParams) -> GeoResult:
    p = with_definition(p)
    if not (p.channel and p.holdout and p.start and p.end):
        return empty([("geo_undefined", {})])
    return geo_readout(
        inputs.journey(),
        channel=p.channel,
        campaign=p.campaign,
        holdout=list(p.holdout),
        controls=list(p.controls) if p.controls else None,
        geo=p.geo,
        start=p.start,
        end=p.end,
        pre_days=p.pre_days,
        alpha=p.alpha,
        costs=inputs.costs(),
        traits=inputs.traits,
    )


ANALYSIS = Analysis(
    name="experiment_geo",
    params=GeoParams,
    compute=_compute,
    title=Words("Geo experiment", "Geo-Experiment"),
    summary=Words(
        "What a channel caused: incremental conversions, revenue and ROAS from a regional "
        "holdout, beside its attribution credits",
        "Was ein Kanal bewirkt: inkrementelle Konversionen, Umsatz und ROAS aus einem "
        "regionalen Holdout, neben seinen Attributionsanteilen",
    ),
    views={
        "summary": "summary",
        "roas": "roas",
        "attribution": "attribution",
        "days": "by_day",
        "cumulative": "cumulative",
    },
    charts=(
        Chart(
            "line",
            "by_day",
            x="date",
            y=("observed", "expected"),
            title=Words(
                "Holdout conversions per day: observed and expected with the channel on",
                "Holdout-Konversionen je Tag: beobachtet und erwartet mit eingeschaltetem Kanal",
            ),
        ),
        Chart(
            "line",
            "cumulative",
            x="date",
            y=("cumulative_low", "cumulative", "cumulative_high"),
            title=Words(
                "Cumulative incremental conversions with their interval",
                "Kumulierte inkrementelle Konversionen mit Intervall",
            ),
        ),
        Chart(
            "bar",
            "attribution",
            x="model",
            y=("credited_conversions", "incremental_conversions"),
            title=Words(
                "Credited by attribution vs. incremental conversions",
                "Von der Attribution zugeschrieben vs. inkrementelle Konversionen",
            ),
        ),
    ),
    # no report section yet: the report runs analyses with their defaults, and a geo test
    # has none until its definition can live in the project (docs/analyses.md)
    report=False,
)
