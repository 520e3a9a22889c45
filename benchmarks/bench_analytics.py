"""Analytics benchmark: Wegweiser against retentioneering on the same events.

Data: retentioneering's bundled ``ecom`` data set (``ecom``: 31k events, shipped in its wheel)
and the Wegweiser demo replicated to N events (``bench_import.make_data``: 20k demo persons,
copied with suffixed ids). Wegweiser imports the demo events as they are (identity stitching
included) into a project cached under ``WORK/analytics/``; retentioneering reads the same
touchpoint events (track/page/screen) as ``user_id`` = user id, else anonymous id, ``event``,
``timestamp``, each path being one such id (it does no stitching, so it has a few more,
shorter paths than Wegweiser has persons).

Operations, each (side, op, size) in its own process so that peak RSS is its own: transition
graph data, step matrix (10 steps), funnel (4 steps, no window), session split (30 min gap),
loop collapse (collapse, then the transition graph). Both sides run an op once to warm, then
``--analytics-repeat`` times, and report the median (only the first run when that took more
than ``--analytics-budget`` / repeat seconds). See ``_wegweiser_ops.py`` and
``_retentioneering_ops.py`` for the exact calls, and benchmarks/README.md.

Retentioneering (the latest release unless ``--retentioneering-spec`` says otherwise) is
installed into ``benchmarks/.venv-retentioneering`` when that is missing. Sizes above
``--retentioneering-max-events``, or whose retentioneering memory or time, extrapolated from
the previous size, would exceed the machine's available memory or ``--retentioneering-timeout``,
are run for Wegweiser only, and the reason is printed.

Standalone: ``python benchmarks/bench_analytics.py --analytics-sizes ecom,200k [--record]``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import _trees
from _common import create_venv, json_line, run_standalone, venv_env

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-retentioneering"
RESULTS = HERE / "RESULTS.md"

OPS: list[tuple[str, str]] = [
    ("transitions", "transition graph data"),
    ("step_matrix", "step matrix (10 steps)"),
    ("funnel", "funnel (4 steps)"),
    ("sessions", "session split (30 min)"),
    ("collapse", "loop collapse + graph"),
]
STEPS = {
    "demo": ["product_view", "add_to_cart", "checkout_started", "order_completed"],
    "ecom": ["catalog", "product_view", "add_to_cart", "purchase"],
}
DEFAULT_SIZES = "ecom,1M,5M,10M"
# Targets of the issue: ratio at 5M, Wegweiser's warm seconds at 10M, peak RSS anywhere.
TARGET_RATIO, TARGET_RATIO_AT = 5.0, 5_000_000
TARGET_SECONDS, TARGET_SECONDS_AT = 1.0, 10_000_000
TARGET_RSS_MIB = 4096


# -- options -------------------------------------------------------------------------------
def parse_sizes(text: str) -> list[int | str]:
    """``"ecom,1M,200k,5000000"`` -> ``["ecom", 1000000, 200000, 5000000]``; "none" -> [].

    >>> parse_sizes("10M,ecom,200k")
    ['ecom', 200000, 10000000]
    """
    out: list[int | str] = []
    for raw in text.replace(" ", "").lower().split(","):
        if not raw or raw == "none":
            continue
        if raw == "ecom":
            out.append("ecom")
            continue
        factor = {"k": 1_000, "m": 1_000_000}.get(raw[-1], 1)
        number = raw[:-1] if factor > 1 else raw
        try:
            out.append(int(float(number.replace("_", "")) * factor))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"bad size {raw!r}: use event counts such as 100000, 200k, 5M, or ecom"
            ) from None
    ints = sorted({s for s in out if isinstance(s, int)})
    return (["ecom"] if "ecom" in out else []) + list(ints)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("analytics benchmark (against retentioneering)")
    g.add_argument("--analytics-sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES),
                   help=f"comma-separated: ecom and/or event counts (200k, 5M); 'none' "
                        f"skips it (default {DEFAULT_SIZES})")
    g.add_argument("--analytics-ops", default=",".join(op for op, _ in OPS),
                   help="comma-separated subset of the ops")
    g.add_argument("--analytics-repeat", type=int, default=3,
                   help="timed runs after the warm-up run (median reported)")
    g.add_argument("--analytics-budget", type=float, default=60.0,
                   help="no repeats when the warm-up run took more than this / repeat seconds")
    g.add_argument("--retentioneering-max-events", type=int, default=10_000_000,
                   help="run retentioneering only up to this many events")
    g.add_argument("--retentioneering-timeout", type=float, default=3600.0,
                   help="seconds one retentioneering process may take")
    g.add_argument("--retentioneering-spec", default=None,
                   help="pip requirement to (re)install, e.g. 'retentioneering==5.2.4' "
                        "(default: install the latest when the venv is missing)")


# -- processes -----------------------------------------------------------------------------


def _ret_env() -> dict[str, str]:
    return venv_env(RETENTIONEERING_NO_TRACK="1")  # no usage events sent to PostHog


def ensure_retentioneering(spec: str | None = None, venv: Path = VENV) -> str:
    """Create the retentioneering venv when missing (or install ``spec``); its version."""
    python = venv / "bin" / "python"
    if not python.exists():
        create_venv(venv, shown_as=str(venv.relative_to(HERE.parent)))
        spec = spec or "retentioneering"
    if spec:
        print(f"  pip install {spec} (into {venv.name})", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-U", spec], check=True,
                       env=_ret_env())
    info = json_line([str(python), str(HERE / "_retentioneering_ops.py"), "version"],
                      env=_ret_env())
    if "error" in info:
        raise SystemExit(f"retentioneering does not import in {venv}: {info['error']}; "
                         f"delete the folder to reinstall")
    return str(info["version"])


def available_mib() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().available / 2**20)
    except ImportError:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20)


# -- data ----------------------------------------------------------------------------------
def prepare_data(size: int | str, work: Path) -> tuple[Path, Path, str]:
    """(Wegweiser's input, retentioneering's input, data-set name) for one size."""
    folder = work / "analytics"
    folder.mkdir(parents=True, exist_ok=True)
    if size == "ecom":
        data = folder / "ecom.parquet"
        if not data.exists():
            info = json_line([str(VENV / "bin" / "python"), str(HERE / "_retentioneering_ops.py"),
                               "export-ecom", str(data)], env=_ret_env())
            if "error" in info:
                raise SystemExit(f"cannot export the ecom data set: {info['error']}")
        return data, data, "ecom"
    events = work / f"events-{size}.parquet"
    if not events.exists():  # bench_import's data, made in its own process (small parent RSS)
        subprocess.run([sys.executable, str(HERE / "_child.py"), "make", str(size), str(work)],
                       check=True, capture_output=True)
    rete = folder / f"rete-{size}.parquet"
    if not rete.exists() or rete.stat().st_mtime < events.stat().st_mtime:
        info = json_line([sys.executable, str(HERE / "_wegweiser_ops.py"), "export",
                           str(events), str(rete)])
        if "error" in info:
            raise SystemExit(f"cannot export {events.name}: {info['error']}")
    return events, rete, "demo"


# -- the run -------------------------------------------------------------------------------
def _fmt_s(r: dict[str, Any] | None) -> str:
    if r is None:
        return "skipped"
    if "error" in r:
        return "failed"
    mark = "" if r.get("warm", True) else "*"
    return f"{r['seconds']:.3f}{mark}"


def _ret_skip(size: int | str, key: str, prev: dict[str, tuple[int, dict[str, Any]]],
              args: argparse.Namespace) -> str | None:
    """Why retentioneering is not run for this (size, op), else None."""
    if isinstance(size, int) and size > args.retentioneering_max_events:
        return f"{size:,} events > --retentioneering-max-events {args.retentioneering_max_events:,}"
    if not isinstance(size, int):
        return None
    if key in prev:  # scale the previous size's figures linearly (an upper bound: RSS has a base)
        n, r = prev[key]
        scale = size / n
        est_mib = r["peak_rss_mib"] * scale
        est_s = (r["load_seconds"] + r["first_seconds"] * (1 + r.get("runs", 1))) * scale
        basis = f"x{scale:.1f} of {n:,} events"
    else:  # measured with 5.2.4 (split_sessions, the hungriest): ~350 MiB + ~0.9 GiB per 1M
        est_mib = 350 + 900 * size / 1e6
        est_s = 40 * size / 1e6
        basis = "prior of ~0.9 GiB and ~40 s per 1M events"
    if est_mib > 0.85 * available_mib():
        return (f"estimated {est_mib / 1024:.1f} GiB ({basis}) > 85% of the "
                f"{available_mib() / 1024:.1f} GiB available")
    if est_s > args.retentioneering_timeout:
        return f"estimated {est_s:.0f} s ({basis}) > --retentioneering-timeout"
    return None


def run(sizes: list[int | str], work: Path, args: argparse.Namespace | None = None
        ) -> list[dict[str, Any]]:
    """Run the benchmark for ``sizes`` (``"ecom"`` and/or event counts); rows for RESULTS.md."""
    if args is None:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        args = parser.parse_args([])
    wanted = [op for op in args.analytics_ops.split(",") if op]
    unknown = sorted(set(wanted) - {op for op, _ in OPS})
    if unknown:
        raise SystemExit(f"unknown --analytics-ops {', '.join(unknown)}; use "
                         f"{', '.join(op for op, _ in OPS)}")
    ops = [(op, label) for op, label in OPS if op in wanted]
    version = ensure_retentioneering(args.retentioneering_spec)
    print(f"retentioneering {version} in {VENV.relative_to(HERE.parent)}", flush=True)
    rows: list[dict[str, Any]] = []
    prev: dict[str, tuple[int, dict[str, Any]]] = {}  # op -> (events, ret result) of last size
    timing = ["--repeat", str(args.analytics_repeat), "--budget", str(args.analytics_budget)]
    all_trees = _trees.trees(args)
    order = _trees.interleaved(all_trees, getattr(args, "tree_pairs", 2)
                                   if len(all_trees) > 1 else 1)
    for size in sizes:
        weg_data, ret_data, dataset = prepare_data(size, work)
        preps: dict[str, dict[str, Any]] = {}
        for tree in all_trees:
            folder = _trees.work(work, tree, all_trees) / "analytics" / f"project-{size}"
            prep = json_line([sys.executable, str(HERE / "_wegweiser_ops.py"), "prepare",
                              str(weg_data), str(folder)], env=_trees.env(tree))
            if "error" in prep and len(all_trees) == 1:
                raise SystemExit(f"wegweiser prepare of {weg_data.name} failed: {prep['error']}")
            preps[tree.label] = {**prep, "project": folder}
        prep = preps["after"]
        if "error" in prep:
            raise SystemExit(f"wegweiser prepare of {weg_data.name} failed: {prep['error']}")
        events = int(prep["rows"])
        name = "ecom" if dataset == "ecom" else f"demo {size:,}"
        print(f"\n{name} ({events:,} touchpoints, {prep['persons']:,} persons):", flush=True)
        for label, p in preps.items():
            if "error" in p:
                print(f"  {label}: wegweiser prepare failed: {p['error']}", flush=True)
                continue
            made = ("cached project" if p["cached"] else f"import {p['import_seconds']:.1f} s")
            tree_name = f"{label} " if len(all_trees) > 1 else ""
            print(f"  {tree_name}wegweiser {made}, journey {p['journey_seconds']:.1f} s, peak "
                  f"RSS {p['peak_rss_mib']:,} MiB", flush=True)
        print(f"  {'operation':26s} {'retent. s':>10s} {'wegweiser s':>11s} {'ratio':>7s} "
              f"{'ret MiB':>8s} {'weg MiB':>8s}  same result", flush=True)
        steps = ["--steps", ",".join(STEPS[dataset])]
        ret_loads = []
        for op, label in ops:
            skip = _ret_skip(size, op, prev, args)
            ret: dict[str, Any] | None = None
            if skip is None:
                ret = json_line([str(VENV / "bin" / "python"),
                                  str(HERE / "_retentioneering_ops.py"), op, str(ret_data),
                                  *steps, *timing],
                                 env=_ret_env(), timeout=args.retentioneering_timeout)
                if "error" not in ret:
                    ret_loads.append(ret["load_seconds"])
                    if isinstance(size, int):
                        prev[op] = (size, ret)
            by_tree: dict[str, list[dict[str, Any]]] = {t.label: [] for t in all_trees}
            for tree in order:  # A B A B
                p = preps[tree.label]
                if "error" in p:
                    by_tree[tree.label].append({"error": f"prepare: {p['error']}"})
                    continue
                by_tree[tree.label].append(json_line(
                    [sys.executable, str(HERE / "_wegweiser_ops.py"), op, str(p["project"]),
                     *steps, *timing], env=_trees.env(tree)))
            weg = median_run(by_tree["after"])
            row: dict[str, Any] = {"dataset": dataset, "size": size, "events": events,
                                   "op": op, "label": label, "ret": ret, "weg": weg,
                                   "ret_skipped": skip, "trees": by_tree}
            ok = ret is not None and "error" not in ret and "error" not in weg
            row["ratio"] = ret["seconds"] / weg["seconds"] if ok and ret else None
            row["agree"] = ret.get("check") == weg.get("check") if ok and ret else None
            row["misses"] = misses(row)
            rows.append(row)
            ratio = f"{row['ratio']:.1f}x" if row["ratio"] is not None else "-"
            ret_mib = f"{ret['peak_rss_mib']:,}" if ret and "error" not in ret else "-"
            weg_mib = f"{weg['peak_rss_mib']:,}" if "error" not in weg else "-"
            print(f"  {label:26s} {_fmt_s(ret):>10s} {_fmt_s(weg):>11s} {ratio:>7s} "
                  f"{ret_mib:>8s} {weg_mib:>8s}  {_agree(row, dataset)}", flush=True)
            for side, r in (("retentioneering", ret), ("wegweiser", weg)):
                if r is not None and "error" in r:
                    print(f"    {side} failed: {r['error']}", flush=True)
            if len(all_trees) > 1:
                print("    " + "; ".join(
                    f"{t}: " + ", ".join(f"{_fmt_s(r)} s (cpu {r['cpu_seconds']:.3f})"
                                         if "error" not in r else f"n/a ({r['error']})"
                                         for r in runs)
                    for t, runs in by_tree.items()), flush=True)
            if skip:
                print(f"    retentioneering skipped: {skip}", flush=True)
        if ret_loads:
            print(f"  retentioneering load (read + Eventstream), per process: "
                  f"{statistics.median(ret_loads):.1f} s", flush=True)
        rows.append({"dataset": dataset, "size": size, "events": events, "op": "load",
                     "prepare": prep, "ret_load_seconds":
                     statistics.median(ret_loads) if ret_loads else None})
    print("  (* = one cold run only: the warm-up took longer than the budget; same result: "
          "the check figure of both sides, see _retentioneering_ops.check; on the demo data "
          "retentioneering's paths are unstitched ids, so small differences are expected)")
    report_targets(rows)
    return rows


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A tree's processes of one op as one: the first failure, else the first run with the
    median seconds and CPU and the largest peak RSS."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    out = dict(runs[0], processes=len(runs))
    for key in ("seconds", "cpu_seconds", "load_seconds", "first_seconds"):
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    out["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    out["warm"] = all(r.get("warm", True) for r in runs)
    return out


def summary_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the before/after summary (``_trees.summary_table``): per (size, op) the
    warm op seconds of each tree's processes, retentioneering as the peer."""
    out = []
    for r in rows:
        if r["op"] == "load":
            continue
        runs = {label: [{"error": x["error"]} if "error" in x else
                        {"wall": x["seconds"], "cpu": x.get("cpu_seconds"),
                         "peak_rss_mib": x["peak_rss_mib"]} for x in got]
                for label, got in r["trees"].items()}
        ret = r["ret"]
        peer = (None if ret is None else {"error": ret["error"]} if "error" in ret
                else {"wall": ret["seconds"], "peak_rss_mib": ret["peak_rss_mib"]})
        size = "ecom" if r["dataset"] == "ecom" else _short_size(r["size"])
        out.append(_trees.summary_row("analytics", r["label"], size, runs, peer=peer,
                                      peer_name="retentioneering"))
    return out


def _short_size(n: int) -> str:
    """1000000 -> '1M', 100000 -> '100k'."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def _agree(row: dict[str, Any], dataset: str) -> str:
    if row["agree"] is None:
        return "-"
    if row["agree"]:
        return "yes"
    return "no (unstitched ids)" if dataset == "demo" else "NO"


def misses(row: dict[str, Any]) -> list[str]:
    """The issue's targets this row misses (only those that apply at its size)."""
    out = []
    weg = row["weg"]
    if "error" in weg:
        return ["failed"]
    if row["size"] == TARGET_RATIO_AT and row["ratio"] is not None and row["ratio"] < TARGET_RATIO:
        out.append(f"ratio < {TARGET_RATIO:g}x")
    if row["size"] == TARGET_SECONDS_AT and weg["seconds"] > TARGET_SECONDS:
        out.append(f"> {TARGET_SECONDS:g} s")
    if weg["peak_rss_mib"] > TARGET_RSS_MIB:
        out.append("RSS > 4 GiB")
    return out


def report_targets(rows: list[dict[str, Any]]) -> None:
    ops = [r for r in rows if r["op"] != "load"]
    sizes = {r["size"] for r in ops}
    print(f"targets: >= {TARGET_RATIO:g}x retentioneering at {TARGET_RATIO_AT:,} events, "
          f"<= {TARGET_SECONDS:g} s warm at {TARGET_SECONDS_AT:,}, peak RSS <= 4 GiB")
    if TARGET_RATIO_AT not in sizes or TARGET_SECONDS_AT not in sizes:
        print("  (not all target sizes were run: only the RSS target is checked here)")
    missed = [f"{r['label']} at {r['size']}: {', '.join(r['misses'])}" for r in ops if r["misses"]]
    for line in missed:
        print(f"  MISSED {line}")
    if not missed:
        print("  every target that applies is met")


# -- RESULTS.md ----------------------------------------------------------------------------
def _events(row: dict[str, Any]) -> str:
    """The nominal size of a demo row (its touchpoints are a little fewer), else the rows."""
    size = row["size"]
    return f"{size:,}" if isinstance(size, int) else f"{row['events']:,}"


def record(rows: list[dict[str, Any]], machine: str, command: str, results: Path = RESULTS
           ) -> None:
    """Append the rows as a Markdown table to RESULTS.md."""
    ops = [r for r in rows if r["op"] != "load"]
    version = next((r["ret"]["version"] for r in ops if r["ret"] and "version" in r["ret"]),
                   "?")
    lines = [
        f"\n### Analytics vs retentioneering {version} — {datetime.date.today()}",
        f"Machine: {machine}. Command: `{command}`. Seconds: warm median "
        "(* one cold run); ratio = retentioneering / wegweiser.\n",
        "| data | events | operation | retentioneering s | wegweiser s | ratio | "
        "ret peak RSS MiB | weg peak RSS MiB | same result | targets missed |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in ops:
        ret, weg = r["ret"], r["weg"]
        ret_mib = f"{ret['peak_rss_mib']:,}" if ret and "error" not in ret else "-"
        weg_mib = f"{weg['peak_rss_mib']:,}" if "error" not in weg else "-"
        ratio = f"{r['ratio']:.1f}" if r["ratio"] is not None else "-"
        lines.append(
            f"| {r['dataset']} | {_events(r)} | {r['label']} | {_fmt_s(ret)} | "
            f"{_fmt_s(weg)} | {ratio} | {ret_mib} | {weg_mib} | {_agree(r, r['dataset'])} | "
            f"{', '.join(r['misses']) or '-'} |"
        )
    loads = [r for r in rows if r["op"] == "load"]
    if loads:
        lines.append("\nLoading: retentioneering reads Parquet into pandas and builds the "
                     "Eventstream in every process; Wegweiser imports once and materialises "
                     "the journey.\n")
        lines.append("| data | events | ret load s | weg import s | weg journey s | "
                     "weg import peak RSS MiB |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for r in loads:
            p = r["prepare"]
            imp = f"{p['import_seconds']:.1f}" if "import_seconds" in p else "cached"
            ret_load = f"{r['ret_load_seconds']:.1f}" if r["ret_load_seconds"] else "-"
            lines.append(f"| {r['dataset']} | {_events(r)} | {ret_load} | {imp} | "
                         f"{p['journey_seconds']:.1f} | {p['peak_rss_mib']:,} |")
    with results.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main_from_args(args: argparse.Namespace, machine: str, command: str | None = None
                   ) -> list[dict[str, Any]]:
    """What run.py calls: run the sizes asked for (none: nothing), record with --record;
    the rows of the before/after summary."""
    if not args.analytics_sizes:
        return []
    sizes = ", ".join(f"{s:,}" if isinstance(s, int) else s for s in args.analytics_sizes)
    print(f"\nanalytics against retentioneering: {sizes}", flush=True)
    rows = run(args.analytics_sizes, args.work, args)
    if getattr(args, "record", False):
        record(rows, machine, command or "python " + " ".join(sys.argv))
    return summary_rows(rows)




if __name__ == "__main__":
    run_standalone(__doc__, add_arguments, main_from_args)
