"""Language of a request and the words and numbers of a page in that language.

The language comes from ``?lang=de|en`` (remembered in a cookie), else the cookie, else the
browser's ``Accept-Language``; English when nothing fits. The dashboard's words
(:mod:`.messages`) are registered with :mod:`wegweiser.report.i18n` under ``dashboard.``, and
numbers, money and dates use its formats, so report and dashboard read alike.

>>> negotiate("de-DE,de;q=0.9,en;q=0.8"), negotiate("fr, en;q=0.5"), negotiate("")
('de', 'en', 'en')
>>> t("nav.settings", "de"), Words("de").n(1234567.891, 2), Words("en").pct(0.2745)
('Einstellungen', '1.234.567,89', '27.5%')
>>> duration(5400, "de"), duration(259200, "en"), duration(42, "en")
('1,5\xa0Std.', '3.0 d', '42 s')
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from wegweiser.report import i18n as report_i18n
from wegweiser.serve.pages.messages import MESSAGES

LANGS = ("en", "de")
DEFAULT = "en"
COOKIE = "wegweiser_lang"
PREFIX = "dashboard."
NBSP = "\xa0"
MISSING = report_i18n.DASH  # shown where a figure is missing

report_i18n.register({
    PREFIX + key: {lang: MESSAGES[lang][key] for lang in LANGS} for key in MESSAGES[DEFAULT]
})


def negotiate(header: str) -> str:
    """The best of :data:`LANGS` for an ``Accept-Language`` header (English by default)."""
    best, best_q = DEFAULT, 0.0
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= position * 1e-6  # equal weights: the first listed wins
        if primary in LANGS and q > best_q:
            best, best_q = primary, q
    return best


def t(key: str, lang: str, /, **values: Any) -> str:
    """The dashboard message ``key`` in ``lang`` with ``{name}`` fields filled in (a
    KeyError for an unknown key: every visible word must be in :mod:`.messages`)."""
    return report_i18n.t(PREFIX + key, lang, **values)


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def duration(seconds: Any, lang: str) -> str:
    """Seconds as a short human duration (s, min, h, d)."""
    if not _finite(seconds):
        return MISSING
    s = float(seconds)
    units = (("d", 86400.0), ("h", 3600.0), ("min", 60.0))
    names = {"de": {"d": "Tg.", "h": "Std.", "min": "Min.", "s": "Sek."},
             "en": {"d": "d", "h": "h", "min": "min", "s": "s"}}[lang if lang in LANGS else DEFAULT]
    gap = NBSP if lang == "de" else " "
    for unit, size in units:
        if s >= size:
            return f"{report_i18n.number(s / size, lang, 1)}{gap}{names[unit]}"
    return f"{report_i18n.number(s, lang, 0)}{gap}{names['s']}"


def day(value: Any, lang: str) -> str:
    """A date (or the date part of a timestamp or ISO text) as the language writes it.

    >>> day("2026-09-01 06:07:55+00", "de"), day("2026-09-01", "en"), day(None, "en") == MISSING
    ('01.09.2026', '1 Sep 2026', True)
    """
    try:
        moment = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return MISSING
    return report_i18n.day(moment, lang)


class Words:
    """The page's translator and number formatters, bound to one language (for templates)."""

    def __init__(self, lang: str, currency: str = "EUR") -> None:
        self.lang = lang
        self.currency = currency

    def __call__(self, key: str, /, **values: Any) -> str:
        return t(key, self.lang, **values)

    def msg(self, key_or_text: str) -> str:
        """A message key's text, or the text itself (server messages, e.g. validation
        errors, that are not keys)."""
        if report_i18n.has(PREFIX + key_or_text):
            return t(key_or_text, self.lang)
        return key_or_text

    def n(self, value: Any, digits: int = 0) -> str:
        return report_i18n.number(value, self.lang, digits)

    def pct(self, value: Any, digits: int = 1) -> str:
        return report_i18n.percent(value, self.lang, digits)

    def money(self, value: Any, digits: int = 2) -> str:
        return report_i18n.money(value, self.lang, self.currency, digits)

    def dur(self, seconds: Any) -> str:
        return duration(seconds, self.lang)

    def day(self, value: Any) -> str:
        return day(value, self.lang)
