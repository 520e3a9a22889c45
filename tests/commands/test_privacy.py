"""``wegweiser privacy``, ``suppress`` and ``retention`` in process (CliRunner), on a real
project: export as JSON and as a zip, erase with --yes only, a batch, the suppression list,
the retention policy."""

from __future__ import annotations

import json
import zipfile

from typer.testing import CliRunner

import wegweiser
from tests.privacy.seed import ANA_EMAIL, ANA_EVENTS, ANA_IDS, OTHERS, ana_and_others, scan
from wegweiser.cli import app
from wegweiser.errors import WegweiserError

runner = CliRunner()


def wg(*args: str) -> tuple[int, str]:
    """Exit code and output; an error as `wegweiser` shows it (its exit code, its text)."""
    res = runner.invoke(app, list(args))
    if isinstance(res.exception, WegweiserError):
        return res.exception.exit_code, str(res.exception)
    return res.exit_code, res.stdout


def test_privacy_commands(tmp_path):
    folder = tmp_path / "p"
    with wegweiser.Project.init(folder) as project:
        project.import_events(ana_and_others())
    p = ["--project", str(folder)]
    code, text = wg("privacy", "export", ANA_IDS[1], *p)
    assert code == 0, text
    assert len(json.loads(text)["tables"]["events"]) == ANA_EVENTS
    target = tmp_path / "ana.zip"
    code, _ = wg("privacy", "export", ANA_EMAIL, "--format", "csv", "--out", str(target), *p)
    assert code == 0
    assert "events.csv" in zipfile.ZipFile(target).namelist()
    code, text = wg("privacy", "erase", ANA_IDS[0], *p)
    assert code == 2
    assert "--yes" in text
    code, text = wg("privacy", "erase", ANA_IDS[0], "--yes", "--format", "json", *p)
    assert code == 0, text
    assert json.loads(text)[0]["events"] == ANA_EVENTS
    assert scan(folder) == []
    code, text = wg("privacy", "records", "--format", "json", *p)
    assert [r["kind"] for r in json.loads(text)] == ["export", "export", "erase", "erase"]
    assert json.loads(text)[0]["actor"].startswith("cli:")
    # the suppression list: three ids and her address from the erasure, one added by hand
    code, text = wg("suppress", "add", OTHERS[1], *p)
    assert code == 0
    code, text = wg("suppress", "list", "--format", "json", *p)
    assert len(json.loads(text)) == 5
    assert OTHERS[1] not in text
    code, text = wg("suppress", "remove", OTHERS[1], *p)
    assert "1 removed, 4 on the list" in text
    code, text = wg("suppress", "remove", "never-there", *p)
    assert code == 2
    # a batch: Bob by CSV
    batch = tmp_path / "ids.csv"
    batch.write_text(f"user_id\n{OTHERS[0]}\n", encoding="utf-8")
    code, text = wg("privacy", "anonymise", "--batch", str(batch), "--yes", *p)
    assert code == 0, text
    with wegweiser.open_project(folder) as project:
        assert project.event_count() == 10
        assert project.person_of(OTHERS[0]) is None


def test_retention_commands(tmp_path):
    folder = tmp_path / "p"
    with wegweiser.Project.init(folder) as project:
        project.import_events(ana_and_others())
    p = ["--project", str(folder)]
    code, text = wg("privacy", "retention", "apply", "--format", "json", *p)
    assert code == 0
    assert json.loads(text)["events_deleted"] == 0
    with (folder / "wegweiser.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[retention]\nevents_days = 30\n")
    code, text = wg("privacy", "retention", "apply", "--format", "json", *p)
    assert code == 0, text
    assert json.loads(text)["events_deleted"] == 20  # all seeded in March 2026
    assert scan(folder, (ANA_IDS[0], OTHERS[0])) == []
