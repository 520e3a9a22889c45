"""Run an Ibis expression whose compiled SQL is memoised by the caller's key (internal).

Building and compiling an analysis's expression costs a fixed 0.05-0.2 s of Python (Ibis
building the tree, sqlglot writing 5-10 kB of SQL) before the engine starts, every call. An
analysis whose expression depends only on its options and its input tables names them as a
*key* (hashable: the options plus the input tables' ``op()``, which identify the table, its
schema and its backend) and calls :func:`fetch`: the first call builds and compiles, later
calls with an equal key send the remembered SQL straight to DuckDB. Other backends (Spark)
build and run the expression through Ibis every time.

A hit costs no more than the engine's run: the DuckDB relation over the SQL is kept too
(per connection: the last one it ran on), so the text is not parsed and bound in Python
again (a relation runs its query anew on every read, on the tables as they are then), and
Ibis' pre-execute hooks (registering in-memory tables and Python UDFs) run only for an
expression that has such nodes, which is known once, when it compiles.

The memo keeps the last :data:`SIZE` keys (least recently used goes first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis.expr.operations as ops
from ibis.expr.operations.udf import InputType

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    import ibis.expr.types as ir
    import pyarrow as pa

SIZE = 64

#: nodes for which Ibis' DuckDB backend does something before it runs an expression
_HOOKED = (ops.InMemoryTable, ops.ScalarUDF, ops.GeoSpatialUnOp, ops.GeoSpatialBinOp)


@dataclass
class _Compiled:
    expr: ir.Table
    sql: str
    hooks: bool  # whether Ibis' pre-execute hooks have anything to do for ``expr``
    tables: tuple[str, ...]  # the stored tables it reads (a reader-backed one needs the hooks)
    #: the last connection it ran on and the DuckDB relation over ``sql`` there
    ran: tuple[Any, Any] | None = None


_MEMO: OrderedDict[Hashable, _Compiled] = OrderedDict()
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
        op = expr.op()
        hit = _Compiled(
            expr, backend.compile(expr), hooks=_hooked(op),
            tables=tuple(t.name for t in op.find(ops.PhysicalTable)),
        )
        with _LOCK:
            _MEMO[key] = hit
            while len(_MEMO) > SIZE:
                _MEMO.popitem(last=False)
    readers = getattr(backend, "_record_batch_readers_consumed", {})
    if hit.hooks or any(name in readers for name in hit.tables):
        backend._run_pre_execute_hooks(hit.expr)  # registers in-memory tables (ibis.memtable)
    con, ran = backend.con, hit.ran
    if ran is None or ran[0] is not con:
        ran = hit.ran = (con, con.sql(hit.sql))  # one attribute: a reader sees a pair
    return _arrow(ran[1])


def _hooked(op: ops.Node) -> bool:
    """Whether Ibis' pre-execute hooks have work for ``op``: an in-memory table to register,
    a Python UDF to define (an engine's builtin function, such as ``epoch_us``, needs none)."""
    return any(
        not isinstance(node, ops.ScalarUDF) or node.__input_type__ is not InputType.BUILTIN
        for node in op.find(_HOOKED)
    )


def _arrow(relation: Any) -> pa.Table:
    # a relation, not a cursor: DuckDB copies a cursor's rows once more for Arrow
    table: pa.Table = relation.to_arrow_table()
    return table


def forget() -> None:
    """Drop every remembered expression (tests; a schema change keys differently anyway)."""
    with _LOCK:
        _MEMO.clear()
