"""The server's shared parts: start-up, health, error shape, store sharing with the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from tests.serve.conftest import auth_env

if TYPE_CHECKING:
    from pathlib import Path


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_health_and_error_shape(demo_project: Path, live_server) -> None:
    server = live_server(demo_project, **auth_env())
    status, body = get(server.url + "/healthz")
    assert status == 200
    assert body["status"] == "ok"
    status, body = get(server.url + "/nowhere")
    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert "/nowhere" in body["error"]["message"]


def test_cli_works_while_server_runs(demo_project: Path, live_server) -> None:
    live_server(demo_project, **auth_env())
    result = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "stats", "--project", str(demo_project),
         "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["events"] > 0
    assert "lock" not in result.stderr.lower()


def test_refuses_public_address_without_users(demo_project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "serve", "--project", str(demo_project),
         "--host", "0.0.0.0"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "localhost" in result.stderr
