"""The memo of compiled SQL: built once per key, run on the caller's connection."""

from __future__ import annotations

import ibis
import pytest

from wegweiser.analysis import _compiled


@pytest.fixture
def fresh():
    _compiled.forget()
    yield
    _compiled.forget()


def _connection(values: list[int]) -> ibis.BaseBackend:
    con = ibis.duckdb.connect()
    con.create_table("t", ibis.memtable({"x": values}))
    return con


def test_an_equal_key_reuses_the_sql_and_runs_on_the_given_connection(fresh):
    builds = []

    def build(table):
        def make():
            builds.append(1)
            return table.aggregate(total=table.x.sum())
        return make

    first, second = _connection([1, 2, 3]), _connection([10, 20])
    t1, t2 = first.table("t"), second.table("t")
    key = ("sum", t1.schema())
    assert _compiled.fetch(key, build(t1), first).to_pylist() == [{"total": 6}]
    assert _compiled.fetch(key, build(t1), first).to_pylist() == [{"total": 6}]
    assert len(builds) == 1  # compiled once
    # the same SQL on another connection reads that connection's table
    assert _compiled.fetch(key, build(t2), second).to_pylist() == [{"total": 30}]
    assert len(builds) == 1
    assert _compiled.fetch(("other",), build(t2), second).to_pylist() == [{"total": 30}]
    assert len(builds) == 2


def test_in_memory_tables_are_registered_on_a_hit(fresh):
    con = ibis.duckdb.connect()
    mem = ibis.memtable({"x": [4, 5]})
    key = ("mem", mem.op())
    for _ in range(2):
        out = _compiled.fetch(key, lambda: mem.aggregate(n=mem.x.sum()), con)
        assert out.to_pylist() == [{"n": 9}]


def test_the_memo_is_bounded(fresh, monkeypatch):
    monkeypatch.setattr(_compiled, "SIZE", 3)
    con = _connection([1])
    t = con.table("t")
    for k in range(5):
        _compiled.fetch(("k", k), lambda: t.aggregate(n=t.x.sum()), con)
    assert list(_compiled._MEMO) == [("k", 2), ("k", 3), ("k", 4)]


def test_a_hit_reads_the_tables_as_they_are_now(fresh):
    con = _connection([1, 2, 3])
    t = con.table("t")
    key = ("now", t.op())
    assert _compiled.fetch(key, lambda: t.aggregate(n=t.x.sum()), con).to_pylist() == [{"n": 6}]
    con.create_table("t", ibis.memtable({"x": [7, 8]}), overwrite=True)  # same schema
    assert _compiled.fetch(key, lambda: t.aggregate(n=t.x.sum()), con).to_pylist() == [{"n": 15}]
    con.raw_sql("INSERT INTO t VALUES (5)")
    assert _compiled.fetch(key, lambda: t.aggregate(n=t.x.sum()), con).to_pylist() == [{"n": 20}]


def test_a_hit_on_a_reconnected_backend_runs_on_the_new_connection(fresh, tmp_path):
    path = tmp_path / "db.duckdb"
    con = ibis.duckdb.connect(path)
    con.create_table("t", ibis.memtable({"x": [1, 2]}))
    t = con.table("t")
    key = ("reconnect", t.schema())
    assert _compiled.fetch(key, lambda: t.aggregate(n=t.x.sum()), con).to_pylist() == [{"n": 3}]
    con.disconnect()
    again = ibis.duckdb.connect(path)
    again.raw_sql("INSERT INTO t VALUES (4)")
    t2 = again.table("t")
    assert _compiled.fetch(key, lambda: t2.aggregate(n=t2.x.sum()), again).to_pylist() == [
        {"n": 7}
    ]


def test_only_memtables_and_python_udfs_need_the_hooks():
    @ibis.udf.scalar.builtin(name="abs")
    def engine_abs(x: int) -> int: ...

    @ibis.udf.scalar.python
    def py_abs(x: int) -> int:
        return abs(x)

    t = ibis.table({"x": "int64"}, name="t")
    assert not _compiled._hooked(t.select(y=engine_abs(t.x)).op())
    assert _compiled._hooked(t.select(y=py_abs(t.x)).op())
    assert _compiled._hooked(ibis.memtable({"x": [1]}).op())


def test_a_python_udf_runs_on_a_hit(fresh):
    @ibis.udf.scalar.python
    def twice(x: int) -> int:
        return 2 * x

    con = _connection([1, 2])
    t = con.table("t")
    for _ in range(2):
        out = _compiled.fetch(("udf", t.op()), lambda: t.aggregate(n=twice(t.x).sum()), con)
        assert out.to_pylist() == [{"n": 6}]
