"""A fast start: ``import wegweiser`` and ``wegweiser --help`` load no engine or data stack,
and an analysis command loads its analysis, the project and the engine, no more.

The analyses' commands are listed from a generated index (``analysis/_index.py``) and built
when they run; the index must describe the registry (refresh it with the command below).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import wegweiser
from wegweiser.analysis import _catalog, _index, registry

#: what a start must not import (seconds of imports between them)
HEAVY = ("ibis", "pandas", "duckdb", "scipy", "sklearn", "statsmodels", "pyspark", "plotly",
         "pyarrow", "numpy")
#: the whole import time of ``wegweiser --help`` measured by ``-X importtime``; about
#: 0.3 s on a quiet 2-core machine, 3 s before the commands were built lazily
BUDGET_SECONDS = 1.5


def _imports(*args: str) -> list[tuple[int, int, str]]:
    """``(depth, cumulative microseconds, module)`` of every import, as Python reports them
    (a module's own imports come before it, one level deeper)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                          text=True, timeout=120, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.rstrip().split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((depth, int(cumulative), name.strip()))
    return rows


def _heavy(rows: list[tuple[int, int, str]], heavy: tuple[str, ...] = HEAVY) -> dict[str, str]:
    """Each heavy package imported, with the chain of Wegweiser modules that imported it."""
    found: dict[str, str] = {}
    for i, (depth, _, name) in enumerate(rows):
        top = name.split(".")[0]
        if top not in heavy or top in found:
            continue
        chain, level = [], depth
        for d, _, parent in rows[i + 1:]:  # the importers follow, each one level up
            if d < level:
                level = d
                if parent.startswith("wegweiser"):
                    chain.insert(0, parent)
        found[top] = " > ".join(chain) or "?"
    return found


def test_import_wegweiser_loads_no_heavy_package():
    heavy = _heavy(_imports("-c", "import wegweiser"))
    assert not heavy, _advice(heavy)


def _advice(heavy: dict[str, str]) -> str:
    return ("a start imported " + ", ".join(f"{k} (via {v})" for k, v in heavy.items())
            + ": import it inside the function that uses it (or under TYPE_CHECKING)")


def test_the_check_sees_what_imported_a_heavy_package():
    heavy = _heavy(_imports("-c", "import wegweiser.project"))
    assert heavy["pandas"].startswith("wegweiser.project > ")
    assert "scipy" not in heavy


def test_help_loads_no_heavy_package_within_the_budget():
    """The import time is the best of three runs (a busy machine slows a run, never speeds
    it up)."""
    totals = []
    for _ in range(3):
        rows = _imports("-m", "wegweiser.cli", "--help")
        heavy = _heavy(rows)
        assert not heavy, _advice(heavy)
        totals.append(sum(us for depth, us, _ in rows if depth == 0) / 1e6)
        if totals[-1] < BUDGET_SECONDS:
            break
    assert min(totals) < BUDGET_SECONDS, f"wegweiser --help spent {min(totals):.2f} s importing"


def test_the_analysis_index_is_current():
    """Fails after an analysis was added, renamed, moved or its summary changed."""
    stale = _catalog.render() != _catalog.INDEX_FILE.read_text(encoding="utf-8")
    assert not stale, (f"src/wegweiser/analysis/_index.py is stale: run `{_catalog.REFRESH}` "
                       "and commit the file")
    assert set(_catalog.entries() or {}) == set(registry.analyses())


def test_a_stale_index_is_not_trusted(monkeypatch):
    """A module the index does not know makes the faces import every module, as before."""
    from wegweiser.commands.analyses import summaries

    assert _catalog.entries() is not None
    monkeypatch.setattr(_index, "MODULES", _index.MODULES[1:])
    assert _catalog.entries() is None
    assert summaries() == {n: s.summary.en for n, s in registry.analyses().items()}
    monkeypatch.setattr(registry, "_REGISTRY", {})
    assert registry.get("funnel").name == "funnel"


def test_an_analysis_command_runs_in_a_fresh_process(tmp_path):
    """The command is built on use: a bad option value is still a usage error (exit 2)."""
    done = subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "funnel", "-p", str(tmp_path), "--steps",
         "a,b", "--window", "90"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "--window: cannot read duration '90'" in done.stderr


#: what a cold analysis command (``wegweiser funnel`` printing a table) must not import:
#: the other faces' stacks, models it does not fit, other engines
COLD_HEAVY = ("scipy", "sklearn", "statsmodels", "plotly", "jinja2", "fastapi", "starlette",
              "uvicorn", "pyspark", "matplotlib")
#: the processor time of that whole command on a tiny project (start-up, imports, opening
#: the project, the funnel, the table), user + system: 1.06-1.08 s on this 2-core machine
#: at load ~23, 1054 modules (1.25-1.34 s and 1159 modules before the import pipeline, the
#: fixes analysis, the phases analysis and the other dialects' compilers were left out).
#: Processor time, not wall time: a busy machine (a CI run beside other jobs) stretches the
#: wall time several times over, the processor time little.
COLD_BUDGET_CPU_SECONDS = 2.5


@pytest.mark.slow  # a project and a fresh process: ~3 s, up to 10 s on a busy machine
def test_a_cold_analysis_command_imports_only_what_it_runs(tmp_path):
    """A plain analysis on the command line loads its analysis, the project, the engine and
    DuckDB's compiler: not the import pipeline, not another analysis, not another face."""
    from tests.analysis.reference import load, random_rows

    with wegweiser.Project.init(tmp_path / "p") as proj:
        load(proj, random_rows(3, n=60))  # the journey is built here, not in the command
    listed = tmp_path / "modules.json"
    # -X importtime leaves out what importlib.import_module loads (the analysis): the
    # modules loaded and the processor time are written at exit
    code = ("import atexit, json, resource, runpy, sys\n"
            "def done():\n"
            "    use = resource.getrusage(resource.RUSAGE_SELF)\n"
            f"    with open({str(listed)!r}, 'w') as fh:\n"
            "        json.dump({'modules': list(sys.modules),\n"
            "                   'cpu': use.ru_utime + use.ru_stime}, fh)\n"
            "atexit.register(done)\n"
            f"sys.argv = ['wegweiser', 'funnel', '-p', {str(tmp_path / 'p')!r}, '--steps', 'a,b']\n"
            "runpy.run_module('wegweiser.cli', run_name='__main__')\n")
    spent = []
    for _ in range(3):
        rows = _imports("-c", code)
        found = json.loads(listed.read_text(encoding="utf-8"))
        names = set(found["modules"])
        heavy = _heavy(rows, COLD_HEAVY)
        assert not heavy, _advice(heavy)
        assert {"wegweiser.analysis.funnels", "ibis", "pandas"} <= names
        others = {m for m, *_ in _index.ANALYSES.values()} - {"wegweiser.analysis.funnels"}
        assert not names & others, f"other analyses imported: {sorted(names & others)}"
        unused = {"wegweiser.events.ingest", "wegweiser.events.readers",
                  "wegweiser.events.history", "wegweiser.events.costs",
                  "wegweiser.store.snapshot", "wegweiser.report", "wegweiser.serve"}
        assert not names & unused, f"unused parts imported: {sorted(names & unused)}"
        compilers = {n.rpartition(".")[2] for n in names
                     if n.startswith("ibis.backends.sql.compilers.")}
        assert compilers <= {"duckdb", "base", "_compat"}, f"Ibis compilers: {compilers}"
        spent.append(found["cpu"])
        if spent[-1] < COLD_BUDGET_CPU_SECONDS:
            break
    assert min(spent) < COLD_BUDGET_CPU_SECONDS, (
        f"wegweiser funnel took {min(spent):.2f} s of processor time (best of {len(spent)})")
