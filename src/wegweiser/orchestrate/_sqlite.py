"""The SQLite state store: one file, WAL, writers serialised by ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate.errors import StateStoreError
from wegweiser.orchestrate.state import StateStore, Tx

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path


class _SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(sql, dict(params or {}))
        rows = cur.fetchall()
        self.rowcount = cur.rowcount
        return rows

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        cur = self.conn.executemany(sql, [r if type(r) is dict else dict(r) for r in rows])
        self.rowcount = cur.rowcount

    def lock_person(self, person_id: str) -> None:
        """``BEGIN IMMEDIATE`` already holds the only write lock."""

    def in_texts(self, name: str, values: Sequence[str]) -> tuple[str, Any]:
        return f"IN (SELECT value FROM json_each(:{name}))", json.dumps(list(values))


class SqliteStore(StateStore):
    kind = "sqlite"

    def __init__(self, path: Path, *, timeout: float = 60.0) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                str(path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: batches of 100k entries
        except (sqlite3.Error, OSError) as exc:
            raise StateStoreError(f"cannot open the journey state {path}: {exc}") from exc

    def _begin(self) -> Tx:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StateStoreError(f"journey state {self.path}: {exc}") from exc
        return _SqliteTx(self.conn)

    def _commit(self, tx: Tx) -> None:
        self.conn.execute("COMMIT")

    def _rollback(self, tx: Tx) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def reopen(self) -> SqliteStore:
        return SqliteStore(self.path)

    def _has_table(self, tx: Tx, name: str) -> bool:
        return bool(tx.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n", {"n": name}))

    def close(self) -> None:
        self.conn.close()
