"""The readout of one experiment in the analysis registry (``wegweiser experiment``).

See :func:`wegweiser.analysis.experiments.analysis.experiment` for the computation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from wegweiser.analysis.experiments.analysis import (
    AssignmentsFile,
    ExperimentResult,
    experiment,
    read_assignments,
)
from wegweiser.analysis.experiments.metrics import METRICS
from wegweiser.analysis.params import Duration, Name, Names, Params, duration
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.analysis.registry import Inputs

MetricName = Literal[
    "conversion", "revenue", "orders", "retention", "revenue_per_order", "touchpoints_to_convert"
]


class ExperimentParams(Params):
    """One experiment's readout: every metric of every variant against control.

    Metrics from each person's first exposure: conversion within the window, revenue per
    person, orders, retention on day N after exposure, revenue per order and touchpoints to
    convert (ratios, delta method). Intervals: fixed-horizon (valid looked at once), always
    valid (a normal-mixture confidence sequence, Howard et al. 2021: safe to watch daily),
    Bayesian chance to beat control. CUPED adjusts by each metric's pre-exposure value.
    p-values are corrected across variants x metrics (Holm). The decision uses the corrected
    always-valid p-value; a guardrail that gets worse is flagged.
    """

    experiment: Name | None = Field(
        None, description="The experiment (default: the one with the most persons)."
    )
    control: Name | None = Field(
        None,
        description="The control variant (default: control, "
        "baseline, original, holdout or a, else the first).",
    )
    metrics: list[MetricName] | None = Field(
        None, description="Metrics to read out (default: all)."
    )
    guardrails: list[MetricName] | None = Field(
        None, description="Metrics that must not get worse (flagged when they do)."
    )
    conversion: Names | None = Field(
        None, description="Conversion events (default: the project's)."
    )
    window: Duration = Field("14d", description="Conversion window after exposure.")
    retention_day: Annotated[int, Field(ge=1, le=365)] = Field(
        7, description="Retention: active on this day after exposure."
    )
    pre_window: Duration = Field("28d", description="Pre-exposure period of the CUPED covariates.")
    cuped: bool = Field(True, description="Adjust by the pre-exposure covariate (CUPED).")
    alpha: Annotated[float, Field(ge=0.0001, lt=0.5)] = Field(0.05, description="Error rate.")
    correction: Literal["holm", "bonferroni", "fdr_bh", "none"] = Field(
        "holm", description="Multiple-testing correction across variants x metrics."
    )
    tuning: Annotated[int, Field(ge=100, le=100_000_000)] = Field(
        10_000, description="Persons at which the always-valid interval is tightest."
    )
    assignments: AssignmentsFile = Field(
        None, description="A CSV file of assignments (person_id, experiment, variant, assigned_at)."
    )


def _show(inputs: Inputs, p: ExperimentParams) -> ExperimentResult:
    window, pre = duration(p.window) or timedelta(0), duration(p.pre_window) or timedelta(0)
    if window <= timedelta(0):
        raise InvalidInput(f"window must be positive, got {p.window}")
    return experiment(
        inputs.journey(),
        name=p.experiment,
        assignments=read_assignments(p.assignments),
        conversion=p.conversion or None,
        window=window,
        retention_day=p.retention_day,
        pre_window=pre,
        metrics=list(p.metrics or METRICS),
        guardrails=list(p.guardrails or []),
        control=p.control,
        alpha=p.alpha,
        correction=p.correction,
        cuped=p.cuped,
        tuning=p.tuning,
    )


ANALYSIS = Analysis(
    name="experiment",
    params=ExperimentParams,
    compute=_show,
    title=Words("Experiment readout", "Experiment-Auswertung"),
    summary=Words(
        "Every metric of every variant against control, safe to watch daily",
        "Jede Kennzahl jeder Variante gegen die Kontrolle, täglich sicher ablesbar",
    ),
    views={
        "summary": "summary",
        "metrics": "metrics",
        "variants": "variants",
        "boundary": "boundary",
    },
    charts=(
        Chart(
            "line",
            "boundary",
            x="date",
            y=("seq_low", "diff", "seq_high"),
            format="percent",
            title=Words(
                "Conversion difference with its always-valid interval, by day",
                "Konversionsdifferenz mit stets gültigem Intervall, je Tag",
            ),
        ),
    ),
    report=True,
)
