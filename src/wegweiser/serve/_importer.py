"""The collector's import process: spool segments into the store, away from the event loop.

``wegweiser serve`` starts ``python -m wegweiser.serve._importer`` once and talks to it over
pipes, one JSON line per job and per answer. In a process of its own the import neither holds
the server's GIL nor competes with the event loop at the same priority: it runs niced, so
under a burst answering requests comes first, the spool absorbs the difference and the import
catches up when the load drops. It ends when the server closes its stdin (or dies).

A job: ``{"project": dir, "jobs": [[path, source name, lines], ...], "wait": s, "budget": s}``.
An answer: ``{"done": [[source name, events imported, error or null], ...], "busy": msg}``.
:class:`ImportProcess` is the server's side of these pipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from typing import Any

import orjson

from wegweiser.errors import StoreBusy, WegweiserError
from wegweiser.project import Project

log = logging.getLogger("wegweiser.serve")

NICENESS = 10

Done = list[tuple[str, int, str | None]]


def import_segments(
    project_dir: str, jobs: list[tuple[str, str, int]], *, wait_seconds: float, budget: float
) -> tuple[Done, str | None]:
    """Import spool segments (path, source name, lines) in one store session, until
    ``budget`` seconds are used up.

    Returns, per segment tried, (source name, events imported, error or None), and a message
    if the store could not be opened (busy: held by the CLI longer than ``wait_seconds``).
    """
    done: Done = []
    try:
        with Project(project_dir, wait_seconds=wait_seconds) as project:
            started = time.monotonic()
            for path, name, _lines in jobs:
                try:
                    summary = project.import_segment(path, source_name=name)
                except StoreBusy:
                    raise
                except Exception as exc:
                    log.exception("cannot import %s", name)
                    done.append((name, 0, f"{type(exc).__name__}: {exc}"))
                else:
                    done.append((name, summary.imported if summary is not None else 0, None))
                if time.monotonic() - started > budget:
                    break  # let the CLI and the API have the store; the rest comes next
    except WegweiserError as exc:  # StoreBusy, or a project that cannot be opened now
        return done, str(exc)
    return done, None


class ImportProcess:
    """``python -m wegweiser.serve._importer``, started when the collector is first used."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Task[asyncio.subprocess.Process] | None = None

    def warm(self) -> None:
        """Start the process in the background (its imports take a few seconds), so that
        the first flush does not wait for it."""
        if self.process is None and self._starting is None:
            self._starting = asyncio.create_task(self._spawn(), name="wegweiser-importer")

    async def _spawn(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wegweiser.serve._importer",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 24,  # answers list every segment of a long backlog
        )

    async def run(self, job: dict[str, Any]) -> tuple[Done, str | None]:
        """Send one job; returns (per segment: name, imported, error) and a busy message."""
        if self.process is None or self.process.returncode is not None:
            self.warm()
            assert self._starting is not None
            try:
                self.process = await self._starting
            finally:
                self._starting = None
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        try:
            self.process.stdin.write(orjson.dumps(job) + b"\n")
            await self.process.stdin.drain()
            answer = await self.process.stdout.readline()
        except (ConnectionError, BrokenPipeError):
            answer = b""
        if not answer:
            code = await self.process.wait()
            self.process = None  # a new one next time
            raise RuntimeError(f"the import process ended (exit code {code}); starting a new one")
        result = orjson.loads(answer)
        return [tuple(d) for d in result["done"]], result["busy"]

    async def close(self) -> None:
        if self._starting is not None:
            self.process = await self._starting
            self._starting = None
        if self.process is not None and self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            await self.process.wait()
        self.process = None


def main() -> None:
    # Ctrl-C in a terminal reaches the whole process group: the server decides when we stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)  # DuckDB's threads inherit it
    answers, sys.stdout = sys.stdout, sys.stderr  # stray prints must not break the protocol
    for line in sys.stdin:
        job = json.loads(line)
        done, busy = import_segments(
            job["project"],
            [tuple(j) for j in job["jobs"]],
            wait_seconds=job["wait"],
            budget=job["budget"],
        )
        answers.write(json.dumps({"done": done, "busy": busy}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
