"""Propensity, churn and next-best offer on the demo shop (issue 22, items 2-4).

``python benchmarks/bench_scores.py --persons 20000 --seeds 3`` (or ``python benchmarks/run.py
--scores``): per seed a demo shop of that many persons over 120 days (cached in
benchmarks/data/), then

* ``propensity`` and ``churn`` (horizon 14 days, permutation importance on): AUC and
  expected calibration error on the time split, for the model and the recency-frequency
  baseline, and which predictor the cross-validation chose (with its AUC);
* ``recommend`` with EASE and item-kNN: recall@10 and NDCG@10 against popularity;
* wall and CPU seconds of each analysis (CPU: this process, the fits run on one thread).

``--record`` appends the table to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import time
from pathlib import Path

import pandas as pd

import wegweiser
from wegweiser.events.demo import generate

HERE = Path(__file__).resolve().parent


def shop(folder: Path, persons: int, seed: int, days: int) -> Path:
    path = folder / f"scores-{persons}-{seed}-{days}"
    if not (path / "done").is_file():
        data = generate(persons, seed=seed, days=days)
        with wegweiser.Project.init(path) as proj:
            proj.import_events(data.events)
            proj.journey()
        (path / "done").write_text("ok", encoding="utf-8")
    return path


#: (analysis, wall s, CPU s) of every analysis timed in this process, unrounded
TIMINGS: list[tuple[str, float, float]] = []


def _timed(proj: wegweiser.Project, name: str, **options: object) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = proj.analyse(name, **options)
    out = result, time.perf_counter() - wall, time.process_time() - cpu
    TIMINGS.append((" ".join([name, *map(str, options.values())]), out[1], out[2]))
    return out


def run(persons: int, seeds: int, days: int, work: Path) -> pd.DataFrame:
    rows = []
    for seed in range(seeds):
        folder = shop(work, persons, seed, days)
        with wegweiser.open_project(folder) as proj:
            for name in ("propensity", "churn"):
                r, wall, cpu = _timed(proj, name)
                s = r.summary.set_index("model")  # type: ignore[attr-defined]
                rows.append({
                    "seed": seed, "analysis": name,
                    "metric": "AUC / ECE",
                    "model": f"{s.loc['gradient_boosting', 'auc']:.3f} / "
                             f"{s.loc['gradient_boosting', 'ece']:.3f}",
                    "baseline": f"{s.loc['recency_frequency', 'auc']:.3f} / "
                                f"{s.loc['recency_frequency', 'ece']:.3f}",
                    "chosen": f"{r.params['chosen']} "  # type: ignore[attr-defined]
                              f"{s.loc[r.params['chosen'], 'auc']:.3f}",  # type: ignore[attr-defined]
                    "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)})
                print(rows[-1], flush=True)
            for method in ("ease", "knn"):
                r, wall, cpu = _timed(proj, "recommend", method=method)
                s = r.summary.set_index("method")  # type: ignore[attr-defined]
                rows.append({
                    "seed": seed, "analysis": f"recommend {method}",
                    "metric": "recall@10 / NDCG@10",
                    "model": f"{s.loc[method, 'recall_at_k']:.3f} / "
                             f"{s.loc[method, 'ndcg_at_k']:.3f}",
                    "baseline": f"{s.loc['popularity', 'recall_at_k']:.3f} / "
                                f"{s.loc['popularity', 'ndcg_at_k']:.3f}",
                    "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)})
                print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scores", action="store_true",
                        help="run the propensity/churn/recommend benchmark (bench_scores)")
    parser.add_argument("--scores-persons", type=int, default=20_000)
    parser.add_argument("--scores-seeds", type=int, default=3)


def _markdown(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def record(frame: pd.DataFrame, persons: int, days: int, machine: str) -> None:
    lines = [f"\n### Predict: propensity, churn, recommend — {datetime.date.today()}",
             f"\nDemo shop, {persons:,} persons over {days} days, horizon 14 days; {machine}. "
             "`python benchmarks/bench_scores.py --persons "
             f"{persons} --seeds {frame['seed'].nunique()} --record`\n",
             _markdown(frame), ""]
    with (HERE / "RESULTS.md").open("a", encoding="utf-8") as out:
        out.write("\n".join(lines))


def main_from_args(args: argparse.Namespace, machine: str) -> None:
    if not args.scores:
        return
    frame = run(args.scores_persons, args.scores_seeds, 120, args.work)
    print(frame.to_string(index=False))
    if args.record:
        record(frame, args.scores_persons, 120, machine)


def tree_measures(args: argparse.Namespace) -> list[dict[str, object]]:
    """For ``run.py --before``: each analysis's wall and CPU seconds summed over the seeds
    (one tree per process, its own shops under ``args.work``)."""
    import importlib.util

    for name in ("propensity", "churn", "recommend"):  # fail before the shops are built
        try:
            found = importlib.util.find_spec(f"wegweiser.analysis.predict.{name}")
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise SystemExit(f"this tree has no wegweiser.analysis.predict.{name}")
    TIMINGS.clear()
    frame = run(args.scores_persons, args.scores_seeds, 120, args.work)
    print(frame.to_string(index=False), flush=True)
    totals: dict[str, list[float]] = {}
    for name, wall, cpu in TIMINGS:
        got = totals.setdefault(name, [0.0, 0.0])
        got[0] += wall
        got[1] += cpu
    size = f"{args.scores_persons:,} persons x {args.scores_seeds} seeds"
    return [{"measure": f"{name} (sum over the seeds)", "size": size, "wall": wall, "cpu": cpu}
            for name, (wall, cpu) in totals.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--work", type=Path, default=HERE / "data")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    from run import machine

    frame = run(args.persons, args.seeds, args.days, args.work)
    print(frame.to_string(index=False))
    if args.record:
        record(frame, args.persons, args.days, machine())


if __name__ == "__main__":
    main()
