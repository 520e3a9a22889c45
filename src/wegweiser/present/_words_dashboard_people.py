"""The dashboard's words of the person, privacy, segment, fix and unsubscribe pages (merged
into :data:`wegweiser.present._words_dashboard.WORDS`)."""

from __future__ import annotations

from wegweiser.present._words import _m

WORDS: dict[str, dict[str, str]] = {
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
    "unsubscribe.title": _m("Unsubscribe", "Abmelden"),
    "unsubscribe.ask": _m("Unsubscribe?", "Abmelden?"),
    "unsubscribe.ask_text": _m("You will get no more messages by {channel} from us.",
                               "Sie erhalten von uns keine Nachrichten per {channel} mehr."),
    "unsubscribe.button": _m("Unsubscribe", "Abmelden"),
    "unsubscribe.done": _m("You are unsubscribed", "Sie sind abgemeldet"),
    "unsubscribe.done_text": _m("We will send you no more messages by {channel}.",
                                "Wir senden Ihnen keine Nachrichten per {channel} mehr."),
}
