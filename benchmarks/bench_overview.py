"""The dashboard's overview with its trend chart, warm: what ``GET /`` computes.

The overview page runs :func:`wegweiser.serve.pages._data.overview` in the query pool: the
headline figures and persons per phase, the KPIs, the store's counts and the ``trends``
analysis (by day). This measures that function on a project of N demo events (the demo
generator's 20k persons replicated with suffixed ids, as ``bench_import.py``), all data and
in a scope (the last 30 days with a filter), plus the trend alone; median of 3 warm runs
after one warm-up, with the CPU seconds of the process (DuckDB's threads included) beside
the wall time, one process per size (its peak RSS is its own).

    python benchmarks/bench_overview.py --sizes 1M,5M [--work benchmarks/data/overview]

The projects are cached under ``--work`` (git-ignored ``benchmarks/data/``). The issue's
target: at most 1 s warm at 10M events.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZES = {"1M": 1_000_000, "5M": 5_000_000, "10M": 10_000_000}


def prepare(events: int, work: Path) -> Path:
    """A project with ``events`` demo events (made once, then reused)."""
    import wegweiser

    folder = work / f"project-{events}"
    if (folder / ".ready").exists():
        return folder
    sys.path.insert(0, str(HERE))
    from bench_import import make_data

    work.mkdir(parents=True, exist_ok=True)
    parquet, _ = make_data(events, work)
    with wegweiser.Project.init(folder) as project:
        project.import_events(parquet)
        project.journey()
    (folder / ".ready").write_text("1", encoding="utf-8")
    return folder


def measure(folder: Path, repeat: int = 3) -> dict[str, Any]:
    from _common import peak_rss_mib

    import wegweiser
    from wegweiser.analysis.result import to_value
    from wegweiser.serve.pages import _data

    out: dict[str, Any] = {}
    with wegweiser.open_project(folder) as project:
        out["events"] = project.event_count()
        last = to_value(project.journey().timestamp.max()).date().isoformat()
        scope = {"last": "30d", "until": last, "where": ["device=mobile"]}
        cases = {
            "overview (all data)": lambda: _data.overview(project, None, "day"),
            "overview (last 30d, device=mobile)": lambda: _data.overview(project, scope, "day"),
            "trends alone (all data)": lambda: project.analyse("trends"),
            "trends alone, by week + by channel": lambda: project.analyse(
                "trends", period="week", by="channel"),
        }
        for label, call in cases.items():
            call()  # warm
            times, cpu = [], []
            for _ in range(repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                call()
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            out[label] = round(statistics.median(times), 3)
            out[f"{label} cpu"] = round(statistics.median(cpu), 3)
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M,5M")
    parser.add_argument("--work", type=Path, default=HERE / "data" / "overview")
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        folder = prepare(SIZES[args.child], args.work)
        print(json.dumps({"size": args.child, **measure(folder)}))
        return
    for size in args.sizes.split(","):
        run = subprocess.run([sys.executable, __file__, "--child", size, "--work",
                              str(args.work)], check=True, capture_output=True, text=True)
        print(run.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
