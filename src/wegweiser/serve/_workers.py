"""The query pool: analyses run in worker processes, a bounded number at a time, with a
time limit.

A query (an API analysis, the numbers of a dashboard page) is a function
``fn(project, *args)``. :meth:`QueryPool.run` hands it to one of ``server.query_workers``
worker processes (``python -m wegweiser.serve._workers``, niced like the import process), which
opens the project on the newest read-only snapshot of the store and sends back the result.
Processes rather than threads, because only a process can be stopped in the middle of any
work (a DuckDB query, a NumPy bootstrap, a Spark job whose driver it is) and because a busy
process does not take the server's GIL from the collector.

* All workers busy for ``server.query_queue_seconds``: :class:`PoolBusy` (503, Retry-After).
* A query running longer than ``server.query_seconds``: the worker is killed (its DuckDB
  query, NumPy loop or local Spark driver with it) and started again;
  :class:`QueryTimeout` (504).
* A worker that dies (the out-of-memory killer): :class:`WorkerDied` (503); it is started
  again for the next query.

The protocol: pickled frames over the worker's stdin/stdout
(:class:`multiprocessing.connection.Connection`); first the worker says ``"ready"``, then one
answer per job, ``("ok", value)`` or ``("error", exception)``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from wegweiser.errors import StoreBusy, WegweiserError

log = logging.getLogger("wegweiser.serve")

NICENESS = 15  # below the import process (10): collected events go in first
START_SECONDS = 60.0


class PoolBusy(StoreBusy):
    """Every query worker stayed busy past ``server.query_queue_seconds``."""


class QueryTimeout(WegweiserError):
    """A query ran past ``server.query_seconds`` and was stopped."""


class WorkerDied(StoreBusy):
    """The worker process running a query ended (killed, out of memory)."""


@dataclass(frozen=True)
class Job:
    """What a worker runs: ``fn(project, *args)`` on ``project_dir``, reading ``snapshot``
    (None: the store itself, waiting up to ``wait_seconds`` for it)."""

    project_dir: str
    snapshot: str | None
    wait_seconds: float
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Worker:
    process: subprocess.Popen[bytes] | None = None
    send: Connection | None = None
    recv: Connection | None = None
    #: held while the worker starts or runs a job
    lock: threading.Lock = field(default_factory=threading.Lock)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wegweiser.serve._workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.send = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.recv = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        if not self.recv.poll(START_SECONDS) or self.recv.recv() != "ready":
            self.kill()
            raise WorkerDied("A query worker did not start; the server log has details.")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        for conn in (self.send, self.recv):
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
        self.process = self.send = self.recv = None


@dataclass
class PoolStats:
    queries: int = 0
    busy: int = 0
    timeouts: int = 0
    deaths: int = 0
    running: int = 0
    waits: list[float] = field(default_factory=list)


class QueryPool:
    """``size`` worker processes; :meth:`run` is called from request threads."""

    def __init__(self, size: int, *, seconds: float, queue_seconds: float) -> None:
        self.size = size
        self.seconds = seconds
        self.queue_seconds = queue_seconds
        self.stats = PoolStats()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._workers = [_Worker() for _ in range(size)]
        for worker in self._workers:
            self._idle.put(worker)
        self._lock = threading.Lock()
        self._closed = False

    def warm(self) -> None:
        """Start the workers in the background, so the first queries do not wait for them."""

        for worker in self._workers:
            self._start_soon(worker)

    def _start_soon(self, worker: _Worker) -> None:
        """Start ``worker`` in a thread; a job that takes it meanwhile waits for the start."""

        def start() -> None:
            with worker.lock:
                if worker.alive() or self._closed:
                    return
                try:
                    worker.kill()
                    worker.start()
                except (WegweiserError, OSError):
                    log.warning("a query worker could not be started", exc_info=True)

        threading.Thread(target=start, name="wegweiser-worker-start", daemon=True).start()

    def run(self, job: Job) -> Any:
        """Run ``job`` in a worker and return its value (or raise its error)."""
        try:
            worker = self._idle.get(timeout=self.queue_seconds)
        except queue.Empty:
            raise self._busy("are busy") from None
        # an idle worker's lock is held only while it (re)starts: wait for that
        if not worker.lock.acquire(timeout=START_SECONDS):
            self._idle.put(worker)
            raise self._busy("are starting")
        with self._lock:
            self.stats.queries += 1
            self.stats.running += 1
        try:
            return self._run_on(worker, job)
        finally:
            worker.lock.release()
            with self._lock:
                self.stats.running -= 1
            self._idle.put(worker)

    def _busy(self, why: str) -> PoolBusy:
        with self._lock:
            self.stats.busy += 1
        return PoolBusy(
            f"All {self.size} query workers {why} (server.query_workers); retry in a few seconds."
        )

    def _run_on(self, worker: _Worker, job: Job) -> Any:
        if not worker.alive():
            worker.kill()  # forget the dead one's pipes
            worker.start()
        assert worker.send is not None
        assert worker.recv is not None
        started = time.monotonic()
        try:
            worker.send.send(job)
            finished = worker.recv.poll(self.seconds)
            answer = worker.recv.recv() if finished else None
        except (EOFError, OSError) as exc:
            code = worker.process.poll() if worker.process is not None else None
            worker.kill()
            self._start_soon(worker)
            with self._lock:
                self.stats.deaths += 1
            log.warning(
                "a query worker ended while running %s (exit code %s)",
                getattr(job.fn, "__name__", job.fn),
                code,
            )
            raise WorkerDied(
                f"The process running this query ended (exit code {code}; out of memory?). "
                "It has been restarted; retry, or ask for less (a shorter date range)."
            ) from exc
        if answer is None:
            worker.kill()  # the only way to stop it wherever it is
            self._start_soon(worker)
            with self._lock:
                self.stats.timeouts += 1
            log.warning(
                "query %s stopped after %.0f s (server.query_seconds)",
                getattr(job.fn, "__name__", job.fn),
                time.monotonic() - started,
            )
            raise QueryTimeout(
                f"The query took longer than server.query_seconds = {self.seconds:g} s and was "
                "stopped. Ask for less (a shorter date range, fewer models or bootstrap "
                "samples), or raise server.query_seconds."
            )
        kind, value = answer
        if kind == "error":
            raise value
        return value

    def close(self) -> None:
        self._closed = True
        for worker in self._workers:
            worker.kill()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "workers": self.size,
                "running": self.stats.running,
                "queries": self.stats.queries,
                "refused_busy": self.stats.busy,
                "timeouts": self.stats.timeouts,
                "worker_deaths": self.stats.deaths,
                "query_seconds": self.seconds,
            }


# -- the worker's side ------------------------------------------------------------------------
def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a :class:`WegweiserError` with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return WegweiserError(f"{type(exc).__name__}: {exc}")
    return exc


class _Opened:
    """The project a worker keeps open on the newest snapshot between jobs."""

    def __init__(self) -> None:
        self.key: tuple[str, str] | None = None
        self.project: Any = None

    def get(self, job: Job) -> Any:
        from wegweiser.project import Project

        if job.snapshot is None:  # the store itself: opened for this job only
            self.close()
            return Project(job.project_dir, wait_seconds=job.wait_seconds)
        snapshot = Path(job.snapshot)
        if not snapshot.exists():  # replaced by two newer ones since the server looked
            found = sorted(snapshot.parent.glob("store-*.duckdb"))
            snapshot = found[-1] if found else snapshot
        key = (job.project_dir, str(snapshot))
        if key != self.key:
            self.close()
            self.project = Project(Path(job.project_dir), snapshot=snapshot)
            self.key = key
        return self.project

    def close(self) -> None:
        if self.project is not None:
            with contextlib.suppress(Exception):
                self.project.close()
        self.project, self.key = None, None


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when we stop
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)  # answering the collector comes first
    recv = Connection(os.dup(0), writable=False)
    send = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # stray prints (Python or C) must not break the protocol
    sys.stdout = sys.stderr
    import wegweiser.project  # noqa: F401  (the imports take seconds: before "ready")

    opened = _Opened()
    send.send("ready")
    while True:
        try:
            job: Job = recv.recv()
        except EOFError:
            break
        try:
            project = opened.get(job)
            try:
                value = job.fn(project, *job.args, **job.kwargs)
            finally:
                if job.snapshot is None:
                    project.close()
            answer: tuple[str, Any] = ("ok", value)
        except Exception as exc:
            answer = ("error", _portable(exc))
        try:
            send.send(answer)
        except Exception as exc:  # a value that cannot be pickled
            send.send(("error", WegweiserError(f"cannot send the result: {exc}")))
    opened.close()


if __name__ == "__main__":
    main()
