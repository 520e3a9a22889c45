"""The store file rewritten after deletes: deleted rows leave no bytes, sequences and the
schema survive, no WAL is left, the engine goes on working on the new file."""

from __future__ import annotations

from wegweiser.store import tables
from wegweiser.store.engine import Engine


def test_rewrite_removes_the_bytes_of_deleted_rows(tmp_path):
    path = tmp_path / "s.duckdb"
    engine = Engine(path)
    tables.migrate(engine)
    engine.run("INSERT INTO quarantine (reason, raw) SELECT 'r', 'gone-' || i::VARCHAR "
               "FROM range(20000) t(i)")
    engine.run("INSERT INTO quarantine (reason, raw) VALUES ('r', 'kept-row')")
    engine.checkpoint()
    engine.run("DELETE FROM quarantine WHERE raw LIKE 'gone-%'")
    engine.checkpoint()
    assert b"gone-1999" in path.read_bytes()  # what the issue says: DELETE is not enough
    engine.rewrite()
    data = path.read_bytes()
    assert b"gone-" not in data
    assert b"kept-row" in data
    assert not (tmp_path / "s.duckdb.wal").exists()
    assert not (tmp_path / "s.duckdb.rewrite").exists()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    engine.run("INSERT INTO quarantine (reason, raw) VALUES ('r', 'next')")
    assert engine.scalar("SELECT max(quarantine_id) FROM quarantine") == 20002
    assert tables.migrate(engine) == len(tables.MIGRATIONS)
    engine.close()
