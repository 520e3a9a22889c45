"""Feedback rows as a DataFrame with what their texts say, and the breakdowns over them.

:func:`feedback_frame` reads :func:`~wegweiser.analysis._feedback_rows.feedback_rows` into
pandas (feedback is small next to events) and adds, for rows with a text, ``language``,
``sentiment``, ``sentiment_score`` and ``topics`` from :func:`wegweiser.feedback.understand`
(cached per text, in the project's text cache file when the inputs have one).
``period_start`` is the row's calendar week (Monday) or month, UTC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from wegweiser.analysis._feedback_rows import scoped_feedback_rows
from wegweiser.analysis.result import to_frame
from wegweiser.feedback import resolve_model, understand

if TYPE_CHECKING:
    from wegweiser.analysis.registry import Inputs

By = Literal["total", "touchpoint", "phase", "channel", "device", "period", "source", "language"]
BY_COLUMN = {
    "total": None,
    "touchpoint": "touchpoint",
    "phase": "phase",
    "channel": "touchpoint_channel",
    "device": "device",
    "period": "period_start",
    "source": "source",
    "language": "language",
}


def feedback_frame(inputs: Inputs, *, period: str = "week", texts: bool = True,
                   linked: bool = False) -> pd.DataFrame:
    """Every feedback row, with the reading of its text when ``texts`` (module docstring);
    ``linked``: with ``touchpoint_seq`` (:func:`feedback_rows`)."""
    config = inputs.config
    frame = to_frame(scoped_feedback_rows(inputs, linked=linked))
    frame = frame.sort_values(["timestamp", "person_id", "seq"], kind="stable")
    frame = frame.reset_index(drop=True)
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    days = ts.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    if period == "month":
        start = days.dt.to_period("M").dt.start_time
    else:
        start = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    frame["period_start"] = start.dt.date
    model = resolve_model(config.feedback.sentiment_model)
    frame.attrs["sentiment_model"] = model
    if texts:
        has_text = frame["text"].notna()
        read = understand(
            frame.loc[has_text, "text"].tolist(),
            model=model,
            topics=config.feedback.topics,
            cache=_cache_of(inputs),
        )
        frame["language"] = pd.Series(pd.NA, index=frame.index, dtype="object")
        frame["sentiment"] = pd.Series(pd.NA, index=frame.index, dtype="object")
        frame["sentiment_score"] = pd.Series(float("nan"), index=frame.index)
        frame["topics"] = [() for _ in range(len(frame))]
        idx = frame.index[has_text]
        frame.loc[idx, "language"] = read["language"].to_numpy()
        frame.loc[idx, "sentiment"] = read["sentiment"].to_numpy()
        frame.loc[idx, "sentiment_score"] = read["score"].to_numpy()
        found = dict(zip(idx, read["topics"], strict=True))
        frame["topics"] = [tuple(found.get(i, ())) for i in frame.index]
    return frame


def group_column(frame: pd.DataFrame, by: str) -> pd.Series:
    """The breakdown value of each row (``total`` for ``by="total"``; missing as ``(none)``)."""
    column = BY_COLUMN[by]
    if column is None:
        return pd.Series("total", index=frame.index, dtype="object")
    return frame[column].astype("object").where(frame[column].notna(), "(none)").astype(str)


def _cache_of(inputs: Inputs) -> Any:
    """The inputs' text cache when they have one (a project keeps it in a file), else None:
    the per-process cache."""
    cached = getattr(inputs, "text_cache", None)
    return cached() if callable(cached) else None


LEXICON_NOTE = (
    "Sentiment was read with the lexicon model; install wegweiser[listen] for the embedding "
    "model, which reads German and English feedback far more accurately."
)


def model_params(frame: pd.DataFrame) -> tuple[dict[str, Any], str]:
    """The sentiment model a result used (for its params) and the note it needs."""
    model = frame.attrs.get("sentiment_model", "")
    return {"sentiment_model": model}, LEXICON_NOTE if model == "lexicon" else ""
