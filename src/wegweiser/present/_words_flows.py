"""Words of the journeys' flow diagrams, dry runs and the report section "Journeys"
(registered in :data:`wegweiser.present.i18n.MESSAGES` without a prefix)."""



from __future__ import annotations

from wegweiser.present._words import _m

WORDS: dict[str, dict[str, str]] = {
    "jflow.entry": _m("Entered", "Eingetreten"),
    "jflow.end": _m("Completed", "Abgeschlossen"),
    "jflow.exited": _m("Left early (goal, exit)", "Vorzeitig beendet (Ziel, Ausstieg)"),
    "jflow.waiting": _m("{n} here now", "{n} gerade hier"),
    "jflow.persons": _m("{n} runs", "{n} Läufe"),
    "jflow.title": _m("Flow of {journey}: runs per step and edge",
                     "Ablauf von {journey}: Läufe je Schritt und Kante"),
    "jflow.simulated": _m("No run yet: the counts come from a dry run of the last {days} days.",
                         "Noch kein Lauf: die Zahlen stammen aus einem Probelauf der letzten "
                         "{days} Tage."),
    "jreport.title": _m("Journeys", "Journeys"),
    "jreport.intro": _m(
        "The journeys in journeys/ of the project: each one's flow (runs per step and edge), "
        "a dry run on the last {days} days ({persons} persons; nothing was sent) and, for "
        "journeys that ran, their readout against the holdout.",
        "Die Journeys in journeys/ des Projekts: ihr Ablauf (Läufe je Schritt und Kante), ein "
        "Probelauf auf den letzten {days} Tagen ({persons} Personen; nichts wurde gesendet) "
        "und für gelaufene Journeys ihre Auswertung gegen die Holdout-Gruppe."),
    "jreport.dry_run": _m("Dry run: messages per journey and step",
                           "Probelauf: Nachrichten je Journey und Schritt"),
    "jreport.readout": _m("Readout of {journey}", "Auswertung von {journey}"),
    "jreport.col.journey": _m("Journey", "Journey"),
    "jreport.col.step": _m("Step", "Schritt"),
    "jreport.col.channel": _m("Channel", "Kanal"),
    "jreport.col.messages": _m("Messages", "Nachrichten"),
    "jreport.col.persons": _m("Persons", "Personen"),
    "jreport.col.suppressed": _m("Suppressed (no consent)", "Unterdrückt (keine Einwilligung)"),
    "jreport.col.holdout": _m("Holdout", "Holdout"),
    "journeys.ledger": _m("The ledger: latest messages", "Das Ledger: letzte Nachrichten"),
    "journeys.state": _m("State", "Zustand"),
    "journeys.no_ledger": _m("No messages yet.", "Noch keine Nachrichten."),
}
