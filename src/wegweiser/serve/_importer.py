"""The collector's import process: spool segments into the store, away from the event loop.

``wegweiser serve`` starts ``python -m wegweiser.serve._importer`` once and talks to it over
pipes, one JSON line per job and per answer. In a process of its own the import neither holds
the server's GIL nor competes with the event loop at the same priority: it runs niced, so
under a burst answering requests comes first, the spool absorbs the difference and the import
catches up when the load drops. It ends when the server closes its stdin (or dies).

A job: ``{"project": dir, "jobs": [[path, source name, lines], ...], "wait": s, "budget": s,
"snapshot": folder or null}``. An answer: ``{"done": [[source name, events imported, error or
null], ...], "busy": msg, "snapshot": [path, generation, store mtime ns, store size] or
null}``. With ``snapshot`` set, the import process writes a read snapshot of the store
(:mod:`wegweiser.store.snapshot`) into that folder after importing, in the same session.

:class:`ImportProcess` is the server's side of these pipes, and its supervisor: when the
process dies (killed, out of memory) the job it was running fails, and the next job starts a
new process, after a pause that doubles with each death in a row (``RESTART_DELAYS``) and is
forgotten once a process has answered. Nothing is lost meanwhile: a spool segment leaves the
spool only after the store committed it, and one the store already holds is recognised.
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
from dataclasses import dataclass
from typing import Any

import orjson

from wegweiser.errors import StoreBusy, WegweiserError
from wegweiser.privacy.retention import apply_if_due
from wegweiser.project import Project

log = logging.getLogger("wegweiser.serve")

NICENESS = 10

Done = list[tuple[str, int, str | None]]
#: seconds to wait before starting the import process again after its 1st, 2nd, ... death
RESTART_DELAYS = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


def import_segments(
    project_dir: str,
    jobs: list[tuple[str, str, int]],
    *,
    wait_seconds: float,
    budget: float,
    snapshot: str | None = None,
) -> tuple[Done, str | None, list[Any] | None]:
    """Import spool segments (path, source name, lines) in one store session, until
    ``budget`` seconds are used up; then write a snapshot into the folder ``snapshot``.

    Returns, per segment tried, (source name, events imported, error or None); a message if
    the store could not be opened (busy: held by the CLI longer than ``wait_seconds``); and
    the snapshot written (path, generation, store mtime, store size) or None.
    """
    done: Done = []
    written: list[Any] | None = None
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
            try:  # the retention policy, once a day (docs/privacy.md)
                apply_if_due(project, actor="server:retention")
            except StoreBusy:
                raise
            except Exception:
                log.exception("cannot apply the retention policy")
            try:  # the stored scores, every [scores] refit_days (docs/analyses.md)
                project.refit_scores_if_due()
            except StoreBusy:
                raise
            except Exception:
                log.exception("cannot refit the stored scores")
            copy = None
            if snapshot is not None and project.config.engine.kind != "spark":
                copy = project.copy_store(snapshot)
        # the store is closed: the CLI may have it while the snapshot's journey is built
        if copy is not None and snapshot is not None:
            made = Project.publish_snapshot(project_dir, copy, snapshot)
            written = [str(made.path), made.generation, made.source_mtime_ns, made.source_size]
    except WegweiserError as exc:  # StoreBusy, or a project that cannot be opened now
        return done, str(exc), written
    return done, None, written


@dataclass
class Answer:
    """What the import process did with one job."""

    done: Done
    busy: str | None
    snapshot: list[Any] | None


class ImportDied(RuntimeError):
    """The import process ended while it had a job (killed, out of memory)."""


class ImportProcess:
    """``python -m wegweiser.serve._importer``, started when the collector is first used and
    started again (with backoff) whenever it dies."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Task[asyncio.subprocess.Process] | None = None
        self.restarts = 0  # processes started after the first
        self.deaths = 0  # deaths in a row (reset by an answer)
        self.last_exit: int | None = None
        self.last_death: float | None = None  # time.monotonic()
        self.started = 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def restart_in(self) -> float:
        """Seconds until a new process may start (0: now)."""
        if not self.deaths or self.last_death is None:
            return 0.0
        delay = RESTART_DELAYS[min(self.deaths, len(RESTART_DELAYS)) - 1]
        return max(0.0, self.last_death + delay - time.monotonic())

    def warm(self) -> None:
        """Start the process in the background (its imports take a few seconds), so that
        the first flush does not wait for it; nothing while a restart is held back."""
        if self.alive or self._starting is not None or self.restart_in() > 0:
            return
        self._starting = asyncio.create_task(self._spawn(), name="wegweiser-importer")

    async def _spawn(self) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wegweiser.serve._importer",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 24,  # answers list every segment of a long backlog
        )
        if self.started:
            self.restarts += 1
            log.warning(
                "import process started again (pid %s, restart %d)", process.pid, self.restarts
            )
        self.started += 1
        return process

    async def _process(self) -> asyncio.subprocess.Process:
        """The running process; a new one if it died (after the backoff pause)."""
        if self.process is not None and self.process.returncode is not None:
            self._died(self.process.returncode)
        if self.process is None:
            wait = self.restart_in()
            if wait > 0:
                raise ImportDied(
                    f"the import process died {self.deaths} time(s) in a row (last exit code "
                    f"{self.last_exit}); starting it again in {wait:.1f} s"
                )
            self.warm()
            assert self._starting is not None
            try:
                self.process = await self._starting
            finally:
                self._starting = None
        return self.process

    def _died(self, code: int | None) -> None:
        self.process = None
        self.deaths += 1
        self.last_exit = code
        self.last_death = time.monotonic()
        log.warning("the import process ended (exit code %s); the spool keeps the events", code)

    async def run(self, job: dict[str, Any]) -> Answer:
        """Send one job and wait for its answer; raises :class:`ImportDied` when the process
        is (or goes) away."""
        process = await self._process()
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            process.stdin.write(orjson.dumps(job) + b"\n")
            await process.stdin.drain()
            answer = await process.stdout.readline()
        except (ConnectionError, BrokenPipeError):
            answer = b""
        if not answer:
            with contextlib.suppress(ProcessLookupError):
                process.kill()  # a stuck one, half gone
            code = await process.wait()
            self._died(code)
            raise ImportDied(
                f"the import process ended (exit code {code}) during an import; it is started again"
            )
        self.deaths = 0
        result = orjson.loads(answer)
        return Answer([tuple(d) for d in result["done"]], result["busy"], result.get("snapshot"))

    def status(self) -> dict[str, Any]:
        return {
            "alive": self.alive,
            "pid": self.process.pid if self.alive and self.process is not None else None,
            "restarts": self.restarts,
            "deaths_in_a_row": self.deaths,
            "last_exit_code": self.last_exit,
            "restart_in_seconds": round(self.restart_in(), 1),
        }

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
        done, busy, snapshot = import_segments(
            job["project"],
            [tuple(j) for j in job["jobs"]],
            wait_seconds=job["wait"],
            budget=job["budget"],
            snapshot=job.get("snapshot"),
        )
        answers.write(json.dumps({"done": done, "busy": busy, "snapshot": snapshot}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
