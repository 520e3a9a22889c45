"""Verbatims: the comments behind the numbers, newest first, filtered.

Each row is one feedback row with a text (:mod:`wegweiser.analysis._feedback_rows`) with
its score, the touchpoint and phase it is about, and what the text says (language,
sentiment and score, topics). Filters combine (all must hold); text matching is
case-insensitive and finds the words anywhere in the comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import Field

from wegweiser.analysis._feedback_frame import feedback_frame, model_params
from wegweiser.analysis.params import Limit, Params
from wegweiser.analysis.registry import Analysis, Words
from wegweiser.analysis.result import Result

if TYPE_CHECKING:
    from wegweiser.analysis.registry import Inputs

VERBATIM_COLUMNS = (
    "timestamp",
    "person_id",
    "kind",
    "score",
    "touchpoint",
    "touchpoint_channel",
    "phase",
    "language",
    "sentiment",
    "sentiment_score",
    "topics",
    "text",
)


@dataclass(frozen=True)
class VerbatimsResult(Result):
    """``verbatims``: the matching comments (:data:`VERBATIM_COLUMNS`), newest first."""

    verbatims: pd.DataFrame
    summary: pd.DataFrame
    note: str = field(default="", kw_only=True)


class VerbatimsParams(Params):
    """Verbatims: the comments behind the numbers, newest first.

    Filter by topic, sentiment, touchpoint, phase, kind of feedback, language or words in
    the text; filters combine.
    """

    topic: str | None = Field(None, description="Only comments about this topic.")
    sentiment: Literal["positive", "neutral", "negative"] | None = Field(
        None, description="Only comments with this sentiment."
    )
    touchpoint: str | None = Field(None, description="Only feedback about this touchpoint.")
    phase: str | None = Field(None, description="Only feedback in this phase.")
    kind: str | None = Field(None, description="Only this kind (nps, csat, ces, review, ...).")
    language: Literal["de", "en", "other"] | None = Field(None, description="Only this language.")
    contains: str | None = Field(None, description="Only comments containing this text.")
    limit: Limit = Field(50, description="At most this many comments (0: all).")


def select_verbatims(comments: pd.DataFrame, p: VerbatimsParams) -> pd.DataFrame:
    """The rows of ``comments`` that pass the filters of ``p``, newest first."""
    keep = pd.Series(True, index=comments.index)
    if p.topic:
        keep &= comments["topics"].apply(lambda t: p.topic in t)
    for name in ("sentiment", "touchpoint", "phase", "kind", "language"):
        value = getattr(p, name)
        if value:
            keep &= comments[name] == value
    if p.contains:
        keep &= comments["text"].str.contains(p.contains, case=False, regex=False)
    out = comments[keep].sort_values(["timestamp", "person_id"], ascending=[False, True])
    if p.limit:
        out = out.head(p.limit)
    out = out[list(VERBATIM_COLUMNS)].reset_index(drop=True)
    out["topics"] = out["topics"].apply(", ".join)
    return out


def _compute(inputs: Inputs, p: VerbatimsParams) -> VerbatimsResult:
    frame = feedback_frame(inputs)
    comments = frame[frame["text"].notna()]
    rows = select_verbatims(comments, p)
    summary = pd.DataFrame([{"comments": len(comments), "shown": len(rows)}])
    params, note = model_params(frame)
    return VerbatimsResult(verbatims=rows, summary=summary, params=params, note=note)


ANALYSIS = Analysis(
    name="verbatims",
    params=VerbatimsParams,
    compute=_compute,
    title=Words("Verbatims", "Originalkommentare"),
    summary=Words(
        "The comments behind the numbers, filtered by topic, sentiment, touchpoint or phase",
        "Die Kommentare hinter den Zahlen, nach Thema, Stimmung, Kontaktpunkt oder Phase gefiltert",
    ),
    views={"verbatims": "verbatims", "summary": "summary"},
)
