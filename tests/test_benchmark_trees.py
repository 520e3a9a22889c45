"""The before/after plumbing of benchmarks/run.py (``_trees``): pure functions on fake runs.

No benchmark runs here: the summary table, the per-pair ratios and the tree options only.
"""

from __future__ import annotations

import argparse
import doctest
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_trees", BENCHMARKS / "_trees.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


trees = _load()


def _runs(*pairs: tuple[float, float], rss: int = 100) -> list[dict[str, float]]:
    return [{"wall": w, "cpu": c, "peak_rss_mib": rss + i} for i, (w, c) in enumerate(pairs)]


def test_doctests() -> None:
    assert doctest.testmod(trees).failed == 0


def test_table_medians_and_per_pair_ratios() -> None:
    row = trees.summary_row(
        "analytics",
        "funnel (4 steps)",
        "1M",
        {
            "before": _runs((2.0, 4.0), (10.0, 8.0), (3.0, 6.0)),
            "after": _runs((1.0, 1.0), (4.0, 4.0), (3.0, 3.0)),
        },
        peer={"wall": 20.0},
        peer_name="retentioneering",
    )
    table = trees.summary_table([row])
    header, rule, line = table.splitlines()
    assert header.startswith("| measure | size | before wall (cpu) | after wall (cpu) |")
    assert rule.count("|") == header.count("|")
    cells = [c.strip() for c in line.strip("|").split("|")]
    # medians of each tree's runs, wall (CPU)
    assert cells[2] == "3.000 (6.000)"
    assert cells[3] == "3.000 (3.000)"
    # medians of the per-pair ratios, not the ratio of the medians (3/6 = 0.5, 3/3 = 1.0)
    assert cells[4] == "0.50"  # CPU: 1/4, 4/8, 3/6 -> 0.25, 0.5, 0.5
    assert cells[5] == "0.50"  # wall: 1/2, 4/10, 3/3 -> 0.5, 0.4, 1.0
    assert cells[6] == "3"
    assert cells[7] == "102 / 102"  # the largest of each tree's processes
    assert cells[8] == "retentioneering 20.0"
    assert cells[9] == "0.15"  # 3.0 / 20.0


def test_a_tree_that_cannot_run_shows_why_and_no_ratio() -> None:
    row = trees.summary_row(
        "analytics",
        "sessions",
        "5M",
        {
            "old": [{"error": "exit 1: AttributeError: no attribute 'sessions'"}],
            "after": _runs((1.0, 2.0)),
        },
    )
    line = trees.summary_table([row], before="old").splitlines()[2]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[2] == "n/a (exit 1: AttributeError: no attribute 'sessions')"
    assert cells[3] == "1.000 (2.000)"
    assert cells[4] == cells[5] == "-"
    assert cells[7] == "- / 100"
    assert cells[8] == "-"  # no peer


def test_rates_keep_their_unit_and_a_failed_peer_is_named() -> None:
    row = trees.summary_row(
        "collector",
        "events/s accepted",
        "paced 20,000/s",
        {"before": _runs((19_000.0, 0.5)), "after": _runs((20_000.0, 0.4))},
        peer={"error": "timed out after 900 s"},
        peer_name="bare FastAPI",
        unit="events/s",
    )
    cells = [c.strip() for c in trees.summary_table([row]).splitlines()[2].strip("|").split("|")]
    assert cells[2] == "19,000 (0.500) events/s"
    assert cells[5] == "1.05"
    assert cells[8] == "bare FastAPI: n/a (timed out after 900 s)"
    assert cells[9] == "-"


def test_pipes_in_errors_do_not_break_the_table() -> None:
    row = trees.summary_row("x", "y", "1", {"before": [{"error": "a | b"}], "after": []})
    line = trees.summary_table([row]).splitlines()[2]
    assert line.count("|") == trees.summary_table([row]).splitlines()[0].count("|")
    assert "n/a (not run)" in line


def test_noise_is_the_spread_of_the_per_pair_cpu_ratios() -> None:
    row = trees.summary_row(
        "import",
        "Parquet",
        "1M",
        {"before": _runs((1, 2.0), (1, 4.0)), "after": _runs((1, 1.0), (1, 3.0))},
    )
    assert trees.noise([row]) == [("import: Parquet 1M", 0.5, 0.75)]


def test_trees_from_the_options(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "wegweiser").mkdir(parents=True)
    (src / "wegweiser" / "__init__.py").write_text("", encoding="utf-8")
    args = argparse.Namespace(before=src, before_label="main", after=None)
    got = trees.trees(args)
    assert [(t.label, t.src) for t in got] == [("main", src.resolve()), ("after", None)]
    assert trees.env(got[0], {"PYTHONPATH": "/x"})["PYTHONPATH"] == f"{src.resolve()}:/x"
    assert "PYTHONPATH" not in trees.env(got[1], {})
    assert trees.work(tmp_path, got[0], got) == tmp_path / "tree-main"
    assert trees.work(tmp_path, got[1], got[1:]) == tmp_path
    assert [t.label for t in trees.trees(argparse.Namespace(before=None))] == ["after"]
    with pytest.raises(SystemExit, match="holds no wegweiser package"):
        trees.trees(argparse.Namespace(before=tmp_path, before_label="b", after=None))
