"""Sentiment of one short text (German or English): positive, neutral or negative.

A lexicon-and-rules model, written for customer feedback (as VADER is for social media),
with the same rules in both languages:

* **Words and phrases** carry a valence (-3..+3; :mod:`._lexicon_de`, :mod:`._lexicon_en`);
  phrases (``never again``, ``keine Probleme``) are read before their words. German words
  match their inflected forms, and compounds match by their last part (``Zahlungsfehler``).
* **Negation** (``not``, ``nicht``, ``kein`` ...) turns the next sentiment word within three
  words -- or, when none follows in the clause, the one before it (``gefällt mir nicht``) --
  into its opposite at half strength for negative words (``not bad`` is mildly positive)
  and at 0.8 for positive ones (``not good`` is negative).
* **Intensifiers** (``very``, ``sehr``, ``a bit``) scale the next sentiment word.
* **Contrast**: in ``X, but Y`` (``aber``, ``jedoch``, ``allerdings``, ``however``) the part
  after the contrast counts 1.5 times, the part before half; a concession (``although``,
  ``obwohl``) counts half.
* **Questions** count half, except complaints asked as questions (``why``, ``warum``,
  ``how can``/``wie kann``).

The valences sum to *s*; the **score** is ``s / sqrt(s² + 15)`` in -1..1 (VADER's
normalisation). The **label** is ``positive`` for a score of at least
:data:`THRESHOLD`, ``negative`` for at most ``-THRESHOLD``, ``neutral`` otherwise.

>>> classify("The delivery was not on time.", "en").label
'negative'
>>> classify("Nicht billig, aber jeden Cent wert.", "de").label
'positive'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from wegweiser.feedback import _lexicon_de, _lexicon_en

if TYPE_CHECKING:
    from types import ModuleType

Label = Literal["positive", "neutral", "negative"]
LABELS: tuple[Label, ...] = ("positive", "neutral", "negative")
THRESHOLD = 0.2
ALPHA = 15.0
_LEXICONS: dict[str, ModuleType] = {"de": _lexicon_de, "en": _lexicon_en}
_TOKEN = re.compile(r"[a-zäöüß0-9]+(?:[-'\u2019][a-zäöüß]+)*|[.,;:!?]")
_DE_ENDINGS = ("e", "en", "er", "es", "em", "n", "s", "t", "st", "et", "te", "ten")
_EN_ENDINGS = ("s", "es", "ed", "d", "ing", "ly")
_SCOPE = 3
_TRAILING = frozenset("mehr so wirklich at all really it".split())


@dataclass(frozen=True)
class Sentiment:
    """A text's sentiment: ``label`` and ``score`` (-1 very negative .. 1 very positive)."""

    label: Label
    score: float


def tokens(text: str) -> list[str]:
    """Lower-case words and punctuation marks of ``text`` (typographic apostrophes unified)."""
    return [t.replace("\u2019", "'") for t in _TOKEN.findall(text.lower())]


def classify(text: str, language: str) -> Sentiment:
    """The sentiment of ``text`` read as ``language`` (``de``; anything else reads as English).

    A text without sentiment words is neutral with score 0.
    """
    s = valence(tokens(text), language)
    score = round(s / math.sqrt(s * s + ALPHA), 4) if s else 0.0
    label: Label = (
        "positive" if score >= THRESHOLD else "negative" if score <= -THRESHOLD else "neutral"
    )
    return Sentiment(label, score)


def valence(words: list[str], language: str) -> float:
    """The summed valence of tokenised text (module docstring)."""
    lex = _LEXICONS.get(language, _lexicon_en)
    total = 0.0
    for sentence in _split(words, {".", "!", "?", ";"}, keep_last=True):
        question = sentence[-1:] == ["?"]
        weight = 1.0
        if question and not (set(sentence[:2]) & lex.QUESTION_COMPLAINT):
            weight = 0.5
        total += weight * _sentence(sentence, lex)
    return total


def _sentence(words: list[str], lex: ModuleType) -> float:
    clauses: list[tuple[str, list[str]]] = [("", [])]
    for w in words:
        if w in lex.BUT:
            clauses.append((w, []))
        elif w not in {".", "!", "?", ";"}:
            clauses[-1][1].append(w)
    weights = [1.0] * len(clauses)
    for i, (conj, _) in enumerate(clauses):
        if not conj:
            continue
        if conj in lex.CONCESSIVE:
            weights[i] *= 0.5
        else:
            weights[i] *= 1.5
            for j in range(i):
                weights[j] *= 0.5
    return sum(w * _clause(c, lex) for w, (_, c) in zip(weights, clauses, strict=True))


def _clause(words: list[str], lex: ModuleType) -> float:
    vals: dict[int, float] = {}
    used = [False] * len(words)
    i = 0
    while i < len(words):
        phrase = _phrase(words, i, lex)
        if phrase is not None:
            n, vals[i] = phrase
            used[i : i + n] = [True] * n
            i += n
            continue
        modifies = i + 1 < len(words) and _word_value(words[i + 1], lex) != 0
        if words[i] not in lex.INTENSIFIERS or not modifies:
            v = _word_value(words[i], lex)
            if v:
                vals[i] = v
        i += 1
    for k in sorted(vals):
        two = f"{words[k - 2]} {words[k - 1]}" if k >= 2 else ""
        if k >= 1 and not used[k - 1] and words[k - 1] in lex.INTENSIFIERS:
            vals[k] *= lex.INTENSIFIERS[words[k - 1]]
        elif two in lex.INTENSIFIERS:
            vals[k] *= lex.INTENSIFIERS[two]
    for k, w in enumerate(words):
        if w not in lex.NEGATORS or used[k]:
            continue
        target = _negated(words, k, vals, lex)
        if target is not None:
            v = vals[target]
            vals[target] = -0.5 * v if v < 0 else -0.8 * v
        elif w == lex.NOBODY:
            vals[k] = -1.0
    return sum(vals.values())


def _negated(words: list[str], k: int, vals: dict[int, float], lex: ModuleType) -> int | None:
    """The position of the sentiment word (or phrase) the negator at ``k`` turns, if any."""
    w = words[k]
    if w == lex.WITHOUT:
        return k + 1 if k + 1 in vals else None
    if w in lex.SUBJECT_NEGATORS:
        return next((j for j in range(k + 1, len(words)) if vals.get(j, 0) > 0), None)
    after = [j for j in range(k + 1, min(len(words), k + 1 + _SCOPE)) if j in vals]
    if after:
        return after[0]
    rest = words[k + 1 :]
    if all(r in _TRAILING for r in rest):  # "gefällt mir nicht", "did not like it at all"
        return next((j for j in range(k - 1, -1, -1) if j in vals), None)
    return None


def _phrase(words: list[str], i: int, lex: ModuleType) -> tuple[int, float] | None:
    for n in (5, 4, 3, 2):
        if i + n <= len(words):
            key = " ".join(words[i : i + n])
            value = lex.POSITIVE_PHRASES.get(key, lex.NEGATIVE_PHRASES.get(key))
            if value is not None:
                return n, float(value)
    return None


def _word_value(word: str, lex: ModuleType) -> float:
    table: dict[str, float] = lex.WORDS
    if word in table:
        return table[word]
    german = lex is _lexicon_de
    for ending in _DE_ENDINGS if german else _EN_ENDINGS:
        if word.endswith(ending) and word[: -len(ending)] in table:
            return table[word[: -len(ending)]]
    if german and len(word) > 6:
        for head in lex.HEADS:
            if word.endswith((head, head + "n")):
                return table.get(head, -2.0)
    return 0.0


def _split(words: list[str], marks: set[str], *, keep_last: bool) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for w in words:
        out[-1].append(w)
        if w in marks:
            out.append([])
    return [s for s in out if s]
