"""The shared parameters and presentation of ``propensity`` and ``churn`` (internal)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Chart, Words

__all__ = ["CHARTS", "VIEWS", "PredictParams"]


class PredictParams(Params):
    """Shared by propensity and churn (each model's docstring is its help)."""

    horizon_days: Annotated[int, Field(ge=1, le=365)] = Field(
        14, description="The prediction window N in days (and the length of the time split's "
                        "test and training windows).")
    importance: bool = Field(
        True, description="Compute the permutation importance of each feature (slower).")


VIEWS = {"summary": "summary", "calibration": "calibration", "lift": "lift",
         "importance": "importance", "scores": "scores"}
CHARTS = (
    Chart("line", "calibration", x="bin", y=("mean_predicted", "observed"), format="percent",
          title=Words("Calibration: predicted and observed rate by bin of the prediction",
                      "Kalibrierung: vorhergesagte und beobachtete Rate je Klasse der "
                      "Vorhersage")),
    Chart("bar", "lift", x="decile", y="lift",
          title=Words("Lift by decile (1 = highest scores)",
                      "Lift je Dezil (1 = höchste Werte)")),
    Chart("hbar", "importance", x="importance", y="feature",
          title=Words("Feature importance (drop in test AUC when shuffled)",
                      "Wichtigkeit der Merkmale (Rückgang der Test-AUC beim Mischen)")),
)
