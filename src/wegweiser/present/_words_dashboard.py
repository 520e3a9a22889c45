"""The dashboard's own words (registered under ``dashboard.`` in
:data:`wegweiser.present.i18n.MESSAGES`; a page's translator falls back to the shared words).
``{name}`` marks a value filled in by the page."""

# ruff: noqa: RUF001  (typographic dashes and signs are meant for readers)

from __future__ import annotations


def _m(en: str, de: str) -> dict[str, str]:
    return {"en": en, "de": de}


WORDS: dict[str, dict[str, str]] = {
    # nav
    "nav.overview": _m("Overview", "Übersicht"),
    "nav.journey_map": _m("Journey map", "Journey-Map"),
    "nav.funnels": _m("Funnels", "Funnels"),
    "nav.paths": _m("Paths", "Pfade"),
    "nav.attribution": _m("Attribution", "Attribution"),
    "nav.retention": _m("Retention", "Bindung"),
    "nav.data_quality": _m("Data quality", "Datenqualität"),
    "nav.analyses": _m("All analyses", "Alle Analysen"),
    "nav.segments": _m("Segments", "Segmente"),
    "nav.persons": _m("Persons", "Personen"),
    "person.search": _m("Find a person", "Person suchen"),
    "person.query": _m("Id or email", "ID oder E-Mail"),
    "person.query_hint": _m("person id, anonymous or user id, email",
                            "Personen-ID, anonyme oder Nutzer-ID, E-Mail"),
    "person.find": _m("Find", "Suchen"),
    "person.none": _m("No person has the id or email {query}.",
                      "Keine Person hat die ID oder E-Mail {query}."),
    "person.person": _m("Person", "Person"),
    "person.matched": _m("Matched", "Gefunden über"),
    "person.kind": _m("Kind", "Art"),
    "person.summary": _m("The person at a glance", "Die Person auf einen Blick"),
    "person.ids_hint": _m("{n} stitched ids", "{n} verknüpfte IDs"),
    "person.withheld": _m(
        "This person withheld analytics consent, and this project requires it "
        "([privacy] analytics_consent): their journey is left out of every analysis and is "
        "not shown. Their data can still be exported or erased below.",
        "Diese Person hat die Einwilligung in Analysen verweigert, und dieses Projekt "
        "verlangt sie ([privacy] analytics_consent): ihre Journey fehlt in jeder Analyse und "
        "wird nicht gezeigt. Ihre Daten lassen sich unten weiterhin exportieren oder löschen."),
    "person.touchpoints": _m("Touchpoints", "Touchpoints"),
    "person.sessions": _m("in {n} sessions", "in {n} Sitzungen"),
    "person.first_last": _m("First seen / last seen", "Zuerst / zuletzt gesehen"),
    "person.phase": _m("Current phase", "Aktuelle Phase"),
    "person.phase_hint": _m("of the latest touchpoint with a phase",
                            "des letzten Touchpoints mit einer Phase"),
    "person.persona_hint": _m("from the remembered persona fit",
                              "aus der gemerkten Persona-Einteilung"),
    "person.timeline": _m("Every touchpoint by channel", "Jeder Touchpoint nach Kanal"),
    "person.timeline_hint": _m("Colour: the phase; a star: a conversion.",
                               "Farbe: die Phase; ein Stern: eine Konversion."),
    "person.conversions": _m("Conversions and revenue", "Konversionen und Umsatz"),
    "person.phases": _m("Phases over time", "Phasen im Zeitverlauf"),
    "person.feedback": _m("Feedback given", "Gegebenes Feedback"),
    "person.messages": _m("Messages (message events)", "Nachrichten (Nachrichten-Ereignisse)"),
    "person.sends": _m("Messages in the send ledger", "Nachrichten im Versandbuch"),
    "privacy.title": _m("Privacy", "Datenschutz"),
    "privacy.hint": _m(
        "Export everything stored about this person, or erase them everywhere (store, "
        "spool, journey state; the store file is rewritten). Erasing cannot be undone.",
        "Alles über diese Person exportieren oder sie überall löschen (Datenbestand, "
        "Puffer, Journey-Zustand; die Datei wird neu geschrieben). Löschen ist endgültig."),
    "privacy.export_json": _m("Export (JSON)", "Export (JSON)"),
    "privacy.export_csv": _m("Export (CSV, zip)", "Export (CSV, zip)"),
    "privacy.confirm": _m("Type the person id to confirm", "Person-ID zur Bestätigung eingeben"),
    "privacy.erase": _m("Erase person", "Person löschen"),
    "privacy.anonymise": _m("Anonymise person", "Person anonymisieren"),
    "privacy.confirm_mismatch": _m(
        "Nothing was erased: the confirmation did not match the person id.",
        "Nichts gelöscht: die Bestätigung stimmt nicht mit der Person-ID überein."),
    "privacy.erased": _m("Erased: {n} events removed (request {id}).",
                         "Gelöscht: {n} Ereignisse entfernt (Auftrag {id})."),
    "privacy.anonymised": _m("Anonymised: {n} events kept without the person (request "
                             "{id}).", "Anonymisiert: {n} Ereignisse ohne Personenbezug "
                             "behalten (Auftrag {id})."),
    "person.devices": _m("Devices", "Geräte"),
    "person.ids": _m("Stitched ids", "Verknüpfte IDs"),
    "person.traits": _m("Traits", "Merkmale"),
    "person.timeline_table": _m("Timeline", "Zeitleiste"),
    "nav.fixes": _m("Fixes", "Korrekturen"),
    "fixes.title": _m("Watched fixes", "Beobachtete Korrekturen"),
    "fixes.hint": _m("Changes made at a touchpoint (files fixes/<name>.toml), checked against "
                     "the current data on every visit: interrupted time series and "
                     "difference-in-differences against an untouched group, 95% intervals. "
                     "The verdict is difference-in-differences' when the fix is limited to a "
                     "part of the population (e.g. device=mobile) and both groups moved in "
                     "parallel before it, else the time series'.",
                     "Änderungen an einem Kontaktpunkt (Dateien fixes/<name>.toml), bei jedem "
                     "Aufruf an den aktuellen Daten geprüft: unterbrochene Zeitreihe und "
                     "Differenz-von-Differenzen gegen eine unberührte Gruppe, 95-%-Intervalle. "
                     "Das Urteil kommt von der Differenz-von-Differenzen, wenn die Korrektur "
                     "nur einen Teil betrifft (z. B. device=mobile) und beide Gruppen vorher "
                     "parallel verliefen, sonst von der Zeitreihe."),
    "fixes.none": _m("No fixes yet.", "Noch keine Korrekturen."),
    "fixes.rates": _m("{metric}: {before} before, {after} after the fix.",
                      "{metric}: {before} vorher, {after} nach der Korrektur."),
    "fixes.metric": _m("Metric", "Kennzahl"),
    "fixes.metric.friction": _m("Friction rate", "Fehlerquote"),
    "fixes.metric.conversion": _m("Conversion rate", "Konversionsrate"),
    "fixes.group.treated": _m("At the touchpoint", "Am Kontaktpunkt"),
    "fixes.group.control": _m("Comparison group", "Vergleichsgruppe"),
    "fixes.marker": _m("fix {date}", "Korrektur {date}"),
    "fixes.new": _m("New fix", "Neue Korrektur"),
    "fixes.name": _m("Name", "Name"),
    "fixes.date": _m("Date (UTC)", "Datum (UTC)"),
    "fixes.time": _m("Time (UTC)", "Uhrzeit (UTC)"),
    "fixes.touchpoint": _m("Touchpoint", "Kontaktpunkt"),
    "fixes.where": _m("Conditions of the touchpoint (one a line)",
                      "Bedingungen des Kontaktpunkts (eine je Zeile)"),
    "fixes.friction": _m("Friction event (default: event contains error)",
                         "Fehlerereignis (Standard: event contains error)"),
    "fixes.control": _m("Comparison group (default: the other devices etc.; must rule the "
                        "fix's scope out)",
                        "Vergleichsgruppe (Standard: die anderen Geräte usw.; muss den "
                        "Geltungsbereich der Korrektur ausschließen)"),
    "fixes.note": _m("Note", "Notiz"),
    "fixes.save": _m("Save fix", "Korrektur speichern"),
    "fixes.saved": _m("Saved the fix {name}.", "Korrektur {name} gespeichert."),
    "fixes.deleted": _m("Deleted the fix {name}.", "Korrektur {name} gelöscht."),
    "fixes.delete": _m("Delete", "Löschen"),
    "fixes.confirm_delete": _m("Delete the fix {name}?", "Korrektur {name} löschen?"),
    "segments.saved_title": _m("Saved segments", "Gespeicherte Segmente"),
    "segments.hint": _m("Named groups of persons (files segments/<name>.toml); every analysis "
                        "can be limited to one or broken down by several.",
                        "Benannte Personengruppen (Dateien segments/<name>.toml); jede Analyse "
                        "lässt sich auf eines beschränken oder nach mehreren aufschlüsseln."),
    "segments.name": _m("Name", "Name"),
    "segments.kind": _m("Kind", "Art"),
    "segments.kind.behaviour": _m("behaviour", "Verhalten"),
    "segments.kind.traits": _m("conditions", "Bedingungen"),
    "segments.kind.list": _m("list", "Liste"),
    "segments.kind.mixed": _m("mixed", "gemischt"),
    "segments.rule": _m("Rule", "Regel"),
    "segments.members": _m("Members", "Mitglieder"),
    "segments.export": _m("CSV", "CSV"),
    "segments.use": _m("KPIs by segment", "Kennzahlen je Segment"),
    "segments.delete": _m("Delete", "Löschen"),
    "segments.confirm_delete": _m("Delete the segment {name}?", "Segment {name} löschen?"),
    "segments.none": _m("No segments yet.", "Noch keine Segmente."),
    "segments.new": _m("New segment", "Neues Segment"),
    "segments.description": _m("Description", "Beschreibung"),
    "segments.did": _m("Did (events)", "Hat getan (Ereignisse)"),
    "segments.did_not": _m("Did not (events)", "Hat nicht getan (Ereignisse)"),
    "segments.within": _m("Within", "Innerhalb"),
    "segments.where": _m("Conditions (one per line)", "Bedingungen (eine je Zeile)"),
    "segments.ids": _m("Person ids", "Personen-IDs"),
    "segments.replace": _m("Replace", "Ersetzen"),
    "segments.save": _m("Save segment", "Segment speichern"),
    "segments.saved": _m("Saved the segment {name}.", "Segment {name} gespeichert."),
    "segments.deleted": _m("Deleted the segment {name}.", "Segment {name} gelöscht."),
    "nav.journeys": _m("Journeys", "Journeys"),
    "unsubscribe.title": _m("Unsubscribe", "Abmelden"),
    "unsubscribe.ask": _m("Unsubscribe?", "Abmelden?"),
    "unsubscribe.ask_text": _m("You will get no more messages by {channel} from us.",
                               "Sie erhalten von uns keine Nachrichten per {channel} mehr."),
    "unsubscribe.button": _m("Unsubscribe", "Abmelden"),
    "unsubscribe.done": _m("You are unsubscribed", "Sie sind abgemeldet"),
    "unsubscribe.done_text": _m("We will send you no more messages by {channel}.",
                                "Wir senden Ihnen keine Nachrichten per {channel} mehr."),
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
    "nav.settings": _m("Settings", "Einstellungen"),
    # layout
    "layout.project": _m("Project", "Projekt"),
    "layout.navigation": _m("Main navigation", "Hauptnavigation"),
    "layout.api_docs": _m("API docs", "API-Doku"),
    "layout.language": _m("Language", "Sprache"),
    "layout.logged_in_as": _m("Logged in as", "Angemeldet als"),
    "layout.logout": _m("Log out", "Abmelden"),
    "layout.open_access": _m(
        "No users configured — open access, listening on localhost only.",
        "Keine Benutzer eingerichtet — offener Zugang, nur auf localhost erreichbar."),
    # common
    "common.show": _m("Show", "Anzeigen"),
    "export.csv": _m("CSV", "CSV"),
    "export.csv_hint": _m("This table as CSV: every row, the values as the API gives them",
                          "Diese Tabelle als CSV: alle Zeilen, die Werte wie die API sie gibt"),
    "export.json": _m("Download as JSON", "Als JSON herunterladen"),
    "export.api": _m("The API call behind this page:", "Der API-Aufruf hinter dieser Seite:"),
    "common.no_data": _m("No data for this selection yet.",
                         "Für diese Auswahl gibt es noch keine Daten."),
    "common.none": _m("(none)", "(keine Angabe)"),
    "common.unit": _m("Count", "Zählen"),
    # unit
    "unit.person": _m("Persons", "Personen"),
    "unit.session": _m("Sessions", "Sitzungen"),
    "unit.person.plural": _m("Persons", "Personen"),
    "unit.session.plural": _m("Sessions", "Sitzungen"),
    # col
    "col.steps": _m("Steps", "Schritte"),
    "col.reason": _m("Reason", "Grund"),
    "col.rows": _m("Rows", "Zeilen"),
    "col.line": _m("Line", "Zeile"),
    "col.raw": _m("Raw data", "Rohdaten"),
    "col.replays": _m("Replays", "Wiederholt"),
    "col.when": _m("Quarantined", "Zurückgehalten"),
    # login
    "login.title": _m("Log in", "Anmelden"),
    "login.hint": _m("Log in to the Wegweiser dashboard of {project}.",
                     "Melden Sie sich am Wegweiser-Dashboard von {project} an."),
    "login.user": _m("User name", "Benutzername"),
    "login.password": _m("Password", "Passwort"),
    "login.submit": _m("Log in", "Anmelden"),
    "login.failed": _m("User name or password is wrong.", "Benutzername oder Passwort ist falsch."),
    "login.throttled": _m("Too many failed log-ins; try again in {seconds} s.",
                          "Zu viele fehlgeschlagene Anmeldungen; bitte in {seconds} s "
                          "erneut versuchen."),
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
    # quality
    "quality.collector": _m("Collector and import", "Collector und Import"),
    "quality.status_ok": _m("Running normally", "Läuft normal"),
    "quality.status_degraded": _m("Needs attention", "Braucht Aufmerksamkeit"),
    "quality.importer": _m("Import process", "Importprozess"),
    "quality.importer_up": _m("running", "läuft"),
    "quality.importer_down": _m("not running", "läuft nicht"),
    "quality.restarts": _m("restarted {n} times", "{n}-mal neu gestartet"),
    "quality.waiting": _m("Events waiting", "Wartende Ereignisse"),
    "quality.waiting_hint": _m("collected, not yet in the store ({segments} spool files)",
                               "gesammelt, noch nicht gespeichert ({segments} Spool-Dateien)"),
    "quality.oldest": _m("oldest waits {s} s", "ältestes wartet seit {s} s"),
    "quality.snapshot": _m("Analyses show data as of", "Analysen zeigen Daten vom Stand"),
    "quality.snapshot_age": _m("{s} s ago", "vor {s} s"),
    "quality.quarantined": _m("Quarantined", "Zurückgehalten"),
    "quality.quarantined_hint": _m("rows rejected on import or by the collector",
                                   "beim Import oder vom Collector abgelehnte Zeilen"),
    "quality.stored": _m("Stored events", "Gespeicherte Ereignisse"),
    "quality.share": _m("Rejected share", "Abgelehnter Anteil"),
    "quality.share_hint": _m("of all rows received", "aller empfangenen Zeilen"),
    "quality.by_reason": _m("Rejections by reason", "Ablehnungen nach Grund"),
    "quality.hint": _m(
        "Fix the mapping or the configuration, then replay: rows that pass now go into the "
        "store. Dropping deletes rows for good.",
        "Mapping oder Konfiguration korrigieren, dann erneut einspielen: Zeilen, die jetzt "
        "passen, kommen in den Speicher. Verwerfen löscht Zeilen endgültig."),
    "quality.replay_all": _m("Replay all", "Alle erneut einspielen"),
    "quality.drop_all": _m("Drop all", "Alle verwerfen"),
    "quality.replay": _m("Replay", "Erneut einspielen"),
    "quality.drop": _m("Drop", "Verwerfen"),
    "quality.last_seen": _m("Last seen", "Zuletzt"),
    "quality.empty": _m("Nothing in quarantine: every row was accepted.",
                        "Nichts zurückgehalten: jede Zeile wurde angenommen."),
    "quality.rows": _m("Quarantined rows", "Zurückgehaltene Zeilen"),
    "quality.all_reasons": _m("show all", "alle zeigen"),
    "quality.confirm_drop_all": _m("Delete every quarantined row for good?",
                                   "Alle zurückgehaltenen Zeilen endgültig löschen?"),
    "quality.confirm_drop": _m("Delete the quarantined rows with this reason for good?",
                               "Die zurückgehaltenen Zeilen mit diesem Grund endgültig löschen?"),
    "quality.confirm_drop_row": _m("Delete this quarantined row for good?",
                                   "Diese zurückgehaltene Zeile endgültig löschen?"),
    "quality.replayed": _m(
        "Replayed: {imported} imported, {duplicates} duplicates, {still} still quarantined, "
        "{skipped} cannot be replayed.",
        "Erneut eingespielt: {imported} übernommen, {duplicates} Duplikate, {still} weiter "
        "zurückgehalten, {skipped} nicht wiederholbar."),
    "quality.dropped": _m("Dropped {n} quarantined rows.", "{n} zurückgehaltene Zeilen verworfen."),
    "quality.drop_what": _m(
        "Say what to drop: a reason, a row or all.",
        "Bitte angeben, was verworfen werden soll: ein Grund, eine Zeile oder alles."),
    # settings
    "settings.phases": _m("Phase rules", "Phasenregeln"),
    "settings.phases_hint": _m(
        "An event belongs to the first phase (top to bottom) with a matching pattern. Patterns "
        "are event names with * and ?.",
        "Ein Ereignis gehört zur ersten Phase (von oben nach unten) mit passendem Muster. "
        "Muster sind Ereignisnamen mit * und ?."),
    "settings.phases_rules": _m(
        "Saved to wegweiser.toml (comments are kept); the analyses use the new rules right "
        "away.",
        "Wird in wegweiser.toml gespeichert (Kommentare bleiben erhalten); die Analysen nutzen "
        "die neuen Regeln sofort."),
    "settings.phase_name": _m("Phase", "Phase"),
    "settings.phase_events": _m("Events (patterns, comma-separated)",
                                "Ereignisse (Muster, durch Kommas getrennt)"),
    "settings.phase_description": _m("Description", "Beschreibung"),
    "settings.new_phase": _m("New phase…", "Neue Phase…"),
    "settings.add_phase": _m("Add phase", "Phase hinzufügen"),
    "settings.save": _m("Save phases", "Phasen speichern"),
    "settings.saved": _m("Saved {n} phases.", "{n} Phasen gespeichert."),
    "settings.error.rows": _m("Some phases have problems; nothing was saved.",
                              "Einige Phasen haben Fehler; es wurde nichts gespeichert."),
    "settings.error.name": _m("Give the phase a name.", "Geben Sie der Phase einen Namen."),
    "settings.error.events": _m("List at least one event pattern.",
                                "Geben Sie mindestens ein Ereignis-Muster an."),
    "settings.error.duplicate": _m("This name is used twice.", "Dieser Name kommt zweimal vor."),
    "settings.error.none": _m("Keep at least one phase.", "Mindestens eine Phase muss bleiben."),
    "settings.server": _m("Server", "Server"),
    "settings.access": _m("Access", "Zugang"),
    "settings.access.open": _m("Open (no users; localhost only)",
                               "Offen (keine Benutzer; nur localhost)"),
    "settings.access.login": _m("Log-in required", "Anmeldung erforderlich"),
    "settings.users": _m("Dashboard users", "Dashboard-Benutzer"),
    "settings.write_keys": _m("Collector write keys", "Collector-Schreibschlüssel"),
    "settings.api_tokens": _m("Read-only API tokens", "Lese-Tokens der API"),
    "settings.max_request": _m("Largest request", "Größte Anfrage"),
    "settings.rate_limit": _m("Rate limit per key", "Ratenlimit je Schlüssel"),
    "settings.rate_limit_value": _m("{n} events/s (burst {burst})",
                                    "{n} Ereignisse/s (Spitze {burst})"),
    "settings.currency": _m("Currency", "Währung"),
    "settings.conversions": _m("Conversion events", "Conversion-Ereignisse"),
    "settings.windows": _m("Windows", "Zeitfenster"),
    "settings.windows_value": _m(
        "session gap {session} min, conversion {conversion} d, attribution {lookback} d",
        "Sitzungspause {session} Min., Conversion {conversion} Tage, Attribution {lookback} "
        "Tage"),
    "settings.secrets_hint": _m(
        "Keys, tokens and users come from wegweiser.toml [server] or the environment; add new "
        "ones with wegweiser keys add (stored hashed, in effect without a restart) and "
        "wegweiser hash-password.",
        "Schlüssel, Tokens und Benutzer stammen aus wegweiser.toml [server] oder der Umgebung; "
        "neue mit wegweiser keys add (gespeichert als Hash, wirksam ohne Neustart) und "
        "wegweiser hash-password."),
    "settings.collector": _m("Collecting events", "Ereignisse sammeln"),
    "settings.endpoint": _m("Collector endpoint:", "Collector-Endpunkt:"),
    "settings.snippet_hint": _m(
        "Segment and RudderStack SDKs can send here: use a write key (replace WRITE_KEY) and "
        "this server as the API host. analytics.js: serve dist/umd of the npm package "
        "@segment/analytics-next from your site; the settings are passed in, nothing is "
        "loaded from Segment.",
        "Segment- und RudderStack-SDKs können hierher senden: mit einem Schreibschlüssel "
        "(statt WRITE_KEY) und diesem Server als API-Host. analytics.js: dist/umd des "
        "npm-Pakets @segment/analytics-next von der eigenen Website ausliefern; die "
        "Einstellungen werden mitgegeben, nichts wird von Segment geladen."),
    # audit log and roles
    "nav.audit": _m("Audit log", "Protokoll"),
    "audit.title": _m("Audit log", "Protokoll der Zugriffe"),
    "audit.hint": _m("Who did what, when, to whom: log-ins, person views, downloads, consent, "
                     "settings and journey changes, refusals. The newest {n} entries that fit "
                     "the filter, newest first.",
                     "Wer hat wann was mit wem getan: Anmeldungen, Personenansichten, Downloads, "
                     "Einwilligungen, Einstellungen und Journey-Änderungen, Ablehnungen. Die "
                     "neuesten {n} passenden Einträge, neueste zuerst."),
    "audit.filter": _m("Filter", "Filtern"),
    "audit.empty": _m("No entries.", "Keine Einträge."),
    "audit.col.at": _m("Time (UTC)", "Zeit (UTC)"),
    "audit.col.actor": _m("Who", "Wer"),
    "audit.col.action": _m("Action", "Aktion"),
    "audit.col.target": _m("Concerning", "Betrifft"),
    "audit.col.since": _m("From", "Ab"),
    "audit.col.until": _m("Before", "Vor"),
    "audit.col.surface": _m("Via", "Über"),
    "audit.col.detail": _m("Detail", "Detail"),
    "error.forbidden_role": _m(
        "Your role does not allow this page or action. Ask an administrator if you need it.",
        "Ihre Rolle erlaubt diese Seite oder Aktion nicht. Fragen Sie eine Administratorin "
        "oder einen Administrator, wenn Sie sie brauchen."),
    # error
    "error.title": _m("Error", "Fehler"),
    "error.generic": _m("Something went wrong", "Etwas ist schiefgegangen"),
    "error.400": _m("The request cannot be used", "Die Anfrage ist nicht verwendbar"),
    "error.401": _m("Please log in", "Bitte anmelden"),
    "error.403": _m("Not allowed", "Nicht erlaubt"),
    "error.404": _m("Page not found", "Seite nicht gefunden"),
    "error.405": _m("Not allowed this way", "So nicht erlaubt"),
    "error.413": _m("Too large", "Zu groß"),
    "error.422": _m("The request cannot be used", "Die Anfrage ist nicht verwendbar"),
    "error.429": _m("Too many requests", "Zu viele Anfragen"),
    "error.500": _m("Internal error", "Interner Fehler"),
    "error.503": _m("The data is busy", "Die Daten sind gerade belegt"),
    "error.code": _m("Code", "Code"),
    "error.home": _m("To the overview", "Zur Übersicht"),
    # dim
    "dim.channel": _m("Channel", "Kanal"),
    "dim.campaign": _m("Campaign", "Kampagne"),
    "dim.source": _m("Source", "Quelle"),
    "dim.medium": _m("Medium", "Medium"),
    "dim.device": _m("Device", "Gerät"),
    "dim.platform": _m("Platform", "Plattform"),
    "dim.country": _m("Country", "Land"),
    "dim.phase": _m("Phase", "Phase"),
}
