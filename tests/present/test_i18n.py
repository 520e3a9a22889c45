"""The one catalogue (German, English) and the number formats of every face."""

from __future__ import annotations

import ast
import math
import re
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import wegweiser
from wegweiser.errors import InvalidInput
from wegweiser.present import i18n
from wegweiser.present.i18n import (
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
    with pytest.raises(KeyError, match=r"_words\.py"):
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


# -- every key used exists ---------------------------------------------------------------------
SRC = Path(wegweiser.__file__).parent
TEMPLATES = SRC / "serve" / "templates"
#: ``t("key"`` in Python (the shared catalogue); f-strings are checked where they are built
CODE_KEY = re.compile(r"""\bt\(\s*["']([a-z_][a-z_.0-9]*)["']""")
#: ``t('key'`` / ``t("key"`` in the dashboard's templates, and ``t('prefix.' ~ name)``
TEMPLATE_KEY = re.compile(r"""\bt(?:\.msg)?\(\s*['"]([a-z_][a-z_.0-9]*)['"]\s*(~)?""")
PAGE_LITERAL = re.compile(r"[a-z_]+\.[a-z_.0-9]+")


def test_every_key_used_in_code_exists():
    used = {(path.relative_to(SRC).as_posix(), key)
            for path in SRC.rglob("*.py")
            for key in CODE_KEY.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 80
    assert not [u for u in used if not i18n.has(u[1])]


def test_every_key_of_the_dashboard_exists():
    say = i18n.Translator("en", prefix=i18n.DASHBOARD)
    keys, prefixes = set(), set()
    for path in TEMPLATES.glob("*.html.j2"):
        for key, joined in TEMPLATE_KEY.findall(path.read_text(encoding="utf-8")):
            (prefixes if joined else keys).add(key)
    # keys the pages hand to templates: titles, navigation, flash messages, form errors
    namespaces = {k.removeprefix(i18n.DASHBOARD).split(".")[0] for k in MESSAGES}
    for path in (SRC / "serve" / "pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and PAGE_LITERAL.fullmatch(node.value)
                    and node.value.split(".")[0] in namespaces
                    and not node.value.endswith((".j2", ".js", ".css", ".py"))):
                keys.add(node.value)
    assert len(keys) > 150
    assert {"dim.", "model.", "metric.", "error."} <= prefixes
    assert not sorted(k for k in keys if say.key(k) is None)
    assert not sorted(p for p in prefixes if not any(
        k.startswith((p, i18n.DASHBOARD + p)) for k in MESSAGES))


def test_dashboard_words_fall_back_to_the_shared_ones():
    say = i18n.Translator("de", prefix=i18n.DASHBOARD)
    assert say("model.markov") == t("model.markov", "de")  # shared, not copied
    assert say("kpi.conversion_rate") == "Conversion-Rate"  # the dashboard's own
    assert t("kpi.conversion_rate", "de") == "Konversionsrate"  # the report's
    assert say.msg("a server message, not a key") == "a server message, not a key"
    with pytest.raises(KeyError, match="no message"):
        say("no.such.key")
    same = [k for k in MESSAGES if k.startswith(i18n.DASHBOARD)
            and MESSAGES.get(k.removeprefix(i18n.DASHBOARD)) == MESSAGES[k]]
    assert not same, "the same words twice: keep only the shared key"


def test_duration_and_label():
    assert i18n.duration(5400, "de") == f"1,5{NBSP}Std."
    assert i18n.duration(90, "en") == "1.5 min"
    assert i18n.duration(None, "en") == DASH
    assert i18n.label(None, "de") == "(keine)"
    assert i18n.label(float("nan"), "en") == "(none)"
    assert i18n.label("email", "en") == "email"
    assert i18n.model_name("markov", "de") == "Markov"
    assert i18n.model_name("my_model", "de") == "my_model"


def test_dashboard_words_hold_no_markdown_backticks():
    # the dashboard shows its words as escaped text: a `command` would show its backticks
    dashboard = {k: v for k, v in MESSAGES.items() if k.startswith(i18n.DASHBOARD)}
    assert len(dashboard) > 100
    assert [k for k, texts in dashboard.items() if any("`" in v for v in texts.values())] == []
