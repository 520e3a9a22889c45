"""Run an Ibis expression whose compiled SQL is memoised by the caller's key (internal).

Building and compiling an analysis's expression costs a fixed 0.05-0.2 s of Python (Ibis
building the tree, sqlglot writing 5-10 kB of SQL) before the engine starts, every call. An
analysis whose expression depends only on its options and its input tables names them as a
*key* (hashable: the options plus the input tables' ``op()``, which identify the table, its
schema and its backend) and calls :func:`fetch`: the first call builds and compiles, later
calls with an equal key send the remembered SQL straight to DuckDB. Other backends (Spark)
build and run the expression through Ibis every time.

The memo keeps the last :data:`SIZE` keys (least recently used goes first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    import ibis.expr.types as ir
    import pyarrow as pa

SIZE = 64
_MEMO: OrderedDict[Hashable, tuple[ir.Table, str]] = OrderedDict()
_LOCK = threading.Lock()


def fetch(key: Hashable, build: Callable[[], ir.Table], backend: Any) -> pa.Table:
    """The result of ``build()`` run on ``backend`` (that of the caller's input tables) as an
    Arrow table; on DuckDB, ``build`` runs (and its SQL compiles) only when ``key`` is not
    remembered. The remembered SQL names tables, not a connection: it runs on ``backend``
    (equal keys mean equal tables and schemas, even of another project's connection)."""
    if backend.name != "duckdb":
        table: pa.Table = build().to_pyarrow()
        return table
    with _LOCK:
        hit = _MEMO.get(key)
        if hit is not None:
            _MEMO.move_to_end(key)
    if hit is None:
        expr = build()
        hit = (expr, backend.compile(expr))
        with _LOCK:
            _MEMO[key] = hit
            while len(_MEMO) > SIZE:
                _MEMO.popitem(last=False)
    expr, sql = hit
    backend._run_pre_execute_hooks(expr)  # registers in-memory tables (ibis.memtable)
    return _arrow(backend.con.sql(sql))


def _arrow(relation: Any) -> pa.Table:
    # a relation, not a cursor: DuckDB copies a cursor's rows once more for Arrow
    table: pa.Table = relation.to_arrow_table()
    return table


def forget() -> None:
    """Drop every remembered expression (tests; a schema change keys differently anyway)."""
    with _LOCK:
        _MEMO.clear()
