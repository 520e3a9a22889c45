"""One step of the engine benchmark per process (main venv with the ``spark`` extra).

``python _engines_ops.py prepare ENGINE DATA PROJECT`` imports DATA (Parquet events) into a
fresh project on ENGINE (``duckdb`` or ``spark``) and builds the journey, unless PROJECT
already holds exactly that data (``benchmark-data.json`` records what it was built from).

``python _engines_ops.py OP PROJECT [--repeat 3] [--budget 120]`` opens the project, takes
``project.journey()``, runs OP once to warm, then ``--repeat`` more times and reports the
median (only the first run when it took more than ``--budget`` / ``--repeat`` seconds):

* ``funnel`` — ``funnel(journey, [product_view, add_to_cart, checkout_started,
  order_completed])``, 30-day window;
* ``transitions`` — ``paths.transitions(journey)``;
* ``sessions`` — ``sessions.sessions(journey, gap=30 min)`` (the split recomputed);
* ``retention`` — ``retention.retention(journey)`` (weekly, first event cohorts);
* ``attribution`` — ``attribution.compare(journey)`` (paths built in the engine, every
  model on the driver);
* ``stitch`` — identity stitching over all the project's links again
  (``ingest.resolve_persons``: the components by the engine, SciPy or Spark).

Peak RSS is that of the whole process tree (Python plus Spark's JVM), sampled every 0.1 s.
Spark runs ``local[2]`` with ``SPARK_CONF`` below. Each command prints one JSON line last.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

OPS = ("funnel", "transitions", "sessions", "retention", "attribution", "stitch")
MARKER = "benchmark-data.json"
SPARK = {
    "kind": "spark",
    "spark_master": "local[2]",
    "spark_conf": {"spark.driver.memory": "8g", "spark.sql.shuffle.partitions": "16",
                   "spark.ui.enabled": "false"},
}


class TreeMemory:
    """Peak resident memory of this process and its children (the JVM), sampled."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        import psutil

        total = 0
        for proc in [self._me, *self._me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.1)

    def mib(self) -> int:
        self.peak = max(self.peak, self._sample())
        return round(self.peak / 2**20)


def _marker(engine: str, data: Path) -> dict[str, Any]:
    st = data.stat()
    return {"engine": engine, "data": str(data.resolve()), "size": st.st_size,
            "mtime": st.st_mtime_ns}


def prepare(engine: str, data: Path, folder: Path) -> dict[str, Any]:
    from wegweiser.analysis.result import to_value
    from wegweiser.project import Project

    memory = TreeMemory()
    marker = folder / MARKER
    if marker.exists() and json.loads(marker.read_text()) == _marker(engine, data):
        return {"cached": True}
    shutil.rmtree(folder, ignore_errors=True)
    with Project.init(folder, engine=SPARK if engine == "spark" else None) as project:
        t0 = time.perf_counter()
        summary = project.import_events(data)
        t1 = time.perf_counter()
        rows = to_value(project.journey().count())
        t2 = time.perf_counter()
    marker.write_text(json.dumps(_marker(engine, data)))
    return {"imported": summary.imported, "journey_rows": rows,
            "import_seconds": round(t1 - t0, 2), "journey_seconds": round(t2 - t1, 2),
            "peak_rss_mib": memory.mib()}


def _op(name: str, journey: Any, project: Any) -> Any:
    from wegweiser.analysis.attribution import compare
    from wegweiser.analysis.funnels import funnel
    from wegweiser.analysis.paths import transitions
    from wegweiser.analysis.retention import retention
    from wegweiser.analysis.sessions import sessions
    from wegweiser.events.ingest import resolve_persons

    if name == "funnel":
        return funnel(journey, ["product_view", "add_to_cart", "checkout_started",
                                "order_completed"])
    if name == "transitions":
        return transitions(journey)
    if name == "sessions":
        return sessions(journey, gap=timedelta(minutes=30))
    if name == "retention":
        return retention(journey)
    if name == "stitch":
        return resolve_persons(project._engine, project.config)
    return compare(journey)


def run_op(name: str, folder: Path, repeat: int, budget: float) -> dict[str, Any]:
    from wegweiser.project import open_project

    memory = TreeMemory()
    with open_project(folder) as project:
        t0 = time.perf_counter()
        journey = project.journey()
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        _op(name, journey, project)
        first = time.perf_counter() - t0
        times = []
        if first * repeat <= budget:
            for _ in range(repeat):
                t0 = time.perf_counter()
                _op(name, journey, project)
                times.append(time.perf_counter() - t0)
    return {"op": name, "load_seconds": round(load, 2), "cold_seconds": round(first, 3),
            "seconds": round(statistics.median(times), 3) if times else round(first, 3),
            "warm": bool(times), "peak_rss_mib": memory.mib()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("prepare", *OPS))
    parser.add_argument("args", nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=120.0)
    ns = parser.parse_args()
    if ns.step == "prepare":
        engine, data, folder = ns.args
        result = prepare(engine, Path(data), Path(folder))
    else:
        result = run_op(ns.step, Path(ns.args[0]), ns.repeat, ns.budget)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
