"""Planning a test (``wegweiser experiment-plan``): how long, for which detectable effect.

For a baseline (a conversion rate, or a mean with its standard deviation ``sd``), the
persons arriving per day (all variants together, split equally) and the number of
variants: ``by_days`` gives, after each week up to ``days``, the persons per arm and the
minimum detectable effect (absolute and relative) at ``alpha`` and ``power``; with
``effect`` (a relative lift), ``summary`` gives the persons per arm and the days needed.
Needs no data. See :mod:`~wegweiser.analysis.experiments.planning` for the method.

>>> r = plan(0.05, persons_per_day=1000, days=28, effect=0.1)
>>> int(r.summary.loc[0, "days_needed"]) > 28
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import pandas as pd
from pydantic import Field

from wegweiser.analysis.experiments.planning import mde, persons_needed
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result

if TYPE_CHECKING:
    from wegweiser.analysis.registry import Inputs


@dataclass(frozen=True)
class PlanResult(Result):
    """``by_days``: days, persons_per_arm, mde_absolute, mde_relative; ``summary``: one row
    with the effect asked for, persons_needed per arm and days_needed (empty without one)."""

    by_days: pd.DataFrame
    summary: pd.DataFrame


def plan(
    baseline: float,
    *,
    persons_per_day: int,
    variants: int = 2,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    days: int = 56,
    effect: float | None = None,
) -> PlanResult:
    """The plan (see the module docstring)."""
    per_arm_day = persons_per_day / variants
    comparisons = variants - 1
    rows = []
    for d in sorted({*range(7, days + 1, 7), days}):
        n = per_arm_day * d
        m = mde(baseline, n, sd=sd, alpha=alpha, power=power, comparisons=comparisons)
        rows.append(
            {
                "days": d,
                "persons_per_arm": int(n),
                "mde_absolute": m.absolute,
                "mde_relative": m.relative,
            }
        )
    summary = pd.DataFrame(columns=["effect", "persons_needed", "days_needed"])
    if effect is not None:
        need = persons_needed(
            baseline, effect * baseline, sd=sd, alpha=alpha, power=power, comparisons=comparisons
        )
        summary = pd.DataFrame(
            [
                {
                    "effect": effect,
                    "persons_needed": need,
                    "days_needed": math.ceil(need / per_arm_day),
                }
            ]
        )
    return PlanResult(by_days=pd.DataFrame(rows), summary=summary)


class PlanParams(Params):
    """Plan a test: the minimum detectable effect by test length, or the length for an effect.

    baseline is the control's conversion rate (0..1), or the mean of a metric such as revenue
    per person together with its standard deviation sd. Persons per day count all variants
    together, split equally; with more than two variants alpha is split over the comparisons
    with control (Bonferroni), so the plan is not optimistic. Power from statsmodels
    (NormalIndPower on Cohen's h for rates, TTestIndPower for means).
    """

    baseline: Annotated[float, Field(gt=0)] = Field(
        0.05, description="Control's rate (0..1) or mean (with sd)."
    )
    sd: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Standard deviation of a mean metric (leave out for a rate)."
    )
    persons_per_day: Annotated[int, Field(ge=1, le=10**9)] = Field(
        1000, description="Persons entering the test per day, all variants together."
    )
    variants: Annotated[int, Field(ge=2, le=20)] = Field(
        2, description="Variants including control."
    )
    days: Annotated[int, Field(ge=1, le=3650)] = Field(56, description="Longest test to plan.")
    effect: Annotated[float, Field(gt=0, le=10)] | None = Field(
        None, description="Relative lift to detect (0.05 = +5%): persons and days needed."
    )
    alpha: Annotated[float, Field(ge=0.0001, lt=0.5)] = Field(0.05, description="Error rate.")
    power: Annotated[float, Field(ge=0.5, le=0.999)] = Field(0.8, description="Power.")


def _compute(_: Inputs, p: PlanParams) -> PlanResult:
    return plan(
        p.baseline,
        persons_per_day=p.persons_per_day,
        variants=p.variants,
        sd=p.sd,
        alpha=p.alpha,
        power=p.power,
        days=p.days,
        effect=p.effect,
    )


ANALYSIS = Analysis(
    name="experiment_plan",
    params=PlanParams,
    compute=_compute,
    title=Words("Experiment plan", "Experiment-Planung"),
    summary=Words(
        "Minimum detectable effect by test length, and the length for an effect",
        "Minimal nachweisbarer Effekt nach Testdauer, und die Dauer für einen Effekt",
    ),
    views={"by_days": "by_days", "summary": "summary"},
    scope=False,  # a plan reads no events: no date range, filter or segment
    charts=(
        Chart(
            "line",
            "by_days",
            x="days",
            y="mde_relative",
            format="percent",
            title=Words(
                "Minimum detectable lift by test length",
                "Minimal nachweisbarer Lift nach Testdauer",
            ),
        ),
    ),
    standalone=lambda p: True,
)
