from __future__ import annotations

from pathlib import Path

import pytest

from wegweiser.feedback.embedding import read_labelled
from wegweiser.feedback.language import detect

HERE = Path(__file__).parent


@pytest.mark.parametrize("lang", ["de", "en"])
def test_detects_the_language_of_the_labelled_sets(lang):
    texts = (
        read_labelled(HERE / f"labelled_{lang}.tsv")[0]
        + read_labelled(HERE / f"holdout_{lang}.tsv")[0]
    )
    right = sum(detect(t) == lang for t in texts)
    assert right / len(texts) >= 0.95


@pytest.mark.parametrize("text", ["Très bien, merci", "Muy bueno", "12345", "", "!!!"])
def test_other_languages_and_no_words_are_other(text):
    assert detect(text) == "other"
