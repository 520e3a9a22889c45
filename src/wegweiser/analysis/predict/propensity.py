"""Propensity: the probability that a person converts in the next N days.

A conversion is one of the project's conversion events. Features are the journey so far
(:mod:`wegweiser.analysis.predict._features`); the model, the time split, the baseline and
the reported figures are those of :mod:`wegweiser.analysis.predict._model`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wegweiser.analysis.predict._declare import CHARTS, VIEWS, PredictParams
from wegweiser.analysis.predict._model import PredictResult, predict
from wegweiser.analysis.registry import Analysis, Words

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.analysis.registry import Inputs

__all__ = ["PropensityParams", "propensity"]


def propensity(journey: ir.Table, *, horizon_days: int = 14, phases: list[str] | None = None,
               importance: bool = True) -> PredictResult:
    """Fit and validate the conversion model and score every person (see the module
    docstring); ``phases`` is the configured phase order."""
    return predict(journey, target="converted", horizon_days=horizon_days,
                   phases=phases or [], importance=importance)


class PropensityParams(PredictParams):
    """Propensity: the probability that a person converts in the next N days.

    Gradient boosting (scikit-learn's histogram GBM, isotonic calibration) on the journey so
    far: recency, tenure, events, sessions, active days, channels, phase reached, orders,
    revenue, messages received and feedback. Validated on a time split (trained on features
    up to E-2N with outcomes up to E-N, tested on features up to E-N with outcomes up to the
    data's end E): AUC, calibration error, lift by decile and the permutation importance of
    each feature, against a recency-frequency baseline. scores: each person's probability
    from the model refitted on the latest window.
    """


def _compute(inputs: Inputs, p: PropensityParams) -> PredictResult:
    return propensity(inputs.journey(), horizon_days=p.horizon_days,
                      phases=inputs.config.phase_names, importance=p.importance)


ANALYSIS = Analysis(
    name="propensity",
    group="predict",
    renumber=False,
    params=PropensityParams,
    compute=_compute,
    title=Words("Propensity to convert", "Kaufneigung"),
    summary=Words("Probability to convert in the next N days, validated on a time split",
                  "Wahrscheinlichkeit eines Kaufs in den nächsten N Tagen, zeitlich validiert"),
    views=VIEWS,
    charts=CHARTS,
    report=True,
)
