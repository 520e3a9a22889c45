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
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000,
                        help="events for the import benchmark; 0 skips it")
    parser.add_argument("--work", type=Path, default=HERE / "data")
    parser.add_argument("--record", action="store_true", help="append to RESULTS.md")
    bench_analytics.add_arguments(parser)
    bench_attribution.add_arguments(parser)
    bench_collector.add_arguments(parser)
    parser.add_argument("--sendtime", action="store_true",
                        help="best send time vs the median rule, uplift coverage")
    bench_sendtime.add_arguments(parser)
    bench_predict.add_arguments(parser)
    bench_privacy.add_arguments(parser)
    bench_scores.add_arguments(parser)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.events:
        run_import(args)
    bench_analytics.main_from_args(args, machine())
    bench_attribution.main_from_args(args, machine())
    bench_collector.main_from_args(args, machine())
    if args.sendtime:
        bench_sendtime.main_from_args(args, machine())
    bench_predict.main_from_args(args, machine(), "python " + " ".join(sys.argv))
    bench_privacy.main_from_args(args, machine())
    bench_scores.main_from_args(args, machine())


def run_import(args: argparse.Namespace) -> None:
    print(f"import of {args.events:,} demo events")
    rows = bench_import.run(args.events, args.work)
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


if __name__ == "__main__":
    main()
