"""Satisfaction scores with confidence intervals: NPS, CSAT, CES, review ratings.

Definitions (feedback rows: :mod:`wegweiser.analysis._feedback_rows`; intervals:
:mod:`wegweiser.analysis._feedback_stats`):

* Every valid answer counts once (a person answering twice counts twice); answers without
  a score or outside their scale count nowhere (``excluded`` says how many).
* **NPS** (kind ``nps``, 0-10): promoters (9-10) minus detractors (0-6), in points.
  **CSAT** (``csat``, 1-5): the share of answers 4 or 5, in percent. **CES** (``ces``,
  1-7, 7 = least effort): the mean. **Rating** (reviews, 1-5) and custom questions (any
  other kind): the mean score.
* ``by`` breaks the scores down by the touchpoint the answer is about, its phase, the
  touchpoint's channel or device, the calendar period (``period``), the source or the
  language of the comment; ``scores`` has one row per group and kind.

>>> import pandas as pd
>>> rows = pd.DataFrame({"kind": ["nps"] * 4, "score": [10.0, 9.0, 3.0, 7.0],
...                      "valid": [True] * 4, "touchpoint": ["a"] * 4})
>>> scores_table(rows, by="touchpoint")[["group", "metric", "answers", "value"]].values.tolist()
[['a', 'NPS', 4, 25.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import Field

from wegweiser.analysis._feedback_frame import By, feedback_frame, group_column
from wegweiser.analysis._feedback_stats import mean_interval, nps_interval, wilson_interval
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result

if TYPE_CHECKING:
    from wegweiser.analysis.registry import Inputs

SCORE_COLUMNS = ("group", "kind", "metric", "answers", "value", "ci_low", "ci_high")
METRICS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "review": "rating"}


@dataclass(frozen=True)
class FeedbackScoresResult(Result):
    """``scores``: one row per group and kind (:data:`SCORE_COLUMNS`); ``summary``: answers,
    persons and excluded answers."""

    scores: pd.DataFrame
    summary: pd.DataFrame


def scores_table(
    rows: pd.DataFrame, *, by: str = "total", confidence: float = 0.95
) -> pd.DataFrame:
    """The scores of the valid rows of ``rows`` (``kind``, ``score``, ``valid`` and the
    breakdown column) by ``by`` (module docstring)."""
    valid = rows[rows["valid"].astype(bool) & rows["score"].notna()]
    out = []
    if len(valid):
        groups = group_column(valid, by)
        for (group, kind), part in valid.groupby([groups, valid["kind"]], sort=True):
            s = part["score"].astype(float)
            n = len(s)
            if kind == "nps":
                value, low, high = nps_interval(
                    int((s >= 9).sum()), int((s <= 6).sum()), n, confidence
                )
            elif kind == "csat":
                value, low, high = wilson_interval(int((s >= 4).sum()), n, confidence)
            else:
                value, low, high = mean_interval(
                    n, float(s.sum()), float((s * s).sum()), confidence
                )
            out.append(
                {
                    "group": str(group),
                    "kind": str(kind),
                    "metric": METRICS.get(str(kind), "mean"),
                    "answers": n,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    frame = pd.DataFrame(out, columns=list(SCORE_COLUMNS))
    return frame.astype(
        {"answers": "int64", "value": "float64", "ci_low": "float64", "ci_high": "float64"}
    )


class FeedbackScoresParams(Params):
    """Satisfaction scores with confidence intervals: NPS, CSAT, CES and review ratings.

    Every valid answer counts once. NPS = promoters (9-10) minus detractors (0-6) in points;
    CSAT = share of answers 4-5 in percent; CES (1-7, 7 = least effort), review ratings and
    custom questions: the mean score. Intervals: normal approximation for NPS, Wilson for
    CSAT, Student's t for means. Each answer is about a touchpoint: the one it names, else
    the person's last touchpoint before it; its phase is that touchpoint's phase.
    """

    by: By = Field(
        "total",
        description="Break down by touchpoint, phase, channel, device, period, "
        "source or language (of the comment).",
    )
    period: Literal["week", "month"] = Field("month", description="Period length for by=period.")
    confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="Confidence level of the intervals."
    )


def _compute(inputs: Inputs, p: FeedbackScoresParams) -> FeedbackScoresResult:
    frame = feedback_frame(inputs, period=p.period, texts=p.by == "language")
    scores = scores_table(frame, by=p.by, confidence=p.confidence)
    summary = pd.DataFrame(
        [
            {
                "answers": int((frame["valid"] & frame["score"].notna()).sum()),
                "persons": int(frame["person_id"].nunique()),
                "excluded": int((~frame["valid"].astype(bool)).sum()),
                "with_text": int(frame["text"].notna().sum()),
            }
        ]
    )
    return FeedbackScoresResult(scores=scores, summary=summary)


ANALYSIS = Analysis(
    name="feedback_scores",
    params=FeedbackScoresParams,
    compute=_compute,
    title=Words("Satisfaction scores", "Zufriedenheitswerte"),
    summary=Words(
        "NPS, CSAT and CES with confidence intervals by touchpoint, phase, channel or period",
        "NPS, CSAT und CES mit Konfidenzintervallen nach Kontaktpunkt, Phase, Kanal oder Zeitraum",
    ),
    views={"scores": "scores", "summary": "summary"},
    charts=(
        Chart(
            "bar",
            "scores",
            x="group",
            y="value",
            color="metric",
            title=Words("Score by group", "Wert je Gruppe"),
        ),
    ),
    report=True,
)
