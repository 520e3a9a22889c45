"""Messages and number formats of the report in German and English."""

from __future__ import annotations

import math
import string
from datetime import UTC, date, datetime

import pytest

from wegweiser.errors import InvalidInput
from wegweiser.report import i18n
from wegweiser.report.i18n import (
    DASH,
    LANGUAGES,
    MESSAGES,
    NBSP,
    day,
    money,
    number,
    percent,
    register,
    separators,
    t,
)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_fields():
    assert LANGUAGES == ("de", "en")
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), key
        assert fields(texts["de"]) == fields(texts["en"]), key
        assert all(text.strip() for text in texts.values()), key


def test_german_and_english_differ_where_they_should():
    assert t("overview.title", "de") == "Überblick"
    assert t("overview.title", "en") == "Overview"
    same = [k for k, v in MESSAGES.items() if v["de"] == v["en"]]
    assert len(same) < len(MESSAGES) / 5, same  # names such as NPS, Markov, Linear


def test_t_formats_and_fails_clearly():
    assert t("kpi.revenue.sub", "en", n="3") == "3 conversions"
    assert t("kpi.revenue.sub", "de", n="3") == "3 Konversionen"
    with pytest.raises(KeyError, match="register"):
        t("no.such.key", "en")
    with pytest.raises(InvalidInput, match="de, en"):
        t("overview.title", "fr")


def test_register_adds_messages_in_every_language():
    register({"test.hello": {"de": "Hallo {name}", "en": "Hello {name}"}})
    try:
        assert t("test.hello", "de", name="Ada") == "Hallo Ada"
        with pytest.raises(InvalidInput, match="de"):
            register({"test.half": {"en": "only English"}})
        assert not i18n.has("test.half")
    finally:
        MESSAGES.pop("test.hello")


@pytest.mark.parametrize(("value", "digits", "de", "en"), [
    (1234.5, 1, "1.234,5", "1,234.5"),
    (1234567, 0, "1.234.567", "1,234,567"),
    (0.5, 2, "0,50", "0.50"),
    (-20.93, 1, "\u221220,9", "\u221220.9"),
    (None, 0, DASH, DASH),
    (math.nan, 1, DASH, DASH),
])
def test_number(value, digits, de, en):
    assert number(value, "de", digits) == de
    assert number(value, "en", digits) == en


def test_halves_round_up():
    assert number(2.5, "en") == "3"
    assert number(2.675, "de", 2) == "2,68"
    assert number(-0.5, "en") == "\u22121"


def test_signed_number():
    assert number(12.34, "de", 1, sign=True) == "+12,3"
    assert number(-12.34, "en", 1, sign=True) == "\u221212.3"


def test_percent_money_and_day():
    assert percent(0.123, "de") == f"12,3{NBSP}%"
    assert percent(0.123, "en") == "12.3%"
    assert percent(1, "en", 0) == "100%"
    assert percent(None, "de") == DASH
    assert money(1234.5, "de") == f"1.234,50{NBSP}€"
    assert money(1234.5, "en") == "€1,234.50"
    assert money(-5, "en", "USD") == "\u2212$5.00"
    assert money(1234.5, "en", "CHF") == "CHF 1,234.50"
    assert money(1234.5, "de", "CHF", 0) == f"1.235{NBSP}CHF"
    assert day(date(2026, 10, 31), "de") == "31.10.2026"
    assert day(datetime(2026, 3, 1, 23, tzinfo=UTC), "en") == "1 Mar 2026"
    assert day("2026-07-03T01:31:32+00:00", "en") == "3 Jul 2026"
    assert day(None, "en") == DASH
    assert separators("de") == ",."
    assert separators("en") == ".,"
