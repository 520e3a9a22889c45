"""A real ``wegweiser serve`` (uvicorn) on loopback, as a subprocess, over a demo project.

``live_server(project, **env)`` starts one and waits until ``/healthz`` answers;
``server.stop()`` ends it gracefully, ``server.kill()`` with SIGKILL (crash tests).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from wegweiser import Project
from wegweiser.analysis.fixes import Fix
from wegweiser.events.demo import generate
from wegweiser.serve.auth import hash_password

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

WRITE_KEY = "wk_test_key"
API_TOKEN = "at_test_token"
USER, PASSWORD = "ana", "geheim-123"
ARTIFACTS = Path(os.environ.get("WEGWEISER_ARTIFACTS", "test-artifacts"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    project: Path
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(
    project: Path, log: Path, *extra: str, port: int | None = None, **env: str
) -> LiveServer:
    """``wegweiser serve`` (with ``extra`` arguments) on ``port`` (default: a free one),
    once it answers."""
    port = port or free_port()
    full_env = {**os.environ, "WEGWEISER_SECRET_KEY": "test-secret", **env}
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "wegweiser.cli", "serve", "--project", str(project),
             "--port", str(port), *extra],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
    url = f"http://127.0.0.1:{port}"
    server = LiveServer(url, project, process, log, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"server did not come up:\n{server.output()}")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Factory: ``live_server(project, **env)``; every server is stopped after the test."""
    started: list[LiveServer] = []

    def start(project: Path, **env: str) -> LiveServer:
        server = start_server(project, tmp_path / f"server-{len(started)}.log", **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def auth_env() -> dict[str, str]:
    """Environment giving the server one write key, one API token and one user."""
    return {
        "WEGWEISER_WRITE_KEYS": WRITE_KEY,
        "WEGWEISER_API_TOKENS": API_TOKEN,
        "WEGWEISER_USERS": f"{USER}:{hash_password(PASSWORD, salt=b'fixed-test-salt!')}",
    }


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo project (800 persons, 60 days) with one watched fix, built once per test
    session."""
    folder = tmp_path_factory.mktemp("demo-template") / "project"
    data = generate(800, seed=3, days=60)
    with Project.init(folder, name="Demo") as project:
        project.import_events(data.events)
        project.replace_costs(data.costs)
        project.save_fix(Fix(name="demo-pay", date="2026-10-16", touchpoint="mobile payment",
                             where=["event=checkout_payment", "device=mobile"]))
        project.journey()
    return folder


@pytest.fixture
def demo_project(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the small demo project for one test."""
    target = tmp_path / "project"
    shutil.copytree(demo_template, target)
    return target


@contextlib.contextmanager
def logged_in(base_url: str) -> Iterator[httpx.Client]:
    """An ``httpx.Client`` logged in as ``USER`` through the dashboard's ``/login`` form
    (session cookie); skips the test when the dashboard has no log-in page."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        page = client.get("/login")
        if page.status_code == 404:
            pytest.skip("the dashboard has no /login route")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None, page.text
        done = client.post("/login", data={"csrf": csrf.group(1), "username": USER,
                                           "password": PASSWORD, "next": "/"})
        assert done.status_code == 303, done.text
        yield client


def set_server(project: Path, **values: object) -> None:
    """Set keys of ``[server]`` in the project's ``wegweiser.toml`` (kept valid)."""
    import tomlkit

    from wegweiser.config import parse_config

    path = project / "wegweiser.toml"
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    if "server" not in document:
        document["server"] = tomlkit.table()
    for key, value in values.items():
        document["server"][key] = value
    text = tomlkit.dumps(document)
    parse_config(text)
    path.write_text(text, encoding="utf-8")


def raw_exchange(url: str, data: bytes, *, timeout: float = 30.0) -> bytes:
    """Send ``data`` on a fresh socket to the server of ``url``; everything it answers
    until it closes the connection (or ``timeout``)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
