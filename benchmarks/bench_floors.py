"""Wegweiser against bare-engine floors (issue 19): funnel, transitions, sessions and phases on the
demo replicated to N events, each op run interleaved in one process (Wegweiser, DuckDB
floor, chdb floor, Wegweiser, ...) so that all sides see the same machine load.

Floors: hand-written DuckDB SQL on the journey copied into an in-memory DuckDB table, and
for the funnel ClickHouse's ``windowFunnel`` (``chdb``, the ``[bench]`` extra) on the
journey loaded from Parquet into a ``Memory`` table; see ``_floors.py``. Phases (all six
tables, and the one view ``phases_transitions``) has two Wegweiser sides: ``wegweiser``
reads the stored episodes (the ``phase_episodes`` roll-up, as the registry does) and is
compared with the SQL over an episodes table made beforehand (``duckdb_stored``);
``wegweiser_journey`` numbers the episodes from the journey and is compared with the SQL
that does so too (``duckdb``). Wall and CPU
seconds (``time.process_time``: every thread of the process, the engines' included) are
medians of ``--pairs`` rounds after one warm-up each; the ratio is the median of the
per-round ratios Wegweiser / floor (lower is better; 1.0x = at the floor).

``python benchmarks/bench_floors.py --sizes 1M,5M --work /tmp/wegweiser-bench [--record]``
(the data and projects are those of bench_analytics, cached under WORK).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
STEPS = ["product_view", "add_to_cart", "checkout_started", "order_completed"]
OPS = ("funnel", "transitions", "sessions", "sessions_stored", "phases", "phases_transitions")
# the journey's columns the floors read (next_event/next_timestamp: precomputed, as Wegweiser's)
JOURNEY_COLUMNS = ("person_id", "seq", "timestamp", "event", "next_event", "next_timestamp",
                   "phase", "person_n")


def _size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


def prepare(size: int, work: Path) -> tuple[Path, Path]:
    """(project folder, journey Parquet) for ``size`` events, made when missing."""
    events = work / f"events-{size}.parquet"
    if not events.exists():
        subprocess.run(
            [sys.executable, str(HERE / "_child.py"), "make", str(size), str(work)],
            check=True,
            capture_output=True,
        )
    project = work / "analytics" / f"project-{size}"
    subprocess.run(
        [sys.executable, str(HERE / "_wegweiser_ops.py"), "prepare", str(events), str(project)],
        check=True,
        capture_output=True,
    )
    journey = work / "analytics" / f"journey-{size}.parquet"
    if (
        not journey.exists()
        or journey.stat().st_mtime < (project / "benchmark-data.json").stat().st_mtime
        or not _has_next(journey)
    ):
        import wegweiser

        with wegweiser.open_project(project) as p:
            j = p.journey()
            j.select(*JOURNEY_COLUMNS).to_parquet(journey)
    return project, journey


def _has_next(parquet: Path) -> bool:
    import pyarrow.parquet as pq

    return set(JOURNEY_COLUMNS) <= set(pq.read_schema(parquet).names)


def _timed(fn: Any) -> tuple[float, float, Any]:
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def measure(size: int, work: Path, pairs: int, ops: list[str]) -> list[dict[str, Any]]:
    import duckdb
    from _floors import PHASE_TABLES, chdb_floor, duckdb_floor, phase_episodes_sql, phases_floor

    import wegweiser
    from wegweiser.analysis import funnels, paths, phases, sessions

    project, parquet = prepare(size, work)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE journey AS SELECT * FROM read_parquet(?)", [str(parquet)])
    ch = None
    if "funnel" in ops:
        import chdb.session

        ch = chdb.session.Session()
        ch.query(f"""CREATE TABLE journey ENGINE = Memory AS
            SELECT person_id, event, toUInt64(toUnixTimestamp64Micro("timestamp")) AS t
            FROM file('{parquet}', Parquet)""")
    rows: list[dict[str, Any]] = []
    with wegweiser.open_project(project) as p:
        journey = p.journey()
        phase_names = [ph.name for ph in p.config.phases]
        if any(op.startswith("phases") for op in ops):
            con.execute("CREATE TABLE stored_episodes AS " + phase_episodes_sql(phase_names))
        events = int(journey.count().to_pyarrow().as_py())
        one = ("transitions",)

        def weg_phases(tables: tuple[str, ...], stored: bool) -> Any:
            episodes = p.rollup("phase_episodes") if stored else None
            return phases.phase_analysis(journey, list(p.config.phases), tables=tables,
                                         episodes=episodes)

        from wegweiser.analysis import rollups

        stored_sessions = (
            {"rollup": p.rollup("sessions")}
            if "sessions_stored" in ops and "sessions" in rollups.NAMES
            else {}
        )
        weg = {
            "funnel": lambda: funnels.funnel(journey, STEPS, window=timedelta(days=36_500)),
            "transitions": lambda: paths.transitions(journey),
            "sessions": lambda: sessions.sessions(journey, gap=timedelta(minutes=30)),
            # the journey's own 30-minute sessions (no gap: what the registry reads when the
            # gap asked for is the project's), from the stored per-session rows where the
            # tree has that roll-up (as the registry does on all the data); the floor splits
            "sessions_stored": lambda: sessions.sessions(journey, **stored_sessions),
            "phases": lambda: weg_phases(PHASE_TABLES, True),
            "phases_transitions": lambda: weg_phases(one, True),
        }
        for op in ops:
            sides: dict[str, Any] = {
                "wegweiser": weg[op],
                "duckdb": lambda op=op: duckdb_floor(con, op, STEPS),
            }
            against = {"duckdb": "wegweiser", "chdb": "wegweiser"}
            if op == "funnel":
                sides["chdb"] = lambda: chdb_floor(ch, STEPS)
            if op.startswith("phases"):
                tables = PHASE_TABLES if op == "phases" else one
                sides = {
                    "wegweiser": weg[op],
                    "duckdb_stored": lambda t=tables: phases_floor(
                        con, phase_names, t, stored="stored_episodes"),
                    "wegweiser_journey": lambda t=tables: weg_phases(t, False),
                    "duckdb": lambda t=tables: phases_floor(con, phase_names, t),
                }
                against = {"duckdb_stored": "wegweiser", "duckdb": "wegweiser_journey"}
            checks = {name: fn() for name, fn in sides.items()}  # warm-up
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
            names = list(sides)
            for k in range(pairs):  # A B C, then B C A, ...: no side always first
                for name in names[k % len(names) :] + names[: k % len(names)]:
                    wall, cpu, _ = _timed(sides[name])
                    runs[name].append((wall, cpu))
            row: dict[str, Any] = {"size": size, "events": events, "op": op, "pairs": pairs}
            for name, r in runs.items():
                row[f"{name}_wall"] = statistics.median(w for w, _ in r)
                row[f"{name}_cpu"] = statistics.median(c for _, c in r)
                if name in against:
                    mine = runs[against[name]]
                    w_ratio = [a[0] / b[0] for a, b in zip(mine, r, strict=True)]
                    c_ratio = [a[1] / b[1] for a, b in zip(mine, r, strict=True)]
                    row[f"ratio_{name}_wall"] = statistics.median(w_ratio)
                    row[f"ratio_{name}_cpu"] = statistics.median(c_ratio)
            if op == "funnel":
                row["check"] = {
                    "wegweiser": [int(u) for u in checks["wegweiser"].steps["units"]],
                    **{n: _at_least(checks[n]) for n in ("duckdb", "chdb")},
                }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def _at_least(levels: list[tuple[int, int]]) -> list[int]:
    """Units per funnel row from units per best level."""
    top = max((lv for lv, _ in levels), default=0)
    return [sum(u for lv, u in levels if lv >= k) for k in range(1, top + 1)]


def record(rows: list[dict[str, Any]], command: str) -> None:
    load = os.getloadavg()
    lines = [
        f"\n### Floors: funnel, transitions, sessions against bare engines — "
        f"{datetime.date.today().isoformat()}",
        f"Command: `{command}`; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at "
        "the end. Medians of interleaved rounds; ratio = median per-round Wegweiser / floor.",
        "",
        "| events | op | wegweiser s (cpu s) | DuckDB SQL s (cpu s) | ratio wall / cpu | "
        "chdb s (cpu s) | ratio wall / cpu |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "duckdb_stored_wall" in r:  # phases: two Wegweiser sides, two floors
            lines.append(
                f"| {r['events']:,} | {r['op']} (stored episodes) | {r['wegweiser_wall']:.3f} "
                f"({r['wegweiser_cpu']:.3f}) | {r['duckdb_stored_wall']:.3f} "
                f"({r['duckdb_stored_cpu']:.3f}) | {r['ratio_duckdb_stored_wall']:.2f}x / "
                f"{r['ratio_duckdb_stored_cpu']:.2f}x | - | - |"
            )
            lines.append(
                f"| {r['events']:,} | {r['op']} (from the journey) | "
                f"{r['wegweiser_journey_wall']:.3f} ({r['wegweiser_journey_cpu']:.3f}) | "
                f"{r['duckdb_wall']:.3f} ({r['duckdb_cpu']:.3f}) | {r['ratio_duckdb_wall']:.2f}x"
                f" / {r['ratio_duckdb_cpu']:.2f}x | - | - |"
            )
            continue
        ch = (
            f"{r['chdb_wall']:.3f} ({r['chdb_cpu']:.3f}) | {r['ratio_chdb_wall']:.2f}x / "
            f"{r['ratio_chdb_cpu']:.2f}x"
            if "chdb_wall" in r
            else "- | -"
        )
        lines.append(
            f"| {r['events']:,} | {r['op']} | {r['wegweiser_wall']:.3f} "
            f"({r['wegweiser_cpu']:.3f}) | {r['duckdb_wall']:.3f} ({r['duckdb_cpu']:.3f}) | "
            f"{r['ratio_duckdb_wall']:.2f}x / {r['ratio_duckdb_cpu']:.2f}x | {ch} |"
        )
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M,5M")
    parser.add_argument("--work", type=Path, default=Path("/tmp/wegweiser-bench"))
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--ops", default=",".join(OPS))
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    ops = [op for op in args.ops.split(",") if op]
    if unknown := sorted(set(ops) - set(OPS)):
        parser.error(f"unknown --ops {', '.join(unknown)}; use {', '.join(OPS)}")
    rows: list[dict[str, Any]] = []
    for size in (_size(s) for s in args.sizes.split(",") if s):
        rows += measure(size, args.work, args.pairs, ops)
    if args.record:
        record(rows, "python benchmarks/" + " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]))


if __name__ == "__main__":
    main()
