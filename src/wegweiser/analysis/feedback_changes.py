"""What changed in the comments between two periods: topics and sentiment rising or falling.

Definitions:

* The **after** period is the ``days`` days up to and including the day of ``as_of``
  (default: the day of the latest comment); the **before** period the ``days`` days before
  it. Comments: feedback rows with a text (:mod:`wegweiser.analysis._feedback_rows`).
* ``topics``: per topic, the comments about it in each period, their share of the period's
  comments, the change of that share (``share_change``), and whether the change is
  **significant**: Fisher's exact test (two-sided) on comments about the topic vs. all
  others, before vs. after, with ``p_value`` < ``alpha``. ``share_negative_before`` and
  ``share_negative_after``: the share of the topic's comments that are negative.
  ``sentiment``: the same for each sentiment.
* Rows are ordered by the size of the change, largest rise first.

>>> import pandas as pd
>>> before = pd.DataFrame({"topics": [("payment",)] * 2 + [()] * 38, "sentiment": "neutral"})
>>> after = pd.DataFrame({"topics": [("payment",)] * 20 + [()] * 20, "sentiment": "negative"})
>>> t = changes(before, after, key="topic")
>>> row = t.iloc[0]
>>> row.topic, int(row.before), int(row.after), bool(row.significant)
('payment', 2, 20, True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import Field
from scipy import stats

from wegweiser.analysis._feedback_frame import feedback_frame, model_params
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result

if TYPE_CHECKING:
    from wegweiser.analysis.registry import Inputs

CHANGE_COLUMNS = (
    "before",
    "after",
    "share_before",
    "share_after",
    "share_change",
    "p_value",
    "significant",
)


@dataclass(frozen=True)
class FeedbackChangesResult(Result):
    """``topics`` and ``sentiment`` (module docstring); ``periods``: the two windows."""

    topics: pd.DataFrame
    sentiment: pd.DataFrame
    periods: pd.DataFrame
    note: str = field(default="", kw_only=True)


def _labels(frame: pd.DataFrame, key: str) -> pd.Series:
    if key == "topic":
        return frame["topics"].apply(lambda t: list(t) if t else ["(none)"])
    return frame["sentiment"].apply(lambda s: [s])


def changes(
    before: pd.DataFrame, after: pd.DataFrame, *, key: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Per ``topic`` or ``sentiment`` value: counts, shares, change and Fisher's test."""
    lb, la = _labels(before, key), _labels(after, key)
    nb, na = len(before), len(after)
    cb = lb.explode().value_counts()
    ca = la.explode().value_counts()
    neg_b = before["sentiment"] == "negative"
    neg_a = after["sentiment"] == "negative"
    rows = []
    for value in sorted(set(cb.index) | set(ca.index)):
        kb, ka = int(cb.get(value, 0)), int(ca.get(value, 0))
        p_value = (
            float(stats.fisher_exact([[kb, nb - kb], [ka, na - ka]])[1])
            if nb and na
            else float("nan")
        )
        sb = kb / nb if nb else float("nan")
        sa = ka / na if na else float("nan")
        in_b = lb.apply(lambda v, x=value: x in v)
        in_a = la.apply(lambda v, x=value: x in v)
        rows.append(
            {
                key: value,
                "before": kb,
                "after": ka,
                "share_before": sb,
                "share_after": sa,
                "share_change": sa - sb,
                "p_value": p_value,
                "significant": bool(p_value < alpha) if p_value == p_value else False,
                "share_negative_before": float(neg_b[in_b].mean()) if kb else float("nan"),
                "share_negative_after": float(neg_a[in_a].mean()) if ka else float("nan"),
            }
        )
    out = pd.DataFrame(
        rows, columns=[key, *CHANGE_COLUMNS, "share_negative_before", "share_negative_after"]
    )
    out = out.sort_values(["share_change", key], ascending=[False, True], na_position="last")
    return out.reset_index(drop=True)


class FeedbackChangesParams(Params):
    """What changed in the comments: topics and sentiment rising or falling between the last
    `days` days and the `days` before, with Fisher's exact test for each change.
    """

    days: int = Field(30, ge=1, le=3660, description="Length of each of the two periods, in days.")
    as_of: dt.date | None = Field(
        None, description="Last day of the later period (default: the day of the latest comment)."
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="Significance level.")


def _compute(inputs: Inputs, p: FeedbackChangesParams) -> FeedbackChangesResult:
    frame = feedback_frame(inputs)
    comments = frame[frame["text"].notna()]
    day = pd.to_datetime(comments["timestamp"], utc=True).dt.date
    end = p.as_of or (max(day) if len(day) else dt.date.today())
    start_after = end - dt.timedelta(days=p.days - 1)
    start_before = start_after - dt.timedelta(days=p.days)
    after = comments[(day >= start_after) & (day <= end)]
    before = comments[(day >= start_before) & (day < start_after)]
    periods = pd.DataFrame(
        {
            "period": ["before", "after"],
            "first_day": [start_before, start_after],
            "last_day": [start_after - dt.timedelta(days=1), end],
            "comments": [len(before), len(after)],
        }
    )
    params, model_note = model_params(frame)
    note = "" if len(before) and len(after) else "One of the periods has no comments."
    note = " ".join(n for n in (note, model_note) if n)
    return FeedbackChangesResult(
        topics=changes(before, after, key="topic", alpha=p.alpha),
        sentiment=changes(before, after, key="sentiment", alpha=p.alpha),
        periods=periods,
        note=note,
        params=params,
    )


ANALYSIS = Analysis(
    name="feedback_changes",
    params=FeedbackChangesParams,
    compute=_compute,
    title=Words("What changed in feedback", "Was sich im Feedback geändert hat"),
    summary=Words(
        "Topics and sentiment rising or falling between two periods, with significance",
        "Themen und Stimmung, die zwischen zwei Zeiträumen zu- oder abnehmen, mit Signifikanz",
    ),
    views={"topics": "topics", "sentiment": "sentiment", "periods": "periods"},
    charts=(
        Chart(
            "hbar",
            "topics",
            x="share_change",
            y="topic",
            format="percent",
            title=Words("Change in share of comments", "Änderung des Anteils an Kommentaren"),
        ),
    ),
)
