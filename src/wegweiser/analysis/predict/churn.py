"""Churn: the probability that a person has no event in the next N days.

A person churned when they were active before the cutoff and have no event of any kind
in the N days after it. Features are the journey so far
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

__all__ = ["ChurnParams", "churn"]


def churn(journey: ir.Table, *, horizon_days: int = 14, phases: list[str] | None = None,
               importance: bool = True) -> PredictResult:
    """Fit and validate the churn model and score every person (see the module
    docstring); ``phases`` is the configured phase order."""
    return predict(journey, target="churned", horizon_days=horizon_days,
                   phases=phases or [], importance=importance)


class ChurnParams(PredictParams):
    """Churn: the probability that a person has no event in the next N days.

    Churned: active before the cutoff, no event of any kind in the N days after it.
    Gradient boosting (scikit-learn's histogram GBM, isotonic calibration) on the journey so
    far: recency, tenure, events, sessions, active days, channels, phase reached, orders,
    revenue, messages received and feedback. Validated on a time split (trained on features
    up to E-2N with outcomes up to E-N, tested on features up to E-N with outcomes up to the
    data's end E): AUC, calibration error, lift by decile and the permutation importance of
    each feature, against a recency-frequency baseline. scores: each person's probability
    from the model refitted on the latest window.
    """


def _compute(inputs: Inputs, p: ChurnParams) -> PredictResult:
    return churn(inputs.journey(), horizon_days=p.horizon_days,
                      phases=inputs.config.phase_names, importance=p.importance)


ANALYSIS = Analysis(
    name="churn",
    group="predict",
    renumber=False,
    params=ChurnParams,
    compute=_compute,
    title=Words("Churn risk", "Abwanderungsrisiko"),
    summary=Words("Probability of no activity in the next N days, validated on a time split",
                  "Wahrscheinlich keine Aktivität in den nächsten N Tagen, zeitlich validiert"),
    views=VIEWS,
    charts=CHARTS,
    report=True,
)
