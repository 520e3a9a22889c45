"""Ibis's compilers load one at a time: the same names and objects, only on use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wegweiser.store import _ibis_compilers
from wegweiser.store._ibis_compilers import PACKAGE, lazy_names


def _run(code: str) -> str:
    """``code`` in a fresh interpreter (the compilers package is imported once per process)."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_duckdb_engine_loads_only_the_duckdb_compiler_and_every_name_still_resolves():
    out = _run(
        "import sys\n"
        "import ibis\n"
        "from wegweiser.store.engine import Engine\n"
        "con = Engine(':memory:').ibis()\n"
        f"loaded = sorted(m.rpartition('.')[2] for m in sys.modules\n"
        f"                if m.startswith('{PACKAGE}.'))\n"
        "print(','.join(loaded))\n"
        "print(con.execute(ibis.memtable({'a': [1, 2, 3]}).a.sum()))\n"
        # every other compiler is still there, by each way of naming it
        "import ibis.backends.sql.compilers as sc\n"
        "from ibis.backends.sql.compilers import SQLiteCompiler\n"
        "from ibis.backends.sql.compilers.postgres import PostgresCompiler\n"
        "assert sc.SQLiteCompiler is SQLiteCompiler is sc.sqlite.SQLiteCompiler\n"
        "assert sc.PostgresCompiler is PostgresCompiler\n"
        "assert sc.PySparkCompiler.__name__ == 'PySparkCompiler'\n"
        "assert len(sc.__all__) >= 20 and 'DuckDBCompiler' in sc.__all__\n"
        "print(ibis.to_sql(ibis.table({'x': 'int64'}, name='t').x.sum(), dialect='sqlite'))\n"
        "try:\n"
        "    sc.NoSuchCompiler\n"
        "except AttributeError as exc:\n"
        "    print('AttributeError', exc)\n"
    )
    loaded, total, *rest = out.splitlines()
    assert loaded.split(",") == ["_compat", "base", "duckdb"]
    assert total == "6"
    assert 'SUM("t0"."x")' in "\n".join(rest)
    assert "has no attribute 'NoSuchCompiler'" in rest[-1]


def test_the_installed_package_is_read_as_expected():
    """The Ibis installed here re-exports its compilers only (else install() stays off)."""
    spec_origin = Path(__import__("ibis").__file__).parent / "backends/sql/compilers/__init__.py"
    names = lazy_names(spec_origin.read_text(encoding="utf-8"))
    assert names is not None
    assert names["DuckDBCompiler"] == "duckdb"
    assert names["PySparkCompiler"] == "pyspark"


@pytest.mark.parametrize(
    "source",
    [
        "import os\n",
        "from ibis.backends.sql.compilers.duckdb import DuckDBCompiler as D\n",
        "from ibis.backends.sql.compilers.duckdb import *\n",
        "from ibis.backends.sql.compilers.duckdb.x import DuckDBCompiler\n",
        "X = 1\n",
        "",
    ],
)
def test_any_other_package_body_runs_as_it_is(source):
    assert lazy_names(source) is None


def test_nothing_is_replaced_once_the_package_is_imported():
    import ibis.backends.sql.compilers  # noqa: F401  (this process may have it either way)

    assert _ibis_compilers.install() is False
