from __future__ import annotations

import pytest

from wegweiser.feedback.sentiment import classify, tokens


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("The delivery was good.", "en", "positive"),
        ("The delivery was not good.", "en", "negative"),
        ("Not bad at all.", "en", "positive"),
        ("Die Lieferung war gut.", "de", "positive"),
        ("Die Lieferung war nicht gut.", "de", "negative"),
        ("Das hat mir nicht gefallen.", "de", "negative"),  # negation after the word
        ("Keine Probleme.", "de", "positive"),
        (
            "Die Bestellung wurde ohne Erklärung storniert.",
            "de",
            "negative",
        ),  # ohne: next word only
    ],
)
def test_negation(text, lang, label):
    assert classify(text, lang).label == label


def test_contrast_weighs_the_part_after_but():
    assert classify("Nice design, but the zip broke.", "en").label == "negative"
    assert classify("Not cheap, but worth every cent.", "en").label == "positive"
    assert classify("Schnell, aber leider kaputt.", "de").score < 0
    # the concession counts half: the card works elsewhere, yet it was declined
    assert classify("Die Karte wurde abgelehnt, obwohl sie funktioniert.", "de").label == "negative"


def test_intensifiers_scale_and_questions_count_half():
    assert classify("very good", "en").score > classify("good", "en").score > 0
    assert 0 < classify("Is it good?", "en").score < classify("It is good.", "en").score
    # a complaint asked as a question keeps its weight
    assert classify("Why is it so slow?", "en").label == "negative"


def test_text_without_sentiment_words_is_neutral_zero():
    s = classify("I ordered on Monday.", "en")
    assert (s.label, s.score) == ("neutral", 0.0)
    assert classify("", "de").score == 0.0


def test_german_inflection_and_compounds():
    assert classify("Schnelle Lieferung", "de").label == "positive"
    assert classify("Zahlungsfehler beim Checkout", "de").label == "negative"
    assert tokens("Don\u2019t!") == ["don't", "!"]
