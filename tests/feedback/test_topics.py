from __future__ import annotations

import pytest

from wegweiser.feedback.topics import keywords, topic_dictionary, topics_of


@pytest.mark.parametrize(
    ("text", "lang", "topics"),
    [
        ("Die Zahlung auf dem Handy ist fehlgeschlagen.", "de", ("app", "payment")),
        ("Zahlungsfehler im Checkout", "de", ("payment",)),
        ("Das Paket kam drei Tage zu spät.", "de", ("delivery",)),
        ("Niemand an der Hotline konnte helfen.", "de", ("support",)),
        ("Die Erstattung dauert ewig.", "de", ("returns",)),
        ("Payment kept failing on my phone.", "en", ("payment",)),
        ("The parcel arrived three days late.", "en", ("delivery",)),
        ("The refund takes far too long.", "en", ("returns",)),
        ("Way too expensive for this quality.", "en", ("price", "product quality")),
        ("I ordered on Monday.", "en", ()),
    ],
)
def test_dictionary_topics_per_language(text, lang, topics):
    assert topics_of(text, lang) == topics


def test_english_stems_match_word_starts_only():
    # "box" is a delivery word, "xbox" is not
    assert topics_of("my xbox", "en") == ()
    assert topics_of("the box", "en") == ("delivery",)


def test_a_project_adds_and_replaces_topics():
    table = topic_dictionary(
        {"en": {"sustainability": ["recycl", "plastic"], "price": ["bargain"]}}
    )
    assert topics_of("Too much plastic", "en", table) == ("sustainability",)
    assert topics_of("What a bargain", "en", table) == ("price",)
    assert topics_of("expensive", "en", table) == ()  # the default price stems were replaced
    assert topics_of("Zu teuer", "de", table) == ("price",)  # German untouched


def test_keywords_rank_words_typical_of_a_group():
    texts = (
        [("2026-01", "payment failed again")] * 4
        + [("2026-01", "great jacket")] * 2
        + [("2026-02", "great jacket, fast delivery")] * 5
        + [("2026-02", "payment ok")]
    )
    k = keywords(texts, top=3, min_count=2)
    jan = k[k.group == "2026-01"]
    # four of six January texts say it, no February text does: the most typical
    # (ties by name: "payment failed", as typical, comes fourth)
    assert jan.keyword.tolist() == ["again", "failed", "failed again"]
    assert jan.texts.tolist() == [4, 4, 4]
    feb = k[k.group == "2026-02"]
    assert set(feb.keyword) <= {"delivery", "fast", "fast delivery"}  # not "jacket": both
    assert "great jacket" not in set(feb.keyword)
    assert (k.ratio > 1).all()
    assert keywords([]).empty
