"""Topics of a text from a dictionary per language, and the keywords of a set of texts.

**Dictionary topics.** A topic is a list of word stems per language (:data:`TOPICS`, which a
project extends or overrides with ``[feedback.topics.<lang>]``). A text is about a topic when
one of its words starts with one of the topic's stems; German words also count when the stem
is inside them (compounds: ``Zahlungsfehler`` is about payment). A text can be about several
topics, or none.

**Keywords** (:func:`keywords`) are the words and two-word phrases that are frequent in one
group of texts (a period) compared with the others: per group, the words (stop words and
words under three letters left out) and phrases of two such words in a row that occur in at
least ``min_count`` texts, ranked by the smoothed log-ratio of their
share of the group's texts to their share of all other texts.

>>> topics_of("Die Zahlung ist fehlgeschlagen und das Paket kam spät", "de")
('delivery', 'payment')
>>> topics_of("The app crashed at checkout", "en")
('app', 'payment')
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from wegweiser.feedback.language import _DE, _EN
from wegweiser.feedback.sentiment import tokens

TopicDictionary = Mapping[str, Mapping[str, Sequence[str]]]
"""language -> topic -> word stems."""

TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "delivery": (
            "deliver",
            "parcel",
            "package",
            "courier",
            "shipping",
            "shipped",
            "tracking",
            "arriv",
            "driver",
            "depot",
            "box",
        ),
        "payment": (
            "pay",
            "checkout",
            "card",
            "paypal",
            "charged",
            "invoice",
            "bank",
            "declined",
            "instalment",
            "voucher",
        ),
        "support": (
            "support",
            "hotline",
            "chat",
            "service",
            "agent",
            "call",
            "email",
            "complaint",
            "reply",
            "answer",
            "staff",
        ),
        "product quality": (
            "quality",
            "material",
            "fabric",
            "broke",
            "broken",
            "defect",
            "seam",
            "zip",
            "fit",
            "size",
            "battery",
            "sole",
            "strap",
        ),
        "price": (
            "price",
            "expensive",
            "cheap",
            "cost",
            "value",
            "money",
            "discount",
            "sale",
            "overpriced",
            "afford",
        ),
        "app": ("app", "website", "site", "login", "log in", "crash", "update", "mobile"),
        "store": ("store", "shop assistant", "branch", "counter", "click and collect"),
        "returns": ("return", "refund", "exchange", "money back"),
    },
    "de": {
        "delivery": (
            "liefer",
            "paket",
            "kurier",
            "versand",
            "versend",
            "sendung",
            "bote",
            "zustell",
            "karton",
            "depot",
            "geliefert",
        ),
        "payment": (
            "zahl",
            "bezahl",
            "checkout",
            "karte",
            "paypal",
            "abgebucht",
            "rechnung",
            "bank",
            "raten",
            "gutschein",
            "kasse",
        ),
        "support": (
            "support",
            "hotline",
            "chat",
            "kundenservice",
            "kundendienst",
            "service",
            "anruf",
            "angerufen",
            "e-mail",
            "mail",
            "beschwerde",
            "antwort",
            "mitarbeiter",
            "rückruf",
        ),
        "product quality": (
            "qualität",
            "material",
            "stoff",
            "kaputt",
            "defekt",
            "naht",
            "nähte",
            "reißverschluss",
            "passform",
            "größe",
            "akku",
            "sohle",
            "verarbeit",
            "armband",
        ),
        "price": ("preis", "teuer", "billig", "günstig", "kosten", "rabatt", "sale", "geld"),
        "app": (
            "app",
            "website",
            "webseite",
            "seite",
            "anmeld",
            "login",
            "abgestürzt",
            "absturz",
            "stürzt",
            "update",
            "handy",
            "smartphone",
            "mobil",
        ),
        "store": ("filiale", "laden", "geschäft", "verkäufer", "click & collect"),
        "returns": (
            "rücksend",
            "retour",
            "rückgabe",
            "erstattung",
            "umtausch",
            "zurückgeschickt",
            "zurückgegeben",
        ),
    },
}
_STOP = (
    _DE
    | _EN
    | frozenset(
        """sind habe hatte wurde wurden this that have with from were been they them then
    than there here also very really just alle alles einen einem einer eine nach""".split()
    )
)


def topic_dictionary(extra: TopicDictionary | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """:data:`TOPICS` with ``extra``'s topics added; a topic named in ``extra`` replaces the
    default one of that language. Stems are lower-cased."""
    out = {lang: dict(topics) for lang, topics in TOPICS.items()}
    for lang, topics in (extra or {}).items():
        for topic, stems in topics.items():
            out.setdefault(lang, {})[topic] = tuple(s.strip().lower() for s in stems if s.strip())
    return out


def topics_of(
    text: str, language: str, dictionary: TopicDictionary | None = None
) -> tuple[str, ...]:
    """The topics ``text`` is about, sorted (module docstring); ``other`` languages are read
    with both dictionaries."""
    table = dictionary if dictionary is not None else TOPICS
    langs = [language] if language in table else list(table)
    lower = text.lower()
    words = tokens(text)
    found: set[str] = set()
    for lang in langs:
        for topic, stems in table[lang].items():
            for stem in stems:
                if " " in stem or "&" in stem:
                    hit = stem in lower
                elif lang == "de" and len(stem) >= 4:
                    hit = any(stem in w for w in words)
                else:
                    hit = any(w.startswith(stem) for w in words)
                if hit:
                    found.add(topic)
                    break
    return tuple(sorted(found))


def _terms(text: str) -> set[str]:
    """The words of ``text`` worth counting, and the phrases of two such words in a row."""
    found: set[str] = set()
    previous: str | None = None
    for w in tokens(text):
        if len(w) >= 3 and w[0].isalpha() and w not in _STOP:
            found.add(w)
            if previous is not None:
                found.add(f"{previous} {w}")
            previous = w
        else:
            previous = None
    return found


def keywords(
    texts: Iterable[tuple[str, str]], *, top: int = 10, min_count: int = 3
) -> pd.DataFrame:
    """Per group, the words most typical of it: ``texts`` are (group, text) pairs.

    Columns ``group``, ``keyword``, ``texts`` (texts of the group holding it), ``share``
    (of the group's texts) and ``ratio`` (smoothed share in the group / share elsewhere).
    """
    per_group: dict[str, Counter[str]] = {}
    sizes: Counter[str] = Counter()
    for group, text in texts:
        words = _terms(text)
        per_group.setdefault(group, Counter()).update(words)
        sizes[group] += 1
    total = Counter[str]()
    for counts in per_group.values():
        total.update(counts)
    n_all = sum(sizes.values())
    rows = []
    for group in sorted(per_group):
        n_in, n_out = sizes[group], n_all - sizes[group]
        scored = []
        for word, k in per_group[group].items():
            if k < min_count:
                continue
            share_in = (k + 0.5) / (n_in + 1)
            share_out = (total[word] - k + 0.5) / (n_out + 1)
            scored.append((math.log(share_in / share_out), k, word))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
        for log_lift, k, word in scored[:top]:
            rows.append(
                {
                    "group": group,
                    "keyword": word,
                    "texts": k,
                    "share": k / n_in,
                    "ratio": math.exp(log_lift),
                }
            )
    return pd.DataFrame(rows, columns=["group", "keyword", "texts", "share", "ratio"])
