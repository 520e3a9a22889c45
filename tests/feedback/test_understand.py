from __future__ import annotations

import importlib

import pytest

from wegweiser.errors import InvalidInput
from wegweiser.feedback import TextCache, understand


def test_one_row_per_text_in_order_with_empty_texts_neutral():
    t = understand(
        ["Die Zahlung ist fehlgeschlagen.", None, "  ", "Great jacket, love it!"],
        model="lexicon",
        cache=TextCache(),
    )
    assert t.language.tolist() == ["de", "other", "other", "en"]
    assert t.sentiment.tolist() == ["negative", "neutral", "neutral", "positive"]
    assert t.topics[0] == ("payment",)
    assert t.score[1] == 0.0


def test_results_are_cached_per_text(monkeypatch):
    cache = TextCache()
    understand(["Schnelle Lieferung", "Slow delivery"], model="lexicon", cache=cache)
    assert len(cache) == 2
    calls = []
    module = importlib.import_module("wegweiser.feedback.understand")
    monkeypatch.setattr(module, "detect", lambda t: calls.append(t) or "en")
    again = understand(
        ["Slow delivery", "Schnelle Lieferung", "new text"], model="lexicon", cache=cache
    )
    assert calls == ["new text"]
    assert again.language.tolist()[:2] == ["en", "de"]


def test_cache_persists_in_a_file(tmp_path):
    path = tmp_path / "cache.sqlite"
    first = TextCache(path)
    understand(["Das Paket kam zu spät."], model="lexicon", cache=first)
    first.close()
    second = TextCache(path)
    assert second.get_many(next(iter(first._memory))[0], ["Das Paket kam zu spät."])
    t = understand(["Das Paket kam zu spät."], model="lexicon", cache=second)
    assert len(second) == 1
    assert t.sentiment[0] == "negative"


def test_embedding_model_reads_both_languages():
    t = understand(["Die Zahlung auf dem Handy ist fehlgeschlagen.", "Absolutely love it!"])
    assert t.sentiment.tolist() == ["negative", "positive"]
    assert t.score[0] < 0 < t.score[1]


def test_unknown_model_is_refused():
    with pytest.raises(InvalidInput, match="unknown sentiment model"):
        understand(["x"], model="bert")  # type: ignore[arg-type]


def test_auto_uses_the_lexicon_without_the_extra(monkeypatch):
    from wegweiser.feedback import embedding, resolve_model

    assert resolve_model("auto") == "embedding"  # the test extra installs it
    monkeypatch.setattr(embedding, "available", lambda: False)
    assert resolve_model("auto") == "lexicon"
    monkeypatch.setattr(embedding, "classify_many", lambda texts: pytest.fail("no model"))
    t = understand(["Die Lieferung war nicht gut."], cache=TextCache())
    assert t.sentiment.tolist() == ["negative"]
