"""The PostgreSQL state store (psycopg 3): several workers, claims with SKIP LOCKED,
per-person advisory locks for the delivery policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wegweiser.errors import MissingDependency
from wegweiser.orchestrate.errors import StateStoreError
from wegweiser.orchestrate.state import StateStore, Tx, to_pyformat

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import psycopg

try:
    import psycopg as _psycopg
except ImportError:  # pragma: no cover - the [journeys] extra brings it
    _psycopg = None  # type: ignore[assignment]


class _PgTx(Tx):
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.cur = conn.cursor()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self.cur.execute(to_pyformat(sql), dict(params or {}))
        self.rowcount = self.cur.rowcount
        return list(self.cur.fetchall()) if self.cur.description is not None else []

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.cur.executemany(to_pyformat(sql), [dict(r) for r in rows])
            self.rowcount = self.cur.rowcount

    def lock_person(self, person_id: str) -> None:
        self.execute("SELECT pg_advisory_xact_lock(hashtextextended(:p, 0))", {"p": person_id})

    def in_texts(self, name: str, values: Sequence[str]) -> tuple[str, Any]:
        return f"= ANY(CAST(:{name} AS TEXT[]))", list(values)


class PostgresStore(StateStore):
    kind = "postgresql"
    skip_locked = "FOR UPDATE SKIP LOCKED"

    def __init__(self, dsn: str) -> None:
        if _psycopg is None:
            raise MissingDependency("psycopg", "journeys")
        self.dsn = dsn
        try:
            self.conn = _psycopg.connect(dsn, autocommit=False, connect_timeout=10)
        except _psycopg.Error as exc:
            raise StateStoreError(f"cannot connect to the journey state database: {exc}") from exc

    def _begin(self) -> Tx:
        return _PgTx(self.conn)

    def _commit(self, tx: Tx) -> None:
        self.conn.commit()

    def _rollback(self, tx: Tx) -> None:
        self.conn.rollback()

    def _lock_migration(self, tx: Tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(4242)")

    def reopen(self) -> PostgresStore:
        return PostgresStore(self.dsn)

    @property
    def where(self) -> str:
        """Database and host (the DSN may hold a password)."""
        info = self.conn.info
        return f"PostgreSQL database {info.dbname!r} on {info.host}"

    def _has_table(self, tx: Tx, name: str) -> bool:
        row = tx.one("SELECT to_regclass(:n) IS NOT NULL", {"n": name})
        return bool(row and row[0])

    def _runs_person_nullable(self, tx: Tx) -> None:
        tx.execute("ALTER TABLE wj_runs ALTER COLUMN person DROP NOT NULL")

    def close(self) -> None:
        self.conn.close()
