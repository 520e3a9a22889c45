"""The journey state store: runs, the send ledger, the import cursor, the outbox.

One small interface (:class:`StateStore`, used through :meth:`StateStore.transaction`) over
two databases: SQLite (a file in the project folder, the embedded default; one writer at a
time, WAL) and PostgreSQL (psycopg 3; several workers on several machines, claims with
``FOR UPDATE SKIP LOCKED``). Not DuckDB: it has one writer process and keeps deleted rows
in its file. SQL here is constant text with bound parameters (``:name``); values never go
into the SQL text.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate.errors import StateStoreError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

STATE_FILE = "journeys.sqlite"

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS wj_runs (
        run_id TEXT PRIMARY KEY,
        journey TEXT NOT NULL,
        person_id TEXT NOT NULL,
        step TEXT,
        status TEXT NOT NULL,
        due_at DOUBLE PRECISION NOT NULL,
        step_at DOUBLE PRECISION NOT NULL,
        wait_event TEXT,
        signal_at DOUBLE PRECISION,
        claimed_by TEXT,
        claim_until DOUBLE PRECISION,
        priority INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        holdout INTEGER NOT NULL DEFAULT 0,
        person TEXT,
        trigger TEXT,
        reason TEXT,
        entered_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS wj_runs_due ON wj_runs (status, due_at)",
    "CREATE INDEX IF NOT EXISTS wj_runs_person ON wj_runs (person_id, status)",
    """CREATE TABLE IF NOT EXISTS wj_entries (
        journey TEXT NOT NULL, person_id TEXT NOT NULL, n INTEGER NOT NULL,
        last_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (journey, person_id)
    )""",
    """CREATE TABLE IF NOT EXISTS wj_ledger (
        key TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        journey TEXT NOT NULL,
        step TEXT NOT NULL,
        channel TEXT NOT NULL,
        person_id TEXT NOT NULL,
        variant TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        worker TEXT,
        lease_until DOUBLE PRECISION,
        next_attempt_at DOUBLE PRECISION,
        started_at DOUBLE PRECISION,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS wj_ledger_person ON wj_ledger (person_id, started_at)",
    "CREATE INDEX IF NOT EXISTS wj_ledger_state ON wj_ledger (state)",
    """CREATE TABLE IF NOT EXISTS wj_outbox (
        message_id TEXT PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL, event TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS wj_imports (
        import_id TEXT PRIMARY KEY, seen_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS wj_journeys (
        journey TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0,
        entrants INTEGER NOT NULL DEFAULT 0, last_tick DOUBLE PRECISION
    )""",
    """CREATE TABLE IF NOT EXISTS wj_persons (
        person_id TEXT PRIMARY KEY, person TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS wj_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS wj_unsubscribed (
        person_id TEXT NOT NULL, channel TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (person_id, channel)
    )""",
    # members of the segments and personas journeys enter on (orchestrate/memberships.py)
    """CREATE TABLE IF NOT EXISTS wj_sets (
        set_key TEXT PRIMARY KEY, digest TEXT NOT NULL, evaluated_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS wj_members (
        set_key TEXT NOT NULL, person_id TEXT NOT NULL, since DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (set_key, person_id)
    )""",
    # opens and clicks per message (ledger key), counted by the server's pixel and redirect
    """CREATE TABLE IF NOT EXISTS wj_engagement (
        key TEXT PRIMARY KEY, opened_at DOUBLE PRECISION NOT NULL,
        clicks INTEGER NOT NULL DEFAULT 0, clicked_at DOUBLE PRECISION
    )""",
    # every move of a run from one step to the next ('' = the end): the journey's flow
    # (orchestrate/flows.py); insert-only, so workers never contend for a counter row
    """CREATE TABLE IF NOT EXISTS wj_moves (
        journey TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS wj_moves_journey ON wj_moves (journey)",
    # delivery receipts applied to the ledger (orchestrate/receipts.py): one per message and
    # status, so a receipt posted twice changes nothing the second time
    """CREATE TABLE IF NOT EXISTS wj_receipts (
        key TEXT NOT NULL, status TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
        received_at DOUBLE PRECISION NOT NULL, reason TEXT, PRIMARY KEY (key, status)
    )""",
)

SCHEMA_VERSION = "6"
"""6: ``wj_receipts`` (delivery receipts applied to the ledger; a new table, nothing else
changes). 5: ``wj_runs.person`` may be NULL -- the run sees the person's latest snapshot in
``wj_persons`` (written once per person and batch, not once per run); a run keeps a copy of
its own only when a step changed it (``set_trait``) or it was written before version 5."""
SHARED_PERSON = "SELECT person_id, person FROM wj_persons WHERE person_id IN ({ids})"
"""The persons' latest snapshots (for :func:`~.runtime.select_in`)."""
RUN_PERSON = (
    "SELECT COALESCE(r.person, p.person) FROM wj_runs r "
    "LEFT JOIN wj_persons p ON p.person_id = r.person_id"
)
"""A run's person snapshot, its own or else the person's latest (add ``WHERE r.`` ...)."""

NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Tx(ABC):
    """One transaction: ``execute`` returns the rows (empty for statements without any);
    ``rowcount`` is that of the last statement."""

    rowcount: int = 0

    @abstractmethod
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        ...

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        for row in rows:
            self.execute(sql, row)

    def executemany_rows(
        self, sql: str, names: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """``executemany`` with each row the values of ``names`` (the ``:name`` placeholders
        of ``sql``) in that order: a tuple per row instead of a dict, for the bulk writes of
        an import batch (200k rows)."""
        self.executemany(sql, [dict(zip(names, row, strict=True)) for row in rows])

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
        constants: Mapping[str, Any] | None = None, conflict: str = "", long_texts: bool = False,
    ) -> None:
        """Insert ``rows`` into ``table``, each row the values of ``columns`` in that order,
        with ``constants`` (column -> value) the same in every row; ``conflict``: an ``ON
        CONFLICT`` clause (it names the row that did not go in ``excluded``). Table, column
        names and ``conflict`` are the caller's constant text; values are bound.
        ``long_texts``: the rows are a few long texts each (JSON snapshots), which a store
        may bind row by row rather than in bulk."""
        fixed = dict(constants or {})
        names = [*columns, *fixed]
        values = ", ".join(f":c{i}" for i in range(len(names)))
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({values}) {conflict}"
        tail = tuple(fixed.values())
        self.executemany_rows(sql, [f"c{i}" for i in range(len(names))],
                              [(*row, *tail) for row in rows])

    @abstractmethod
    def lock_person(self, person_id: str) -> None:
        """Serialise this transaction with every other one that locks the same person."""

    def in_texts(self, name: str, values: Sequence[str]) -> tuple[str, Any] | None:
        """``(SQL, value)``: ``<column> SQL`` tests whether a column is one of ``values``,
        bound as the single parameter ``:name`` = value (one statement for any number of
        values); None where the database cannot (then the caller goes in chunks)."""
        return None

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None


class StateStore(ABC):
    """Where the journey runtime keeps its state. Open with :func:`open_state`."""

    kind: str
    skip_locked: str = ""
    """``FOR UPDATE SKIP LOCKED`` where the database has it."""

    @abstractmethod
    def _begin(self) -> Tx: ...

    @abstractmethod
    def _commit(self, tx: Tx) -> None: ...

    @abstractmethod
    def _rollback(self, tx: Tx) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def reopen(self) -> StateStore:
        """Another connection to the same database (for another thread)."""

    def _lock_migration(self, tx: Tx) -> None:
        """Keep two workers starting at once from creating the tables together."""
        return None

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        tx = self._begin()
        try:
            yield tx
        except BaseException:
            self._rollback(tx)
            raise
        self._commit(tx)

    def migrate(self) -> None:
        """Create the tables unless this schema version is there already (a plain read: DDL,
        even ``IF NOT EXISTS``, would lock tables that running workers write)."""
        with self.transaction() as tx:
            if self._found_version(tx) == int(SCHEMA_VERSION):
                return
        with self.transaction() as tx:
            self._lock_migration(tx)
            self._found_version(tx)  # a newer worker may have migrated meanwhile
            if self._has_table(tx, "wj_runs"):
                self._runs_person_nullable(tx)
            for statement in SCHEMA:
                tx.execute(statement)
            tx.execute(
                "INSERT INTO wj_meta (key, value) VALUES ('schema', :v) "
                "ON CONFLICT (key) DO UPDATE SET value = :v",
                {"v": SCHEMA_VERSION},
            )

    def _found_version(self, tx: Tx) -> int | None:
        """The schema version the store has (None: a new store, or one from before
        ``wj_meta``); :class:`StateStoreError` for one newer than this Wegweiser knows, which
        it would otherwise "migrate" back over the newer version's tables."""
        if not self._has_table(tx, "wj_meta"):
            return None
        row = tx.one("SELECT value FROM wj_meta WHERE key = 'schema'")
        if row is None:
            return None
        try:
            found = int(row[0])
        except (TypeError, ValueError):
            raise StateStoreError(
                f"journey state {self.where}: schema version {row[0]!r} is not a number; "
                "this is not a store Wegweiser wrote"
            ) from None
        if found > int(SCHEMA_VERSION):
            raise StateStoreError(
                f"journey state {self.where}: schema version {found} was written by a newer "
                f"Wegweiser; this version knows schema versions up to {SCHEMA_VERSION}. "
                "Upgrade Wegweiser on this machine (every worker of a state store needs the "
                "same or a newer version)."
            )
        return found

    @property
    def where(self) -> str:
        """The store, for messages (no password)."""
        return self.kind

    @abstractmethod
    def _has_table(self, tx: Tx, name: str) -> bool: ...

    @abstractmethod
    def _runs_person_nullable(self, tx: Tx) -> None:
        """Schema 5 on a store made before it: let ``wj_runs.person`` be NULL, keeping every
        row (a no-op where it may already)."""

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def to_pyformat(sql: str) -> str:
    """``:name`` placeholders as psycopg's ``%(name)s`` (and ``%`` escaped).

    >>> to_pyformat("SELECT 1 WHERE a = :a AND b LIKE 'x%'")
    "SELECT 1 WHERE a = %(a)s AND b LIKE 'x%%'"
    """
    return NAMED_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


def open_state(target: str | Path, *, project_dir: Path | None = None) -> StateStore:
    """A state store: ``postgresql://...`` (or ``postgres://``) for PostgreSQL, else a SQLite
    file path (relative paths inside ``project_dir``); the tables are created if missing."""
    text = str(target)
    store: StateStore
    if text.startswith(("postgresql://", "postgres://", "host=")):
        from wegweiser.orchestrate._postgres import PostgresStore

        store = PostgresStore(text)
    else:
        from pathlib import Path as _Path

        from wegweiser.orchestrate._sqlite import SqliteStore

        path = _Path(text.removeprefix("sqlite:///"))
        if not path.is_absolute() and project_dir is not None:
            path = project_dir / path
        store = SqliteStore(path)
    try:
        store.migrate()
    except StateStoreError:
        store.close()
        raise
    return store
