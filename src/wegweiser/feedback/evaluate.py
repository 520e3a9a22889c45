"""How well a sentiment model reads a labelled set: accuracy, polar accuracy, macro-F1.

* **accuracy**: share of texts whose label is the gold label (three classes).
* **polar accuracy**: among texts whose gold label is positive or negative, the share whose
  score has the right sign (a score of 0 counts as wrong) -- the positive/negative
  distinction alone.
* **macro-F1**: the mean over the three classes of F1 = 2TP / (2TP + FP + FN).

>>> m = metrics(["positive", "negative", "neutral"], ["positive", "neutral", "neutral"],
...             [0.9, -0.1, 0.0])
>>> m["accuracy"], m["polar_accuracy"], round(m["macro_f1"], 3)
(0.6666666666666666, 1.0, 0.556)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wegweiser.errors import InvalidInput
from wegweiser.feedback.sentiment import LABELS

if TYPE_CHECKING:
    from collections.abc import Sequence


def metrics(
    gold: Sequence[str], predicted: Sequence[str], scores: Sequence[float]
) -> dict[str, float]:
    """``accuracy``, ``polar_accuracy``, ``macro_f1`` and ``n`` (module docstring)."""
    if not (len(gold) == len(predicted) == len(scores)) or not gold:
        raise InvalidInput("metrics need as many predictions and scores as gold labels (> 0)")
    n = len(gold)
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / n
    polar = [(g, s) for g, s in zip(gold, scores, strict=True) if g != "neutral"]
    right = sum((s > 0) if g == "positive" else (s < 0) for g, s in polar)
    f1 = []
    for c in LABELS:
        tp = sum(g == c and p == c for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, predicted, strict=True))
        f1.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return {
        "n": float(n),
        "accuracy": accuracy,
        "polar_accuracy": right / len(polar) if polar else float("nan"),
        "macro_f1": sum(f1) / len(f1),
    }
