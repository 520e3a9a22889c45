"""The one translation catalogue (German, English) and the number formats of every face.

Every user-visible word comes from :data:`MESSAGES` through :func:`t`. The catalogue holds
the shared words and the report's (:mod:`._words`) and, under ``dashboard.``, the dashboard's
own (:mod:`._words_dashboard`); a :class:`Translator` of the dashboard looks a key up there
first and then among the shared words. Every message has every language of
:data:`LANGUAGES` (a test checks it, and that every key used in code and templates exists).
Numbers, percentages, money, dates and durations are formatted per language:

>>> number(1234.5, "de", 1), number(1234.5, "en", 1)
('1.234,5', '1,234.5')
>>> percent(0.123, "de"), percent(0.123, "en")
('12,3\\xa0%', '12.3%')
>>> money(1234.5, "de"), money(1234.5, "en")
('1.234,50\\xa0€', '€1,234.50')
>>> duration(5400, "de"), duration(259200, "en"), duration(42, "en")
('1,5\\xa0Std.', '3.0 d', '42 s')
>>> t("report.title", "de"), Translator("de", prefix=DASHBOARD)("nav.settings")
('Customer-Journey-Bericht', 'Einstellungen')

German puts a no-break space (U+00A0) between the number and ``%`` or the currency symbol,
so they never wrap apart.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from wegweiser.analysis.experiments import notes as experiment_notes
from wegweiser.analysis.fix_words import NO_FIXES, REASONS
from wegweiser.errors import InvalidInput
from wegweiser.present import _words, _words_columns, _words_dashboard, _words_flows

LANGUAGES = ("de", "en")
DASHBOARD = "dashboard."  # the namespace of the dashboard's own words
NBSP = "\u00a0"
DASH = "\u2013"  # shown for a missing value
MINUS = "\u2212"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNITS = {"de": {"d": "Tg.", "h": "Std.", "min": "Min.", "s": "Sek."},
          "en": {"d": "d", "h": "h", "min": "min", "s": "s"}}

MESSAGES: dict[str, dict[str, str]] = {}


def check_lang(lang: str) -> str:
    """``lang`` if supported, else :class:`~wegweiser.errors.InvalidInput`."""
    if lang not in LANGUAGES:
        raise InvalidInput(f"unknown language {lang!r}; use one of: {', '.join(LANGUAGES)}")
    return lang


def register(messages: dict[str, dict[str, str]], *, prefix: str = "") -> None:
    """Add (or replace) messages: ``{key: {"de": ..., "en": ...}}``, every language given;
    ``prefix`` is put before every key (a face's namespace)."""
    for key, texts in messages.items():
        missing = [lang for lang in LANGUAGES if not texts.get(lang)]
        if missing:
            raise InvalidInput(f"message {key!r} lacks the language(s) {', '.join(missing)}")
    for key, texts in messages.items():
        MESSAGES[prefix + key] = {lang: texts[lang] for lang in LANGUAGES}


def t(key: str, lang: str, /, **fmt: Any) -> str:
    """The message ``key`` in ``lang``, with ``{name}`` fields filled from ``fmt``."""
    try:
        text = MESSAGES[key][check_lang(lang)]
    except KeyError:
        raise KeyError(
            f"no message {key!r}; add it to wegweiser/present/_words.py (both languages)"
        ) from None
    return text.format(**fmt) if fmt else text


def has(key: str) -> bool:
    return key in MESSAGES


def label(value: Any, lang: str) -> str:
    """A category as shown: missing values (None, NaN, ``(none)``) as the word for none."""
    return t("none", lang) if value is None or value == "(none)" or value != value else str(value)


COLUMN = "col."  # the namespace of the headings of result columns


def heading(column: Any, lang: str) -> str:
    """A result column as a table or chart heads it: ``lost_conversions`` reads "Lost
    conversions" / "Verlorene Konversionen"; a feature column ``channel:email`` reads
    "Channel: email"; a column without a heading keeps its name."""
    name = str(column)
    if has(COLUMN + name):
        return t(COLUMN + name, lang)
    prefix, colon, value = name.partition(":")
    if colon and has(COLUMN + prefix):
        return f"{t(COLUMN + prefix, lang)}: {value}"
    return name


def has_heading(column: Any) -> bool:
    """Whether :func:`heading` has words for ``column`` (or for its ``prefix:``)."""
    name = str(column)
    return has(COLUMN + name) or (has(COLUMN + name.partition(":")[0]) and ":" in name)


def model_name(model: str, lang: str) -> str:
    """An attribution model's display name (``markov`` -> ``Markov``); unknown names as
    they are."""
    key = f"model.{model}"
    return t(key, lang) if has(key) else model


# -- formats ---------------------------------------------------------------------------------
def finite(value: Any) -> bool:
    """True for a number that is neither missing, NaN nor infinite."""
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, lang: str, digits: int = 0, *, sign: bool = False) -> str:
    """``1.234,5`` (de) or ``1,234.5`` (en), halves rounded up (away from zero);
    :data:`DASH` for None/NaN; negative numbers with a true minus sign."""
    check_lang(lang)
    if not finite(value):
        return DASH
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    text = f"{exact:{'+' if sign else ''},.{digits}f}"
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", MINUS)


def percent(share: Any, lang: str, digits: int = 1) -> str:
    """A share (0.123) as ``12,3 %`` (de, no-break space) or ``12.3%`` (en)."""
    if not finite(share):
        return DASH
    text = number(float(share) * 100, lang, digits)
    return f"{text}{NBSP}%" if lang == "de" else f"{text}%"


def money(value: Any, lang: str, currency: str = "EUR", digits: int = 2) -> str:
    """``1.234,50 €`` (de) or ``€1,234.50`` (en); codes without a symbol: ``CHF 1,234.50``."""
    if not finite(value):
        return DASH
    text = number(value, lang, digits)
    symbol = SYMBOLS.get(currency.upper(), currency)
    if lang == "de":
        return f"{text}{NBSP}{symbol}"
    negative = text.startswith(MINUS)
    body = text.removeprefix(MINUS)
    joined = f"{symbol}{body}" if symbol != currency or len(symbol) == 1 else f"{symbol} {body}"
    return f"{MINUS}{joined}" if negative else joined


def duration(seconds: Any, lang: str) -> str:
    """Seconds as a short human duration (s, min, h, d)."""
    names = _UNITS[check_lang(lang)]
    if not finite(seconds):
        return DASH
    s = float(seconds)
    gap = NBSP if lang == "de" else " "
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if s >= size:
            return f"{number(s / size, lang, 1)}{gap}{names[unit]}"
    return f"{number(s, lang, 0)}{gap}{names['s']}"


def day(value: Any, lang: str) -> str:
    """A date (or the date part of a timestamp or ISO text) as ``31.10.2026`` (de) or
    ``31 Oct 2026`` (en); :data:`DASH` when it is missing or unreadable.

    >>> day("2026-09-01 06:07:55+00", "de"), day("2026-09-01", "en"), day(None, "en") == DASH
    ('01.09.2026', '1 Sep 2026', True)
    """
    check_lang(lang)
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value)[:10])
        except ValueError:
            return DASH
    if isinstance(value, datetime) and value != value:  # NaT
        return DASH
    if lang == "de":
        return f"{value.day:02d}.{value.month:02d}.{value.year}"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def separators(lang: str) -> str:
    """Plotly's ``layout.separators`` (decimal, then thousands) for ``lang``."""
    return ",." if check_lang(lang) == "de" else ".,"


class Translator:
    """Words and formats bound to one language (and currency): what a template calls ``t``.

    ``prefix`` is a face's namespace, looked up before the shared words.

    >>> words = Translator("en", prefix=DASHBOARD)
    >>> words("nav.overview"), words("model.markov"), words.pct(0.2745), words.n(1234.5, 1)
    ('Overview', 'Markov', '27.5%', '1,234.5')
    """

    def __init__(self, lang: str, currency: str = "EUR", *, prefix: str = "") -> None:
        self.lang = check_lang(lang)
        self.currency = currency
        self.prefix = prefix

    def key(self, key: str) -> str | None:
        """The catalogue key that ``key`` names here (None when there is none)."""
        if self.prefix and has(self.prefix + key):
            return self.prefix + key
        return key if has(key) else None

    def __call__(self, key: str, /, **values: Any) -> str:
        return t(self.key(key) or self.prefix + key, self.lang, **values)

    def msg(self, key_or_text: str) -> str:
        """A message key's text, or the text itself (server messages, e.g. validation
        errors, that are not keys)."""
        return self(key_or_text) if self.key(key_or_text) else key_or_text

    def n(self, value: Any, digits: int = 0) -> str:
        return number(value, self.lang, digits)

    def pct(self, value: Any, digits: int = 1) -> str:
        return percent(value, self.lang, digits)

    def money(self, value: Any, digits: int = 2) -> str:
        return money(value, self.lang, self.currency, digits)

    def dur(self, seconds: Any) -> str:
        return duration(seconds, self.lang)

    def day(self, value: Any) -> str:
        return day(value, self.lang)


register(_words.WORDS)
register(_words_dashboard.WORDS, prefix=DASHBOARD)
register(_words_flows.WORDS)
register({k: {"en": en, "de": de} for k, (en, de) in _words_columns.HEADINGS.items()},
         prefix=COLUMN)
register(experiment_notes.catalogue())
register({"note.no_fixes": {"en": NO_FIXES.en, "de": NO_FIXES.de}})


def note_text(result: Any, lang: str) -> str:
    """An analysis result's note in ``lang``: its ``notes`` (message keys ``note.<key>``
    with their fields; a field given as ``{lang: text}`` takes ``lang``'s text) from the
    catalogue, else its ``note`` as it is (English)."""
    notes = getattr(result, "notes", ())
    if notes:  # a field may hold a text per language: {"en": "0.30", "de": "0,30"}
        return " ".join(
            t(f"note.{key}", lang,
              **{k: v[lang] if isinstance(v, dict) and lang in v else v
                 for k, v in fields.items()})
            for key, fields in notes)
    return str(getattr(result, "note", "") or "")


_PERCENT_NAMES = {"share", "rate", "probability", "lift", "cumulative_share", "lift_low",
                  "lift_high", "chance_to_beat", "mde_relative", "overstated_conversions",
                  "overstated_revenue"}


def column_kind(column: str) -> str:
    """How a result column reads: ``percent`` (shares and rates, 0..1), ``seconds``
    (durations: ``*_s``, ``*_seconds``) or ``number``.

    >>> column_kind("bounce_rate"), column_kind("duration_median_s"), column_kind("units")
    ('percent', 'seconds', 'number')
    """
    if (column in _PERCENT_NAMES or column.endswith(("_rate", "_share"))
            or column.startswith(("rate_", "share_", "conversion_from", "conversion_rate"))):
        return "percent"
    if column.endswith(("_s", "_seconds")) or column == "seconds":
        return "seconds"
    return "number"


def cell(value: Any, column: str, lang: str) -> str:
    """One table cell as text in ``lang``, read by its column's kind (empty for missing)."""
    if value is None or (isinstance(value, float | datetime) and value != value):
        return ""  # None, NaN, NaT
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return str(value)
    kind = column_kind(column)
    if kind == "percent":
        return percent(value, lang)
    if kind == "seconds":
        return duration(value, lang)
    return number(value, lang, 0 if float(value).is_integer() else 2)
register({f"note.fix.{key}": {"en": words.en, "de": words.de} for key, words in REASONS.items()})
