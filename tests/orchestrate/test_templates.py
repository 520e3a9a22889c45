"""Message templates: the one-context rendering equals Jinja's own ``Template.render``."""

from __future__ import annotations

import pytest

from wegweiser.orchestrate import templates
from wegweiser.orchestrate.errors import Terminal

CONTEXT = {
    "person": {"person_id": "p1", "traits": {"name": "Änne"}},
    "traits": {"name": "Änne", "items": ["a", "b<c"]},
    "scores": {"churn": 0.25},
    "journey": "welcome",
}

SOURCES = [
    "Hallo {{ traits.name }}",
    "{% for i in traits['items'] %}{{ loop.index }}={{ i|upper }};{% endfor %}",
    "{{ range(3)|list }} {{ dict(a=1) }} {% set ns = namespace(n=0) %}{{ ns.n }}",
    "{% set c = cycler('x', 'y') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}",
    "{{ '%.1f'|format(scores.churn * 100) }} % {{ journey|title }}",
    "kein Template",
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("html", [False, True])
def test_rendering_equals_jinjas_render(source, html):
    template = templates._compile(source, html=html)
    assert templates._render(template, templates._variables(CONTEXT)) == template.render(
        CONTEXT)


def test_html_escapes_and_text_does_not():
    got = templates.render("S {{ traits['items'][1] }}", "{{ traits['items'][1] }}",
                           "<p>{{ traits['items'][1] }}</p>", CONTEXT)
    assert (got.subject, got.text, got.html) == ("S b<c", "b<c", "<p>b&lt;c</p>")


def test_a_payload_renders_every_string_inside():
    payload = {"who": "{{ person.person_id }}", "n": 3, "tags": ["{{ journey }}", "fix"],
               "deep": {"name": "{{ traits.name }}", "none": None}}
    assert templates.render_value(payload, CONTEXT) == {
        "who": "p1", "n": 3, "tags": ["welcome", "fix"],
        "deep": {"name": "Änne", "none": None}}


@pytest.mark.parametrize(("source", "message"), [
    ("{{ traits.nope }}", "UndefinedError"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ("{{ person.__class__ }}", "SecurityError|UndefinedError"),
])
def test_payload_errors_are_terminal_with_their_reason(source, message):
    with pytest.raises(Terminal, match=f"template error: ({message})"):
        templates.render_value({"x": [source]}, CONTEXT)
