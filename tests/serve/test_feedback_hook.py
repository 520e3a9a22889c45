"""The survey webhook against a real server: mapping, write key, stored as feedback."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import httpx
import pytest

import wegweiser
from tests.serve.conftest import WRITE_KEY, auth_env, start_server
from tests.serve.test_collector import basic, wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.serve.conftest import LiveServer

HOOK = """
[feedback.webhooks.typeform]
user_id = "hidden.user"
timestamp = "submitted_at"
score = "answers.nps"
text = "answers.why"
touchpoint = "hidden.about"
kind = "'nps'"
"""


@pytest.fixture(scope="module")
def server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("hook")
    project = folder / "project"
    shutil.copytree(demo_template, project)
    with (project / "wegweiser.toml").open("a", encoding="utf-8") as fh:
        fh.write(HOOK)
    live = start_server(project, folder / "server.log", **auth_env())
    yield live
    live.stop()


def answer(user: str, nps: object, why: str) -> dict[str, object]:
    return {
        "submitted_at": "2026-05-04T10:11:12Z",
        "hidden": {"user": user, "about": "checkout_payment"},
        "answers": {"nps": nps, "why": why},
    }


@pytest.mark.slow
def test_answers_are_stored_as_feedback_and_bad_ones_named(server):
    body = [
        answer("hook-u1", 2, "Zahlung auf dem Handy fehlgeschlagen"),
        answer("hook-u2", 12, "too high"),
    ]
    res = httpx.post(f"{server.url}/v1/feedback/typeform", json=body, headers=basic(), timeout=30)
    assert res.status_code == 200, res.text
    got = res.json()
    assert got["accepted"] == 1
    assert got["rejected"] == [{"index": 1, "error": "nps score 12 is outside 0-10"}]

    def stored():
        with wegweiser.open_project(server.project) as p:
            rows = p.analyse("verbatims", contains="Handy fehlgeschlagen").verbatims
        return rows[rows.person_id == "hook-u1"].to_dict("records")

    rows = wait_for(stored, timeout=60)
    assert [(r["kind"], r["score"], r["touchpoint"]) for r in rows] == [
        ("nps", 2.0, "checkout_payment")
    ]


def test_unknown_source_and_missing_key(server):
    res = httpx.post(f"{server.url}/v1/feedback/typefrom", json={}, headers=basic(), timeout=30)
    assert res.status_code == 404
    assert "Did you mean 'typeform'?" in res.text
    res = httpx.post(f"{server.url}/v1/feedback/typeform", json={}, timeout=30)
    assert res.status_code == 401
    assert WRITE_KEY not in res.text
