"""Ibis's SQL compilers loaded one at a time (internal): a command line starts faster.

``ibis.backends.sql.compilers`` imports the compiler of every dialect Ibis knows (twenty,
with SQLGlot's parsers, generators and type tables of each) as soon as one backend is
loaded; a Wegweiser process uses one (DuckDB, or PySpark). :func:`install` puts the package
in ``sys.modules`` without running its ``__init__`` and gives it a module ``__getattr__``
that imports a compiler's module on first use (``sc.duckdb``, ``sc.DuckDBCompiler``, ``from
ibis.backends.sql.compilers import PostgresCompiler``): the same names, the same objects,
loaded when asked for. That saves about 0.1 s of CPU per process.

It only does so when the package's ``__init__`` is what it expects -- ``__all__`` and
``from ibis.backends.sql.compilers.<module> import <Name>`` lines, nothing else -- and
leaves Ibis alone otherwise (another Ibis version, or the package already imported).

>>> names = lazy_names("from ibis.backends.sql.compilers.duckdb import DuckDBCompiler\\n"
...                    "__all__ = ['DuckDBCompiler']\\n", "ibis.backends.sql.compilers")
>>> names
{'DuckDBCompiler': 'duckdb'}
>>> lazy_names("import os\\n", "ibis.backends.sql.compilers") is None
True
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types
from typing import Any

PACKAGE = "ibis.backends.sql.compilers"


def lazy_names(source: str, package: str = PACKAGE) -> dict[str, str] | None:
    """``{name: submodule}`` of a package ``__init__`` that only re-exports its submodules'
    names (None: it does anything else, so it must run as it is)."""
    names: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "__all__"
        ):
            continue
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            continue  # a docstring
        prefix = package + "."
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.startswith(prefix)
            and "." not in node.module[len(prefix) :]
        ):
            for alias in node.names:
                if alias.asname is not None or alias.name == "*":
                    return None
                names[alias.name] = node.module[len(prefix) :]
            continue
        return None
    return names or None


def install() -> bool:
    """Make the compilers package load its modules on use; False when it was left alone."""
    if PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return False
    try:
        with open(spec.origin, encoding="utf-8") as fh:
            names = lazy_names(fh.read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return False
    if names is None:
        return False
    module = importlib.util.module_from_spec(spec)
    setattr(module, "__all__", list(names))  # noqa: B010

    def __getattr__(name: str) -> Any:  # the module's: PEP 562
        if name in names:
            value = getattr(importlib.import_module(f"{PACKAGE}.{names[name]}"), name)
            setattr(module, name, value)
            return value
        if not name.startswith("__"):
            try:
                return importlib.import_module(f"{PACKAGE}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{PACKAGE}.{name}":
                    raise
        raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")

    setattr(module, "__getattr__", __getattr__)  # noqa: B010 (a module attribute)
    sys.modules[PACKAGE] = module
    parent = sys.modules.get(PACKAGE.rpartition(".")[0])
    if isinstance(parent, types.ModuleType):
        setattr(parent, PACKAGE.rpartition(".")[2], module)
    return True
