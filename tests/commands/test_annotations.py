"""``wegweiser annotations`` (in process, on a real project folder) and the file it keeps."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from wegweiser.analysis.annotations import Annotation, from_toml, gather
from wegweiser.cli import app
from wegweiser.errors import InvalidInput
from wegweiser.project import Project


def said(result) -> str:
    """What a failed command says (the error boundary of ``cli.main`` prints the error)."""
    return result.output + str(result.exception or "")


def test_add_list_delete(tmp_path):
    Project.init(tmp_path / "p").close()
    where = str(tmp_path / "p")
    cli = CliRunner()
    done = cli.invoke(app, ["annotations", "add", "2026-10-01", "Autumn campaign", "--kind",
                            "campaign", "-p", where])
    assert done.exit_code == 0, done.output
    done = cli.invoke(app, ["annotations", "add", "2026-09-03", "Checkout fix", "--kind", "fix",
                            "-p", where])
    assert done.exit_code == 0, done.output
    again = cli.invoke(app, ["annotations", "add", "2026-10-01", "Autumn campaign", "--kind",
                             "campaign", "-p", where])
    assert again.exit_code != 0
    assert "already" in said(again)
    bad = cli.invoke(app, ["annotations", "add", "2026-13-01", "x", "-p", where])
    assert bad.exit_code != 0
    assert "date" in said(bad)
    listed = cli.invoke(app, ["annotations", "list", "-f", "json", "-p", where])
    assert [(r["date"], r["text"], r["kind"]) for r in json.loads(listed.output)] == [
        ("2026-09-03", "Checkout fix", "fix"), ("2026-10-01", "Autumn campaign", "campaign")]
    text = (tmp_path / "p" / "annotations.toml").read_text(encoding="utf-8")
    assert "[[annotation]]" in text
    assert "date = 2026-09-03" in text  # a TOML date, sorted
    gone = cli.invoke(app, ["annotations", "delete", "2026-09-03", "-p", where])
    assert gone.exit_code == 0, gone.output
    missing = cli.invoke(app, ["annotations", "delete", "2026-09-03", "-p", where])
    assert missing.exit_code != 0
    assert "Autumn campaign" in said(missing)  # says which there are
    with Project(tmp_path / "p") as project:
        assert [a.text for a in project.annotations()] == ["Autumn campaign"]


def test_a_broken_file_names_the_entry():
    with pytest.raises(InvalidInput, match="annotation 2: date"):
        from_toml('[[annotation]]\ndate = 2026-01-01\ntext = "a"\n'
                  '[[annotation]]\ndate = "soon"\ntext = "b"\n')
    with pytest.raises(InvalidInput, match="unknown key"):
        from_toml('[[note]]\ndate = 2026-01-01\n')
    with pytest.raises(InvalidInput, match="not valid TOML"):
        from_toml("[[annotation]\n")


def test_gather_merges_sources_once_each():
    fix = Annotation(date="2026-09-03", text="Checkout fix", kind="fix", source="fixes")
    same = Annotation(date="2026-09-03", text="Checkout fix", kind="fix")
    other = Annotation(date="2026-08-01", text="Launch")
    merged = gather([same], [fix, other])
    assert [(a.text, a.source) for a in merged] == [("Launch", "file"), ("Checkout fix", "file")]
