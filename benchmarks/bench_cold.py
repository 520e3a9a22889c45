"""Cold analysis commands: ``wegweiser <command>`` in a fresh process on an existing project.

Cold = a new Python process (imports, project open, the analysis, printing the table) with
the OS file cache warm. Each command runs ``--pairs`` times per side; with ``--before SRC``
(another source tree, e.g. main's ``src/`` unpacked by ``git archive main src | tar -x -C
/tmp/before``) the two sides alternate A B, B A, ... on the same machine state. Wall seconds
and CPU seconds (user + system of the child, every thread: ``getrusage(RUSAGE_CHILDREN)``)
are medians::

    python benchmarks/bench_cold.py --project /tmp/bench/wegweiser-demo --pairs 3 \\
        --before /tmp/before/src

The project is any project, e.g. the 1M-event demo (``wegweiser demo -p DIR``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: the commands measured, as typed after ``wegweiser`` (the project is added)
COMMANDS: dict[str, list[str]] = {
    "funnel": [
        "funnel",
        "--steps",
        "checkout_started,checkout_payment,order_completed",
        "--breakdown",
        "device",
    ],
    "stats": ["stats"],
    "paths": ["paths"],
    "phases": ["phases", "--view", "transitions"],
    "sessions": ["sessions"],
    "retention": ["retention"],
    "attribution": ["attribution"],
    "conversion": ["conversion"],
}


def run_once(args: list[str], src: Path | None) -> tuple[float, float]:
    """(wall, CPU) seconds of ``python -m wegweiser.cli ARGS`` with ``src`` first on the
    path (None: the installed package)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"wegweiser {' '.join(args)} failed ({src}): {done.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="source tree of the 'before' side (its src/ folder)",
    )
    parser.add_argument(
        "--after",
        type=Path,
        default=None,
        help="source tree of the 'after' side (default: the installed one)",
    )
    parser.add_argument(
        "--commands", default=",".join(COMMANDS), help=f"comma list of: {', '.join(COMMANDS)}"
    )
    args = parser.parse_args()
    sides: list[tuple[str, Path | None]] = [("after", args.after)]
    if args.before is not None:
        sides.insert(0, ("before", args.before))
    print(f"load {load():.1f}", flush=True)
    rows = []
    for name in args.commands.split(","):
        command = [*COMMANDS[name], "--project", str(args.project)]
        run_once(command, sides[-1][1])  # the OS cache warm for this command's files
        times: dict[str, list[tuple[float, float]]] = {side: [] for side, _ in sides}
        for i in range(args.pairs):
            order = sides if i % 2 == 0 else sides[::-1]
            for side, src in order:
                times[side].append(run_once(command, src))
        cells = []
        for side, _ in sides:
            wall = statistics.median(w for w, _ in times[side])
            cpu = statistics.median(c for _, c in times[side])
            every = " / ".join(f"{w:.2f}" for w, _ in times[side])
            cells.append(f"{wall:.2f} s ({cpu:.2f} s CPU; {every})")
        row = f"| {name} | " + " | ".join(cells) + f" | {load():.1f} |"
        rows.append(row)
        print(row, flush=True)
    header = " | ".join(f"{side}: median wall (CPU; every run)" for side, _ in sides)
    print(f"\n| command | {header} | load |")
    print("|---|" + "---:|" * len(sides) + "---:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
