"""What every benchmark step shares: memory figures, running a step, competitor venvs.

Standard library only: the ``_*_ops.py`` scripts import it from the competitors' own
virtual environments too (their folder is on ``sys.path`` when run as scripts).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def peak_rss_mib() -> int:
    """This process's peak resident memory (Linux keeps it across fork/exec)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def current_rss_mib() -> int:
    """This process's resident memory now, -1 where /proc is missing."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return round(pages * resource.getpagesize() / 2**20)
    except OSError:
        return -1


def json_line(cmd: list[str], *, env: dict[str, str] | None = None,
              timeout: float | None = None) -> dict[str, Any]:
    """Run a step and parse the JSON line it prints last; errors as ``{"error": ...}``."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                             check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {out.returncode}: {tail}"}
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"error": f"no JSON result: {lines[-1][:200]}"}
    return result


def venv_env(**extra: str) -> dict[str, str]:
    """The environment for a competitor's venv: ours without VIRTUAL_ENV/PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(extra)
    return env


def create_venv(venv: Path, *, shown_as: str) -> None:
    """A fresh virtual environment at ``venv`` with the machine's Python 3.11 (or python3)."""
    base = shutil.which("python3.11") or shutil.which("python3") or sys.executable
    print(f"  creating {shown_as} with {base}", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)


def run_standalone(doc: str, add_arguments: Any, main_from_args: Any) -> None:
    """``python benchmarks/bench_X.py ...``: the options of one benchmark plus ``--work`` and
    ``--record``, run as ``run.py`` would run it."""
    import argparse

    import _trees
    from run import machine

    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=here / "data")
    parser.add_argument("--record", action="store_true", help="append to RESULTS.md")
    add_arguments(parser)
    _trees.add_arguments(parser)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    main_from_args(args, machine())
