"""``wegweiser consent set``, ``wegweiser audit``, ``keys add --scope`` and ``hash-password
--role`` (in process, on a real project folder)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
from typer.testing import CliRunner

from wegweiser import audit
from wegweiser.cli import app
from wegweiser.config import load_config
from wegweiser.orchestrate.triggers import read_persons
from wegweiser.project import Project
from wegweiser.serve.auth import split_scope, verify_password
from wegweiser.serve.context import load_secrets


def said(result) -> str:
    return result.output + str(result.exception or "")


def test_consent_set_records_an_event_the_journeys_read(tmp_path):
    where = tmp_path / "p"
    with Project.init(where) as project:
        project.import_events(pd.DataFrame({
            "message_id": ["a"], "type": ["track"], "event": ["page_view"],
            "user_id": ["ann"], "timestamp": ["2026-06-01T00:00:00Z"]}))
    cli = CliRunner()
    done = cli.invoke(app, ["consent", "set", "ann", "--category", "Marketing=false",
                            "--category", "Analytics=yes", "-p", str(where)])
    assert done.exit_code == 0, said(done)
    with Project(where) as project:
        assert read_persons(project, ["ann"], [])["ann"].consent == {
            "Marketing": False, "Analytics": True}
    bad = cli.invoke(app, ["consent", "set", "ann", "--category", "Marketing", "-p", str(where)])
    assert bad.exit_code != 0
    assert "CATEGORY=true" in said(bad)
    unknown = cli.invoke(app, ["consent", "set", "bob", "--category", "Marketing=true",
                               "-p", str(where)])
    assert unknown.exit_code != 0
    assert "bob" in said(unknown)
    [entry] = audit.read(where, action="consent")
    assert (entry.target, entry.surface, entry.detail) == (
        "ann", "cli", {"Marketing": False, "Analytics": True})
    assert entry.actor.startswith("cli:")


def test_audit_filters(tmp_path):
    folder = tmp_path / "p"
    Project.init(folder).close()
    for day, actor, action in [(1, "ana", "login"), (2, "bo", "person_view"),
                               (3, "ana", "journey_pause"), (4, "ana", "journey_resume")]:
        audit.record(folder, actor=actor, action=action, target=f"t{day}",
                     at=datetime(2026, 12, day, 12, tzinfo=UTC))
    cli = CliRunner()

    def rows(*args: str) -> list[tuple[str, str]]:
        done = cli.invoke(app, ["audit", "-p", str(folder), "-f", "json", *args])
        assert done.exit_code == 0, said(done)
        return [(r["actor"], r["action"]) for r in json.loads(done.output)]

    assert len(rows()) == 4
    assert rows("--actor", "ana", "--action", "journey_*") == [
        ("ana", "journey_pause"), ("ana", "journey_resume")]
    assert rows("--since", "2026-12-02", "--until", "2026-12-04") == [
        ("bo", "person_view"), ("ana", "journey_pause")]
    assert rows("--limit", "1") == [("ana", "journey_resume")]
    typo = cli.invoke(app, ["audit", "-p", str(folder), "--action", "logn"])
    assert typo.exit_code != 0
    assert "did you mean 'login'" in said(typo)
    bad_day = cli.invoke(app, ["audit", "-p", str(folder), "--since", "yesterday"])
    assert bad_day.exit_code != 0
    assert "since" in said(bad_day)


def test_keys_with_scope_and_users_with_roles(tmp_path):
    folder = tmp_path / "p"
    Project.init(folder).close()
    cli = CliRunner()
    done = cli.invoke(app, ["keys", "add", "--kind", "api", "--scope", "admin", "-p",
                            str(folder)])
    assert done.exit_code == 0, said(done)
    token = done.stdout.strip().splitlines()[0]
    [entry] = load_config(folder).server.api_tokens
    assert split_scope(entry)[0] == "admin"
    assert token not in entry  # stored hashed
    listed = cli.invoke(app, ["keys", "list", "-p", str(folder)])
    assert "api:admin" in listed.output
    refused = cli.invoke(app, ["keys", "add", "--kind", "write", "--scope", "admin", "-p",
                               str(folder)])
    assert refused.exit_code != 0
    made = cli.invoke(app, ["hash-password", "--password", "geheim-123", "--user", "vic",
                            "--role", "viewer"])
    assert made.exit_code == 0, said(made)
    name, role, hashed = made.output.strip().split(":", 2)
    assert (name, role) == ("vic", "viewer")
    assert verify_password("geheim-123", hashed)
    secrets = load_secrets(load_config(folder), {"WEGWEISER_USERS": made.output.strip()})
    assert secrets.role("vic") == "viewer"
    assert [e.action for e in audit.read(folder)] == ["config_change"]
