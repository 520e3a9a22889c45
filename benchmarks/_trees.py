"""Two source trees side by side: ``run.py --before SRC [--after SRC]``.

Every benchmark measures Wegweiser's side under each tree in fresh processes whose
``PYTHONPATH`` starts with the tree's ``src/`` folder (no folder: the installed package),
interleaved A B A B so that a busy spell of the shared machine hits both; the peers
(retentioneering, channelattribution, the bare floors) run once, as without ``--before``.
Each tree caches its projects in its own work folder (``WORK/tree-LABEL``): journey layouts
differ between trees, and a project built by one must not be opened by the other.

:func:`summary_row` turns the runs of one measure into a row, :func:`summary_table` the rows
into the one Markdown table of the run (pure functions; ``tests/test_benchmark_trees.py``).
A run is a dict with ``wall`` and ``cpu`` (seconds, or the measure's ``unit``) and
``peak_rss_mib``, or ``{"error": why}`` when the tree could not run it.

Standard library only.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse


@dataclass(frozen=True)
class Tree:
    """A source tree: its label and its ``src/`` folder (None: the installed package)."""

    label: str
    src: Path | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("before and after (two source trees)")
    g.add_argument("--before", type=Path, default=None,
                   help="a src/ folder measured as 'before' beside this tree (e.g. `git archive "
                        "main src | tar -x -C /tmp/before`, then /tmp/before/src)")
    g.add_argument("--before-label", default="before", help="its name in the tables")
    g.add_argument("--after", type=Path, default=None,
                   help="a src/ folder measured as 'after' (default: the installed package; a "
                        "frozen copy keeps later edits of the working tree out of the run)")
    g.add_argument("--tree-pairs", type=int, default=2,
                   help="with --before: interleaved before/after pairs per measure (default 2)")


def trees(args: argparse.Namespace) -> list[Tree]:
    """The trees of a run: [before, after] with ``--before``, else [after] alone."""
    after = Tree("after", _src(getattr(args, "after", None)))
    before = getattr(args, "before", None)
    if before is None:
        return [after]
    label = getattr(args, "before_label", "before") or "before"
    if label == "after":
        raise SystemExit("--before-label must not be 'after'")
    return [Tree(label, _src(before)), after]


def _src(path: Path | None) -> Path | None:
    if path is None:
        return None
    path = Path(path).resolve()
    if not (path / "wegweiser" / "__init__.py").is_file():
        raise SystemExit(f"{path} holds no wegweiser package (wegweiser/__init__.py): give "
                         "the src/ folder of a Wegweiser source tree")
    return path


def comparing(args: argparse.Namespace) -> bool:
    return getattr(args, "before", None) is not None


def env(tree: Tree, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process of ``tree``: its src/ first on PYTHONPATH."""
    out = dict(os.environ if base is None else base)
    if tree.src is not None:
        out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree.src),
                                                          out.get("PYTHONPATH")]))
    return out


def work(root: Path, tree: Tree, all_trees: list[Tree]) -> Path:
    """The tree's own work folder (``root`` itself when it runs alone)."""
    return root if len(all_trees) == 1 else root / f"tree-{tree.label}"


def interleaved(all_trees: list[Tree], pairs: int) -> list[Tree]:
    """A B A B ...: each tree once per pair, in the same order.

    >>> [t.label for t in interleaved([Tree("b", None), Tree("a", None)], 2)]
    ['b', 'a', 'b', 'a']
    """
    return [t for _ in range(max(1, pairs)) for t in all_trees]


# -- the summary ---------------------------------------------------------------------------
def summary_row(bench: str, measure: str, size: str, runs: dict[str, list[dict[str, Any]]],
                *, peer: dict[str, Any] | None = None, peer_name: str = "",
                unit: str = "s", note: str = "") -> dict[str, Any]:
    """One measure of the summary: each tree's runs (in the interleaved order), the peer's.

    ``peer``: ``{"wall": .., "cpu": ..}`` or ``{"error": ..}`` or None (no peer); ``unit``:
    ``"s"`` (lower is better) or e.g. ``"events/s"`` (a rate: higher is better).
    """
    return {"bench": bench, "measure": measure, "size": size, "runs": runs, "peer": peer,
            "peer_name": peer_name, "unit": unit, "note": note}


def _failed(runs: list[dict[str, Any]]) -> str | None:
    if not runs:
        return "not run"
    for r in runs:
        if "error" in r:
            return str(r["error"])
    return None


def _num(x: float) -> str:
    if x >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def _cell(runs: list[dict[str, Any]], unit: str) -> str:
    why = _failed(runs)
    if why is not None:
        return f"n/a ({_short(why)})"
    wall = statistics.median(r["wall"] for r in runs)
    cpus = [r["cpu"] for r in runs if r.get("cpu") is not None]
    cpu = f" ({_num(statistics.median(cpus))})" if cpus else ""
    suffix = "" if unit == "s" else f" {unit}"
    return f"{_num(wall)}{cpu}{suffix}"


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.replace("|", "/").split())
    return text if len(text) <= width else text[: width - 3] + "..."


def pair_ratios(before: list[dict[str, Any]], after: list[dict[str, Any]], key: str
                ) -> list[float]:
    """after / before per interleaved pair (pairs where either side lacks ``key`` or is 0
    are left out).

    >>> pair_ratios([{"wall": 2.0}, {"wall": 4.0}], [{"wall": 1.0}, {"wall": 3.0}], "wall")
    [0.5, 0.75]
    """
    out = []
    for b, a in zip(before, after, strict=False):
        if a.get(key) is not None and b.get(key):
            out.append(a[key] / b[key])
    return out


def compare(row: dict[str, Any], before: str, after: str = "after") -> dict[str, float | None]:
    """The medians of the per-pair ratios after/before (CPU and wall) and after/peer (wall),
    None where a side failed or is missing."""
    b, a = row["runs"].get(before, []), row["runs"].get(after, [])
    out: dict[str, float | None] = {"cpu": None, "wall": None, "peer": None}
    if _failed(a) is None and _failed(b) is None:
        for key in ("cpu", "wall"):
            ratios = pair_ratios(b, a, key)
            out[key] = statistics.median(ratios) if ratios else None
    peer = row["peer"]
    if _failed(a) is None and peer and "error" not in peer and peer.get("wall"):
        out["peer"] = statistics.median(r["wall"] for r in a) / peer["wall"]
    return out


def summary_table(rows: list[dict[str, Any]], before: str = "before",
                  after: str = "after") -> str:
    """The one table of a before/after run (Markdown).

    Columns: measure | size | before wall (cpu) | after wall (cpu) | after/before CPU | wall
    | pairs | peak RSS (the largest of the tree's processes) | peer | after/peer. Seconds
    are medians over the tree's processes; the after/before figures the medians of the
    per-pair ratios (< 1: after is faster; for a rate such as events/s, > 1 is better);
    after/peer: the after median over the peer's wall figure.
    """
    lines = [
        f"| measure | size | {before} wall (cpu) | {after} wall (cpu) | "
        f"{after}/{before} CPU | {after}/{before} wall | pairs | peak RSS MiB {before} / "
        f"{after} | peer | {after}/peer wall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        ratio = compare(row, before, after)
        runs_b, runs_a = row["runs"].get(before, []), row["runs"].get(after, [])
        peer = row["peer"]
        if peer is None:
            peer_cell = "-"
        elif "error" in peer:
            peer_cell = f"{row['peer_name']}: n/a ({_short(str(peer['error']), 60)})"
        else:
            peer_cell = f"{row['peer_name']} {_cell([peer], row['unit'])}"
        measure = f"{row['bench']}: {row['measure']}"
        if row.get("note"):
            measure += f" ({row['note']})"
        lines.append(
            f"| {measure} | {row['size']} | {_cell(runs_b, row['unit'])} | "
            f"{_cell(runs_a, row['unit'])} | {_ratio(ratio['cpu'])} | {_ratio(ratio['wall'])} | "
            f"{min(len(runs_b), len(runs_a))} | {_rss(runs_b)} / {_rss(runs_a)} | {peer_cell} | "
            f"{_ratio(ratio['peer'])} |"
        )
    return "\n".join(lines)


def _rss(runs: list[dict[str, Any]]) -> str:
    """The largest peak RSS of the runs (MiB), "-" when none has one."""
    got = [r["peak_rss_mib"] for r in runs if r.get("peak_rss_mib") is not None]
    return f"{max(got):,}" if got else "-"


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def noise(rows: list[dict[str, Any]], before: str = "before", after: str = "after"
          ) -> list[tuple[str, float, float]]:
    """(measure, lowest, highest per-pair CPU ratio) of each row with two or more pairs: the
    spread between pairs, against which a change is read."""
    out = []
    for row in rows:
        b, a = row["runs"].get(before, []), row["runs"].get(after, [])
        if _failed(a) is None and _failed(b) is None:
            ratios = pair_ratios(b, a, "cpu")
            if len(ratios) >= 2:
                out.append((f"{row['bench']}: {row['measure']} {row['size']}", min(ratios),
                            max(ratios)))
    return out


def main(argv: list[str]) -> None:
    """``python benchmarks/_trees.py A.json [B.json ...]``: the summary rows of several runs
    (``run.py --summary-json``) as one table, in the order given."""
    import json

    rows: list[dict[str, Any]] = []
    before = "before"
    for name in argv:
        data = json.loads(Path(name).read_text(encoding="utf-8"))
        before = data["before"]
        rows += data["rows"]
    print(summary_table(rows, before))
    spread = noise(rows, before)
    if spread:
        print("\nper-pair CPU ratio spread (lowest..highest): " + "; ".join(
            f"{m} {lo:.2f}..{hi:.2f}" for m, lo, hi in spread))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
