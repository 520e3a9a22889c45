"""The notes of the experiment readouts, in English and German, as message keys with fields.

A readout's note is user-facing text: the result keeps it as ``notes`` -- pairs of a key of
:data:`NOTES` and the values of its ``{fields}`` -- and as ``note``, the English text (the
command line, the JSON answer). :mod:`wegweiser.present.i18n` registers :data:`NOTES` in the
one catalogue under ``note.<key>``, so the dashboard and the report show the note in the
reader's language (``present.i18n.note_text``).

>>> english([("srm_mismatch", {"experiments": "cart"})])[:23]
'SAMPLE RATIO MISMATCH i'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wegweiser.analysis.registry import Words

if TYPE_CHECKING:
    from collections.abc import Iterable

#: A note: a key of :data:`NOTES` and the values of its fields.
Note = tuple[str, dict[str, Any]]

NOTES: dict[str, Words] = {
    "srm_mismatch": Words(
        "SAMPLE RATIO MISMATCH in {experiments}: their results are not trustworthy until the "
        "assignment or tracking is fixed.",
        "STICHPROBENVERHÄLTNIS WEICHT AB in {experiments}: Ihren Ergebnissen ist nicht zu "
        "trauen, bis die Zuteilung oder das Tracking behoben ist.",
    ),
    "srm_mismatch_one": Words(
        "SAMPLE RATIO MISMATCH (chi-square p = {p} < {threshold}): persons {seen}, expected "
        "{expected}. Do not trust this experiment's results until the assignment or tracking "
        "is fixed.",
        "STICHPROBENVERHÄLTNIS WEICHT AB (Chi-Quadrat p = {p} < {threshold}): Personen {seen}, "
        "erwartet {expected}. Trauen Sie den Ergebnissen dieses Experiments nicht, bis die "
        "Zuteilung oder das Tracking behoben ist.",
    ),
    "no_experiments": Words(
        "no experiments found: send experiment_viewed (or Segment's Experiment Viewed) events "
        "with experiment_id and variation_id, or give an assignments file",
        "keine Experimente gefunden: senden Sie experiment_viewed-Ereignisse (oder Segments "
        "Experiment Viewed) mit experiment_id und variation_id, oder geben Sie eine Datei mit "
        "Zuteilungen an",
    ),
    "one_variant": Words(
        "experiment '{experiment}' has one variant only ({variant}); nothing to compare",
        "Experiment '{experiment}' hat nur eine Variante ({variant}); nichts zu vergleichen",
    ),
    "guardrail_breached": Words(
        "guardrail breached: {metrics}",
        "Leitplanke verletzt: {metrics}",
    ),
    "geo_undefined": Words(
        "no geo experiment given: name the channel (--channel), the holdout regions "
        "(--holdout) and the test period (--start, --end)",
        "kein Geo-Experiment angegeben: nennen Sie den Kanal (--channel), die Holdout-Regionen "
        "(--holdout) und den Testzeitraum (--start, --end)",
    ),
    "geo_no_conversions": Words(
        "no conversions in the data: nothing to read out",
        "keine Konversionen in den Daten: nichts auszuwerten",
    ),
    "geo_no_costs": Words(
        "no spend for {touchpoint} in the test period: import costs (wegweiser import-costs "
        "FILE) for the incremental ROAS",
        "keine Kosten für {touchpoint} im Testzeitraum: importieren Sie Kosten (wegweiser "
        "import-costs DATEI) für den inkrementellen ROAS",
    ),
    "geo_weak_fit": Words(
        "the holdout follows the control regions only loosely before the test (R² {r2} over "
        "{days} days): read the intervals with care, or choose control regions more like "
        "the holdout",
        "die Holdout-Regionen folgen den Kontrollregionen vor dem Test nur lose (R² {r2} über "
        "{days} Tage): lesen Sie die Intervalle mit Vorsicht, oder wählen Sie ähnlichere "
        "Kontrollregionen",
    ),
    "geo_cut": Words(
        "the data end before the test does: read out up to {last} ({days} test days)",
        "die Daten enden vor dem Test: ausgewertet bis {last} ({days} Testtage)",
    ),
    "geo_method": Words(
        "Incremental = what the holdout would have had with the channel on (a regression on "
        "the control regions over {days} days before the test) minus what it had; "
        "attribution credits describe paths, not what the channel caused.",
        "Inkrementell = was die Holdout-Regionen mit eingeschaltetem Kanal gehabt hätten "
        "(eine Regression auf die Kontrollregionen über {days} Tage vor dem Test) minus was "
        "sie hatten; Attributionsanteile beschreiben Pfade, nicht was der Kanal bewirkt hat.",
    ),
}


def english(notes: Iterable[Note]) -> str:
    """The notes as one English text (the ``note`` of a result)."""
    return " ".join(NOTES[key].en.format(**fields) for key, fields in notes)


def catalogue() -> dict[str, dict[str, str]]:
    """:data:`NOTES` as catalogue messages ``note.<key>`` (see the module docstring)."""
    return {f"note.{key}": {"en": w.en, "de": w.de} for key, w in NOTES.items()}
