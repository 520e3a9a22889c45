"""Wegweiser's side of the attribution benchmark, and its data; one step per process
(main venv).

``python _wegweiser_attribution_ops.py make N C OUT.csv`` writes a synthetic path table of
exactly N distinct paths over C channels (``ch01``...), deterministically (seeded NumPy), and
``OUT.json`` beside it with what it was made from and the true credits (kept when both
files exist and the JSON names this ``GENERATOR``). Journeys are drawn
from a known first-order chain (:func:`chain`): a start distribution, per channel a
conversion and a drop-out probability, otherwise a move to the next channel; a journey that
is still going at its 12th touch ends there (converting with the channel's
conversion / (conversion + drop-out) odds). Each conversion is worth one of 24 prices. The
journeys are aggregated to distinct paths, batch after batch (each sized from the previous
one's yield of new paths) until there are at least N, and random single-journey paths are
dropped to leave exactly N (a few percent at most). Columns, as channelattribution names
them: ``path`` (``"ch03 > ch01 > ch03"``), ``total_conversions``, ``total_null``,
``total_conversion_value``.

The JSON holds ``true_credits``: the removal effects of the generating process itself (an
exact forward recursion over positions 1..12: removing a channel sends every journey reaching
it to null), shared out over the data's total conversions. An order-1 Markov model of the
table should come close to it; the difference is the sampling noise and the length cap.

``python _wegweiser_attribution_ops.py markov DATA.csv --order K [--repeat 3] [--budget 30]``
reads the table into :class:`Paths` with :func:`read_paths` (``load_seconds``, its own
figure), runs ``Markov(order=K).fit(paths)`` once, then ``--repeat`` more times and reports
the median (only the first run when it took more than ``--budget`` / ``--repeat`` seconds).
``shapley`` does the same with ``Shapley()`` (exact up to 16 channels). Each prints one JSON
line last, with the credited conversions per channel.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import current_rss_mib, peak_rss_mib

#: bump when the generator changes: cached tables made by another version are rebuilt
GENERATOR = "1"
MAX_LEN = 12
PRICES = np.round(np.linspace(9.9, 239.9, 24), 2)






# -- data ----------------------------------------------------------------------------------
def chain(n_channels: int) -> dict[str, np.ndarray]:
    """The generating chain for C channels (fixed per C): start probabilities, transition
    matrix, per-channel conversion and drop-out probabilities."""
    rng = np.random.default_rng(1_000 + n_channels)
    return {
        "start": rng.dirichlet(np.ones(n_channels)),
        "move": rng.dirichlet(np.ones(n_channels), size=n_channels),
        "conv": rng.uniform(0.01, 0.06, n_channels),
        "drop": rng.uniform(0.10, 0.20, n_channels),
    }


def simulate(ch: dict[str, np.ndarray], n: int, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` journeys: (n x MAX_LEN) channel codes (-1 after the end) and outcomes
    (1 conversion, 2 null)."""
    c = len(ch["start"])
    cum_move = np.cumsum(ch["move"], axis=1)
    codes = np.full((n, MAX_LEN), -1, dtype=np.int64)
    cur = np.minimum(np.searchsorted(np.cumsum(ch["start"]), rng.random(n), side="right"),
                     c - 1)
    outcome = np.zeros(n, dtype=np.int8)
    alive = np.arange(n)
    for step in range(MAX_LEN):
        here = cur[alive]
        codes[alive, step] = here
        u = rng.random(len(alive))
        conv = u < ch["conv"][here]
        ends = u < ch["conv"][here] + ch["drop"][here]
        if step == MAX_LEN - 1:  # the length cap: end here with the channel's odds
            odds = ch["conv"][here] / (ch["conv"][here] + ch["drop"][here])
            conv = np.where(ends, conv, rng.random(len(alive)) < odds)
            ends = np.ones(len(alive), dtype=bool)
        outcome[alive[conv]] = 1
        outcome[alive[ends & ~conv]] = 2
        alive = alive[~ends]
        if not len(alive):
            break
        u2 = rng.random(len(alive))
        nxt = (cum_move[cur[alive]] < u2[:, None]).sum(axis=1)
        cur[alive] = np.minimum(nxt, c - 1)
    return codes, outcome


def true_effects(ch: dict[str, np.ndarray]) -> np.ndarray:
    """Removal effects of the generating process (exact, positions 1..MAX_LEN)."""
    c = len(ch["start"])
    conv, drop, move = ch["conv"], ch["drop"], ch["move"]

    def p_conv(removed: int | None) -> float:
        mass = ch["start"].copy()
        total = 0.0
        for step in range(MAX_LEN):
            if removed is not None:
                mass[removed] = 0.0
            if step == MAX_LEN - 1:
                total += float(mass @ (conv / (conv + drop)))
                break
            total += float(mass @ conv)
            mass = (mass * (1 - conv - drop)) @ move
        return total

    base = p_conv(None)
    return np.array([1 - p_conv(k) / base for k in range(c)])


def make(n_paths: int, n_channels: int, out: Path) -> dict[str, Any]:
    """Write the table (unless OUT and OUT.json already hold this generator's table)."""
    meta_file = out.with_suffix(".json")
    if out.exists() and meta_file.exists():
        meta: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
        if (meta.get("generator"), meta.get("paths"), meta.get("channels")) == (
                GENERATOR, n_paths, n_channels):
            return {**meta, "cached": True}
    started = time.perf_counter()
    ch = chain(n_channels)
    base = n_channels + 1
    seeds = np.random.SeedSequence([n_paths, n_channels, 7])
    keys: list[np.ndarray] = []
    outcomes: list[np.ndarray] = []
    prices: list[np.ndarray] = []
    seen = np.zeros(0, dtype=np.int64)
    size = max(n_paths // 4, 10_000)  # first batch; then sized from the last batch's yield
    while len(seen) < n_paths:
        if len(keys) >= 200:
            raise SystemExit(f"cannot reach {n_paths:,} distinct paths over {n_channels} "
                             "channels")
        rng = np.random.default_rng(seeds.spawn(1)[0])
        codes, outcome = simulate(ch, size, rng)
        key = np.zeros(size, dtype=np.int64)
        for step in range(MAX_LEN):  # first touch in the lowest digit
            key += (codes[:, step] + 1) * base**step
        keys.append(key)
        outcomes.append(outcome)
        prices.append(np.where(outcome == 1, PRICES[rng.integers(0, len(PRICES), size)], 0.0))
        before = len(seen)
        seen = np.union1d(seen, key)
        rate = max((len(seen) - before) / size, 1e-3)  # new distinct paths per journey
        size = int(np.clip((n_paths - len(seen)) / rate, max(n_paths // 50, 1_000), n_paths))
    key = np.concatenate(keys)
    outcome = np.concatenate(outcomes)
    price = np.concatenate(prices)
    uniq, inverse = np.unique(key, return_inverse=True)
    journeys = np.bincount(inverse, minlength=len(uniq))
    conversions = np.bincount(inverse, outcome == 1, minlength=len(uniq))
    value = np.bincount(inverse, price, minlength=len(uniq))
    # exactly N: drop random single-journey paths (the rarest, least weight on the chain)
    rng = np.random.default_rng(seeds.spawn(1)[0])
    excess = len(uniq) - n_paths
    keep = np.ones(len(uniq), dtype=bool)
    if excess > 0:
        single = np.flatnonzero(journeys == 1)
        if len(single) >= excess:
            keep[rng.choice(single, excess, replace=False)] = False
        else:
            keep[rng.choice(len(uniq), excess, replace=False)] = False
    uniq, journeys, conversions, value = (a[keep] for a in (uniq, journeys, conversions,
                                                            value))
    order = rng.permutation(len(uniq))  # no sorted input: the tools must not profit from it
    uniq, journeys, conversions, value = (a[order] for a in (uniq, journeys, conversions,
                                                             value))
    text = path_texts(uniq, n_channels)
    nulls = journeys - conversions
    write_csv(out, text, conversions, nulls, value)
    effects = true_effects(ch)
    total = float(conversions.sum())
    credits = effects / effects.sum() * total
    digits = (uniq[:, None] // base ** np.arange(MAX_LEN)[None, :]) % base
    meta = {
        "generator": GENERATOR, "paths": len(uniq), "channels": n_channels,
        "journeys": int(journeys.sum()),
        "simulated_journeys": int(sum(len(k) for k in keys)), "batches": len(keys),
        "conversions": int(total), "null": int(nulls.sum()),
        "value": round(float(value.sum()), 2),
        "touches": int((digits > 0).sum()), "max_length": MAX_LEN,
        "true_removal_effects": dict(zip(labels(n_channels), effects.tolist(), strict=True)),
        "true_credits": dict(zip(labels(n_channels), credits.tolist(), strict=True)),
        "seconds": time.perf_counter() - started, "peak_rss_mib": peak_rss_mib(),
    }
    meta_file.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return {**meta, "cached": False}


def labels(n_channels: int) -> list[str]:
    return [f"ch{i + 1:02d}" for i in range(n_channels)]


def path_texts(keys: np.ndarray, n_channels: int) -> Any:
    """``"ch01 > ch03"`` for each key (Arrow string array)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    base = n_channels + 1
    digits = (keys[:, None] // base ** np.arange(MAX_LEN)[None, :]) % base  # 0 = no touch
    lengths = (digits > 0).sum(axis=1)
    flat = digits[digits > 0] - 1  # row-major: each path's touches in order
    names = np.asarray(labels(n_channels), dtype=object)[flat]
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    lists = pa.ListArray.from_arrays(offsets, pa.array(names, type=pa.string()))
    return pc.binary_join(lists, " > ")


def write_csv(out: Path, text: Any, conversions: np.ndarray, nulls: np.ndarray,
              value: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table({
        "path": text,
        "total_conversions": pa.array(conversions.astype(np.int64)),
        "total_null": pa.array(nulls.astype(np.int64)),
        "total_conversion_value": pa.array(np.round(value, 2)),
    })
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="none"))
    tmp.replace(out)


# -- measuring -----------------------------------------------------------------------------
def load(data: Path) -> Any:
    from wegweiser.analysis.attribution import read_paths

    return read_paths(data, conversions_column="total_conversions",
                      nulls_column="total_null", value_column="total_conversion_value")


def measure(model: str, data: Path, order: int, repeat: int, budget: float) -> dict[str, Any]:
    from wegweiser.analysis.attribution import Markov, Shapley

    t0, c0 = time.perf_counter(), time.process_time()
    paths = load(data)
    load_seconds, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    load_rss = current_rss_mib()
    load_peak = peak_rss_mib()

    def fit() -> Any:
        est = Markov(order=order) if model == "markov" else Shapley()
        return est.fit(paths)

    t0, c0 = time.perf_counter(), time.process_time()
    fitted = fit()
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    times, cpu = [], []
    if first * repeat <= budget:
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            fitted = fit()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    credits = fitted.credits_
    out: dict[str, Any] = {
        "model": model, "order": order if model == "markov" else None,
        "seconds": statistics.median(times) if times else first, "first_seconds": first,
        "runs": len(times) or 1, "warm": bool(times), "load_seconds": load_seconds,
        "cpu_seconds": statistics.median(cpu) if cpu else first_cpu, "load_cpu_seconds": load_cpu,
        "load_rss_mib": load_rss, "load_peak_rss_mib": load_peak,
        "paths": paths.n_paths, "touches": paths.n_touches, "channels": paths.n_labels,
        "peak_rss_mib": peak_rss_mib(),
        "credits": dict(zip(credits["touchpoint"], credits["conversions"].astype(float),
                            strict=True)),
        "revenue": dict(zip(credits["touchpoint"], credits["revenue"].astype(float),
                            strict=True)),
    }
    if model == "markov":
        out["states"] = int(fitted.n_states_)
        out["conversion_probability"] = float(fitted.conversion_probability_)
    else:
        out["exact"] = bool(fitted.exact_)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make", help="write a synthetic path table")
    mk.add_argument("paths", type=int)
    mk.add_argument("channels", type=int)
    mk.add_argument("out", type=Path)
    for name in ("markov", "shapley"):
        p = sub.add_parser(name, help=f"time {name} on a path table")
        p.add_argument("data", type=Path)
        p.add_argument("--order", type=int, default=1)
        p.add_argument("--repeat", type=int, default=3)
        p.add_argument("--budget", type=float, default=30.0)
    sub.add_parser("version")
    args = parser.parse_args()
    if args.command == "make":
        out = make(args.paths, args.channels, args.out)
    elif args.command == "version":
        from importlib.metadata import version

        out = {"version": version("wegweiser")}
    else:
        out = measure(args.command, args.data, args.order, args.repeat, args.budget)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
