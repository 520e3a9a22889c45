"""Wegweiser's side of the analytics benchmark; one step per process (main venv).

``python _wegweiser_ops.py prepare DATA PROJECT`` imports DATA (Parquet/CSV events) into a
fresh project folder and builds the journey, unless PROJECT already holds exactly that data
(a marker file records the data file and the journey code it was built with).

``python _wegweiser_ops.py OP PROJECT [--steps a,b,c] [--repeat 3] [--budget 60]`` opens
the project, takes ``project.journey()`` (timed as ``load_seconds``), runs OP once to warm,
then ``--repeat`` more times and reports the median (only the first run when it took more
than ``--budget`` / ``--repeat`` seconds), wall and CPU (``cpu_seconds``: this process, all
its threads). Every op pulls its whole result into pandas (the
analysis functions return result objects of DataFrames):

* ``transitions`` — ``paths.transitions(journey)``: edges (count, persons, probability,
  median seconds) and nodes;
* ``step_matrix`` — ``paths.step_matrix(journey, max_steps=10)``;
* ``funnel`` — ``funnels.funnel(journey, steps, window=100 years)`` (retentioneering's funnel
  has no window);
* ``sessions`` — ``sessions.sessions(journey, gap=30 min)``: the split recomputed for an
  explicit gap (not the journey's precomputed one) plus the per-session summary tables;
* ``collapse`` — ``paths.transitions(journey, collapse=True)``: loops collapsed, then the
  transition graph (retentioneering: ``collapse_events(loops=True)`` then its graph data).

``python _wegweiser_ops.py export EVENTS OUT`` writes the retentioneering input: the
journey's touchpoint events (track/page/screen) as ``user_id`` (user id, else anonymous id:
retentioneering does no identity stitching), ``event``, ``timestamp`` (naive UTC).

Each command prints one JSON line last.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import peak_rss_mib

OPS = ("transitions", "step_matrix", "funnel", "sessions", "collapse")
MARKER = "benchmark-data.json"




def _marker(data: Path) -> dict[str, Any]:
    """What a cached project was built from: the data file and the journey's code."""
    import wegweiser.analysis.journeys as journeys

    code = hashlib.sha256(Path(journeys.__file__).read_bytes()).hexdigest()[:16]
    st = data.stat()
    return {"data": str(data.resolve()), "size": st.st_size, "mtime": st.st_mtime_ns,
            "journey_code": code}


def prepare(data: Path, folder: Path) -> dict[str, Any]:
    import wegweiser
    from wegweiser.analysis.result import to_value

    want = _marker(data)
    marker = folder / MARKER
    cached = marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == want
    out: dict[str, Any] = {"cached": cached}
    if not cached:
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        with wegweiser.Project.init(folder) as project:
            summary = project.import_events(data)
            if summary.quarantined:
                raise SystemExit(f"{summary.quarantined} rows quarantined: {summary.errors[:3]}")
        out["import_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    with wegweiser.open_project(folder) as project:
        journey = project.journey()
        out["journey_seconds"] = time.perf_counter() - started
        out["rows"] = int(to_value(journey.count()))
        out["persons"] = int(to_value(journey.person_id.nunique()))
    marker.write_text(json.dumps(want), encoding="utf-8")
    out["peak_rss_mib"] = peak_rss_mib()
    out["wegweiser"] = str(Path(wegweiser.__file__).parent)  # which tree ran
    return out


def export(events: Path, out: Path) -> dict[str, Any]:
    import duckdb

    from wegweiser.analysis.journeys import TOUCHPOINT_TYPES

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    types = ", ".join(f"'{t}'" for t in TOUCHPOINT_TYPES)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    reader = "read_csv" if events.suffix == ".csv" else "read_parquet"
    con.execute(
        f"""COPY (
            SELECT coalesce(user_id, anonymous_id) AS user_id, event,
                   CAST("timestamp" AS TIMESTAMP) AS "timestamp"
            FROM {reader}(?) WHERE type IN ({types})
        ) TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 122880)""",
        [str(events)],
    )
    rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(tmp)]).fetchone()
    tmp.replace(out)
    return {"rows": int(rows[0]) if rows else 0}


def operation(op: str, journey: Any, steps: list[str]) -> Any:
    """Run one op; its result object holds only pandas DataFrames (fully materialised)."""
    from wegweiser.analysis import funnels, paths, sessions

    if op == "transitions":
        return paths.transitions(journey)
    if op == "step_matrix":
        return paths.step_matrix(journey, max_steps=10)
    if op == "funnel":
        return funnels.funnel(journey, steps, window=timedelta(days=36_500))
    if op == "sessions":
        return sessions.sessions(journey, gap=timedelta(minutes=30))
    if op == "collapse":
        return paths.transitions(journey, collapse=True)
    raise SystemExit(f"unknown op {op!r}; use one of {', '.join(OPS)}")


def check(op: str, result: Any) -> Any:
    """The figure ``_retentioneering_ops.check`` computes, from Wegweiser's result."""
    if op in ("transitions", "collapse"):
        return len(result.edges)
    if op == "step_matrix":
        return len(result.counts)
    if op == "funnel":
        return [int(u) for u in result.steps["units"]]
    if op == "sessions":
        return int(result.summary["sessions"].iloc[0])
    return None


def measure(op: str, folder: Path, steps: list[str], repeat: int, budget: float
            ) -> dict[str, Any]:
    import wegweiser
    from wegweiser.analysis.result import to_value

    started = time.perf_counter()
    with wegweiser.open_project(folder) as project:
        journey = project.journey()
        load = time.perf_counter() - started
        rows = int(to_value(journey.count()))
        t0, c0 = time.perf_counter(), time.process_time()
        result = operation(op, journey, steps)
        first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
        times, cpus = [], []
        if first * repeat <= budget:
            for _ in range(repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                result = operation(op, journey, steps)
                times.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
        shape = {name: len(frame) for name, frame in result.tables().items()}
    return {
        "op": op, "seconds": statistics.median(times) if times else first,
        "cpu_seconds": statistics.median(cpus) if cpus else first_cpu,
        "first_seconds": first, "runs": len(times) or 1, "warm": bool(times),
        "load_seconds": load, "rows": rows, "result_rows": shape,
        "peak_rss_mib": peak_rss_mib(), "check": check(op, result),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("prepare", "export", *OPS))
    parser.add_argument("path", type=Path, help="DATA (prepare, export) or PROJECT (ops)")
    parser.add_argument("target", type=Path, nargs="?", help="PROJECT (prepare), OUT (export)")
    parser.add_argument("--steps", default="", help="funnel steps, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    if args.command in ("prepare", "export") and args.target is None:
        parser.error(f"{args.command} needs a second path")
    if args.command == "prepare":
        out = prepare(args.path, args.target)
    elif args.command == "export":
        out = export(args.path, args.target)
    else:
        steps = [s for s in args.steps.split(",") if s]
        out = measure(args.command, args.path, steps, args.repeat, args.budget)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
