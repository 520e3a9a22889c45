"""Attribution benchmark: Wegweiser's Markov and Shapley models against channelattribution.

Data: synthetic path tables of exactly N distinct paths over C channels, drawn from a known
first-order chain (``_wegweiser_attribution_ops.py make``, seeded, cached under
``WORK/attribution/``), as CSV with channelattribution's columns ``path`` (``"a > b > c"``),
``total_conversions``, ``total_null``, ``total_conversion_value``.

Per (paths, channels, order) ``--attribution-pairs`` pairs of processes, run interleaved
(channelattribution, Wegweiser, channelattribution, ...: a busy spell hits both sides), so
that each peak RSS is its own:
channelattribution's ``markov_model`` (in ``benchmarks/.venv-channelattribution``, reading
the CSV with pandas) and Wegweiser's ``Markov(order=k).fit(paths)`` (main venv, reading the
CSV with ``read_paths``). Reading is timed apart as "load". Each side fits once to warm, then
``--attribution-repeat`` times, and reports the median (only the first run when it took more
than ``--attribution-budget`` / repeat seconds) with its CPU seconds (every thread). The
ratios are the medians of the pairs' ratios; the seconds the medians of each side. The
credited conversions per channel of the two are compared (channelattribution simulates, so
they differ by its sampling noise: the difference is reported, not asserted), and both
against the true credits of the generating chain. Exact Shapley (``Shapley()``, 12
channels) is timed on its own tables.

channelattribution (the latest release unless ``--channelattribution-spec`` says otherwise)
is installed into ``benchmarks/.venv-channelattribution`` when that is missing; when it
cannot be installed or does not run, its side is recorded as unavailable and Wegweiser still
runs. See ``_channelattribution_ops.py`` for its exact call and benchmarks/README.md.

Standalone: ``python benchmarks/bench_attribution.py --attribution-sizes 100k
--attribution-channels 10 --attribution-orders 1,2 [--record]``.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _trees
from _common import create_venv, json_line, run_standalone, venv_env

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-channelattribution"
RESULTS = HERE / "RESULTS.md"
WEG_OPS = HERE / "_wegweiser_attribution_ops.py"
CA_OPS = HERE / "_channelattribution_ops.py"

DEFAULT_SIZES = "100k,1M"
DEFAULT_CHANNELS = "10,15,20"
DEFAULT_ORDERS = "1,2,3"
SHAPLEY_CHANNELS = 12
# channelattribution 2.2.5 imports matplotlib at import time without declaring it
CA_EXTRA = ["matplotlib"]
# Targets of the issue: order-1 fit seconds at 1M paths, faster than channelattribution at
# every size, exact Shapley for 12 channels.
TARGET_ORDER1_SECONDS, TARGET_ORDER1_AT = 2.0, 1_000_000
TARGET_SHAPLEY_SECONDS = 2.0


# -- options -------------------------------------------------------------------------------
def parse_sizes(text: str) -> list[int]:
    """``"1M,100k"`` -> ``[100000, 1000000]``; ``"none"`` -> ``[]``.

    >>> parse_sizes("1M,100k,2_000")
    [2000, 100000, 1000000]
    """
    out: list[int] = []
    for raw in text.replace(" ", "").lower().split(","):
        if not raw or raw == "none":
            continue
        factor = {"k": 1_000, "m": 1_000_000}.get(raw[-1], 1)
        number = raw[:-1] if factor > 1 else raw
        try:
            out.append(int(float(number.replace("_", "")) * factor))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"bad size {raw!r}: use distinct path counts such as 100000, 100k, 1M"
            ) from None
    return sorted(set(out))


def parse_ints(text: str) -> list[int]:
    """``"20,10"`` -> ``[10, 20]``; ``"none"`` -> ``[]``.

    >>> parse_ints("3, 1,2")
    [1, 2, 3]
    """
    out = []
    for raw in text.replace(" ", "").lower().split(","):
        if not raw or raw == "none":
            continue
        try:
            out.append(int(raw))
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad number {raw!r}") from None
    return sorted(set(out))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("attribution benchmark (against channelattribution)")
    g.add_argument("--attribution-sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES),
                   help=f"distinct paths, comma-separated (100k, 1M); 'none' skips the "
                        f"benchmark (default {DEFAULT_SIZES})")
    g.add_argument("--attribution-channels", type=parse_ints,
                   default=parse_ints(DEFAULT_CHANNELS),
                   help=f"channel counts (default {DEFAULT_CHANNELS}); 'none': Shapley only")
    g.add_argument("--attribution-orders", type=parse_ints, default=parse_ints(DEFAULT_ORDERS),
                   help=f"Markov orders (default {DEFAULT_ORDERS}); 'none': Shapley only")
    g.add_argument("--attribution-shapley-channels", type=int, default=SHAPLEY_CHANNELS,
                   help=f"channels of the exact Shapley tables (default {SHAPLEY_CHANNELS}); "
                        "0 skips Shapley")
    g.add_argument("--attribution-repeat", type=int, default=3,
                   help="timed runs after the warm-up run (median reported)")
    g.add_argument("--attribution-pairs", type=int, default=3,
                   help="pairs of processes per row, run interleaved (channelattribution, "
                        "Wegweiser, channelattribution, ...); the ratio is the pairs' median")
    g.add_argument("--attribution-budget", type=float, default=30.0,
                   help="no repeats when the warm-up run took more than this / repeat seconds")
    g.add_argument("--channelattribution-spec", default=None,
                   help="pip requirement to (re)install, e.g. 'channelattribution==2.2.5' "
                        "(default: install the latest when the venv is missing)")
    g.add_argument("--channelattribution-ncore", type=int, default=1,
                   help="its ncore (threads of its simulation; Wegweiser uses one core)")
    g.add_argument("--channelattribution-nsim-start", type=int, default=100_000,
                   help="its nsim_start (simulated paths of the first round; its default)")
    g.add_argument("--channelattribution-timeout", type=float, default=900.0,
                   help="seconds one channelattribution process may take")


# -- processes -----------------------------------------------------------------------------


def _ca_env() -> dict[str, str]:
    return venv_env(MPLBACKEND="Agg")  # it imports matplotlib.pyplot; never open a display


def ensure_channelattribution(spec: str | None = None, venv: Path = VENV
                              ) -> tuple[str | None, str | None]:
    """(version, None) when channelattribution runs in its venv (created and installed when
    missing, reinstalled with ``spec``), else (None, why not). Never raises."""
    python = venv / "bin" / "python"
    try:
        if not python.exists():
            create_venv(venv, shown_as=str(venv.relative_to(HERE.parent)))
            spec = spec or "channelattribution"
        if spec:
            print(f"  pip install {spec} {' '.join(CA_EXTRA)} (into {venv.name}; it may "
                  "compile C++, a minute or two)", flush=True)
            done = subprocess.run([str(python), "-m", "pip", "install", "-q", "-U", spec,
                                   *CA_EXTRA], env=_ca_env(), check=False,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                return None, f"pip install {spec} failed: {tail}"
    except (OSError, subprocess.CalledProcessError) as exc:
        return None, f"cannot create {venv.name}: {exc}"
    info = json_line([str(python), str(CA_OPS), "probe"], env=_ca_env(), timeout=300)
    if "error" in info:
        return None, (f"channelattribution does not run in {venv.name} ({info['error']}); "
                      "delete the folder to reinstall")
    return str(info["version"]), None


def prepare_data(n_paths: int, n_channels: int, work: Path) -> tuple[Path, dict[str, Any]]:
    """The CSV path table (made in its own process when missing) and its description."""
    folder = work / "attribution"
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"paths-{n_paths}-{n_channels}.csv"
    meta = json_line([sys.executable, str(WEG_OPS), "make", str(n_paths), str(n_channels),
                       str(data)])
    if "error" in meta:
        raise SystemExit(f"cannot make {data.name}: {meta['error']}")
    return data, meta


# -- comparison ----------------------------------------------------------------------------
def max_rel_diff(a: dict[str, float], b: dict[str, float]) -> float | None:
    """max over channels of |a - b| / b (channels missing on one side count 0; channels
    where b is 0 are left out).

    >>> max_rel_diff({"x": 11.0, "y": 9.0}, {"x": 10.0, "y": 10.0})
    0.1
    """
    diffs = [abs(a.get(k, 0.0) - v) / abs(v) for k, v in b.items() if v]
    return round(max(diffs), 12) if diffs else None


# -- the run -------------------------------------------------------------------------------
def _s(r: dict[str, Any] | None, key: str = "seconds") -> str:
    if r is None or (key in r and r[key] is None):
        return "-"
    if "error" in r:
        return "failed"
    mark = "*" if key == "seconds" and not r.get("warm", True) else ""
    return f"{r[key]:.3f}{mark}"


def _mib(r: dict[str, Any] | None) -> str:
    return f"{r['peak_rss_mib']:,}" if r and "error" not in r else "-"


def _pct(x: float | None) -> str:
    return f"{100 * x:.1f}%" if x is not None else "-"


def _ratio(x: float | None) -> str:
    return f"{x:.1f}x" if x is not None else "-"


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark as ``args`` say; rows for RESULTS.md."""
    work = getattr(args, "work", HERE / "data")
    sizes, channels, orders = (args.attribution_sizes, args.attribution_channels,
                               args.attribution_orders)
    markov = bool(channels and orders)
    version, why = (ensure_channelattribution(args.channelattribution_spec) if markov
                    else (None, "no Markov configuration asked for"))
    if markov:
        print(f"channelattribution {version} in {VENV.relative_to(HERE.parent)} "
              f"(ncore {args.channelattribution_ncore}, nsim_start "
              f"{args.channelattribution_nsim_start:,})" if version else
              f"channelattribution unavailable: {why}; Wegweiser runs alone", flush=True)
    timing = ["--repeat", str(args.attribution_repeat), "--budget", str(args.attribution_budget)]
    ca_opts = ["--ncore", str(args.channelattribution_ncore),
               "--nsim-start", str(args.channelattribution_nsim_start)]
    rows: list[dict[str, Any]] = []
    shapley: list[dict[str, Any]] = []
    all_trees = _trees.trees(args)
    order = _trees.interleaved(all_trees, max(1, args.attribution_pairs))
    started = time.perf_counter()
    for n in sizes:
        for c in channels if orders else []:
            data, meta = prepare_data(n, c, work)
            made = "cached" if meta.get("cached") else f"made in {meta['seconds']:.1f} s"
            print(f"\n{n:,} paths, {c} channels ({meta['journeys']:,} journeys, "
                  f"{meta['touches']:,} touches, {meta['conversions']:,} conversions; "
                  f"data {made})", flush=True)
            print(f"  {'order':>5s} {'ca load':>8s} {'ca fit':>8s} {'ca cpu':>8s} "
                  f"{'weg load':>8s} {'weg fit':>8s} {'weg cpu':>8s} {'weg 1st':>8s} "
                  f"{'ratio':>7s} {'w/ load':>7s} {'cpu w/l':>7s} {'ca MiB':>7s} {'weg MiB':>7s} "
                  f"{'ca~weg':>7s} {'weg~true':>8s} {'ca~true':>8s}", flush=True)
            truth = meta.get("true_credits", {})
            for k in orders:
                cas: list[dict[str, Any]] = []
                by_tree: dict[str, list[dict[str, Any]]] = {t.label: [] for t in all_trees}
                for _ in range(max(1, args.attribution_pairs)):  # A B A B (B: every tree)
                    if version:
                        cas.append(json_line(
                            [str(VENV / "bin" / "python"), str(CA_OPS), "markov", str(data),
                             "--order", str(k), *timing, *ca_opts],
                            env=_ca_env(), timeout=args.channelattribution_timeout))
                    for tree in all_trees:
                        by_tree[tree.label].append(json_line(
                            [sys.executable, str(WEG_OPS), "markov", str(data), "--order",
                             str(k), *timing], env=_trees.env(tree)))
                row = make_row(n, c, k, meta, cas, by_tree["after"], truth)
                row["trees"] = by_tree
                rows.append(row)
                ca, weg = row["ca"], row["weg"]
                print(f"  {k:>5d} {_s(ca, 'load_seconds'):>8s} {_s(ca):>8s} "
                      f"{_s(ca, 'cpu_seconds'):>8s} {_s(weg, 'load_seconds'):>8s} "
                      f"{_s(weg):>8s} {_s(weg, 'cpu_seconds'):>8s} "
                      f"{_s(weg, 'first_seconds'):>8s} {_ratio(row['ratio']):>7s} "
                      f"{_ratio(row['ratio_with_load']):>7s} "
                      f"{_ratio(row['cpu_ratio_with_load']):>7s} {_mib(ca):>7s} {_mib(weg):>7s} "
                      f"{_pct(row['ca_vs_weg']):>7s} {_pct(row['weg_vs_true']):>8s} "
                      f"{_pct(row['ca_vs_true']):>8s}", flush=True)
                for side, r in (("channelattribution", ca), ("wegweiser", weg)):
                    if r is not None and "error" in r:
                        print(f"    {side} failed: {r['error']}", flush=True)
                if len(all_trees) > 1:
                    _show_trees(by_tree)
                if ca and "error" not in ca and ca.get("ended_before_cut_pct") is not None:
                    row["ca_note"] = (f"{ca['simulations']:,} simulated paths, "
                                      f"{100 - ca['ended_before_cut_pct']:.1f}% cut at "
                                      f"{ca['max_step']} steps")
    if args.attribution_shapley_channels > 0 and sizes:
        c = args.attribution_shapley_channels
        print(f"\nexact Shapley, {c} channels", flush=True)
        print(f"  {'paths':>10s} {'journeys':>10s} {'weg load':>8s} {'weg fit':>8s} "
              f"{'weg 1st':>8s} {'weg MiB':>7s} {'exact':>5s}", flush=True)
        for n in sizes:
            data, meta = prepare_data(n, c, work)
            by_tree = {t.label: [] for t in all_trees}
            for tree in order:
                by_tree[tree.label].append(json_line(
                    [sys.executable, str(WEG_OPS), "shapley", str(data), *timing],
                    env=_trees.env(tree)))
            weg = median_run(by_tree["after"]) or {"error": "not run"}
            row = {"paths": n, "channels": c, "meta": meta, "weg": weg, "misses": [],
                   "trees": by_tree}
            if "error" in weg:
                row["misses"] = ["failed"]
            else:
                if not weg["exact"]:
                    row["misses"].append("not exact")
                if weg["seconds"] > TARGET_SHAPLEY_SECONDS:
                    row["misses"].append(f"> {TARGET_SHAPLEY_SECONDS:g} s")
            shapley.append(row)
            exact = "yes" if weg.get("exact") else "-" if "error" in weg else "NO"
            print(f"  {n:>10,d} {meta['journeys']:>10,d} {_s(weg, 'load_seconds'):>8s} "
                  f"{_s(weg):>8s} {_s(weg, 'first_seconds'):>8s} {_mib(weg):>7s} "
                  f"{exact:>5s}", flush=True)
            if "error" in weg:
                print(f"    wegweiser failed: {weg['error']}", flush=True)
            if len(all_trees) > 1:
                _show_trees(by_tree)
    print(f"\n  ratio = median over the interleaved pairs of channelattribution fit s / "
          f"wegweiser fit s (warm medians; * one cold run only); cpu = CPU seconds of a fit "
          f"(all threads), w/ load = the same with each side's CSV read added; weg 1st = "
          f"Wegweiser's first (cold) fit in its process; ca~weg = max over channels of "
          f"|ca - weg| / weg credited conversions (ca simulates: noise, not an error); "
          f"~true = against the generating chain's removal-effect credits "
          f"({time.perf_counter() - started:.0f} s in all)", flush=True)
    result = {"rows": rows, "shapley": shapley, "version": version, "unavailable": why,
              "ncore": args.channelattribution_ncore,
              "nsim_start": args.channelattribution_nsim_start}
    report_targets(result)
    return result


def _show_trees(by_tree: dict[str, list[dict[str, Any]]]) -> None:
    print("    " + "; ".join(
        f"{label}: " + ", ".join(f"{_s(r)} s (cpu {_s(r, 'cpu_seconds')})" if "error" not in r
                                 else f"n/a ({r['error']})" for r in runs)
        for label, runs in by_tree.items()), flush=True)


def summary_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the before/after summary (``_trees.summary_table``): the warm fit seconds
    of each tree's processes; channelattribution's fit as the Markov rows' peer."""
    def runs(by_tree: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        return {label: [{"error": x["error"]} if "error" in x else
                        {"wall": x["seconds"], "cpu": x.get("cpu_seconds"),
                         "peak_rss_mib": x["peak_rss_mib"]} for x in got]
                for label, got in by_tree.items()}

    out = []
    for r in result["rows"]:
        ca = r["ca"]
        peer = (None if ca is None else {"error": ca["error"]} if "error" in ca
                else {"wall": ca["seconds"], "cpu": ca.get("cpu_seconds")})
        out.append(_trees.summary_row(
            "attribution", f"Markov order {r['order']}, {r['channels']} channels (fit)",
            f"{_short(r['paths'])} paths", runs(r["trees"]), peer=peer,
            peer_name="channelattribution"))
    for r in result["shapley"]:
        out.append(_trees.summary_row(
            "attribution", f"exact Shapley, {r['channels']} channels (fit)",
            f"{_short(r['paths'])} paths", runs(r["trees"])))
    return out


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else (
        f"{n // 1_000}k" if n % 1_000 == 0 else f"{n:,}")


#: the figures of a side that are medians over its processes (its peak RSS is the largest)
TIMES = ("seconds", "first_seconds", "load_seconds", "cpu_seconds", "load_cpu_seconds")


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One side's processes as one: its first run with the medians of :data:`TIMES` (an
    error when any run failed; None without runs).

    >>> median_run([{"seconds": 1.0}, {"seconds": 3.0}, {"seconds": 2.0}])["seconds"]
    2.0
    """
    if not runs:
        return None
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    out = dict(runs[0], processes=len(runs))
    for key in TIMES:
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    out["peak_rss_mib"] = max(r.get("peak_rss_mib", 0) for r in runs)
    out["warm"] = all(r.get("warm", True) for r in runs)
    return out


def make_row(n: int, c: int, k: int, meta: dict[str, Any], cas: list[dict[str, Any]],
             wegs: list[dict[str, Any]], truth: dict[str, float]) -> dict[str, Any]:
    ca, weg = median_run(cas), median_run(wegs)
    assert weg is not None
    ca_ok = ca is not None and "error" not in ca
    weg_ok = "error" not in weg
    row: dict[str, Any] = {"paths": n, "channels": c, "order": k, "meta": meta, "ca": ca,
                           "weg": weg, "ratio": None, "ratio_with_load": None,
                           "cpu_ratio_with_load": None, "ca_vs_weg": None,
                           "weg_vs_true": None, "ca_vs_true": None}
    if ca_ok and weg_ok and ca is not None:
        pairs = list(zip(cas, wegs, strict=True))
        row["ratio"] = statistics.median(a["seconds"] / b["seconds"] for a, b in pairs)
        row["ratio_with_load"] = statistics.median(
            (a["seconds"] + a["load_seconds"]) / (b["seconds"] + b["load_seconds"])
            for a, b in pairs)
        row["cpu_ratio_with_load"] = statistics.median(
            (a["cpu_seconds"] + a["load_cpu_seconds"]) / (b["cpu_seconds"] + b["load_cpu_seconds"])
            for a, b in pairs)
        row["ca_vs_weg"] = max_rel_diff(ca["credits"], weg["credits"])
    if weg_ok:
        row["weg_vs_true"] = max_rel_diff(weg["credits"], truth)
    if ca_ok and ca is not None:
        row["ca_vs_true"] = max_rel_diff(ca["credits"], truth)
    row["misses"] = misses(row)
    return row


def misses(row: dict[str, Any]) -> list[str]:
    """The issue's targets this row misses (those that apply to it)."""
    weg = row["weg"]
    if "error" in weg:
        return ["failed"]
    out = []
    if (row["order"] == 1 and row["paths"] == TARGET_ORDER1_AT
            and weg["seconds"] > TARGET_ORDER1_SECONDS):
        out.append(f"order 1 > {TARGET_ORDER1_SECONDS:g} s")
    if row["ratio"] is not None and row["ratio"] <= 1.0:
        out.append("not faster than channelattribution")
    return out


def report_targets(result: dict[str, Any]) -> None:
    rows, shapley = result["rows"], result["shapley"]
    print(f"targets: order 1 <= {TARGET_ORDER1_SECONDS:g} s at {TARGET_ORDER1_AT:,} paths "
          f"(warm fit), faster than channelattribution everywhere, exact Shapley "
          f"({SHAPLEY_CHANNELS} channels) <= {TARGET_SHAPLEY_SECONDS:g} s")
    if rows and not any(r["order"] == 1 and r["paths"] == TARGET_ORDER1_AT for r in rows):
        print(f"  (order 1 at {TARGET_ORDER1_AT:,} paths was not run)")
    if rows and result["version"] is None:
        print(f"  (channelattribution unavailable: {result['unavailable']}; no ratios)")
    missed = [f"{r['paths']:,} paths, {r['channels']} channels, order {r['order']}: "
              f"{', '.join(r['misses'])}" for r in rows if r["misses"]]
    missed += [f"Shapley {r['paths']:,} paths, {r['channels']} channels: "
               f"{', '.join(r['misses'])}" for r in shapley if r["misses"]]
    for line in missed:
        print(f"  MISSED {line}")
    if not missed and (rows or shapley):
        print("  every target that applies is met")


# -- RESULTS.md ----------------------------------------------------------------------------
def record(result: dict[str, Any], machine: str, command: str, results: Path = RESULTS
           ) -> None:
    """Append the rows as Markdown tables to RESULTS.md."""
    rows, shapley = result["rows"], result["shapley"]
    version = result["version"] or f"unavailable ({result['unavailable']})"
    lines = [
        f"\n### Attribution vs channelattribution {version} — {datetime.date.today()}",
        f"Machine: {machine}. Command: `{command}`. channelattribution: ncore "
        f"{result['ncore']}, nsim_start {result['nsim_start']:,}. Seconds: fit, warm median "
        "(* one cold run), medians over the interleaved processes of each side; cpu: CPU "
        "seconds of the fit (all threads); weg 1st: Wegweiser's first fit in its process; "
        "ratio = median over the pairs of channelattribution / Wegweiser (fit; w/ load: CSV "
        "read added); ca~weg: max relative "
        "difference of the credited conversions per channel; ~true: against the generating "
        "chain's credits.\n",
    ]
    if rows:
        lines += [
            "| paths | channels | order | ca load s | ca fit s | ca fit cpu s | weg load s | "
            "weg fit s | weg fit cpu s | weg 1st s | ratio | ratio w/ load | cpu ratio w/ load | "
            "ca peak MiB | "
            "weg peak MiB | ca~weg | weg~true | ca~true | ca simulation | targets missed |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            "---:|---:|---|---|",
        ]
        for r in rows:
            ca, weg = r["ca"], r["weg"]
            lines.append(
                f"| {r['paths']:,} | {r['channels']} | {r['order']} | "
                f"{_s(ca, 'load_seconds')} | {_s(ca)} | {_s(ca, 'cpu_seconds')} | "
                f"{_s(weg, 'load_seconds')} | {_s(weg)} | {_s(weg, 'cpu_seconds')} | "
                f"{_s(weg, 'first_seconds')} | {_ratio(r['ratio'])} | "
                f"{_ratio(r['ratio_with_load'])} | {_ratio(r['cpu_ratio_with_load'])} | "
                f"{_mib(ca)} | {_mib(weg)} | "
                f"{_pct(r['ca_vs_weg'])} | {_pct(r['weg_vs_true'])} | {_pct(r['ca_vs_true'])} "
                f"| {r.get('ca_note', '-')} | {', '.join(r['misses']) or '-'} |")
    if shapley:
        lines += [
            "\n| exact Shapley: paths | channels | journeys | weg load s | weg fit s | "
            "weg 1st s | weg peak MiB | targets missed |",
            "|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in shapley:
            weg = r["weg"]
            lines.append(
                f"| {r['paths']:,} | {r['channels']} | {r['meta']['journeys']:,} | "
                f"{_s(weg, 'load_seconds')} | {_s(weg)} | {_s(weg, 'first_seconds')} | "
                f"{_mib(weg)} | {', '.join(r['misses']) or '-'} |")
    with results.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main_from_args(args: argparse.Namespace, machine: str, command: str | None = None
                   ) -> list[dict[str, Any]]:
    """What run.py calls: run the sizes asked for (none: nothing), record with --record;
    the rows of the before/after summary."""
    if not args.attribution_sizes:
        return []
    sizes = ", ".join(f"{s:,}" for s in args.attribution_sizes)
    chans = ", ".join(map(str, args.attribution_channels)) or "none"
    orders = ", ".join(map(str, args.attribution_orders)) or "none"
    print(f"\nattribution against channelattribution: {sizes} paths; channels {chans}; "
          f"orders {orders}; exact Shapley {args.attribution_shapley_channels or 'skipped'}",
          flush=True)
    result = run(args)
    if getattr(args, "record", False):
        record(result, machine, command or "python " + " ".join(sys.argv))
    return summary_rows(result)




if __name__ == "__main__":
    run_standalone(__doc__, add_arguments, main_from_args)
