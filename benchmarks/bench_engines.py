"""Engine benchmark: the core analyses on DuckDB and on local Spark, side by side.

Data: the Wegweiser demo replicated to N events (as ``bench_import.make_data``: 20k demo
persons, copied with suffixed ids; Parquet only). Per engine and size one process imports the
events and builds the journey (``_engines_ops.py prepare``, cached under
``WORK/engines/<engine>-<size>/``), then one process per analysis (funnel, transitions,
sessions, retention, attribution, identity stitching) runs it once to warm and
``--engine-repeat`` more times (median). Peak RSS is the whole process tree's (for Spark:
Python plus the JVM). Spark runs ``local[2]`` with an 8 GB driver and 16 shuffle partitions
(``_engines_ops.SPARK``).

``--engine-sizes`` (default none) run on both engines, ``--duckdb-sizes`` on DuckDB alone.

Standalone: ``python benchmarks/bench_engines.py --engine-sizes 1M,10M --duckdb-sizes 100M
[--record]``.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _common import json_line, run_standalone

if TYPE_CHECKING:
    import argparse

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
OPS = ("funnel", "transitions", "sessions", "retention", "attribution", "stitch")


def _sizes(text: str) -> list[int]:
    """``"1M,200k"`` -> ``[200000, 1000000]``; "none" -> [].

    >>> _sizes("10M,200k"), _sizes("none")
    ([200000, 10000000], [])
    """
    out = []
    for raw in text.replace(" ", "").lower().split(","):
        if raw and raw != "none":
            factor = {"k": 1_000, "m": 1_000_000}.get(raw[-1], 1)
            out.append(int(float(raw[:-1] if factor > 1 else raw) * factor))
    return sorted(set(out))


def _label(n: int) -> str:
    """The inverse of :func:`_sizes` for one size.

    >>> _label(10_000_000), _label(200_000), _label(1234)
    ('10M', '200k', '1234')
    """
    for unit, factor in (("M", 1_000_000), ("k", 1_000)):
        if n % factor == 0:
            return f"{n // factor}{unit}"
    return str(n)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("engine benchmark (DuckDB and local Spark)")
    g.add_argument("--engine-sizes", type=_sizes, default=[],
                   help="event counts run on DuckDB and on Spark, e.g. 1M,10M (default none)")
    g.add_argument("--duckdb-sizes", type=_sizes, default=[],
                   help="event counts run on DuckDB alone, e.g. 100M (default none)")
    g.add_argument("--engine-repeat", type=int, default=3)
    g.add_argument("--engine-budget", type=float, default=300.0,
                   help="no repeats when the warm-up run took more than this / repeat s")


def make_data(events: int, work: Path) -> Path:
    import duckdb

    from wegweiser.events.demo import generate

    parquet = work / f"events-{events}.parquet"
    if parquet.exists():
        return parquet
    work.mkdir(parents=True, exist_ok=True)
    base = generate(20_000, seed=1).events
    con = duckdb.connect()
    con.register("base", base)
    copies = -(-events // base.num_rows)
    con.execute(
        f"""COPY (SELECT * REPLACE (
                message_id || '-' || k AS message_id,
                anonymous_id || '-' || k AS anonymous_id,
                user_id || '-' || k AS user_id)
            FROM base, range({copies}) r(k) LIMIT {events})
        TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 122880)"""
    )
    return parquet


def run(engine: str, events: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    ops = [sys.executable, str(HERE / "_engines_ops.py")]
    data = make_data(events, args.work)
    project = args.work / "engines" / f"{engine}-{events}"
    print(f"  {engine}, {events:,} events: import and journey", flush=True)
    prep = json_line([*ops, "prepare", engine, str(data), str(project)])
    rows = [{"engine": engine, "events": events, "op": "prepare", **prep}]
    for op in OPS:
        print(f"  {engine}, {events:,} events: {op}", flush=True)
        res = json_line([*ops, op, str(project), "--repeat", str(args.engine_repeat),
                         "--budget", str(args.engine_budget)])
        rows.append({"engine": engine, "events": events, **res, "op": op})
    return rows


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| engine | events | step | seconds | peak RSS MiB |", "|---|---:|---|---:|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['engine']} | {r['events']:,} | {r['op']} | {r['error']} | - |")
        elif r["op"] == "prepare" and not r.get("cached"):
            for step in ("import", "journey"):
                lines.append(f"| {r['engine']} | {r['events']:,} | {step} | "
                             f"{r[step + '_seconds']:.1f} | {r['peak_rss_mib']:,} |")
        elif r["op"] != "prepare":
            mark = "" if r["warm"] else "*"
            lines.append(f"| {r['engine']} | {r['events']:,} | {r['op']} | "
                         f"{r['seconds']:.2f}{mark} | {r['peak_rss_mib']:,} |")
    return lines


def main_from_args(args: argparse.Namespace, machine: str) -> None:
    plan = [(e, n) for n in args.engine_sizes for e in ("duckdb", "spark")]
    plan += [("duckdb", n) for n in args.duckdb_sizes if n not in args.engine_sizes]
    if not plan:
        return
    print("engines: DuckDB and local Spark")
    rows = [row for engine, n in plan for row in run(engine, n, args)]
    lines = table(rows)
    print("\n".join(lines))
    if args.record:
        def arg(sizes: list[int]) -> str:
            return ",".join(_label(n) for n in sizes) or "none"

        head = [
            f"\n### Engines: DuckDB and Spark local[2] — {datetime.date.today()}",
            f"Machine: {machine}. Command: `python benchmarks/bench_engines.py "
            f"--engine-sizes {arg(args.engine_sizes)} --duckdb-sizes {arg(args.duckdb_sizes)} "
            "--record`. Seconds: warm "
            "median of the analyses (* one cold run); import and journey once; peak RSS of "
            "the process tree (Python and, for Spark, the JVM).\n",
        ]
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(head + lines) + "\n")


if __name__ == "__main__":
    run_standalone(__doc__, add_arguments, main_from_args)
