"""Files with personal data are the owner's only (issue 13 item 7: "the store file and the
report are world-readable (0644)"): the store, the report, the collector's spool, the
journeys' state database, the session store and the server's secret key are created with
mode 600 (folders 700) even under a permissive umask; the command line also runs with
umask 077, so what DuckDB creates beside the store (its write-ahead log) is private too."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from wegweiser import Project

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


EVENTS = pd.DataFrame(
    {
        "type": ["track"],
        "event": ["order_completed"],
        "user_id": ["u1"],
        "timestamp": ["2026-10-01T10:00:00Z"],
    }
)


@pytest.mark.usefixtures("permissive_umask")
def test_store_and_report_are_private(tmp_path: Path) -> None:
    from wegweiser.project import STORE_FILE
    from wegweiser.report import write_report

    with Project.init(tmp_path / "p") as project:
        project.import_events(EVENTS)
        report = write_report(project, tmp_path / "out" / "report.html")
    assert private(tmp_path / "p" / STORE_FILE)
    assert private(report)


@pytest.mark.usefixtures("permissive_umask")
def test_spool_is_private(tmp_path: Path) -> None:
    from wegweiser.events.collect.spool import Spool

    async def run() -> None:
        spool = Spool(tmp_path / "spool")
        spool.open()
        await spool.write(b'{"a": 1}\n', 1)
        await spool.close()

    asyncio.run(run())
    folder = tmp_path / "spool"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    segments = [p for p in folder.rglob("*") if p.is_file()]
    assert segments
    assert all(private(p) for p in segments), [oct(p.stat().st_mode) for p in segments]


@pytest.mark.usefixtures("permissive_umask")
def test_journey_state_is_private(tmp_path: Path) -> None:
    from wegweiser.orchestrate._sqlite import SqliteStore

    store = SqliteStore(tmp_path / "state.sqlite")
    store.migrate()
    made = [p for p in tmp_path.iterdir() if p.name.startswith("state.sqlite")]
    assert any(p.name.endswith("-wal") for p in made)  # WAL journal exists while open
    assert all(private(p) for p in made), [(p.name, oct(p.stat().st_mode)) for p in made]
    store.close()


@pytest.mark.usefixtures("permissive_umask")
def test_server_secrets_and_sessions_are_private(tmp_path: Path) -> None:
    from wegweiser.serve.context import SECRET_FILE, session_secret
    from wegweiser.serve.sessions import SESSIONS_FILE, SessionStore

    session_secret(tmp_path, {})
    store = SessionStore(tmp_path / SESSIONS_FILE)
    store.save("x", {"user": "ana"})
    assert private(tmp_path / SECRET_FILE)
    assert all(private(p) for p in tmp_path.glob(SESSIONS_FILE + "*"))
    store.close()


def test_the_command_line_creates_private_files(tmp_path: Path) -> None:
    csv = tmp_path / "events.csv"
    EVENTS.to_csv(csv, index=False)
    project = tmp_path / "p"
    for args in (
        ["init", str(project)],
        ["import", str(csv), "--project", str(project)],
        ["report", "--project", str(project), "--out", str(tmp_path / "r.html")],
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import os, sys; os.umask(0o022); sys.argv[0] = 'wegweiser';"
                "from wegweiser.cli import main; main()",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    made = [p for p in [*project.rglob("*"), tmp_path / "r.html"] if p.is_file()]
    assert made
    assert all(private(p) for p in made), [(p.name, oct(p.stat().st_mode)) for p in made]
