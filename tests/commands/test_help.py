from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.text import Text
from typer.testing import CliRunner

from wegweiser._help import flow


def shown(text: str) -> str:
    """What the terminal shows of ``flow(text)`` (markup applied, styles dropped)."""
    return Text.from_markup(flow(text)).plain


def test_lines_of_a_paragraph_flow_and_paragraphs_stay_apart():
    doc = """Generate a demo.

        Four personas, journeys through six phases,
        a planted pain point and feedback.

        Second paragraph
        on two lines.
        """
    assert shown(doc) == (
        "Generate a demo.\n\nFour personas, journeys through six phases, a "
        "planted pain point and feedback.\n\nSecond paragraph on two lines."
    )


def test_list_items_and_unwrapped_paragraphs_keep_their_lines():
    doc = "Views:\n- top: the paths\n  most seen\n- steps\n\n\b\nkeep\n  this"
    assert shown(doc) == "Views:\n- top: the paths most seen\n- steps\n\nkeep\n  this"


def test_code_spans_roles_and_fields_lose_their_markup():
    doc = (
        "Delete events older than ``[retention] events_days``; see :mod:`wegweiser.kpis`\n"
        "and :func:`~wegweiser.analysis.funnels.funnel` or `wegweiser personas`.\n\n"
        ":param days: how long\n    (continued)\n:returns: nothing\nLast line."
    )
    assert shown(doc) == (
        "Delete events older than [retention] events_days; see wegweiser.kpis "
        "and funnel or wegweiser personas.\n\nLast line."
    )
    assert "[bold][retention]" not in flow(doc)  # the code span's bracket is escaped too
    assert "[bold]" in flow(doc)


@pytest.mark.parametrize(
    "text",
    [
        "Only rows of [retention] events_days.",
        "A [default: 10] hint",
        "[a,b] one of, [^a,b]",
        "wegweiser[listen]",
        "[[touchpoints]] in wegweiser.toml",
        "a [/bold] b [#fff] [@x]",
        "a backslash \\[kept] and \\\\[two]",
    ],
)
def test_brackets_are_literal(text):
    assert shown(text) == text


@given(st.text(alphabet=st.sampled_from(list("ab [/]#@\\:-.\n*1")), max_size=40))
def test_every_word_is_shown_as_written(text):
    # no backticks or field lists: flowing only joins lines, markup never eats a character
    if any(line.lstrip().startswith(":") for line in text.splitlines()):
        return
    assert shown(text).split() == text.replace("\f", "").split()


def test_demo_help_flows_and_analysis_help_keeps_its_brackets():
    from wegweiser.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["demo", "--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert "journeys through six phases, a planted pain point" in res.stdout
    res = runner.invoke(app, ["paths", "--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert "steps joined by ->; [a,b] one of, [^a,b] none of" in res.stdout
    assert "top: how many paths. [default: 20]" in res.stdout  # an option's help
    res = runner.invoke(app, ["privacy", "retention", "apply", "--help"], env={"COLUMNS": "300"})
    assert "Delete events older than [retention] events_days (physically" in res.stdout
    res = runner.invoke(app, ["kpis", "--help"], env={"COLUMNS": "300"})
    assert "definitions in wegweiser.analysis.kpis." in res.stdout
    assert ":mod:" not in res.stdout
