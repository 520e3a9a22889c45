"""Multi-touch attribution: how credit for conversions can be shared among touchpoints.

Path-based models describe the paths customers took; they do **not** measure
incrementality (what a channel caused). For causal effects run holdout experiments (a
control group per journey, geo or time holdouts). Every result says so in its ``note``.

* :mod:`.journeys` — paths from the ``journey`` table (one touch per session, lookback
  window, repeat conversions start new paths, non-converting paths kept), aggregated to
  distinct paths in the engine; :mod:`.paths` — the :class:`Paths` table, also read from
  CSV path tables of other tools (:func:`read_paths`).
* :mod:`.heuristic` — first/last touch, last non-direct, linear, time decay, position-based,
  J-curve, inverse J, custom weights; :mod:`.markov` — removal effects of order 1-4, solved
  exactly; :mod:`.shapley` — Shapley values over touchpoint sets (exact up to 16).
* :mod:`.compare` — :func:`attribution` (one model) and :func:`compare` (all side by side)
  with ROAS, CPA and ROI from the store's costs.

Models follow the scikit-learn estimator contract (``fit(paths) -> self``, fitted
attributes end in ``_``, randomness from ``random_state``):

>>> paths = Paths.from_lists([["email", "search"], ["search"]], conversions=[3, 1],
...                          nulls=[1, 5])
>>> LastTouch().fit(paths).credits_[["touchpoint", "conversions"]].to_numpy().tolist()
[['search', 4.0], ['email', 0.0]]
"""

from __future__ import annotations

from wegweiser.analysis.attribution._base import NOTE, AttributionModel
from wegweiser.analysis.attribution.compare import (
    DEFAULT_MODELS,
    MODELS,
    Attribution,
    Comparison,
    attribution,
    compare,
    make_model,
    spend,
)
from wegweiser.analysis.attribution.heuristic import (
    CustomWeights,
    FirstTouch,
    InverseJ,
    JCurve,
    LastNonDirect,
    LastTouch,
    Linear,
    PositionBased,
    TimeDecay,
)
from wegweiser.analysis.attribution.journeys import attribution_paths, load_paths
from wegweiser.analysis.attribution.markov import Markov
from wegweiser.analysis.attribution.paths import Paths, read_paths
from wegweiser.analysis.attribution.shapley import Shapley
from wegweiser.errors import NotFittedError

__all__ = [
    "DEFAULT_MODELS",
    "MODELS",
    "NOTE",
    "Attribution",
    "AttributionModel",
    "Comparison",
    "CustomWeights",
    "FirstTouch",
    "InverseJ",
    "JCurve",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "Markov",
    "NotFittedError",
    "Paths",
    "PositionBased",
    "Shapley",
    "TimeDecay",
    "attribution",
    "attribution_paths",
    "compare",
    "load_paths",
    "make_model",
    "read_paths",
    "spend",
]
