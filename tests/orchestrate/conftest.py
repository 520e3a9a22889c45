"""Fixtures of the journey tests: a throwaway PostgreSQL cluster, state stores on SQLite
and PostgreSQL.

PostgreSQL comes from the machine (``/usr/lib/postgresql/*/bin``, Debian's package; CI
installs it). The cluster lives in a temporary folder, listens only on a Unix socket there,
and is stopped and removed after the session. ``initdb`` refuses to run as root, so as root
the cluster runs as ``nobody``. Without PostgreSQL the tests that need it are skipped,
unless ``WEGWEISER_REQUIRE_POSTGRES=1`` (CI), where they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(
        p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def pg_server():
    """``(socket folder, port)`` of a PostgreSQL cluster for this test session."""
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("WEGWEISER_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL (initdb, pg_ctl) not found; install the postgresql package")
        pytest.skip("PostgreSQL not installed (set WEGWEISER_REQUIRE_POSTGRES=1 to fail)")
    base = Path(tempfile.mkdtemp(prefix="wegweiser-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "nobody")
    data, port = base / "data", _free_port()
    subprocess.run(
        _as_owner([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                   "--no-sync", "-E", "UTF8"]),
        check=True, capture_output=True,
    )
    subprocess.run(
        _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w",
                   "-o", f"-p {port} -k {base} -c listen_addresses='' -c fsync=off "
                   "-c max_connections=200", "start"]),
        check=True, capture_output=True,
    )
    try:
        yield str(base), port
    finally:
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                  "stop"]), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty database on the session's cluster."""
    import psycopg

    host, port = pg_server
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"postgresql://postgres@/postgres?host={host}&port={port}",
                         autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # a generated name, not a user value
    return f"postgresql://postgres@/{name}?host={host}&port={port}"


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path):
    """A state store target on each database."""
    if request.param == "sqlite":
        return str(tmp_path / "journeys.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture(autouse=True)
def _close_runtimes():
    from tests.orchestrate.helpers import OPEN

    yield
    while OPEN:
        OPEN.pop().close()


@pytest.fixture
def hook():
    """A webhook / SMS gateway sink on loopback (:class:`tests.orchestrate.sinks.HookSink`)."""
    from tests.orchestrate.sinks import HookSink

    with HookSink() as sink:
        yield sink
