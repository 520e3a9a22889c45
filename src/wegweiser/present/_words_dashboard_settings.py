"""The dashboard's words of the data quality, settings and audit log pages (merged into
:data:`wegweiser.present._words_dashboard.WORDS`)."""

from __future__ import annotations

from wegweiser.present._words import _m

WORDS: dict[str, dict[str, str]] = {
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
}
