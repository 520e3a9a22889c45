"""Feedback text understood offline, in German and English: language, sentiment, topics.

Pure functions over texts; no network at run time. The embedding model needs the ``listen``
extra (``pip install "wegweiser[listen]"``); the lexicon model needs nothing.
"""

from __future__ import annotations

from wegweiser.feedback.language import LANGUAGES, Language, detect
from wegweiser.feedback.sentiment import LABELS, Sentiment, classify
from wegweiser.feedback.topics import TOPICS, keywords, topic_dictionary, topics_of
from wegweiser.feedback.understand import (
    MODELS,
    Choice,
    Model,
    Reading,
    TextCache,
    resolve_model,
    understand,
)

__all__ = [
    "LABELS",
    "LANGUAGES",
    "MODELS",
    "TOPICS",
    "Choice",
    "Language",
    "Model",
    "Reading",
    "Sentiment",
    "TextCache",
    "classify",
    "detect",
    "keywords",
    "resolve_model",
    "topic_dictionary",
    "topics_of",
    "understand",
]
