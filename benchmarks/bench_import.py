"""Import benchmark: N demo events from Parquet and from CSV, against bare DuckDB.

The demo generator makes 1M events (20k persons); they are replicated with suffixed ids
(message, anonymous and user ids) up to N rows, so the data keeps the demo's shape. Each
step runs in a fresh process: wall time, CPU seconds (user + system, all threads), events/s
and peak RSS. The floor is a bare DuckDB ``CREATE TABLE AS SELECT * FROM read_parquet(...)``
(resp. ``read_csv``) into a file database: no validation, no dedup, no stitching.

``--before SRC`` adds a column for another source tree (e.g. ``git archive main src | tar
-x -C /tmp/before``, then ``--before /tmp/before/src``); floor, before and after run
interleaved (A B A B) ``--pairs`` times and the medians are shown, the ratio to the floor as
the median of the per-pair ratios.

    python benchmarks/bench_import.py --events 1000000 --pairs 3 --before /tmp/before/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def make_data(events: int, work: Path) -> tuple[Path, Path]:
    import duckdb

    from wegweiser.events.demo import generate

    parquet, csv = work / f"events-{events}.parquet", work / f"events-{events}.csv"
    if parquet.exists() and csv.exists():
        return parquet, csv
    base = generate(20_000, seed=1).events
    copies = -(-events // base.num_rows)
    con = duckdb.connect()
    con.register("base", base)
    con.execute(
        f"""CREATE TABLE big AS
        SELECT * REPLACE (
            message_id || '-' || k AS message_id,
            anonymous_id || '-' || k AS anonymous_id,
            user_id || '-' || k AS user_id)
        FROM base, range({copies}) r(k) LIMIT {events}"""
    )
    # written beside and renamed: a symlink to shared (read-only) data is replaced, never
    # written through
    for path, fmt in ((parquet, "parquet, ROW_GROUP_SIZE 122880"), (csv, "csv, HEADER")):
        tmp = path.with_name(path.name + ".tmp")
        con.execute(f"COPY big TO ? (FORMAT {fmt})", [str(tmp)])
        tmp.replace(path)
    return parquet, csv


def measure(step: str, data: Path, work: Path, src: Path | None = None) -> dict[str, Any]:
    """One step in a fresh process; ``src``: import ``wegweiser`` from that tree instead."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, str(HERE / "_child.py"), step, str(data), str(work)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["events_per_s"] = result["rows"] / result["seconds"]
    return result


def run(
    events: int,
    work: Path,
    *,
    pairs: int = 1,
    before: Path | None = None,
    kinds: tuple[str, ...] = ("parquet", "csv"),
    after: Path | None = None,
) -> list[dict[str, Any]]:
    """Floor, (before,) wegweiser per input kind, interleaved ``pairs`` times; medians.

    ``after``: the ``src/`` folder of the tree measured as "wegweiser" (default: the
    installed package). Each row keeps its processes' figures in ``all`` (run order)."""
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(HERE / "_child.py"), "make", str(events), str(work)], check=True
    )
    data = {"parquet": work / f"events-{events}.parquet", "csv": work / f"events-{events}.csv"}
    names = {"parquet": "Parquet", "csv": "CSV"}
    steps: list[tuple[str, str, str, Path | None]] = []  # label, kind, step, src
    for kind in kinds:
        reader = "read_parquet" if kind == "parquet" else "read_csv"
        steps.append((f"floor: DuckDB {reader} -> table", kind, f"floor-{kind}", None))
        if before is not None:
            steps.append((f"before: wegweiser import ({names[kind]})", kind, "import", before))
        steps.append((f"wegweiser import ({names[kind]})", kind, "import", after))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, *_ in steps}
    for _ in range(pairs):
        for label, kind, step, src in steps:
            r = measure(step, data[kind], work, src)
            runs[label].append(r)
            print(
                f"  {label:40s} {r['seconds']:7.2f} s wall {r['cpu_seconds']:7.2f} s CPU "
                f"{r['events_per_s']:>12,.0f} ev/s  peak RSS {r['peak_rss_mib']:,} MiB",
                flush=True,
            )
    rows = []
    for label, kind, _step, _src in steps:
        got = runs[label]
        floor = runs[next(lb for lb, k, st, _ in steps if k == kind and st.startswith("floor"))]
        row: dict[str, Any] = {
            "label": label,
            "kind": kind,
            "rows": got[0]["rows"],
            "seconds": statistics.median(r["seconds"] for r in got),
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in got),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in got),
            "runs": len(got),
            "all": got,
        }
        row["events_per_s"] = row["rows"] / row["seconds"]
        if not label.startswith("floor"):
            row["ratio_to_floor"] = statistics.median(
                r["seconds"] / f["seconds"] for r, f in zip(got, floor, strict=True)
            )
            row["cpu_ratio_to_floor"] = statistics.median(
                r["cpu_seconds"] / f["cpu_seconds"] for r, f in zip(got, floor, strict=True)
            )
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The medians as a Markdown table."""
    lines = [
        "| step | wall s | CPU s | events/s | peak RSS MiB | x floor (wall) | x floor (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['ratio_to_floor']:.2f}" if "ratio_to_floor" in r else "1.00"
        cpu = f"{r['cpu_ratio_to_floor']:.2f}" if "cpu_ratio_to_floor" in r else "1.00"
        lines.append(
            f"| {r['label']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | "
            f"{r['events_per_s']:,.0f} | {r['peak_rss_mib']:,} | {ratio} | {cpu} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events",
        type=int,
        nargs="+",
        default=[1_000_000],
        help="events per run (several: one table each)",
    )
    parser.add_argument("--work", type=Path, default=HERE / "data")
    parser.add_argument("--pairs", type=int, default=1, help="interleaved repetitions")
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="a src/ folder to run as 'before' beside this tree",
    )
    parser.add_argument("--kinds", default="parquet,csv", help="parquet,csv or one of them")
    args = parser.parse_args()
    for events in args.events:
        print(f"import of {events:,} demo events")
        rows = run(
            events,
            args.work,
            pairs=args.pairs,
            before=args.before,
            kinds=tuple(k.strip() for k in args.kinds.split(",") if k.strip()),
        )
        print(table(rows))


if __name__ == "__main__":
    main()
