"""Voice of the customer: what the comments say, per period -- sentiment, topics, keywords.

Definitions (rows: :mod:`wegweiser.analysis._feedback_rows`; reading the texts:
:mod:`wegweiser.feedback`):

* A **comment** is a feedback row with a text (survey comment or review text). Its
  language, sentiment (positive / neutral / negative with a score in -1..1) and topics are
  read offline and cached per text.
* ``sentiment``: per period and sentiment, the comments and their share of the period's
  comments. ``topics``: per period and topic, the comments about it, their share of the
  period's comments (a comment can have several topics, so shares can add up to more than
  1), and the share of them that is negative. ``keywords``: per period, the words most
  typical of its comments compared with the other periods (:func:`wegweiser.feedback.keywords`).
* ``by_topic``: per topic over the whole time, with the touchpoint it is most often about
  and that touchpoint's share of the topic's negative comments.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from wegweiser.analysis._feedback_frame import feedback_frame, model_params
from wegweiser.analysis.params import Params
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result
from wegweiser.feedback import keywords

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.analysis.registry import Inputs


@dataclass(frozen=True)
class FeedbackVoiceResult(Result):
    """``by_topic``, ``topics``, ``sentiment`` and ``keywords`` (module docstring)."""

    by_topic: pd.DataFrame
    topics: pd.DataFrame
    sentiment: pd.DataFrame
    keywords: pd.DataFrame
    note: str = field(default="", kw_only=True)


def topic_rows(comments: pd.DataFrame) -> pd.DataFrame:
    """One row per comment and topic (comments without a topic under ``(none)``)."""
    exploded = comments.assign(
        topic=comments["topics"].apply(lambda t: list(t) if t else ["(none)"])
    ).explode("topic")
    return exploded.reset_index(drop=True)


def voice(comments: pd.DataFrame, *, top_keywords: int = 10) -> FeedbackVoiceResult:
    """The tables of the module docstring from comments with ``period_start``,
    ``sentiment``, ``sentiment_score``, ``topics``, ``text`` and ``touchpoint``."""
    n_period = comments.groupby("period_start").size().rename("period_comments")
    counts = comments.groupby(["period_start", "sentiment"]).size().rename("comments")
    sent = counts.reset_index().join(n_period, on="period_start")
    sent["share"] = sent["comments"] / sent["period_comments"]
    rows = topic_rows(comments)
    rows["negative"] = rows["sentiment"] == "negative"
    top = (
        rows.groupby(["period_start", "topic"])
        .agg(
            comments=("text", "size"),
            negative=("negative", "sum"),
            mean_score=("sentiment_score", "mean"),
        )
        .reset_index()
        .join(n_period, on="period_start")
    )
    top["share"] = top["comments"] / top["period_comments"]
    top["negative_share"] = top["negative"] / top["comments"]
    overall = (
        rows.groupby("topic")
        .agg(
            comments=("text", "size"),
            negative=("negative", "sum"),
            mean_score=("sentiment_score", "mean"),
        )
        .reset_index()
    )
    overall["share"] = overall["comments"] / max(len(comments), 1)
    overall["negative_share"] = overall["negative"] / overall["comments"]
    neg = rows[rows["negative"]]
    worst = neg.groupby(["topic", "touchpoint"]).size().rename("n").reset_index()
    worst = worst.sort_values(["topic", "n", "touchpoint"], ascending=[True, False, True])
    worst = worst.drop_duplicates("topic").set_index("topic")
    overall["top_touchpoint"] = overall["topic"].map(worst["touchpoint"])
    overall["top_touchpoint_negative_share"] = overall["topic"].map(worst["n"]) / overall[
        "negative"
    ].where(overall["negative"] > 0)
    overall = overall.sort_values(["comments", "topic"], ascending=[False, True])
    kw = keywords(
        zip(comments["period_start"].astype(str), comments["text"], strict=True), top=top_keywords
    )
    return FeedbackVoiceResult(
        by_topic=overall.reset_index(drop=True)[
            [
                "topic",
                "comments",
                "share",
                "negative",
                "negative_share",
                "mean_score",
                "top_touchpoint",
                "top_touchpoint_negative_share",
            ]
        ],
        topics=top[["period_start", "topic", "comments", "share", "negative_share", "mean_score"]],
        sentiment=sent[["period_start", "sentiment", "comments", "share"]],
        keywords=kw.rename(columns={"group": "period_start"}),
    )


class FeedbackVoiceParams(Params):
    """Voice of the customer: sentiment, topics and keywords of the comments, per period.

    Comments are survey comments and review texts, read offline in German and English:
    language, sentiment (positive / neutral / negative, score -1..1) and topics from the
    topic dictionary ([feedback] topics adds to it). Keywords: the words most typical of a
    period's comments compared with the other periods.
    """

    period: Literal["week", "month"] = Field("month", description="Calendar weeks or months.")
    keywords: int = Field(10, ge=1, le=100, description="Keywords per period.")


def _compute(inputs: Inputs, p: FeedbackVoiceParams) -> FeedbackVoiceResult:
    frame = feedback_frame(inputs, period=p.period)
    comments = frame[frame["text"].notna()]
    params, note = model_params(frame)
    return dataclasses.replace(voice(comments, top_keywords=p.keywords), params=params, note=note)


ANALYSIS = Analysis(
    name="feedback_voice",
    params=FeedbackVoiceParams,
    compute=_compute,
    title=Words("Voice of the customer", "Stimme der Kunden"),
    summary=Words(
        "Sentiment, topics and keywords of survey comments and reviews per period",
        "Stimmung, Themen und Schlagwörter aus Umfragekommentaren und Bewertungen je Zeitraum",
    ),
    views={
        "topics": "by_topic",
        "topics-by-period": "topics",
        "sentiment": "sentiment",
        "keywords": "keywords",
    },
    charts=(
        Chart(
            "hbar",
            "by_topic",
            x="comments",
            y="topic",
            title=Words("Comments by topic", "Kommentare nach Thema"),
        ),
        Chart(
            "bar",
            "sentiment",
            x="period_start",
            y="share",
            color="sentiment",
            format="percent",
            title=Words("Sentiment per period", "Stimmung je Zeitraum"),
        ),
        Chart(
            "heatmap",
            "keywords",
            x="period_start",
            y="keyword",
            value="share",
            format="percent",
            title=Words(
                "Keywords per period (share of its comments)",
                "Schlagwörter je Zeitraum (Anteil seiner Kommentare)",
            ),
        ),
    ),
    report=True,
)
