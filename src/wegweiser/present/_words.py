"""The shared words and the report's words, English and German (one entry per key, both
languages; a test checks every key and every ``{field}``). ``{name}`` marks a value filled in
by the caller."""

from __future__ import annotations


def _m(en: str, de: str) -> dict[str, str]:
    return {"en": en, "de": de}


WORDS: dict[str, dict[str, str]] = {
    # frame
    "report.title": _m("Customer journey report", "Customer-Journey-Bericht"),
    "report.period": _m("{start} \u2013 {end}", "{start} \u2013 {end}"),
    "report.generated": _m("Generated on {date} by Wegweiser {version}",
                           "Erstellt am {date} mit Wegweiser {version}"),
    "report.contents": _m("Contents", "Inhalt"),
    "report.no_data": _m(
        "This project holds no events yet, so there is nothing to report. Import events "
        "with `wegweiser import FILE` or try `wegweiser demo`.",
        "Dieses Projekt enthält noch keine Ereignisse, daher gibt es nichts zu berichten. "
        "Importieren Sie Ereignisse mit `wegweiser import DATEI` oder probieren Sie "
        "`wegweiser demo`."),
    "report.offline": _m("This file works offline: all charts are included.",
                         "Diese Datei funktioniert offline: alle Diagramme sind enthalten."),
    "none": _m("(none)", "(keine)"),
    "skipped": _m("Skipped: {reason}", "Ausgelassen: {reason}"),
    # overview
    "overview.title": _m("Overview", "Überblick"),
    "overview.intro": _m(
        "Headline figures over the whole period; a person is one customer recognised across "
        "all their devices.",
        "Kennzahlen über den gesamten Zeitraum; eine Person ist ein Kunde, über alle seine "
        "Geräte hinweg erkannt."),
    "kpi.persons": _m("Persons", "Personen"),
    "kpi.persons.sub": _m("{events} events on {channels} channels",
                          "{events} Ereignisse auf {channels} Kanälen"),
    "kpi.conversion_rate": _m("Conversion rate", "Konversionsrate"),
    "kpi.conversion_rate.sub": _m("{n} persons converted", "{n} Personen konvertiert"),
    "kpi.revenue": _m("Revenue", "Umsatz"),
    "kpi.revenue.sub": _m("{n} conversions", "{n} Konversionen"),
    "kpi.aov": _m("Average order value", "Durchschnittlicher Bestellwert"),
    "kpi.aov.sub": _m("revenue per conversion", "Umsatz pro Konversion"),
    "kpi.repeat": _m("Repeat-purchase rate", "Wiederkaufrate"),
    "kpi.repeat.sub": _m("{n} of {total} buyers bought twice or more",
                         "{n} von {total} Käufern kauften zwei- oder mehrmals"),
    "kpi.nps": _m("NPS", "NPS"),
    "kpi.nps.sub": _m("{n} answers: promoters minus detractors",
                      "{n} Antworten: Promotoren minus Detraktoren"),
    "kpi.csat": _m("CSAT", "CSAT"),
    "kpi.csat.sub": _m("{n} answers rated 4 or 5 of 5 (mean {mean})",
                       "{n} Antworten mit 4 oder 5 von 5 (Mittel {mean})"),
    "kpi.absent": _m("no answers", "keine Antworten"),
    "overview.phases": _m("Persons by current phase", "Personen nach aktueller Phase"),
    "overview.phases.intro": _m(
        "Each person counts once, in the phase of their latest phase event.",
        "Jede Person zählt einmal, in der Phase ihres letzten Phasen-Ereignisses."),
    "overview.highlights": _m("Highlights", "Auffälligkeiten"),
    "highlight.dropoff": _m(
        "Most persons are lost in {phase}: {rate} of those who reach it go no further.",
        "Die meisten Personen gehen in {phase} verloren: {rate} derer, die sie erreichen, "
        "kommen nicht weiter."),
    "highlight.best": _m(
        "Best-converting touchpoint: {touchpoint} ({rate} of its {persons} persons convert).",
        "Am besten konvertierender Kontaktpunkt: {touchpoint} ({rate} seiner {persons} "
        "Personen konvertieren)."),
    "highlight.no_conversions": _m(
        "No person converted: none of the conversion events ({events}) occurs in the data. "
        "Set conversion_events in wegweiser.toml to the events that count as a conversion.",
        "Niemand hat konvertiert: keines der Conversion-Ereignisse ({events}) kommt in den "
        "Daten vor. Tragen Sie unter conversion_events in wegweiser.toml die Ereignisse ein, "
        "die als Conversion zählen."),
    "highlight.worst_satisfaction": _m(
        "Lowest satisfaction: {touchpoint} ({score} of 100, {n} answers).",
        "Geringste Zufriedenheit: {touchpoint} ({score} von 100, {n} Antworten)."),
    "highlight.paths": _m("The most common start of a journey: {path} ({share} of persons).",
                          "Der häufigste Anfang einer Journey: {path} ({share} der Personen)."),
    # journey map
    "map.title": _m("Journey map", "Journey-Map"),
    "map.intro": _m(
        "Phases run left to right, touchpoints (channels) top to bottom; each cell shows "
        "how many persons met that touchpoint in that phase, how many of them converted "
        "afterwards and how satisfied they were.",
        "Die Phasen laufen von links nach rechts, die Kontaktpunkte (Kanäle) von oben nach "
        "unten; jede Zelle zeigt, wie viele Personen diesen Kontaktpunkt in dieser Phase "
        "hatten, wie viele danach konvertierten und wie zufrieden sie waren."),
    "map.colour_by": _m("Colour by", "Einfärben nach"),
    "map.metric.persons": _m("Persons", "Personen"),
    "map.metric.conversion_rate": _m("Conversion", "Konversion"),
    "map.metric.satisfaction": _m("Satisfaction", "Zufriedenheit"),
    "map.touchpoint": _m("Touchpoint", "Kontaktpunkt"),
    "map.all_touchpoints": _m("All touchpoints", "Alle Kontaktpunkte"),
    "map.all_phases": _m("All phases", "Alle Phasen"),
    "map.cell": _m("persons · conversion · satisfaction",
                   "Personen · Konversion · Zufriedenheit"),
    "map.legend": _m(
        "Each cell: persons (bold), the share of them who converted at or after their first "
        "contact there, and their satisfaction (0\u2013100: NPS x 10, CSAT (1\u20135) mapped to "
        "0\u2013100) from survey answers given from then on; \u2013 means no answers.",
        "Jede Zelle: Personen (fett), der Anteil davon, der beim ersten Kontakt dort oder "
        "danach konvertierte, und ihre Zufriedenheit (0\u2013100: NPS x 10, CSAT (1\u20135) auf "
        "0\u2013100 abgebildet) aus Umfrageantworten ab diesem Zeitpunkt; \u2013 heißt keine "
        "Antworten."),
    "map.tooltip": _m(
        "{phase} · {touchpoint}: {persons} persons, {events} events, conversion {rate}, "
        "satisfaction {score} ({answers} answers). Top events: {top}",
        "{phase} · {touchpoint}: {persons} Personen, {events} Ereignisse, Konversion {rate}, "
        "Zufriedenheit {score} ({answers} Antworten). Häufigste Ereignisse: {top}"),
    "analysis.unavailable": _m("this project lacks the data it needs",
                               "diesem Projekt fehlen die Daten dafür"),
    "map.no_phases": _m("no event maps to a phase (see [[phases]] in wegweiser.toml)",
                        "kein Ereignis gehört zu einer Phase (siehe [[phases]] in "
                        "wegweiser.toml)"),
    "flow.title": _m("Phase flow", "Phasenverlauf"),
    "flow.intro": _m(
        "How persons move from phase to phase, step by step from their first phase; the "
        "width of a band is the number of persons, repeats of a phase are merged.",
        "Wie Personen von Phase zu Phase wechseln, Schritt für Schritt ab ihrer ersten Phase; "
        "die Breite eines Bands ist die Zahl der Personen, Wiederholungen einer Phase sind "
        "zusammengefasst."),
    "flow.step": _m("step {n}", "Schritt {n}"),
    "flow.hover_node": _m("{label}: {n} persons", "{label}: {n} Personen"),
    "flow.hover_link": _m("{source} → {target}: {n} persons",
                          "{source} → {target}: {n} Personen"),
    # funnel
    "funnel.title": _m("Funnel and drop-offs", "Funnel und Abbrüche"),
    "funnel.intro": _m(
        "Persons who did each step in this order within {days} days of the first; the bars "
        "shrink where people drop out.",
        "Personen, die jeden Schritt in dieser Reihenfolge innerhalb von {days} Tagen nach "
        "dem ersten gemacht haben; die Balken schrumpfen, wo Menschen abspringen."),
    "funnel.step": _m("Step", "Schritt"),
    "funnel.event": _m("Event", "Ereignis"),
    "funnel.persons": _m("Persons", "Personen"),
    "funnel.from_start": _m("From start", "Ab Start"),
    "funnel.from_previous": _m("From previous", "Ab Vorschritt"),
    "funnel.dropped": _m("Dropped", "Abgesprungen"),
    "funnel.none": _m("fewer than two funnel steps occur in the data",
                      "weniger als zwei Funnel-Schritte kommen in den Daten vor"),
    "dropoffs.title": _m("Drop-offs per phase", "Abbrüche je Phase"),
    "dropoffs.intro": _m(
        "Of the persons who reached a phase, those who never went on to a later phase or a "
        "conversion are lost; the line is the loss rate.",
        "Von den Personen, die eine Phase erreicht haben, gelten jene als verloren, die nie "
        "zu einer späteren Phase oder Konversion kamen; die Linie ist die Verlustrate."),
    "dropoffs.phase": _m("Phase", "Phase"),
    "dropoffs.reached": _m("Reached", "Erreicht"),
    "dropoffs.lost": _m("Lost", "Verloren"),
    "dropoffs.loss_rate": _m("Loss rate", "Verlustrate"),
    "dropoffs.instead": _m("Most common last step of the lost",
                           "Häufigster letzter Schritt der Verlorenen"),
    "dropoffs.end": _m("(end)", "(Ende)"),
    # paths
    "paths.title": _m("Top paths", "Häufigste Pfade"),
    "paths.intro": _m(
        "The most common first {n} steps of a journey (repeated events merged); the bar is "
        "the share of all persons.",
        "Die häufigsten ersten {n} Schritte einer Journey (wiederholte Ereignisse "
        "zusammengefasst); der Balken ist der Anteil aller Personen."),
    "paths.to_conversion": _m("Last steps before the first conversion",
                              "Letzte Schritte vor der ersten Konversion"),
    "paths.to_conversion.intro": _m(
        "The up to {n} steps that lead to a person's first conversion; share of the "
        "converting persons.",
        "Die bis zu {n} Schritte, die zur ersten Konversion einer Person führen; Anteil der "
        "konvertierenden Personen."),
    "paths.path": _m("Path", "Pfad"),
    "paths.persons": _m("Persons", "Personen"),
    "paths.share": _m("Share", "Anteil"),
    # attribution
    "attribution.title": _m("Attribution", "Attribution"),
    "attribution.intro": _m(
        "How much credit for the {n} conversions each channel gets under different models; "
        "where models agree, the picture is robust.",
        "Wie viel Anteil an den {n} Konversionen jeder Kanal unter verschiedenen Modellen "
        "erhält; wo die Modelle übereinstimmen, ist das Bild belastbar."),
    "attribution.note": _m(
        "These models describe the paths to conversion; they do not measure incrementality "
        "(what a channel caused). For causal effects run holdout experiments.",
        "Diese Modelle beschreiben die Pfade zur Konversion; sie messen keine Inkrementalität "
        "(was ein Kanal bewirkt hat). Für kausale Effekte braucht es Holdout-Experimente."),
    "attribution.conversions": _m("Credited conversions", "Zugeschriebene Konversionen"),
    "attribution.touchpoint": _m("Channel", "Kanal"),
    "attribution.cost": _m("Cost", "Kosten"),
    "attribution.roas": _m("ROAS by model", "ROAS je Modell"),
    "attribution.roas.intro": _m(
        "Return on ad spend: credited revenue per unit of cost, for channels with costs; "
        "above 1 the channel earns back its spend under that model.",
        "Return on Ad Spend: zugeschriebener Umsatz je Kosteneinheit, für Kanäle mit "
        "Kosten; über 1 spielt der Kanal unter diesem Modell seine Kosten ein."),
    "attribution.no_costs": _m(
        "No costs imported, so no ROAS (import them with `wegweiser import-costs FILE`).",
        "Keine Kosten importiert, daher kein ROAS (Import mit `wegweiser import-costs "
        "DATEI`)."),
    "attribution.none": _m("there are no conversions to attribute",
                           "es gibt keine Konversionen zum Zuschreiben"),
    "model.first_touch": _m("First touch", "Erster Kontakt"),
    "model.last_touch": _m("Last touch", "Letzter Kontakt"),
    "model.last_non_direct": _m("Last non-direct", "Letzter nicht-direkter"),
    "model.linear": _m("Linear", "Linear"),
    "model.time_decay": _m("Time decay", "Zeitverfall"),
    "model.position_based": _m("Position-based", "Positionsbasiert"),
    "model.j_curve": _m("J-curve", "J-Kurve"),
    "model.inverse_j": _m("Inverse J", "Inverses J"),
    "model.custom": _m("Custom", "Eigene Gewichte"),
    "model.markov": _m("Markov", "Markov"),
    "model.shapley": _m("Shapley", "Shapley"),
    # retention
    "retention.title": _m("Retention cohorts", "Kohorten-Bindung"),
    "retention.intro": _m(
        "Each row is a cohort of persons whose first event falls in the same {period}; a "
        "cell is the share of the cohort active again that many {period_plural} later.",
        "Jede Zeile ist eine Kohorte von Personen, deren erstes Ereignis in denselben "
        "Zeitraum ({period}) fällt; eine Zelle ist der Anteil der Kohorte, der so viele "
        "{period_plural} später wieder aktiv ist."),
    "retention.summary.day": _m(
        "On average {rate} of a cohort are active again on the day after their first.",
        "Im Mittel sind {rate} einer Kohorte am Tag nach ihrem ersten wieder aktiv."),
    "retention.summary.week": _m(
        "On average {rate} of a cohort are active again in the week after their first.",
        "Im Mittel sind {rate} einer Kohorte in der Woche nach ihrer ersten wieder aktiv."),
    "retention.summary.month": _m(
        "On average {rate} of a cohort are active again in the month after their first.",
        "Im Mittel sind {rate} einer Kohorte im Monat nach ihrem ersten wieder aktiv."),
    "retention.since": _m("{period_plural} since the cohort start",
                          "{period_plural} seit Kohortenstart"),
    "period.day": _m("day", "Tag"),
    "period.week": _m("week", "Woche"),
    "period.month": _m("month", "Monat"),
    "period.days": _m("days", "Tage"),
    "period.weeks": _m("weeks", "Wochen"),
    "period.months": _m("months", "Monate"),
    "retention.none": _m("the data spans a single period", "die Daten umfassen nur eine Periode"),
    # data quality
    "quality.title": _m("Data quality", "Datenqualität"),
    "quality.intro": _m(
        "What went into the store and what was held back: rows that failed validation wait "
        "in quarantine until they are fixed and replayed.",
        "Was in den Speicher ging und was zurückgehalten wurde: Zeilen, die die Prüfung "
        "nicht bestanden, warten in der Quarantäne, bis sie korrigiert und neu eingespielt "
        "werden."),
    "quality.events": _m("Events", "Ereignisse"),
    "quality.persons": _m("Persons", "Personen"),
    "quality.identities": _m("Identifiers (devices, user ids)", "Kennungen (Geräte, Nutzer-IDs)"),
    "quality.merges": _m("Identifiers merged into persons", "Zu Personen verknüpfte Kennungen"),
    "quality.refused": _m("Merges refused (suspicious ids)",
                          "Abgelehnte Verknüpfungen (verdächtige IDs)"),
    "quality.quarantined": _m("Rows in quarantine", "Zeilen in Quarantäne"),
    "quality.event_names": _m("Distinct event names", "Verschiedene Ereignisnamen"),
    "quality.first_last": _m("First and last event", "Erstes und letztes Ereignis"),
    "quality.clean": _m("No rows were quarantined: every imported row passed validation.",
                        "Keine Zeile wurde in Quarantäne gestellt: jede importierte Zeile hat "
                        "die Prüfung bestanden."),
    "quality.reasons": _m("Quarantine by reason", "Quarantäne nach Grund"),
    "quality.reason": _m("Reason", "Grund"),
    "quality.rows": _m("Rows", "Zeilen"),
    "quality.replay": _m("See them with `wegweiser quarantine list`; after a fix, "
                         "`wegweiser quarantine replay`.",
                         "Ansehen mit `wegweiser quarantine list`; nach der Korrektur "
                         "`wegweiser quarantine replay`."),
    "retention.outliers": _m(
        "{n} events dated far from the rest of the data were left out (wrong dates?).",
        "{n} Ereignisse weit abseits der übrigen Daten wurden weggelassen (falsches Datum?)."),
    "retention.partial": _m("The last period is not over yet: its rates are left empty.",
                            "Der letzte Zeitraum ist noch nicht vorbei: seine Raten bleiben leer."),
    "quality.imports": _m("Imports (undone ones left out)", "Importe (ohne rückgängig gemachte)"),
    "quality.duplicates": _m("Rows skipped as duplicates", "Als Duplikat übersprungene Zeilen"),
    "quality.negative": _m("Events with negative revenue (refunds?)",
                           "Ereignisse mit negativem Umsatz (Erstattungen?)"),
    "quality.duplicate_sample": _m("What was treated as a duplicate (a sample)",
                                   "Was als Duplikat galt (Auswahl)"),
    "quality.source": _m("Source", "Quelle"),
    "quality.line": _m("Line", "Zeile"),
    "quality.why": _m("Why", "Warum"),
    "quality.warnings": _m("Warnings of the imports", "Warnungen der Importe"),
    "quality.figure": _m("Figure", "Kennzahl"),
    "quality.value": _m("Value", "Wert"),
    # journey readouts (the report's Journeys section, subsection Readouts)
    "readout.title": _m("Readouts: what the journeys caused", "Wirkung der Journeys"),
    "readout.intro": _m(
        "Treated persons against each journey's holdout: conversion (the journey's goal) and "
        "revenue per person within {days} days of entry. The 95% intervals are always valid: "
        "looking every day does not produce false wins.",
        "Behandelte Personen gegen die Holdout-Gruppe jeder Journey: Conversion (das Ziel der "
        "Journey) und Umsatz pro Person binnen {days} Tagen nach Eintritt. Die 95%-Intervalle "
        "gelten jederzeit: tägliches Nachsehen erzeugt keine falschen Gewinner."),
    "readout.none": _m("No journey has entrants yet.", "Noch keine Journey hat Eintritte."),
    "readout.control_group": _m("Global control group", "Globale Kontrollgruppe"),
    "readout.points": _m("{value} pp", "{value} Pp."),
    "readout.col.journey": _m("Journey", "Journey"),
    "readout.col.variant": _m("Variant", "Variante"),
    "readout.col.metric": _m("Metric", "Kennzahl"),
    "readout.col.treated": _m("Treated", "Behandelt"),
    "readout.col.holdout": _m("Holdout", "Holdout"),
    "readout.col.treated_value": _m("Treated", "Behandelt"),
    "readout.col.holdout_value": _m("Holdout", "Holdout"),
    "readout.col.uplift": _m("Uplift", "Uplift"),
    "readout.col.interval": _m("95% interval", "95%-Intervall"),
    "readout.col.decision": _m("Decision", "Entscheidung"),
    "readout.metric.conversion": _m("Conversion", "Conversion"),
    "readout.metric.revenue": _m("Revenue per person", "Umsatz pro Person"),
    "readout.metric.open_rate": _m("Open rate", "Öffnungsrate"),
    "readout.metric.click_rate": _m("Click rate", "Klickrate"),
    "readout.decision.better": _m("better", "besser"),
    "readout.decision.worse": _m("worse", "schlechter"),
    "readout.decision.inconclusive": _m("not yet clear", "noch offen"),
    "readout.send_time": _m("Send time: best time against the fallback time",
                            "Sendezeit: beste Zeit gegen die Standardzeit"),
    "readout.col.best_time": _m("Best time", "Beste Zeit"),
    "readout.col.fallback": _m("Fallback", "Standardzeit"),
    # chart axes
    "axis.persons": _m("persons", "Personen"),
    "axis.share": _m("share", "Anteil"),
    "axis.loss_rate": _m("loss rate", "Verlustrate"),
    "axis.reached": _m("reached", "erreicht"),
    "axis.lost": _m("lost", "verloren"),
    "axis.conversions": _m("credited conversions", "zugeschriebene Konversionen"),
    "axis.roas": _m("ROAS (revenue / cost)", "ROAS (Umsatz / Kosten)"),
    "axis.rows": _m("rows", "Zeilen"),
    "axis.satisfaction": _m("satisfaction (0\u2013100)", "Zufriedenheit (0\u2013100)"),
    "axis.conversion_rate": _m("conversion rate", "Konversionsrate"),
    "axis.events": _m("events", "Ereignisse"),
    "axis.time": _m("time", "Zeit"),
    # measures (dashboard forms, charts)
    "metric.conversions": _m("Conversions", "Conversions"),
    "metric.revenue": _m("Revenue", "Umsatz"),
    "metric.share": _m("Share", "Anteil"),
    "metric.roas": _m("ROAS", "ROAS"),
    "metric.cpa": _m("CPA", "CPA"),
    "metric.roi": _m("ROI", "ROI"),
    "chart.other": _m("(other)", "(andere)"),
    "chart.no_data": _m("No data for this selection.", "Keine Daten für diese Auswahl."),
}
