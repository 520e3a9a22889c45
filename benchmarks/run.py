"""Run the benchmarks: ``python benchmarks/run.py [--events N]``.

Runs the import benchmark (``--events N``, 0 skips it) and the analytics benchmark against
retentioneering (``--analytics-sizes ecom,1M,5M,10M``, ``none`` skips it) and the
attribution benchmark against channelattribution (``--attribution-sizes 100k,1M``, ``none``
skips it); with ``--sendtime`` the best-send-time and journey-readout checks
(``bench_sendtime.py``), with ``--collector`` the collector benchmark (a real
``wegweiser serve`` under a load generator, batches of 100 events) and with ``--predict`` the
lifetime-value benchmark (CDNOW fit times, recovery of planted parameters), with ``--scores``
propensity, churn and recommendations (bench_scores), and the erasure
of one person (``--privacy-events N``, 0 skips it). Prints the figures
and ratios; ``--record`` appends them to benchmarks/RESULTS.md.

``--before SRC`` (a ``src/`` folder of another tree; ``--after SRC`` for a frozen copy of
this one) measures Wegweiser's side of every benchmark under both trees, interleaved in fresh
processes (``--tree-pairs`` pairs), the peers once; each tree caches its projects in its own
work folder, and a benchmark the old tree cannot run shows "n/a (reason)". One summary table
at the end (``_trees.summary_table``; with ``--record`` also in RESULTS.md). The send-time
checks are not compared (``--sendtime`` runs on this tree only).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _trees  # noqa: E402
import bench_analytics  # noqa: E402
import bench_attribution  # noqa: E402
import bench_collector  # noqa: E402
import bench_import  # noqa: E402
import bench_predict  # noqa: E402
import bench_privacy  # noqa: E402
import bench_scores  # noqa: E402
import bench_sendtime  # noqa: E402


def machine() -> str:
    import psutil

    mem = psutil.virtual_memory().total / 2**30
    return (f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
            f"Python {platform.python_version()}, {platform.system()}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000,
                        help="events for the import benchmark; 0 skips it")
    parser.add_argument("--work", type=Path, default=HERE / "data")
    parser.add_argument("--record", action="store_true", help="append to RESULTS.md")
    parser.add_argument("--summary-json", type=Path, default=None,
                        help="with --before: also write the summary rows to this JSON file "
                             "(`python benchmarks/_trees.py A.json B.json` joins several runs "
                             "into one table)")
    _trees.add_arguments(parser)
    bench_analytics.add_arguments(parser)
    bench_attribution.add_arguments(parser)
    bench_collector.add_arguments(parser)
    parser.add_argument("--sendtime", action="store_true",
                        help="best send time vs the median rule, uplift coverage")
    bench_sendtime.add_arguments(parser)
    bench_predict.add_arguments(parser)
    bench_privacy.add_arguments(parser)
    bench_scores.add_arguments(parser)
    return parser


def main() -> None:
    args = build_parser().parse_args()
    command = "python " + " ".join(sys.argv)
    print(f"machine: {machine()}")
    trees = _trees.trees(args)
    if len(trees) > 1:
        print("trees: " + "; ".join(f"{t.label} = {t.src or 'the installed package'}"
                                    for t in trees) + f"; {args.tree_pairs} interleaved pairs",
              flush=True)
    summary: list[dict[str, Any]] = []
    if args.events:
        summary += run_import(args)
    summary += bench_analytics.main_from_args(args, machine(), command)
    summary += bench_attribution.main_from_args(args, machine(), command)
    if len(trees) == 1:
        bench_collector.main_from_args(args, machine(), command)
        if args.sendtime:
            bench_sendtime.main_from_args(args, machine())
        bench_predict.main_from_args(args, machine(), command)
        bench_privacy.main_from_args(args, machine())
        bench_scores.main_from_args(args, machine())
        return
    if args.sendtime:
        bench_sendtime.main_from_args(args, machine())
    summary += compare_in_process(args, trees)
    before = trees[0].label
    table = _trees.summary_table(summary, before)
    spread = _trees.noise(summary, before)
    print(f"\nsummary: {before} = {trees[0].src}, after = {trees[1].src or 'installed'}; "
          "wall and CPU seconds are medians over each tree's processes, after/before the "
          "median of the per-pair ratios (< 1: after faster; for events/s > 1 is better), "
          "after/peer the after median over the peer's once-run figure")
    print(table)
    if spread:
        print("per-pair CPU ratio spread (lowest..highest): " + "; ".join(
            f"{m} {lo:.2f}..{hi:.2f}" for m, lo, hi in spread))
    load = os.getloadavg()
    if args.summary_json:
        args.summary_json.write_text(json.dumps(
            {"before": before, "command": command, "machine": machine(),
             "load_at_end": load, "rows": summary}, indent=1), encoding="utf-8")
    if args.record:
        lines = [f"\n### Harness, {before} against after — {datetime.date.today()}",
                 f"Machine: {machine()}; load average at the end {load[0]:.1f} / "
                 f"{load[1]:.1f} / {load[2]:.1f}. Command: `{command}`. {before} = "
                 f"`{trees[0].src}`, after = `{trees[1].src or 'installed package'}`.\n",
                 table]
        with (HERE / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


#: the in-process benchmarks: run.py's switch for each (None: its own size option)
IN_PROCESS = (("bench_collector", "collector"), ("bench_predict", "predict"),
              ("bench_privacy", "privacy_events"), ("bench_scores", "scores"))


def compare_in_process(args: argparse.Namespace, trees: list[_trees.Tree]
                       ) -> list[dict[str, Any]]:
    """The benchmarks that measure in their own process: each once per tree and pair, in a
    fresh ``_tree_child.py`` process; the collector's floor once, here."""
    rows: list[dict[str, Any]] = []
    for bench, switch in IN_PROCESS:
        if not getattr(args, switch):
            continue
        print(f"\n{bench} under each tree ({args.tree_pairs} interleaved pairs)", flush=True)
        peers: dict[str, dict[str, Any]] = {}
        if bench == "bench_collector" and args.collector_floor:
            for r in bench_collector.run_floor(args):
                for m in bench_collector.run_measures(r):
                    peers[f"{m['measure']}|{m['size']}"] = {"wall": m["wall"], "cpu": m["cpu"]}
        got: dict[str, list[dict[str, Any]]] = {t.label: [] for t in trees}
        for tree in _trees.interleaved(trees, args.tree_pairs):
            got[tree.label].append(_child(bench, tree, args, trees))
        rows += in_process_rows(bench.removeprefix("bench_"), got, peers)
    return rows


def in_process_rows(bench: str, got: dict[str, list[dict[str, Any]]],
                    peers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Summary rows from each tree's child results (a failed child: every measure n/a)."""
    keys: list[tuple[str, str, str]] = []  # measure, size, unit, in first-seen order
    for results in got.values():
        for res in results:
            for m in res.get("measures", []):
                key = (m["measure"], m["size"], m.get("unit", "s"))
                if key not in keys:
                    keys.append(key)
    rows = []
    for measure, size, unit in keys:
        runs: dict[str, list[dict[str, Any]]] = {}
        for label, results in got.items():
            runs[label] = []
            for res in results:
                if "error" in res:
                    runs[label].append({"error": res["error"]})
                    continue
                found = [m for m in res["measures"]
                         if (m["measure"], m["size"]) == (measure, size)]
                # the measure's own peak RSS (the collector's server), else the child's (the
                # whole benchmark in one process)
                runs[label] += ([{**m, "peak_rss_mib": m.get("peak_rss_mib",
                                                             res.get("peak_rss_mib"))}
                                 for m in found]
                                or [{"error": "not measured by this tree"}])
        rows.append(_trees.summary_row(bench, measure, size, runs, unit=unit,
                                       peer=peers.get(f"{measure}|{size}"),
                                       peer_name="bare FastAPI" if bench == "collector" else ""))
    if not keys:  # every child failed before its first measure
        for results in got.values():
            errors = [r["error"] for r in results if "error" in r]
            rows.append(_trees.summary_row(
                bench, "(whole benchmark)", "-",
                {lb: [{"error": errors[0] if errors else "no measures"}] for lb in got}))
            break
    return rows


def _child(bench: str, tree: _trees.Tree, args: argparse.Namespace,
           trees: list[_trees.Tree]) -> dict[str, Any]:
    """``_tree_child.py bench`` under ``tree``; its output shown, its last JSON line."""
    options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    options["work"] = str(_trees.work(args.work, tree, trees))
    print(f"  [{tree.label}]", flush=True)
    out = subprocess.run([sys.executable, str(HERE / "_tree_child.py"), bench],
                         input=json.dumps(options), capture_output=True, text=True,
                         env=_trees.env(tree), check=False)
    lines = out.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(f"    {line}", flush=True)
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"    failed: {tail}", flush=True)
        return {"error": f"exit {out.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(lines[-1])
    print(f"    ({result['seconds']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU, peak RSS "
          f"{result['peak_rss_mib']:,} MiB; wegweiser from {result['wegweiser']})", flush=True)
    return result


def run_import(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The import benchmark; with --before both trees and the floor interleaved."""
    print(f"import of {args.events:,} demo events")
    trees = _trees.trees(args)
    comparing = len(trees) > 1
    rows = bench_import.run(args.events, args.work,
                            pairs=args.tree_pairs if comparing else 1,
                            before=trees[0].src if comparing else None,
                            after=trees[-1].src)
    if comparing:
        print(bench_import.table(rows))
    if args.record:
        lines = [
            f"\n### Import, {args.events:,} events — {datetime.date.today()}",
            f"Machine: {machine()}. Command: `python benchmarks/run.py --events {args.events}`.\n",
            "| step | seconds | events/s | peak RSS MiB | x floor |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in rows:
            ratio = f"{r['ratio_to_floor']:.2f}" if "ratio_to_floor" in r else "1.00"
            lines.append(f"| {r['label']} | {r['seconds']:.2f} | {r['events_per_s']:,.0f} | "
                         f"{r['peak_rss_mib']:,} | {ratio} |")
        with (HERE / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    return import_rows(rows, trees[0].label) if comparing else []


def import_rows(rows: list[dict[str, Any]], before: str) -> list[dict[str, Any]]:
    """Summary rows of the import benchmark: per input kind, the floor as the peer."""
    out = []
    for kind, name in (("parquet", "Parquet"), ("csv", "CSV")):
        mine = [r for r in rows if r["kind"] == kind]
        if not mine:
            continue

        def runs(label: str, mine: list[dict[str, Any]] = mine) -> list[dict[str, Any]]:
            row = next(r for r in mine if r["label"] == label)
            return [{"wall": x["seconds"], "cpu": x["cpu_seconds"],
                     "peak_rss_mib": x["peak_rss_mib"]} for x in row["all"]]

        floor = next(r for r in mine if r["label"].startswith("floor"))
        events = mine[0]["rows"]
        size = f"{events // 1_000_000}M" if events % 1_000_000 == 0 else f"{events:,}"
        out.append(_trees.summary_row(
            "import", f"{name} file -> project", size,
            {before: runs(f"before: wegweiser import ({name})"),
             "after": runs(f"wegweiser import ({name})")},
            peer={"wall": floor["seconds"], "cpu": floor["cpu_seconds"]},
            peer_name="DuckDB floor"))
    return out


if __name__ == "__main__":
    main()
