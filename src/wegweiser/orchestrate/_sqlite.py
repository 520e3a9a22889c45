"""The SQLite state store: one file, WAL, writers serialised by ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

import orjson

from wegweiser.orchestrate.errors import StateStoreError
from wegweiser.orchestrate.state import NAMED_PARAMETER, SCHEMA, StateStore, Tx

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

    def executemany_rows(
        self, sql: str, names: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Positional parameters (``?1``, ``?2``, ...; a name used twice binds once): SQLite
        binds a tuple faster than it looks names up in a dict (measured: 200k runs 1.41 ->
        1.20 s)."""
        index = {name: i for i, name in enumerate(names, 1)}
        cur = self.conn.executemany(
            NAMED_PARAMETER.sub(lambda m: f"?{index[m.group(1)]}", sql), rows)
        self.rowcount = cur.rowcount

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
        constants: Mapping[str, Any] | None = None, conflict: str = "", long_texts: bool = False,
    ) -> None:
        """One ``INSERT ... SELECT`` over the rows as one JSON array (``json_each``): SQLite
        reads them in C, where binding each row from Python costs twice as much (measured:
        100k runs and entries 0.56 -> 0.28 s of CPU). Not for ``long_texts``: JSON in JSON
        is escaped, then parsed back, where binding them is cheaper (100k person snapshots
        of ~200 bytes: 0.27 -> 0.16 s)."""
        if not rows:
            self.rowcount = 0
            return
        if long_texts:
            super().insert_many(table, columns, rows, constants=constants, conflict=conflict)
            return
        fixed = dict(constants or {})
        picked = [f"json_extract(value, '$[{i}]')" for i in range(len(columns))]
        params = {f"k{i}": v for i, v in enumerate(fixed.values())}
        params["rows_"] = orjson.dumps(list(rows)).decode()
        sql = (f"INSERT INTO {table} ({', '.join([*columns, *fixed])}) "
               f"SELECT {', '.join([*picked, *(f':{k}' for k in params if k != 'rows_')])} "
               f"FROM json_each(:rows_) WHERE true {conflict}")  # WHERE: SQLite's upsert rule
        cur = self.conn.execute(sql, params)
        self.rowcount = cur.rowcount

    def lock_person(self, person_id: str) -> None:
        """``BEGIN IMMEDIATE`` already holds the only write lock."""

    def in_texts(self, name: str, values: Sequence[str]) -> tuple[str, Any]:
        return f"IN (SELECT value FROM json_each(:{name}))", orjson.dumps(list(values)).decode()


WAL_CHECKPOINT_PAGES = 10_000
_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_lock(path: Path) -> threading.Lock:
    """One lock per database file in this process: the threads of a worker (its lanes) take
    turns at the writer lock here, handed over at once, instead of in SQLite's busy handler,
    which sleeps 1, 2, 5, 10 ... ms between tries (measured: most of the wall time of a
    webhook with 4 lanes). Other processes still meet at SQLite's own lock."""
    key = os.path.realpath(path)
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.Lock())


class SqliteStore(StateStore):
    kind = "sqlite"

    def __init__(self, path: Path, *, timeout: float = 60.0) -> None:
        self.path = path
        self._writer = _writer_lock(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # created 600: its -wal follows
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self.conn = sqlite3.connect(
                str(path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: batches of 100k entries
            # checkpoints every 10,000 pages rather than SQLite's 1,000: the hot pages of the
            # runs and the ledger are copied back once per checkpoint, not once per 1,000
            # (measured: COMMIT 230-310 -> 110-120 us, a webhook's worker CPU -12%); the
            # -wal file goes back to at most 64 MiB after each
            self.conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            self.conn.execute(f"PRAGMA journal_size_limit={64 * 2**20}")
        except (sqlite3.Error, OSError) as exc:
            raise StateStoreError(f"cannot open the journey state {path}: {exc}") from exc

    def _begin(self) -> Tx:
        self._writer.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._writer.release()
            raise StateStoreError(f"journey state {self.path}: {exc}") from exc
        except BaseException:
            self._writer.release()
            raise
        return _SqliteTx(self.conn)

    def _commit(self, tx: Tx) -> None:
        try:
            self.conn.execute("COMMIT")
        finally:
            self._writer.release()

    def _rollback(self, tx: Tx) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        finally:
            self._writer.release()

    def reopen(self) -> SqliteStore:
        return SqliteStore(self.path)

    @property
    def where(self) -> str:
        return str(self.path)

    def _has_table(self, tx: Tx, name: str) -> bool:
        return bool(tx.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n", {"n": name}))

    def _runs_person_nullable(self, tx: Tx) -> None:
        """SQLite cannot drop a NOT NULL constraint: the table is made anew and its rows
        copied over (in the migration's transaction; its indexes follow in ``SCHEMA``)."""
        info = tx.execute("PRAGMA table_info(wj_runs)")
        if not any(r[1] == "person" and r[3] for r in info):
            return
        columns = ", ".join(str(r[1]) for r in info)
        tx.execute("ALTER TABLE wj_runs RENAME TO wj_runs_before_5")
        tx.execute(SCHEMA[0])  # CREATE TABLE wj_runs, as of this version
        tx.execute(f"INSERT INTO wj_runs ({columns}) SELECT {columns} FROM wj_runs_before_5")
        tx.execute("DROP TABLE wj_runs_before_5")  # and its indexes

    def close(self) -> None:
        self.conn.close()
