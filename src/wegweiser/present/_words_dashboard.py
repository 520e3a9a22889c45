"""The dashboard's own words (registered under ``dashboard.`` in
:data:`wegweiser.present.i18n.MESSAGES`; a page's translator falls back to the shared words).
``{name}`` marks a value filled in by the page. The words of the pages are in one module
per group of pages (``_words_dashboard_<pages>.py``); this one has the frame every page
shares and merges them."""

from __future__ import annotations

from wegweiser.present import (
    _words_dashboard_analyses,
    _words_dashboard_journeys,
    _words_dashboard_people,
    _words_dashboard_settings,
)
from wegweiser.present._words import _m

#: the words every page shares: navigation, layout, log-in, errors, dimensions
FRAME: dict[str, dict[str, str]] = {
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
    "nav.fixes": _m("Fixes", "Korrekturen"),
    "nav.journeys": _m("Journeys", "Journeys"),
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
    # audit log and roles
    "nav.audit": _m("Audit log", "Protokoll"),
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


def _merged(*parts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """One catalogue of the parts; a key in two of them is a mistake, not an override."""
    words: dict[str, dict[str, str]] = {}
    for part in parts:
        twice = words.keys() & part.keys()
        if twice:
            raise ValueError(f"dashboard words defined twice: {sorted(twice)}")
        words.update(part)
    return words


WORDS = _merged(FRAME, _words_dashboard_analyses.WORDS, _words_dashboard_people.WORDS,
                _words_dashboard_journeys.WORDS, _words_dashboard_settings.WORDS)
