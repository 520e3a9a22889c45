"""Experiments benchmark: A/A simulations under daily peeking, CUPED, a 10M-event readout.

``python benchmarks/bench_experiments.py [--aa-runs 10000] [--aa-days 60]
[--readout-events 10M] [--record]``

1. **A/A simulations** (:mod:`wegweiser.analysis.experiments.simulate`): per metric
   (proportion, mean, ratio; each also with CUPED; ``--aa-kinds`` picks some, e.g.
   ``ratio,ratio+cuped``) ``--aa-runs`` runs of
   ``--aa-days`` daily looks with ``--aa-per-day`` persons per arm and day. Reported: the
   naive repeated z/t-test's false-positive rate (significant at any look), the always-valid
   sequential interval's (excludes 0 at any look), and the fixed-horizon interval's
   coverage at the last look. Targets: sequential <= 5%, coverage >= 94%.
2. **CUPED variance reduction** on simulated normal data with correlation rho: the measured
   variance ratio against the theory's ``1 - rho^2`` (target: within +/- 5%).
3. **Readout at scale**: a synthetic journey table of N events (``--readout-events``;
   persons with ~20 events each, one experiment with two arms and a planted lift) as Parquet,
   read by DuckDB through Ibis; the full readout (assignments, per-person metrics and
   covariates, sums, statistics, the sequential chart) timed in its own process, median of
   ``--readout-repeat`` warm runs. Target: <= 10 s at 10M events.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
sys.path.insert(0, str(HERE))


def _count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


KINDS = ("proportion", "proportion+cuped", "mean", "mean+cuped", "ratio", "ratio+cuped")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--aa-runs", type=int, default=10_000)
    parser.add_argument("--aa-days", type=int, default=60)
    parser.add_argument("--aa-per-day", type=int, default=100)
    parser.add_argument(
        "--aa-kinds", default=",".join(KINDS), help="comma list of " + ", ".join(KINDS)
    )
    parser.add_argument("--readout-events", default="10M", help="'0' skips the readout")
    parser.add_argument("--readout-repeat", type=int, default=3)


def aa(args: argparse.Namespace) -> list[dict[str, Any]]:
    from wegweiser.analysis.experiments.simulate import simulate

    rows = []
    wanted = [k.strip() for k in args.aa_kinds.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise SystemExit(f"unknown --aa-kinds {', '.join(unknown)}; use {', '.join(KINDS)}")
    for item in wanted:
        kind, _, adjusted = item.partition("+")
        cuped = adjusted == "cuped"
        started = time.perf_counter()
        r = simulate(
            kind,
            runs=args.aa_runs,
            days=args.aa_days,
            per_day=args.aa_per_day,
            cuped=cuped,
            seed=2026,
        )
        rows.append(
            {
                "metric": kind,
                "cuped": cuped,
                "runs": r.runs,
                "naive": r.naive,
                "sequential": r.sequential,
                "coverage": r.coverage,
                "final": r.final,
                "seconds": time.perf_counter() - started,
            }
        )
        print(
            f"  {kind:10} cuped={cuped!s:5} naive {r.naive:.3f}  sequential "
            f"{r.sequential:.4f}  coverage {r.coverage:.4f}  ({rows[-1]['seconds']:.0f} s)",
            flush=True,
        )
    return rows


def cuped_reduction() -> list[dict[str, float]]:
    import numpy as np

    from wegweiser.analysis.experiments import stats
    from wegweiser.analysis.experiments.moments import Moments

    rng = np.random.default_rng(2026)
    out = []
    for rho in (0.2, 0.5, 0.7, 0.9):
        x = rng.normal(size=(2, 500_000))
        y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=(2, 500_000))
        a, b = Moments.of(y[0], x[0]), Moments.of(y[1], x[1])
        ratio = stats.cuped(b, a).se ** 2 / stats.means(b, a).se ** 2
        out.append({"rho": rho, "theory": 1 - rho**2, "measured": ratio})
        print(f"  rho {rho}: variance ratio {ratio:.4f} (theory {1 - rho**2:.4f})", flush=True)
    return out


def readout(args: argparse.Namespace, work: Path) -> dict[str, Any] | None:
    n = _count(args.readout_events)
    if n == 0:
        return None
    data = work / "experiments" / f"journey-{n}.parquet"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(HERE / "_experiments_ops.py"), "make", str(n), str(data)],
            check=True,
        )
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "_experiments_ops.py"),
            "readout",
            str(data),
            "--repeat",
            str(args.readout_repeat),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        print(out.stderr[-2000:])
        return {"events": n, "error": out.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"  readout of {n:,} events: {result['seconds']:.2f} s warm median, "
        f"{result['cpu_seconds']:.2f} CPU s "
        f"(cold {result['cold_seconds']:.2f} s), peak RSS {result['peak_rss_mib']} MiB",
        flush=True,
    )
    return result


def main_from_args(args: argparse.Namespace, machine: str) -> None:
    print(
        f"A/A simulations: {args.aa_runs:,} runs x {args.aa_days} daily looks, "
        f"{args.aa_per_day} persons per arm and day"
    )
    sims = aa(args) if args.aa_runs else []
    print("CUPED variance reduction")
    reduction = cuped_reduction()
    print("readout at scale")
    scale = readout(args, args.work)
    if args.record:
        record(args, machine, sims, reduction, scale)


def record(
    args: argparse.Namespace,
    machine: str,
    sims: list[dict[str, Any]],
    reduction: list[dict[str, float]],
    scale: dict[str, Any] | None,
) -> None:
    cmd = " ".join(["python benchmarks/bench_experiments.py", *sys.argv[1:]])
    lines = [
        f"\n### Experiments — {datetime.date.today()}",
        f"Machine: {machine}. Command: `{cmd}`.",
        "",
    ]
    if sims:
        lines += [
            f"A/A, {args.aa_runs:,} runs x {args.aa_days} daily looks x "
            f"{args.aa_per_day} persons per arm and day (two arms, same distribution):",
            "",
            "| metric | CUPED | naive daily z/t FPR | sequential FPR | "
            "fixed-horizon coverage (last look) | fixed-horizon FPR (last look only) |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for r in sims:
            lines.append(
                f"| {r['metric']} | {'yes' if r['cuped'] else 'no'} | "
                f"{r['naive']:.1%} | {r['sequential']:.2%} | {r['coverage']:.2%} | "
                f"{r['final']:.2%} |"
            )
        lines.append("")
    lines += [
        "CUPED variance ratio (CUPED / plain) at 500k persons per arm:",
        "",
        "| rho | 1 - rho^2 | measured | off by |",
        "|---:|---:|---:|---:|",
    ]
    for r in reduction:
        lines.append(
            f"| {r['rho']} | {r['theory']:.4f} | {r['measured']:.4f} | "
            f"{r['measured'] / r['theory'] - 1:+.2%} |"
        )
    if scale and "seconds" in scale:
        lines += [
            "",
            f"Readout of {scale['events']:,} journey events ({scale['persons']:,} "
            f"persons, {scale['exposed']:,} exposed, DuckDB through Ibis): "
            f"{scale['seconds']:.2f} s warm median of {args.readout_repeat} "
            f"({scale['cpu_seconds']:.2f} s CPU, all threads), cold "
            f"{scale['cold_seconds']:.2f} s, peak RSS {scale['peak_rss_mib']} MiB "
            "(target <= 10 s).",
        ]
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> None:
    from _common import run_standalone

    run_standalone(__doc__ or "", add_arguments, main_from_args)


if __name__ == "__main__":
    main()
