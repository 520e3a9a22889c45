"""The analytics benchmark's operations, warm, in one process: CPU per call, the statements each
sends to DuckDB, and the cProfile entries where the time goes.

Opens PROJECT (a project of ``_wegweiser_ops.py prepare``), runs each OP as
``_wegweiser_ops.operation`` calls it once to warm, once more recording every statement sent
on the journey's connection (its count and the start of its text), ``--repeat`` times for the
median CPU (user + system of this process, all threads) and wall milliseconds per call, and
``--repeat`` times under cProfile (the top ``--top`` entries by cumulative time, and the total
number of Python function calls: a measure of the Python work that load does not blur). Run it
with ``PYTHONPATH`` set to another ``src/`` to profile that tree.

    python benchmarks/profile_ops.py /tmp/bench/analytics/project-ecom \\
        --ops step_matrix,sessions --steps catalog,product_view,add_to_cart,purchase
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

from _wegweiser_ops import OPS, operation


class _Recorder:
    """Stands in for the DuckDB connection: records what is sent, passes everything on."""

    SENT = ("sql", "execute", "query", "register", "table", "read_parquet")

    def __init__(self, con: Any) -> None:
        self._con, self.sent = con, []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._con, name)
        if name not in self.SENT:
            return attr

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.sent.append(f"{name}: {str(args[0]) if args else ''}")
            return attr(*args, **kwargs)

        return recorded


def profile(op: str, journey: Any, steps: list[str], repeat: int, top: int) -> str:
    operation(op, journey, steps)
    backend = journey.get_backend()
    recorder, real = _Recorder(backend.con), backend.con
    backend.con = recorder
    try:
        operation(op, journey, steps)
    finally:
        backend.con = real
    lines = [f"== {op}: {len(recorder.sent)} statement(s)"]
    lines += [f"  {text[:200]}" for text in recorder.sent]
    cpu, wall = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        operation(op, journey, steps)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    lines.append(f"  median per call: cpu {1000 * statistics.median(cpu):.1f} ms, "
                 f"wall {1000 * statistics.median(wall):.1f} ms")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        operation(op, journey, steps)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    lines.append(out.getvalue())
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--ops", default=",".join(OPS))
    parser.add_argument("--steps", default="", help="funnel steps, comma-separated")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    import wegweiser

    steps = [s for s in args.steps.split(",") if s]
    with wegweiser.open_project(args.project) as project:
        journey = project.journey()
        for op in args.ops.split(","):
            print(profile(op, journey, steps, args.repeat, args.top), flush=True)


if __name__ == "__main__":
    main()
