"""Understand feedback texts: language, sentiment and topics of each, cached per text.

:func:`understand` reads each distinct text once: its language (:mod:`.language`), its
sentiment (``embedding``: :mod:`.embedding`; ``lexicon``: :mod:`.sentiment`, no extra
needed; ``auto``, the default, picks the embedding model when it is installed) and its
topics (:mod:`.topics`). Results are kept in a :class:`TextCache` keyed by the model and
the text, so reading the same texts again costs a dictionary look-up.
Empty texts (None, blank) are ``other``/``neutral`` with score 0 and no topics.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from wegweiser.errors import InvalidInput
from wegweiser.feedback import embedding, sentiment
from wegweiser.feedback.language import detect
from wegweiser.feedback.topics import TopicDictionary, topic_dictionary, topics_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

Model = Literal["embedding", "lexicon"]
MODELS: tuple[Model, ...] = ("embedding", "lexicon")
Choice = Literal["auto", "embedding", "lexicon"]
COLUMNS = ("text", "language", "sentiment", "score", "topics")


@dataclass(frozen=True)
class Reading:
    """What :func:`understand` found in one text."""

    language: str
    sentiment: str
    score: float
    topics: tuple[str, ...]


class TextCache:
    """Readings by (model, text): in memory, and in an SQLite file when ``path`` is given."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._memory: dict[tuple[str, str], Reading] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS readings (model TEXT, key TEXT, "
                "reading TEXT, PRIMARY KEY (model, key))"
            )

    def __len__(self) -> int:
        return len(self._memory)

    def get_many(self, model: str, texts: Iterable[str]) -> dict[str, Reading]:
        out: dict[str, Reading] = {}
        missing: list[str] = []
        with self._lock:
            for t in texts:
                hit = self._memory.get((model, t))
                if hit is None:
                    missing.append(t)
                else:
                    out[t] = hit
            if self._db is not None and missing:
                keys = {_key(t): t for t in missing}
                found = []
                for chunk in _chunks(list(keys), 500):
                    marks = ",".join("?" * len(chunk))
                    found += self._db.execute(
                        f"SELECT key, reading FROM readings WHERE model = ? AND key IN ({marks})",
                        [model, *chunk],
                    ).fetchall()
                for key, raw in found:
                    d = json.loads(raw)
                    r = Reading(d["language"], d["sentiment"], d["score"], tuple(d["topics"]))
                    self._memory[(model, keys[key])] = out[keys[key]] = r
        return out

    def put_many(self, model: str, readings: dict[str, Reading]) -> None:
        with self._lock:
            for t, r in readings.items():
                self._memory[(model, t)] = r
            if self._db is not None and readings:
                self._db.executemany(
                    "INSERT OR REPLACE INTO readings VALUES (?, ?, ?)",
                    [(model, _key(t), json.dumps(r.__dict__)) for t, r in readings.items()],
                )
                self._db.commit()

    def forget(self, texts: Iterable[str]) -> int:
        """Drop the readings of ``texts`` (an erased person's feedback) and rewrite the file
        so that nothing of them stays in it; returns the rows deleted from the file."""
        gone = 0
        wanted = set(texts)
        with self._lock:
            for key in [k for k in self._memory if k[1] in wanted]:
                del self._memory[key]
            if self._db is not None and wanted:
                self._db.execute("PRAGMA secure_delete = ON")
                for chunk in _chunks([_key(t) for t in wanted], 500):
                    marks = ",".join("?" * len(chunk))
                    cur = self._db.execute(f"DELETE FROM readings WHERE key IN ({marks})", chunk)
                    gone += cur.rowcount
                self._db.commit()
                if gone:
                    self._db.execute("VACUUM")
        return gone

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


_DEFAULT_CACHE = TextCache()


def resolve_model(model: str) -> Model:
    """``auto`` is ``embedding`` when the ``listen`` extra is installed, else ``lexicon``."""
    if model == "auto":
        return "embedding" if embedding.available() else "lexicon"
    if model not in MODELS:
        raise InvalidInput(f"unknown sentiment model {model!r}; use auto, {', '.join(MODELS)}")
    return "embedding" if model == "embedding" else "lexicon"


def understand(
    texts: Sequence[str | None],
    *,
    model: Choice = "auto",
    topics: TopicDictionary | None = None,
    cache: TextCache | None = None,
) -> pd.DataFrame:
    """One row per input text (same order): ``text``, ``language``, ``sentiment``,
    ``score`` and ``topics`` (a tuple). ``model``: see :func:`resolve_model`. ``cache``
    defaults to one per process."""
    model = resolve_model(model)
    cache = _DEFAULT_CACHE if cache is None else cache
    table = topic_dictionary(topics)
    tag = f"{model}:{_version(model)}:{_key(json.dumps(table, sort_keys=True))}"
    clean = [t.strip() if isinstance(t, str) else "" for t in texts]
    distinct = sorted({t for t in clean if t})
    known = cache.get_many(tag, distinct)
    todo = [t for t in distinct if t not in known]
    if todo:
        langs = [detect(t) for t in todo]
        if model == "embedding":
            sents = embedding.classify_many(todo)
        else:
            sents = [sentiment.classify(t, lang) for t, lang in zip(todo, langs, strict=True)]
        new = {
            t: Reading(lang, s.label, s.score, topics_of(t, lang, table))
            for t, lang, s in zip(todo, langs, sents, strict=True)
        }
        cache.put_many(tag, new)
        known.update(new)
    empty = Reading("other", "neutral", 0.0, ())
    rows = [known.get(t, empty) if t else empty for t in clean]
    return pd.DataFrame(
        {
            "text": list(texts),
            "language": [r.language for r in rows],
            "sentiment": [r.sentiment for r in rows],
            "score": pd.Series([r.score for r in rows], dtype="float64"),
            "topics": [r.topics for r in rows],
        }
    )


def _version(model: Model) -> str:
    return embedding.shipped_head().version if model == "embedding" else "lexicon-1"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _chunks(items: list[str], n: int) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]
