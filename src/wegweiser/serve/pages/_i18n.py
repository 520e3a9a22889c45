"""The language of a request, and the page's words in it.

The language comes from ``?lang=de|en`` (remembered in a cookie), else the cookie, else the
browser's ``Accept-Language``; English when nothing fits. The words, and the formats of
numbers, money and dates, are the one catalogue's (:mod:`wegweiser.present.i18n`): the
dashboard's own words under ``dashboard.``, then the shared ones, so report and dashboard
read alike.

>>> negotiate("de-DE,de;q=0.9,en;q=0.8"), negotiate("fr, en;q=0.5"), negotiate("")
('de', 'en', 'en')
>>> words("de")("nav.settings"), words("de").n(1234567.891, 2), words("en").pct(0.2745)
('Einstellungen', '1.234.567,89', '27.5%')
"""

from __future__ import annotations

from wegweiser.present.i18n import DASHBOARD, Translator

LANGS = ("en", "de")
DEFAULT = "en"
COOKIE = "wegweiser_lang"


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


def words(lang: str, currency: str = "EUR") -> Translator:
    """The dashboard's translator and formatters in ``lang`` (what templates call ``t``)."""
    return Translator(lang, currency, prefix=DASHBOARD)
