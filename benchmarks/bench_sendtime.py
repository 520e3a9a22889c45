"""Best send time and journey readouts: the figures of issue 21's checks.

``python benchmarks/bench_sendtime.py [--people 5000] [--seeds 5] [--coverage-runs 200]
[--record]`` (also ``python benchmarks/run.py --sendtime``)

1. **Best send time vs Mautic's median rule** (:mod:`wegweiser.orchestrate.sendtime_sim`):
   ``--people`` simulated people per seed (half day people, a quarter night owls with a
   peak between 22:00 and 02:00, a quarter two-peak people), ~12 engagement events each;
   the share hit within +/- 1 h of the true peak, overall and per kind, for the model
   (population prior, circular smoothing, the best time in the next 24 h) and the median
   rule on the same data. Goals: model >= 70% and better than the median rule.
2. **Uplift coverage** (:mod:`wegweiser.orchestrate.readout_sim`): ``--coverage-runs``
   simulated journeys (28 days, 500 entrants a day, 20% holdout, 10% base conversion) with
   a planted lift of +2 points and with none, looked at every day. Goals: the 95% interval
   holds the truth in >= 93% of runs; no-lift runs declare a win in <= 5%.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
sys.path.insert(0, str(HERE))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--coverage-runs", type=int, default=200)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def send_time(args: argparse.Namespace) -> list[dict[str, Any]]:
    from wegweiser.orchestrate.sendtime_sim import evaluate, simulate_people

    rows = []
    for seed in range(args.seeds):
        wall, cpu = time.perf_counter(), _cpu()
        score = evaluate(simulate_people(args.people, seed=seed), seed=seed)
        kinds = score.by_kind.set_index("kind")
        rows.append({"seed": seed, "persons": score.persons, "model": score.model,
                     "median": score.median,
                     **{f"{k}_{m}": float(kinds.loc[k, m]) for k in kinds.index
                        for m in ("model", "median")},
                     "seconds": time.perf_counter() - wall, "cpu": _cpu() - cpu})
        print(f"send time seed {seed}: model {score.model:.1%}, median rule "
              f"{score.median:.1%} ({score.persons} people, "
              f"{rows[-1]['seconds']:.1f} s, {rows[-1]['cpu']:.1f} s CPU)")
        print(score.by_kind.to_string(index=False))
    return rows


def coverage(args: argparse.Namespace) -> list[dict[str, Any]]:
    from wegweiser.orchestrate.readout_sim import coverage as simulate

    rows = []
    for lift, seed in ((0.02, 2026), (0.0, 2027)):
        wall, cpu = time.perf_counter(), _cpu()
        r = simulate(lift=lift, runs=args.coverage_runs, seed=seed)
        rows.append({"lift": lift, "runs": r.runs, "coverage": r.coverage,
                     "coverage_always": r.coverage_always, "wins": r.wins,
                     "naive_wins": r.naive_wins, "seconds": time.perf_counter() - wall,
                     "cpu": _cpu() - cpu})
        print(f"uplift coverage, lift {lift:+.0%}: covered at the last look {r.coverage:.1%}, "
              f"at every look {r.coverage_always:.1%}, wins (any daily look) {r.wins:.1%}, "
              f"naive fixed-horizon wins {r.naive_wins:.1%} ({r.runs} runs, "
              f"{rows[-1]['seconds']:.1f} s)")
    return rows


def record(machine: str, args: argparse.Namespace, times: list[dict[str, Any]],
           cover: list[dict[str, Any]]) -> None:
    n = len(times)
    mean = {k: sum(r[k] for r in times) / n for k in times[0] if k != "seed"}
    lines = [
        f"\n### Best send time and journey readouts (issue 21) — {datetime.date.today()}",
        f"Machine: {machine}. Command: `python benchmarks/bench_sendtime.py --people "
        f"{args.people} --seeds {args.seeds} --coverage-runs {args.coverage_runs} --record`.\n",
        f"Send time, hit within ± 1 h of the true peak ({args.seeds} seeds x {args.people} "
        "simulated people, mean; range over seeds in brackets):\n",
        "| people | model | median rule (Mautic) |", "|---|---:|---:|",
    ]
    for kind in ("day", "night_owl", "two_peak"):
        lines.append(f"| {kind} | {mean[f'{kind}_model']:.1%} | {mean[f'{kind}_median']:.1%} |")
    lo = min(r["model"] for r in times)
    hi = max(r["model"] for r in times)
    lines.append(f"| all | {mean['model']:.1%} ({lo:.1%} to {hi:.1%}) | {mean['median']:.1%} |")
    lines += ["", "Uplift coverage (28 daily looks, 500 entrants a day, 20% holdout, base 10%):\n",
              "| planted lift | runs | covered at last look | covered at every look | "
              "wins at any look | naive fixed-horizon wins |", "|---|---:|---:|---:|---:|---:|"]
    for r in cover:
        lines.append(f"| {r['lift']:+.0%} | {r['runs']} | {r['coverage']:.1%} | "
                     f"{r['coverage_always']:.1%} | {r['wins']:.1%} | {r['naive_wins']:.1%} |")
    wall = sum(r["seconds"] for r in times + cover)
    cpu = sum(r["cpu"] for r in times + cover)
    lines.append(f"\nWall {wall:.0f} s, CPU {cpu:.0f} s (shared machine under load).")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main_from_args(args: argparse.Namespace, machine: str) -> None:
    times = send_time(args)
    cover = coverage(args)
    if args.record:
        record(machine, args, times, cover)


def main() -> None:
    from run import machine

    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser)
    parser.add_argument("--record", action="store_true", help="append to RESULTS.md")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    main_from_args(args, machine())


if __name__ == "__main__":
    main()
