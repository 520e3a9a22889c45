"""The dashboard's words of the overview and the analysis pages (journey map, funnels, paths,
attribution, retention, every registered analysis, the scope form); merged into
:data:`wegweiser.present._words_dashboard.WORDS`."""

# ruff: noqa: RUF001  (typographic dashes and signs are meant for readers)

from __future__ import annotations

from wegweiser.present._words import _m

WORDS: dict[str, dict[str, str]] = {
    "analyses.intro": _m("Every analysis of Wegweiser with its options, as on the command line "
                         "and in the API.",
                         "Alle Analysen von Wegweiser mit ihren Optionen, wie auf der "
                         "Kommandozeile und in der API."),
    "analyses.definitions": _m("Definitions", "Definitionen"),
    "analyses.api": _m("The same as JSON:", "Dasselbe als JSON:"),
    "analyses.missing": _m("Fill in:", "Bitte ausfüllen:"),
    "analyses.more_rows": _m("Showing {shown} of {total} rows; the API and the command line "
                             "give all.",
                             "{shown} von {total} Zeilen; API und Kommandozeile liefern alle."),
    # overview
    "overview.kpis": _m("Key figures", "Kennzahlen"),
    "overview.empty": _m(
        "No events yet. Import files with wegweiser import, or send events to the collector; "
        "how is shown under",
        "Noch keine Ereignisse. Dateien mit wegweiser import einlesen oder Ereignisse an den "
        "Collector senden; wie, steht unter"),
    "overview.phases": _m("Persons per current phase", "Personen je aktueller Phase"),
    "overview.phases_hint": _m(
        "Where people are now: the phase of their latest phase event.",
        "Wo die Menschen jetzt stehen: die Phase ihres letzten Phasen-Ereignisses."),
    "overview.phase_table": _m("Phases", "Phasen"),
    "overview.data": _m("Data", "Daten"),
    "overview.period": _m("Per", "Je"),
    "overview.period.day": _m("day", "Tag"),
    "overview.period.week": _m("week", "Woche"),
    "overview.period.month": _m("month", "Monat"),
    "overview.trend": _m("Persons and converters over time", "Personen und Käufer im Zeitverlauf"),
    "overview.trend_hint": _m(
        "UTC periods; dotted lines are annotations ({marks} here). Stickiness (DAU/MAU): "
        "{stickiness}.",
        "Zeiträume in UTC; gepunktete Linien sind Anmerkungen (hier {marks}). Stickiness "
        "(DAU/MAU): {stickiness}."),
    "overview.trend_more": _m("All trends", "Alle Trends"),
    "overview.first_event": _m("First event", "Erstes Ereignis"),
    "overview.last_event": _m("Latest event", "Letztes Ereignis"),
    "overview.identities": _m("Identities (ids)", "Identitäten (IDs)"),
    "overview.quarantined": _m("Quarantined rows", "Zurückgehaltene Zeilen"),
    # kpi
    "kpi.persons_hint": _m("after identity stitching", "nach Zusammenführung der IDs"),
    "kpi.events": _m("Events", "Ereignisse"),
    "kpi.channels_hint": _m("from {n} channels", "aus {n} Kanälen"),
    "kpi.conversions": _m("Conversions", "Conversions"),
    "kpi.converting_persons": _m("by {n} persons", "von {n} Personen"),
    "kpi.conversion_rate": _m("Conversion rate", "Conversion-Rate"),
    "kpi.conversion_rate_hint": _m("persons with a conversion", "Personen mit Conversion"),
    "kpi.aov": _m("average order {value}", "Warenkorb im Schnitt {value}"),
    "kpi.repeat_rate": _m("Repeat purchases", "Wiederkäufe"),
    "kpi.repeat_hint": _m("{n} of {total} buyers bought again",
                          "{n} von {total} Käufern kauften erneut"),
    "kpi.answers": _m("{n} answers", "{n} Antworten"),
    # map
    "map.color_by": _m("Colour by", "Färben nach"),
    "map.metric.events": _m("Events", "Ereignisse"),
    "map.metric.conversion_rate": _m("Conversion rate", "Conversion-Rate"),
    "map.touchpoint": _m("Touchpoints", "Kontaktpunkte"),
    "map.by.channel": _m("Channel", "Kanal"),
    "map.by.event": _m("Event", "Ereignis"),
    "map.grid": _m("Phases × touchpoints", "Phasen × Kontaktpunkte"),
    "map.grid_hint": _m(
        "Each cell: persons with an event at this touchpoint in this phase, the share of them "
        "who converted afterwards, and their satisfaction (0–100, from NPS/CSAT answers).",
        "Jede Zelle: Personen mit einem Ereignis an diesem Kontaktpunkt in dieser Phase, der "
        "Anteil, der danach konvertierte, und ihre Zufriedenheit (0–100, aus "
        "NPS-/CSAT-Antworten)."),
    "map.conv_short": _m("conv.", "Conv."),
    "map.sat_short": _m("sat.", "Zufr."),
    "map.legend": _m(
        "Darker cells: higher values of the chosen measure. Hover a cell for its most frequent "
        "events.",
        "Dunklere Zellen: höhere Werte der gewählten Kennzahl. Mit der Maus über einer Zelle "
        "erscheinen ihre häufigsten Ereignisse."),
    "map.flow": _m("Phase flow", "Phasenfluss"),
    "map.flow_hint": _m(
        "Each person's phases step by step (repeats merged): where people start, and where "
        "they go next, forward or back.",
        "Die Phasen jeder Person Schritt für Schritt (Wiederholungen zusammengefasst): wo "
        "Menschen beginnen und wohin sie danach gehen, vorwärts oder zurück."),
    # funnel
    "funnel.steps": _m("Funnel steps", "Funnel-Schritte"),
    "funnel.steps_hint": _m(
        "Pick the events in order; the funnel counts who does them one after another.",
        "Wählen Sie die Ereignisse in ihrer Reihenfolge; der Funnel zählt, wer sie "
        "nacheinander ausführt."),
    "funnel.pick_event": _m("Choose an event…", "Ereignis wählen…"),
    "funnel.step_n": _m("Step {n}", "Schritt {n}"),
    "funnel.move_up": _m("Move up", "Nach oben"),
    "funnel.move_down": _m("Move down", "Nach unten"),
    "funnel.remove": _m("Remove", "Entfernen"),
    "funnel.add_step": _m("Add step", "Schritt hinzufügen"),
    "funnel.mode": _m("Order", "Reihenfolge"),
    "funnel.mode.ordered": _m("In order (others between)", "Geordnet (andere dazwischen)"),
    "funnel.mode.strict": _m("Strict (directly after)", "Strikt (direkt danach)"),
    "funnel.mode.unordered": _m("Any order", "Beliebige Reihenfolge"),
    "funnel.window": _m("Window", "Zeitfenster"),
    "funnel.window_hint": _m("Time from the first step, e.g. 30d, 12h, 90m",
                             "Zeit ab dem ersten Schritt, z. B. 30d, 12h, 90m"),
    "funnel.breakdown": _m("Breakdown", "Aufschlüsseln nach"),
    "funnel.no_breakdown": _m("No breakdown", "Nicht aufschlüsseln"),
    "funnel.attribution": _m("Breakdown value of", "Wert aus"),
    "funnel.attribution.first_touch": _m("the first step", "dem ersten Schritt"),
    "funnel.attribution.last_touch": _m("the last step reached", "dem letzten erreichten Schritt"),
    "scope.title": _m("Period, filters and segments", "Zeitraum, Filter und Segmente"),
    "scope.since": _m("From", "Von"),
    "scope.until": _m("To (incl.)", "Bis (einschl.)"),
    "scope.last": _m("Last", "Letzte"),
    "scope.any_time": _m("any time", "gesamter Zeitraum"),
    "scope.where": _m("Filter", "Filter"),
    "scope.where_hint": _m("e.g. country=DE, 'channel in email,ads', property:plan != free, "
                           "trait:tier is set",
                           "z. B. country=DE, 'channel in email,ads', property:plan != free, "
                           "trait:tier is set"),
    "scope.segment": _m("Segment", "Segment"),
    "scope.all_persons": _m("all persons", "alle Personen"),
    "scope.by_segment": _m("Break down by segments", "Nach Segmenten aufschlüsseln"),
    "scope.persona": _m("Persona", "Persona"),
    "scope.all_personas": _m("all personas", "alle Personas"),
    "scope.by_persona": _m("Break down by personas", "Nach Personas aufschlüsseln"),
    "scope.by_segment_hint": _m("names, comma-separated", "Namen, durch Kommas getrennt"),
    "scope.compare": _m("Compare with the previous period", "Mit dem Vorzeitraum vergleichen"),
    "scope.edges": _m("From is inclusive; a To date includes that whole day (UTC).",
                      "Von ist inklusive; ein Bis-Datum schließt den ganzen Tag ein (UTC)."),
    "funnel.exclude": _m("Exclude events", "Ereignisse ausschließen"),
    "funnel.exclude_hint": _m("e.g. support_contacted", "z. B. support_contacted"),
    "funnel.run": _m("Calculate funnel", "Funnel berechnen"),
    "funnel.share": _m("Copy link to this funnel", "Link zu diesem Funnel kopieren"),
    "funnel.share_hint": _m(
        "The funnel's settings are in the link: bookmark or share it.",
        "Die Einstellungen stehen im Link: als Lesezeichen speichern oder teilen."),
    "funnel.incomplete": _m(
        "Choose at least two steps and fill in every step.",
        "Wählen Sie mindestens zwei Schritte und füllen Sie jeden Schritt aus."),
    "funnel.entered": _m("Entered", "Eingestiegen"),
    "funnel.converted": _m("Completed", "Abgeschlossen"),
    "funnel.conversion": _m("Conversion", "Conversion"),
    "funnel.conversion_hint": _m("from the first to the last step",
                                 "vom ersten bis zum letzten Schritt"),
    "funnel.median_time": _m("Median time", "Mittlere Dauer"),
    "funnel.p90": _m("90% within {value}", "90 % innerhalb von {value}"),
    "funnel.results": _m("Steps", "Schritte"),
    "funnel.from_start": _m("of start", "vom Start"),
    "funnel.from_previous": _m("of previous", "vom vorigen"),
    "funnel.median_step": _m("Median time", "Mittlere Dauer"),
    "funnel.chart": _m("Funnel", "Funnel"),
    "funnel.by": _m("By {name}", "Nach {name}"),
    # paths
    "paths.start": _m("Start at", "Beginnen bei"),
    "paths.end": _m("End at", "Enden bei"),
    "paths.any": _m("any event", "beliebiges Ereignis"),
    "paths.max_length": _m("Max. steps", "Max. Schritte"),
    "paths.top": _m("Paths", "Pfade"),
    "paths.collapse": _m("Merge repeats", "Wiederholungen zusammenfassen"),
    "paths.top_paths": _m("Top paths", "Häufigste Pfade"),
    "paths.top_hint": _m(
        "The most frequent sequences of events (from the first start event, up to the first "
        "end event).",
        "Die häufigsten Abfolgen von Ereignissen (ab dem ersten Start-Ereignis, bis zum ersten "
        "End-Ereignis)."),
    "paths.flows": _m("Flows step by step", "Fluss Schritt für Schritt"),
    "paths.flows_hint": _m(
        "Where people go in their first steps (from the start event).",
        "Wohin die Menschen in ihren ersten Schritten gehen (ab dem Start-Ereignis)."),
    # attr
    "attr.by": _m("Credit", "Zuordnen zu"),
    "attr.by.channel": _m("Channel", "Kanal"),
    "attr.by.campaign": _m("Campaign", "Kampagne"),
    "attr.metric": _m("Measure", "Kennzahl"),
    "attr.lookback": _m("Lookback (days)", "Rückblick (Tage)"),
    "attr.models": _m("Models", "Modelle"),
    "attr.note": _m(
        "These models describe how credit can be shared among the touchpoints on the paths to "
        "conversion; they do not measure incrementality (what a channel caused). For causal "
        "effects, run holdout experiments.",
        "Diese Modelle beschreiben, wie sich der Erfolg auf die Kontaktpunkte der Pfade bis "
        "zur Conversion verteilen lässt; sie messen keine Inkrementalität (was ein Kanal "
        "bewirkt hat). Für kausale Effekte braucht es Holdout-Experimente."),
    "attr.table": _m("{metric} by model", "{metric} je Modell"),
    "attr.table_hint": _m(
        "{conversions} conversions from {journeys} journeys; touches up to {days} days before "
        "a conversion count.",
        "{conversions} Conversions aus {journeys} Journeys; Kontakte bis {days} Tage vor einer "
        "Conversion zählen."),
    "attr.no_costs": _m(
        "No costs imported, so no ROAS, CPA or ROI (import them with wegweiser import-costs).",
        "Keine Kosten importiert, daher kein ROAS, CPA oder ROI (Import mit wegweiser "
        "import-costs)."),
    "attr.chart": _m("{metric} per touchpoint and model", "{metric} je Kontaktpunkt und Modell"),
    # ret
    "ret.cohort": _m("Cohort", "Kohorte"),
    "ret.cohort.first_event": _m("First event", "Erstes Ereignis"),
    "ret.cohort.first_purchase": _m("First purchase", "Erster Kauf"),
    "ret.period": _m("Period", "Zeitraum"),
    "ret.period.day": _m("Day", "Tag"),
    "ret.period.week": _m("Week", "Woche"),
    "ret.period.month": _m("Month", "Monat"),
    "ret.kind": _m("Counted as retained", "Als gehalten zählt"),
    "ret.kind.n_period": _m("Active in that period", "Aktiv in dem Zeitraum"),
    "ret.kind.unbounded": _m("Active then or later", "Aktiv dann oder später"),
    "ret.periods": _m("Periods", "Zeiträume"),
    "ret.return_event": _m("Coming back means", "Wiederkommen heißt"),
    "ret.any_event": _m("any event", "beliebiges Ereignis"),
    "ret.heatmap": _m("Retention by cohort", "Bindung je Kohorte"),
    "ret.hint": _m(
        "Share of each cohort active in the periods after its start (period 0 is the cohort "
        "period).",
        "Anteil jeder Kohorte, der in den Zeiträumen nach ihrem Beginn aktiv war (Zeitraum 0 "
        "ist der Kohorten-Zeitraum)."),
    "ret.table": _m("Cohort table", "Kohortentabelle"),
    "ret.churn": _m("Churn per period", "Abwanderung je Zeitraum"),
    "ret.period_start": _m("Period", "Zeitraum"),
    "ret.active": _m("Active", "Aktiv"),
    "ret.retained": _m("Stayed", "Geblieben"),
    "ret.churned": _m("Churned", "Abgewandert"),
    "ret.churn_rate": _m("Churn rate", "Abwanderungsrate"),
}
