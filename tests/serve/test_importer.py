"""The import process's supervisor (:class:`wegweiser.serve._importer.ImportProcess`)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import TYPE_CHECKING

import pytest

from wegweiser import Project
from wegweiser.serve._importer import ImportDied, ImportProcess

if TYPE_CHECKING:
    from pathlib import Path


def job(project: Path) -> dict[str, object]:
    return {"project": str(project), "jobs": [], "wait": 5, "budget": 5, "snapshot": None}


def test_a_killed_import_process_is_started_again_with_backoff(tmp_path: Path) -> None:
    """Killed while idle and reaped before the next job (what the out-of-memory killer does,
    and what Python >= 3.12's pidfd child watcher reports at once): the next job used to
    fail with an AssertionError forever; now it gets a new process, after a pause that grows
    while the process keeps dying."""
    Project.init(tmp_path / "p").close()

    async def scenario() -> None:
        importer = ImportProcess()
        try:
            answer = await importer.run(job(tmp_path / "p"))
            assert answer.busy is None
            pids = []
            for kills in (1, 2, 3):
                process = importer.process
                assert process is not None
                pids.append(process.pid)
                os.kill(process.pid, signal.SIGKILL)
                await process.wait()  # the returncode is known before the next job
                assert not importer.alive
                started = time.monotonic()
                answer = await importer.run(job(tmp_path / "p"))
                assert answer.busy is None
                assert time.monotonic() - started < 60
                status = importer.status()
                assert status["alive"]
                assert status["restarts"] == kills
                assert status["deaths_in_a_row"] == 0  # an answer resets the backoff
            assert len(set(pids)) == 3
            # a process that keeps dying before it answers is started again ever later
            process = importer.process
            assert process is not None
            os.kill(process.pid, signal.SIGKILL)
            await process.wait()
            importer.deaths = 2  # two deaths in a row already
            with pytest.raises(ImportDied, match=r"3 time\(s\) in a row .* again in [01]\.[0-9] s"):
                await importer.run(job(tmp_path / "p"))
            assert importer.status()["deaths_in_a_row"] == 3
            await asyncio.sleep(importer.restart_in() + 0.05)
            assert (await importer.run(job(tmp_path / "p"))).busy is None
        finally:
            await importer.close()

    asyncio.run(scenario())
