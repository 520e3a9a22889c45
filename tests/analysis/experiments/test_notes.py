"""The readouts' notes are message keys with fields: English in ``note``, German through the
catalogue (``present.i18n.note_text``), on a skewed split that must raise the SRM alarm."""

from __future__ import annotations

import string

import pandas as pd

from wegweiser.analysis.experiments.analysis import experiment, experiments
from wegweiser.analysis.experiments.notes import NOTES, english
from wegweiser.present.i18n import note_text, t


def _journey():
    import ibis

    frame = pd.DataFrame({
        "person_id": ["p0"], "timestamp": [pd.Timestamp("2026-01-01", tz="UTC")],
        "event": ["page_view"], "properties": ["{}"], "revenue": [None],
        "is_conversion": [False],
    }).astype({"revenue": "float64"})
    return ibis.memtable(frame)


def _skewed() -> pd.DataFrame:
    at = pd.Timestamp("2026-01-02", tz="UTC")
    rows = [("c", "control")] * 300 + [("t", "treatment")] * 200
    return pd.DataFrame({
        "person_id": [f"{p}{i}" for i, (p, _) in enumerate(rows)],
        "experiment": "skewed", "variant": [v for _, v in rows], "assigned_at": at,
    })


def test_every_note_has_both_languages_with_the_same_fields():
    fields = string.Formatter()
    for key, words in NOTES.items():
        en = {f for _, f, _, _ in fields.parse(words.en) if f}
        de = {f for _, f, _, _ in fields.parse(words.de) if f}
        assert en == de, key
        assert words.en != words.de, key
        assert t(f"note.{key}", "de", **dict.fromkeys(en, "x")) != ""


def test_a_sample_ratio_mismatch_is_noted_in_both_languages():
    listed = experiments(_journey(), assignments=_skewed())
    assert listed.notes == (("srm_mismatch", {"experiments": "skewed"}),)
    assert listed.note.startswith("SAMPLE RATIO MISMATCH in skewed")
    assert note_text(listed, "de").startswith("STICHPROBENVERHÄLTNIS WEICHT AB in skewed")
    one = experiment(_journey(), name="skewed", assignments=_skewed(), metrics=["conversion"])
    key, fields = one.notes[0]
    assert key == "srm_mismatch_one"
    assert fields["seen"] == "control 300, treatment 200"
    assert fields["expected"] == "control 250, treatment 250"
    assert "erwartet control 250, treatment 250" in note_text(one, "de")
    assert one.note == english(one.notes)


def test_no_experiments_and_a_result_without_keys():
    none = experiment(_journey(), metrics=["conversion"])
    assert note_text(none, "de").startswith("keine Experimente gefunden")
    assert note_text(none, "en") == none.note

    class Plain:
        note = "as it is"

    assert note_text(Plain(), "de") == "as it is"

