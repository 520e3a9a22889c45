"""A journey worker process for the chaos tests (started through a forkserver, killed with
SIGKILL at random moments)."""

from __future__ import annotations

from pathlib import Path

from wegweiser.orchestrate.assembly import open_runtime


def work(project_dir: str, state: str, worker_id: str, threads: int = 1) -> None:
    runtime = open_runtime(Path(project_dir), state=state, worker_id=worker_id)
    runtime.run(stop=lambda: False, poll_seconds=0.02, limit=8 * threads, threads=threads)
