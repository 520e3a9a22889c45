"""Opening a store another process holds: wait, tell, then give up with StoreBusy."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from wegweiser.errors import StoreBusy
from wegweiser.store.engine import Engine

if TYPE_CHECKING:
    from pathlib import Path

HOLD = (
    "import sys, time, duckdb\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('held', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
)
HOLD_UNTIL_TOLD = (
    "import sys, duckdb\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('held', flush=True)\n"
    "sys.stdin.readline()\n"
)


def hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    process.stdout.close()
    return process


def test_waits_until_the_other_process_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Engine(path).close()
    holder = hold(path, 1.0)
    told: list[tuple[str, float]] = []
    started = time.monotonic()
    with Engine(path, wait_seconds=30, on_wait=lambda who, s: told.append((who, s))) as engine:
        assert engine.scalar("SELECT 42") == 42
    assert time.monotonic() - started >= 0.5
    assert len(told) == 1
    assert str(holder.pid) in told[0][0]
    holder.wait()


def test_gives_up_with_store_busy_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Engine(path).close()
    holder = hold(path, 5.0)
    try:
        with pytest.raises(StoreBusy, match=str(holder.pid)):
            Engine(path, wait_seconds=0.2)
    finally:
        holder.kill()
        holder.wait()


def test_cli_waits_for_the_store_and_says_so(tmp_path: Path) -> None:
    from wegweiser import Project

    Project.init(tmp_path / "p").close()
    # the holder lets go only once the command has said it waits, however slowly it starts
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_UNTIL_TOLD, str(tmp_path / "p" / "wegweiser.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdin is not None
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    holder.stdout.close()
    command = subprocess.Popen(
        [sys.executable, "-m", "wegweiser.cli", "stats", "--project", str(tmp_path / "p")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert command.stderr is not None
    told = ""
    try:
        while "waiting" not in told:
            line = command.stderr.readline()
            assert line, f"the command ended without saying it waits: {told!r}"
            told += line
    finally:
        holder.stdin.write("go\n")
        holder.stdin.close()
        holder.wait(timeout=60)
    _out, rest = command.communicate(timeout=120)
    assert command.returncode == 0, told + rest
    assert "in use by process" in told
