"""The dashboard's words of the journeys pages (merged into
:data:`wegweiser.present._words_dashboard.WORDS`)."""

from __future__ import annotations

from wegweiser.present._words import _m

WORDS: dict[str, dict[str, str]] = {
    "journeys.title": _m("Journeys and their messages", "Journeys und ihre Nachrichten"),
    "journeys.hint": _m("Journeys are files in journeys/ of the project; the command "
                        "“wegweiser journeys run” runs them (docs/journeys.md).",
                        "Journeys sind Dateien in journeys/ des Projekts; der Befehl "
                        "„wegweiser journeys run“ führt sie aus (docs/journeys.md)."),
    "journeys.none": _m("No journeys yet.", "Noch keine Journeys."),
    "journeys.paused": _m("paused", "pausiert"),
    "journeys.running": _m("running", "läuft"),
    "journeys.pause": _m("Pause", "Pausieren"),
    "journeys.resume": _m("Resume", "Fortsetzen"),
    "journeys.paused_done": _m("Journey {name} paused: no new entrants until it is resumed.",
                               "Journey {name} pausiert: keine neuen Eintritte bis zum "
                               "Fortsetzen."),
    "journeys.resumed_done": _m("Journey {name} resumed.", "Journey {name} fortgesetzt."),
    "journeys.pseudonym": _m("Person {n}", "Person {n}"),
    "journeys.persons_hidden": _m(
        "Persons are shown as pseudonyms (Person 1, 2, ...): your role may not see personal "
        "data.",
        "Personen erscheinen als Pseudonyme (Person 1, 2, …): Ihre Rolle darf keine "
        "personenbezogenen Daten sehen."),
    "journeys.unknown": _m("Messages in an unknown state", "Nachrichten in unbekanntem Zustand"),
    "journeys.unknown_hint": _m(
        "A crash while sending by email or SMS leaves it open whether the message went out; "
        "such messages are never resent automatically. Check them with the provider.",
        "Ein Absturz beim Senden per E-Mail oder SMS lässt offen, ob die Nachricht rausging; "
        "sie wird nie automatisch erneut gesendet. Bitte beim Anbieter prüfen."),
    "journeys.settle_hint": _m(
        "Delivery receipts of the provider (POST /v1/receipts) settle them by themselves. "
        "Otherwise decide here after checking the mail server's log or the provider's "
        "records: arrived, did not arrive, or send again.",
        "Zustellberichte des Anbieters (POST /v1/receipts) klären sie von selbst. Sonst "
        "hier entscheiden, nach einem Blick ins Log des Mailservers oder in die Daten des "
        "Anbieters: angekommen, nicht angekommen oder erneut senden."),
    "journeys.decide": _m("Decision", "Entscheidung"),
    "journeys.settle_reason": _m("Why (kept in the audit log)",
                                 "Warum (steht im Audit-Log)"),
    "journeys.settle_as.sent": _m("Arrived", "Angekommen"),
    "journeys.settle_as.failed": _m("Did not arrive", "Nicht angekommen"),
    "journeys.settle_as.resend": _m("Send again", "Erneut senden"),
    "journeys.settle_command": _m("Or on the command line:", "Oder auf der Kommandozeile:"),
    "journeys.settled_done": _m("Message {message}: {before} → {after}.",
                                "Nachricht {message}: {before} → {after}."),
    "journeys.settle_refused": _m("Message {message} not settled: {error}",
                                  "Nachricht {message} nicht geklärt: {error}"),
    "journeys.no_unknown": _m("None: every message was decided.",
                              "Keine: jede Nachricht ist entschieden."),
    "journeys.step": _m("Step", "Schritt"),
    "journeys.channel": _m("Channel", "Kanal"),
    "journeys.person": _m("Person", "Person"),
    "journeys.when": _m("Last change", "Letzte Änderung"),
    "journeys.col.journey": _m("Journey", "Journey"),
    "journeys.col.paused": _m("State", "Zustand"),
    "journeys.col.entrants": _m("Entrants", "Eingetreten"),
    "journeys.col.active": _m("Active", "Aktiv"),
    "journeys.col.done": _m("Done", "Fertig"),
    "journeys.col.exited": _m("Exited", "Ausgestiegen"),
    "journeys.col.parked": _m("Parked", "Geparkt"),
    "journeys.col.deferred": _m("Deferred", "Verschoben"),
    "journeys.col.msg_sent": _m("Sent", "Gesendet"),
    "journeys.col.msg_unknown": _m("Unknown", "Unbekannt"),
    "journeys.col.msg_failed": _m("Failed", "Fehlgeschlagen"),
    "journeys.col.msg_suppressed": _m("Capped or no consent", "Gedeckelt/ohne Einwilligung"),
    "journeys.steps": _m("Messages per step: opened and clicked",
                         "Nachrichten je Schritt: geöffnet und geklickt"),
    "journeys.steps_hint": _m(
        "Opened: messages whose open pixel loaded or whose link was clicked (mail clients "
        "that block images count only when clicked). Clicked: messages with at least one "
        "click; clicks: all of them.",
        "Geöffnet: Nachrichten, deren Öffnungspixel geladen oder deren Link geklickt wurde "
        "(E-Mail-Programme, die Bilder blockieren, zählen erst beim Klick). Geklickt: "
        "Nachrichten mit mindestens einem Klick; Klicks: alle."),
    "journeys.no_steps": _m("No messages sent yet.", "Noch keine Nachrichten gesendet."),
    "journeys.variant": _m("Variant", "Variante"),
    "journeys.col.sent": _m("Sent", "Gesendet"),
    "journeys.readout": _m("Readout: what the journeys caused",
                           "Wirkung: was die Journeys bewirken"),
    "journeys.readout_hint": _m(
        "Treated persons against the journey's holdout, conversion (the journey's goal) and "
        "revenue per person within 14 days of entry; the interval is always valid, so looking "
        "every day does not produce false wins (docs/journeys.md, Readouts).",
        "Behandelte Personen gegen die Holdout-Gruppe der Journey, Conversion (das Ziel der "
        "Journey) und Umsatz pro Person binnen 14 Tagen nach Eintritt; das Intervall gilt "
        "jederzeit, tägliches Nachsehen erzeugt also keine falschen Gewinner "
        "(docs/journeys.md, Readouts)."),
    "journeys.no_readout": _m(
        "No readout yet: nobody has entered a journey.",
        "Noch keine Wirkung messbar: niemand ist in eine Journey eingetreten."),
    "journeys.col.metric": _m("Metric", "Kennzahl"),
    "journeys.col.treated": _m("Treated", "Behandelt"),
    "journeys.col.holdout": _m("Holdout", "Holdout"),
    "journeys.col.holdout_value": _m("Holdout value", "Wert Holdout"),
    "journeys.col.treated_value": _m("Treated value", "Wert behandelt"),
    "journeys.col.uplift": _m("Uplift", "Uplift"),
    "journeys.col.interval": _m("95% interval (always valid)", "95%-Intervall (jederzeit gültig)"),
    "journeys.col.decision": _m("Decision", "Entscheidung"),
    "journeys.decision.better": _m("better", "besser"),
    "journeys.decision.worse": _m("worse", "schlechter"),
    "journeys.decision.inconclusive": _m("not yet clear", "noch offen"),
    "journeys.col.opened": _m("Opened", "Geöffnet"),
    "journeys.col.clicked": _m("Clicked", "Geklickt"),
    "journeys.col.clicks": _m("Clicks", "Klicks"),
    "journeys.col.open_rate": _m("Open rate", "Öffnungsrate"),
    "journeys.col.click_rate": _m("Click rate", "Klickrate"),
}
