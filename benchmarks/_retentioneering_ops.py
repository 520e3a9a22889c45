"""Retentioneering's side of the analytics benchmark; runs INSIDE its own venv
(benchmarks/.venv-retentioneering), one (op, data) per process, and never imports Wegweiser.

``python _retentioneering_ops.py OP DATA [--steps a,b,c] [--repeat 3] [--budget 60]`` reads
DATA (Parquet or CSV with ``user_id``, ``event``, ``timestamp``) into pandas and builds an
``Eventstream`` with ``path_cols=["user_id"]`` (together ``load_seconds``; the read alone is
``read_seconds``), runs OP once, then ``--repeat`` more times and reports the median (only
the first run when it took more than ``--budget`` / ``--repeat`` seconds) — the same
protocol as ``_wegweiser_ops.py``. The ops, with retentioneering 5.2's public API:

* ``transitions`` — ``stream.transition_graph_data()`` (events x events, ``proba_out``);
* ``step_matrix`` — ``stream.step_matrix_data(max_steps=10)``;
* ``funnel`` — ``stream.funnel_data(steps=[...])``;
* ``sessions`` — ``stream.split_sessions(timeout="30m")`` (a new Eventstream: every event
  with ``session_id``/``session_index``, a pandas frame);
* ``collapse`` — ``stream.collapse_events(loops=True).transition_graph_data()``; the
  collapse alone is reported as ``collapse_seconds``.

``python _retentioneering_ops.py export-ecom OUT`` writes the bundled ``ecom`` data set
(``retentioneering/datasets/ecom.csv.gz``, shipped in the wheel) as Parquet with
``message_id``, ``user_id``, ``event``, ``timestamp`` so that both sides read the same rows.
``python _retentioneering_ops.py version`` prints the installed version.

Tracking: retentioneering sends usage events to PostHog unless ``RETENTIONEERING_NO_TRACK``
is set; ``main`` sets it before the import. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import peak_rss_mib

OPS = ("transitions", "step_matrix", "funnel", "sessions", "collapse")




def load(data: Path) -> tuple[Any, float, int]:
    """The Eventstream of DATA, the seconds the read took, and its rows."""
    import pandas as pd
    import retentioneering as rete

    t0 = time.perf_counter()
    if data.suffix == ".csv":
        frame = pd.read_csv(data, usecols=["user_id", "event", "timestamp"])
    else:
        frame = pd.read_parquet(data, columns=["user_id", "event", "timestamp"])
    read = time.perf_counter() - t0
    stream = rete.Eventstream(frame, {"path_cols": ["user_id"]})
    return stream, read, len(frame)


def operation(op: str, stream: Any, steps: list[str], extra: dict[str, Any]) -> Any:
    if op == "transitions":
        return stream.transition_graph_data()
    if op == "step_matrix":
        return stream.step_matrix_data(max_steps=10)
    if op == "funnel":
        return stream.funnel_data(steps=steps)
    if op == "sessions":
        return stream.split_sessions(timeout="30m").df
    if op == "collapse":
        t0 = time.perf_counter()
        collapsed = stream.collapse_events(loops=True)
        extra.setdefault("collapse_seconds", []).append(time.perf_counter() - t0)
        return collapsed.transition_graph_data()
    raise SystemExit(f"unknown op {op!r}; use one of {', '.join(OPS)}")


def size_of(result: Any) -> int:
    if isinstance(result, dict):
        return len(result.get("steps", []))
    return len(result)


def check(op: str, result: Any) -> Any:
    """A figure both sides must agree on when paths are persons (ecom), computed untimed:
    transitions and collapse: edges between events; step matrix: (step, event) cells with
    units in steps 1..10; funnel: units per step; sessions: the number of sessions."""
    ends = ["path_start", "path_end"]
    if op in ("transitions", "collapse"):
        inner = result.drop(index=ends, columns=ends, errors="ignore")
        return int((inner > 0).to_numpy().sum())
    if op == "step_matrix":
        inner = result.drop(index=ends, errors="ignore")[list(range(1, 11))]
        return int((inner > 0).to_numpy().sum())
    if op == "funnel":
        return [int(s["unique_paths"]) for s in result["steps"]]
    if op == "sessions":
        return int(result["session_id"].nunique())
    return None


def measure(op: str, data: Path, steps: list[str], repeat: int, budget: float
            ) -> dict[str, Any]:
    import retentioneering as rete

    t0 = time.perf_counter()
    stream, read, rows = load(data)
    load_seconds = time.perf_counter() - t0
    extra: dict[str, Any] = {}
    t0 = time.perf_counter()
    result = operation(op, stream, steps, extra)
    first = time.perf_counter() - t0
    times = []
    if first * repeat <= budget:
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = operation(op, stream, steps, extra)
            times.append(time.perf_counter() - t0)
    out: dict[str, Any] = {
        "op": op, "seconds": statistics.median(times) if times else first,
        "first_seconds": first, "runs": len(times) or 1, "warm": bool(times),
        "load_seconds": load_seconds, "read_seconds": read, "rows": rows,
        "result_rows": size_of(result), "peak_rss_mib": peak_rss_mib(),
        "version": rete.__version__, "check": check(op, result),
    }
    if "collapse_seconds" in extra:
        spans = extra["collapse_seconds"]
        out["collapse_seconds"] = statistics.median(spans[1:] if len(spans) > 1 else spans)
    return out


def export_ecom(out: Path) -> dict[str, Any]:
    import retentioneering as rete

    frame = rete.datasets.load_ecom(as_dataframe=True)
    frame = frame.sort_values(["user_id", "timestamp"], kind="stable").reset_index(drop=True)
    frame.insert(0, "message_id", [f"ecom-{i}" for i in range(len(frame))])
    out.parent.mkdir(parents=True, exist_ok=True)
    frame[["message_id", "user_id", "event", "timestamp"]].to_parquet(out, index=False)
    return {"rows": len(frame), "users": int(frame["user_id"].nunique()),
            "version": rete.__version__}


def main() -> None:
    os.environ.setdefault("RETENTIONEERING_NO_TRACK", "1")  # before retentioneering is imported
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("export-ecom", "version", *OPS))
    parser.add_argument("path", type=Path, nargs="?", help="DATA (ops) or OUT (export-ecom)")
    parser.add_argument("--steps", default="", help="funnel steps, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    if args.command == "version":  # without importing it (that takes seconds)
        from importlib.metadata import version

        out: dict[str, Any] = {"version": version("retentioneering")}
    elif args.path is None:
        parser.error(f"{args.command} needs a path")
    elif args.command == "export-ecom":
        out = export_ecom(args.path)
    else:
        steps = [s for s in args.steps.split(",") if s]
        out = measure(args.command, args.path, steps, args.repeat, args.budget)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
