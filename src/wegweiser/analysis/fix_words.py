"""The words of watched fixes (verdicts, methods, why a method decided), English and German.

Apart from :mod:`wegweiser.analysis.fixes` so that the translation catalogue
(:mod:`wegweiser.present.i18n`) reads them without importing the analysis (and with it
pandas, Ibis and the estimators): a command line that prints a table loads the catalogue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wegweiser.analysis.registry import Words

if TYPE_CHECKING:
    from wegweiser.analysis._fix_headline import Reason

__all__ = ["METHODS", "NO_FIXES", "REASONS", "VERDICTS"]

VERDICTS: dict[str, Words] = {
    "worked": Words("worked", "hat gewirkt"),
    "none": Words("no detectable effect", "keine nachweisbare Wirkung"),
    "worse": Words("got worse", "verschlechtert"),
    "too_early": Words("too early to tell", "noch zu früh"),
}
#: the note of a project without fixes (catalogue key ``note.no_fixes``)
NO_FIXES = Words(
    "no fixes yet: add one with `wegweiser fixes add`",
    "noch keine Korrekturen: legen Sie eine mit `wegweiser fixes add` an",
)
#: the methods, as the verdict names the one that decided
METHODS: dict[str, Words] = {
    "did": Words("difference-in-differences", "Differenz-von-Differenzen"),
    "its": Words("interrupted time series", "unterbrochene Zeitreihe"),
}
#: why the method decided (``why`` of a row; catalogue keys ``note.fix.<why>``)
REASONS: dict[Reason, Words] = {
    "scoped": Words(
        "{fix}: difference-in-differences decided: the fix is limited to {scope} and the "
        "comparison group ({control}) is untouched by it; before the fix both moved in "
        "parallel (pre-trend {slope} points a day, p = {p}).",
        "{fix}: entschieden hat die Differenz-von-Differenzen: die Korrektur betrifft nur "
        "{scope}, die Vergleichsgruppe ({control}) blieb unberührt; vor der Korrektur "
        "verliefen beide parallel (Vortrend {slope} Pkt. je Tag, p = {p}).",
    ),
    "no_scope": Words(
        "{fix}: the interrupted time series decided: the fix has no scope (it applies to "
        "everyone at the touchpoint), so no comparison group is untouched and "
        "difference-in-differences is not available.",
        "{fix}: entschieden hat die unterbrochene Zeitreihe: die Korrektur gilt für alle am "
        "Kontaktpunkt, keine Vergleichsgruppe blieb unberührt, eine "
        "Differenz-von-Differenzen ist nicht möglich.",
    ),
    "no_comparison_days": Words(
        "{fix}: the interrupted time series decided: the comparison group ({control}) has "
        "too few days with data for difference-in-differences ({before} before, {after} "
        "after the fix; at least {min_before} and {min_after}).",
        "{fix}: entschieden hat die unterbrochene Zeitreihe: die Vergleichsgruppe "
        "({control}) hat zu wenige Tage mit Daten für eine Differenz-von-Differenzen "
        "({before} vor, {after} nach der Korrektur; mindestens {min_before} und "
        "{min_after}).",
    ),
    "pretrend_failed": Words(
        "WARNING {fix}: the interrupted time series decided: before the fix the touchpoint "
        "and the comparison group ({control}) drifted apart ({slope} points a day, p = {p}), "
        "so difference-in-differences, which assumes parallel trends, is not trusted alone; "
        "the verdict stands only where both methods agree, else no detectable effect.",
        "WARNUNG {fix}: entschieden hat die unterbrochene Zeitreihe: vor der Korrektur "
        "liefen Kontaktpunkt und Vergleichsgruppe ({control}) auseinander ({slope} Pkt. je "
        "Tag, p = {p}); die Differenz-von-Differenzen setzt parallele Verläufe voraus und "
        "wird nicht allein verwendet; das Urteil gilt nur, wo beide Verfahren "
        "übereinstimmen, sonst keine nachweisbare Wirkung.",
    ),
    "too_early": Words(
        "{fix}: too few days for either method ({before} before the fix, at least "
        "{min_before}; {after} after, at least {min_after}).",
        "{fix}: zu wenige Tage für beide Verfahren ({before} vor der Korrektur, mindestens "
        "{min_before}; {after} danach, mindestens {min_after}).",
    ),
}
