"""Lifetime-value benchmark: fit times on CDNOW and recovery of planted parameters.

``python benchmarks/bench_predict.py [--runs 200] [--record]`` (or ``python benchmarks/run.py
--predict``)

1. **CDNOW** (the 2,357-customer sample of the ``Lifetimes`` 0.11.3 wheel, downloaded with
   pip into ``benchmarks/data/``, never committed): each fit -- BG/NBD, Pareto/NBD on the
   39-week weekly summary, Gamma-Gamma on the 946 repeat buyers -- timed ``--repeat`` times
   (median wall and CPU seconds; target <= 2 s each), with its parameters beside the
   published ones. Then the whole analysis through a project (import of the raw
   transactions, the engine summary, the fit, the predictions) once.
2. **Simulated customers**: ``--runs`` data sets of ``--customers`` BG/NBD customers with
   CDNOW's parameters (T uniform over the CDNOW cohort's 27..39 weeks, a 39-week holdout),
   each fitted: the median and the 5%/95% quantiles of each estimate over the runs, and of
   the relative error of the predicted holdout purchases (all customers together).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PUBLISHED = {
    "BG/NBD": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "Pareto/NBD": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    "Gamma-Gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
}


def wheel(folder: Path) -> zipfile.ZipFile:
    folder.mkdir(parents=True, exist_ok=True)
    found = list(folder.glob("Lifetimes-0.11.3-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "Lifetimes==0.11.3",
                        "--no-deps", "--only-binary=:all:", "-d", str(folder), "-q"], check=True)
        found = list(folder.glob("Lifetimes-0.11.3-*.whl"))
    return zipfile.ZipFile(found[0])


def _timed(fn: Any, repeat: int) -> tuple[Any, float, float]:
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return out, statistics.median(walls), statistics.median(cpus)


def cdnow(args: argparse.Namespace) -> list[dict[str, Any]]:
    from wegweiser.analysis.predict._btyd import BgNbd, ParetoNbd
    from wegweiser.analysis.predict._gamma_gamma import GammaGamma

    whl = wheel(args.work)
    s = pd.read_csv(io.BytesIO(whl.read(
        "lifetimes/datasets/cdnow_customers_summary_with_transactions.csv")))
    x, tx, T, m = (s[c].to_numpy(dtype=float) for c in ("x", "t_x", "T", "zbar"))
    rows = []
    fits = {
        "BG/NBD": lambda: BgNbd.fit(x, tx, T),
        "Pareto/NBD": lambda: ParetoNbd.fit(x, tx, T),
        "Gamma-Gamma": lambda: GammaGamma.fit(x[x > 0], m[x > 0]),
    }
    for name, fit in fits.items():
        model, wall, cpu = _timed(fit, args.repeat)
        got = model.params()
        n = len(x) if name != "Gamma-Gamma" else int((x > 0).sum())
        rows.append({"what": f"{name} fit ({n} customers)", "wall": wall, "cpu": cpu,
                     "params": ", ".join(f"{k} {got[k]:.4f} ({v})"
                                         for k, v in PUBLISHED[name].items()),
                     "log_likelihood": model.log_likelihood})
    rows.append(_through_a_project(whl))
    return rows


def _through_a_project(whl: zipfile.ZipFile) -> dict[str, Any]:
    import wegweiser

    lines = [r.split() for r in whl.read("lifetimes/datasets/CDNOW_sample.txt").decode()
             .splitlines() if r.strip()]
    events = pd.DataFrame({
        "message_id": [f"cdnow-{i}" for i in range(len(lines))], "type": "track",
        "event": "order_completed", "user_id": [r[1] for r in lines],
        "timestamp": pd.to_datetime([r[2] for r in lines], format="%Y%m%d", utc=True),
        "revenue": [float(r[4]) for r in lines]})
    with tempfile.TemporaryDirectory() as tmp, wegweiser.Project.init(Path(tmp) / "p") as p:
        p.import_events(events)
        p.journey()
        result, wall, cpu = _timed(lambda: p.analyse(
            "clv", {"calibration_end": "1997-09-30", "unit": "week"}), 1)
    summary = result.summary.iloc[0]
    return {"what": "wegweiser predict clv on the raw sample (engine summary + BG/NBD + "
                    "Gamma-Gamma + predictions)", "wall": wall, "cpu": cpu,
            "params": f"holdout: {summary['holdout_actual']:.0f} actual, "
                      f"{summary['holdout_predicted']:.1f} predicted",
            "log_likelihood": float(summary["log_likelihood"])}


def simulate(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float,
             holdout: float = 39.0) -> tuple[np.ndarray, ...]:
    """BG/NBD customers (see tests/analysis/predict/test_btyd.py) with T ~ U(27, 39)."""
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(27.0, 39.0, n)
    x, tx, held = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i] + holdout:
                break
            if t <= T[i]:
                x[i] += 1
                tx[i] = t
            else:
                held[i] += 1
            if rng.random() < p[i]:
                break
    return x, tx, T, held


def recovery(args: argparse.Namespace) -> dict[str, Any]:
    from wegweiser.analysis.predict._btyd import BgNbd

    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    rng = np.random.default_rng(args.seed)
    estimates: dict[str, list[float]] = {k: [] for k in truth}
    errors, cpus = [], []
    for _ in range(args.runs):
        x, tx, T, held = simulate(rng, args.customers, **truth)
        c = time.process_time()
        m = BgNbd.fit(x, tx, T)
        cpus.append(time.process_time() - c)
        for k, v in m.params().items():
            estimates[k].append(v)
        errors.append(m.expected(39.0, x, tx, T).sum() / held.sum() - 1)
    q = {k: np.quantile(v, [0.05, 0.5, 0.95]) for k, v in estimates.items()}
    return {"truth": truth, "quantiles": q, "error": np.quantile(errors, [0.05, 0.5, 0.95]),
            "cpu_median": statistics.median(cpus), "cpu_max": max(cpus)}


def machine() -> str:
    import os

    import psutil

    mem = psutil.virtual_memory().total / 2**30
    return (f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
            f"Python {platform.python_version()}, {platform.system()}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("lifetime-value benchmark (bench_predict.py)")
    g.add_argument("--predict", action="store_true", help="run the lifetime-value benchmark")
    g.add_argument("--runs", type=int, default=200, help="simulated data sets")
    g.add_argument("--customers", type=int, default=2357, help="customers per data set")
    g.add_argument("--repeat", type=int, default=5, help="timings per CDNOW fit")
    g.add_argument("--seed", type=int, default=1)


def main_from_args(args: argparse.Namespace, machine_text: str, command: str) -> None:
    if not getattr(args, "predict", True):
        return
    print(f"\nlifetime value: CDNOW fits ({args.repeat} timings each)", flush=True)
    rows = cdnow(args)
    for r in rows:
        print(f"  {r['what']}: {r['wall']:.3f} s wall, {r['cpu']:.3f} s CPU; {r['params']}; "
              f"LL {r['log_likelihood']:.2f}")
    print(f"lifetime value: {args.runs} simulated sets of {args.customers} customers", flush=True)
    sim = recovery(args)
    for k, (lo, med, hi) in sim["quantiles"].items():
        print(f"  {k}: truth {sim['truth'][k]}, median {med:.3f}, 90% of runs {lo:.3f}..{hi:.3f}")
    lo, med, hi = sim["error"]
    print(f"  holdout purchases, predicted/actual - 1: median {med:+.3f}, 90% {lo:+.3f}..{hi:+.3f}")
    print(f"  fit CPU: median {sim['cpu_median']:.3f} s, max {sim['cpu_max']:.3f} s")
    if args.record:
        record(rows, sim, machine_text, command, args)


def tree_measures(args: argparse.Namespace) -> list[dict[str, Any]]:
    """For ``run.py --before``: the benchmark's output as usual, its timings as measures
    (``_tree_child.py`` runs it once per tree in a fresh process)."""
    print(f"lifetime value: CDNOW fits ({args.repeat} timings each)", flush=True)
    out = []
    for r in cdnow(args):
        print(f"  {r['what']}: {r['wall']:.3f} s wall, {r['cpu']:.3f} s CPU; {r['params']}; "
              f"LL {r['log_likelihood']:.2f}", flush=True)
        out.append({"measure": r["what"].split(" (")[0], "size": "CDNOW", "wall": r["wall"],
                    "cpu": r["cpu"]})
    sim = recovery(args)
    print(f"  {args.runs} simulated sets: fit CPU median {sim['cpu_median']:.3f} s, max "
          f"{sim['cpu_max']:.3f} s", flush=True)
    out.append({"measure": "BG/NBD fit of a simulated set (CPU only, median)",
                "size": f"{args.runs} x {args.customers}", "wall": sim["cpu_median"],
                "cpu": sim["cpu_median"]})
    return out


def record(rows: list[dict[str, Any]], sim: dict[str, Any], machine_text: str, command: str,
           args: argparse.Namespace) -> None:
    lines = [f"\n### Customer lifetime value — {dt.date.today()}",
             f"Machine: {machine_text}. Command: `{command}`. Target: each fit <= 2 s.\n",
             "| step | wall s (median) | CPU s (median) | estimates (published) | log-likelihood |",
             "|---|---:|---:|---|---:|"]
    lines += [f"| {r['what']} | {r['wall']:.3f} | {r['cpu']:.3f} | {r['params']} | "
              f"{r['log_likelihood']:.2f} |" for r in rows]
    lines += ["", f"{args.runs} simulated sets of {args.customers} BG/NBD customers with the "
              "CDNOW estimates as truth (seed " f"{args.seed}):", "",
              "| parameter | truth | median | 5% | 95% |", "|---|---:|---:|---:|---:|"]
    for k, (lo, med, hi) in sim["quantiles"].items():
        lines.append(f"| {k} | {sim['truth'][k]} | {med:.3f} | {lo:.3f} | {hi:.3f} |")
    lo, med, hi = sim["error"]
    lines.append(f"| holdout predicted / actual - 1 | 0 | {med:+.3f} | {lo:+.3f} | {hi:+.3f} |")
    lines.append(f"\nFit CPU over the runs: median {sim['cpu_median']:.3f} s, "
                 f"max {sim['cpu_max']:.3f} s.")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=HERE / "data")
    parser.add_argument("--record", action="store_true", help="append to RESULTS.md")
    add_arguments(parser)
    args = parser.parse_args()
    args.predict = True
    command = "python benchmarks/bench_predict.py " + " ".join(sys.argv[1:])
    main_from_args(args, machine(), command.strip())


if __name__ == "__main__":
    main()
