"""The engine boundary: the only module that opens a database connection.

An :class:`Engine` owns one DuckDB connection (a file in the project folder, or in memory for
tests), runs SQL with bound parameters and hands results out as :class:`Result`, Arrow or
pandas. Everything else in Wegweiser speaks to the store through it.

Where events live and analyses run is the *warehouse* (:class:`Warehouse`), chosen in one
place, :func:`open_warehouse`: the DuckDB store itself (``engine.kind = "duckdb"``), or
:class:`~wegweiser.store.spark.SparkEngine` (``"spark"``), which keeps events as Parquet and
leaves the bookkeeping tables to the DuckDB store.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

from wegweiser.errors import ProjectError, StoreBusy

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

    from wegweiser.config import EngineConfig

Params = Sequence[Any] | dict[str, Any] | None

#: Called once when opening has to wait for another process: (holder description, seconds).
WaitNotice = Callable[[str, float], None]

_HOLDER = re.compile(r"Conflicting lock is held in (.*?)(?: \(PID (\d+)\))?\. ", re.S)


def _holder(message: str) -> str:
    """Who holds the store, from DuckDB's lock error ("PID 123 (python3)")."""
    match = _HOLDER.search(message + " ")
    if match is None:
        return "another process"
    program, pid = match.group(1).rsplit("/", 1)[-1], match.group(2)
    return f"process {pid} ({program})" if pid else program


def _connect(
    database: str, *, read_only: bool, wait_seconds: float, on_wait: WaitNotice | None
) -> duckdb.DuckDBPyConnection:
    """Connect; while another process holds the file lock, retry until ``wait_seconds``."""
    if os.sep == "/" and "\\" in os.path.abspath(database):
        # DuckDB reads a backslash as a path separator on every system, so it would open
        # another file than the one named (or fail with "No such file or directory").
        raise ProjectError(
            f"Cannot open the store {os.path.abspath(database)}: its path contains a "
            "backslash (\\), which DuckDB reads as a folder separator. Rename the folder "
            "(or move the project) to a path without a backslash.")
    deadline = time.monotonic() + wait_seconds
    delay, told = 0.01, False
    while True:
        try:
            return duckdb.connect(database, read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise ProjectError(f"Cannot open the store {database}: {text}") from exc
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    f"The store {database} is in use by {_holder(text)} and stayed busy for "
                    f"{wait_seconds:g} s. If that is `wegweiser serve` running a long request, "
                    "try again or raise engine.lock_wait_seconds; otherwise stop that process."
                ) from exc
            if not told and on_wait is not None:
                on_wait(_holder(text), wait_seconds)
                told = True
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)


def _literal(text: str) -> str:
    """An SQL string literal (ATTACH takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _fsync_dir(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def quote_identifier(name: str) -> str:
    """Quote an SQL identifier (doubling embedded quotes), for names taken from input files.

    >>> print(quote_identifier('user "id" x'))
    "user ""id"" x"
    """
    return '"' + name.replace('"', '""') + '"'


class Warehouse(Protocol):
    """Where events live and analyses run: Ibis tables by name, derived tables built."""

    name: str

    def ibis(self) -> Any:
        """The Ibis backend the tables belong to."""

    def table(self, name: str) -> Any:
        """``events``, ``identities`` or a derived table (``journey``) as an Ibis table."""

    def build(self, name: str, expr: Any) -> Any:
        """Materialise ``expr`` as the derived table ``name`` (replacing it); return it."""

    def close(self) -> None: ...


class EventSink(Protocol):
    """Events kept outside the DuckDB store (Spark: Parquet); the importer writes there."""

    def add_events(self, store: Engine, relation: str) -> int:
        """Store the new rows of the temp table ``relation`` (the ``events`` columns) and
        delete the others (``message_id`` already stored) from it; return how many."""

    def copy_events(self, store: Engine, name: str, columns: list[str]) -> None:
        """Copy ``columns`` of the visible events into a temp table ``name`` of ``store``."""

    def components(
        self, src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64], n: int
    ) -> npt.NDArray[np.int64]:
        """Connected components of the identity link graph, computed by this engine: a
        label per id code ``0 .. n-1`` (see :func:`wegweiser.events.identity.stitch_codes`)."""


@dataclass(frozen=True)
class Result:
    """Rows of one query, as tuples, with their column names."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def single_value(self) -> Any:
        if len(self.rows) != 1 or len(self.columns) != 1:
            raise ValueError(f"expected one value, got {len(self.rows)} rows x {len(self.columns)}")
        return self.rows[0][0]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class Engine:
    """One DuckDB connection with Wegweiser's session settings.

    Also the default :class:`Warehouse`. ``event_sink`` is None when events live in this
    store's ``events`` table, else where the importer appends them instead.
    """

    name = "duckdb"

    def __init__(
        self,
        database: str | Path = ":memory:",
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
        threads: int | None = None,
        wait_seconds: float = 0.0,
        on_wait: WaitNotice | None = None,
    ) -> None:
        """Open ``database``; DuckDB lets one process write a file at a time, so while another
        process holds it this retries for up to ``wait_seconds`` (``on_wait`` is told once),
        then raises :class:`~wegweiser.errors.StoreBusy`."""
        self.database = str(database)
        new_file = self.database != ":memory:" and not os.path.exists(self.database)
        self._con = _connect(
            self.database, read_only=read_only, wait_seconds=wait_seconds, on_wait=on_wait
        )
        if new_file and os.path.exists(self.database):
            os.chmod(self.database, 0o600)  # personal data: the owner's only
        self._lock = threading.RLock()
        self._ibis: Any = None
        self.event_sink: EventSink | None = None
        self._settings = (memory_limit, threads)
        self._limits: list[str] = []  # memory limits of the open memory_limit() blocks
        self._wait = (wait_seconds, on_wait)
        self._configure()

    def _configure(self) -> None:
        memory_limit, threads = self._settings
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute("SET enable_progress_bar = false")
        if memory_limit is not None:
            # SET takes no parameters; the value is validated by config.EngineConfig
            self._con.execute(f"SET memory_limit = '{memory_limit.strip()}'")
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        with contextlib.suppress(duckdb.Error):  # DuckDB >= 2.0 only; Ibis emits x -> lambdas
            self._con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")

    # -- running SQL -------------------------------------------------------------------
    def execute(self, sql: str, params: Params = None) -> Result:
        with self._lock:
            cur = self._con.execute(sql, params) if params is not None else self._con.execute(sql)
            if cur.description is None:
                return Result([], [])
            columns = [d[0] for d in cur.description]
            return Result(columns, cur.fetchall())

    def run(self, sql: str, params: Params = None) -> None:
        """Execute a statement whose result is not needed."""
        with self._lock:
            if params is not None:
                self._con.execute(sql, params)
            else:
                self._con.execute(sql)

    def arrow(self, sql: str, params: Params = None) -> pa.Table:
        with self._lock:
            return self._con.sql(sql, params=params).to_arrow_table()

    def df(self, sql: str, params: Params = None) -> pd.DataFrame:
        # through Arrow: DuckDB's own .df() trips a pandas 3.1 deprecation warning
        frame: pd.DataFrame = self.arrow(sql, params).to_pandas()
        return frame

    def scalar(self, sql: str, params: Params = None) -> Any:
        return self.execute(sql, params).single_value()

    def columns_of(self, relation_sql: str, params: Params = None) -> dict[str, str]:
        """Column name -> type of a query (``DESCRIBE``), without running it in full."""
        res = self.execute(f"DESCRIBE {relation_sql}", params)
        return {row[0]: str(row[1]) for row in res.rows}

    # -- Ibis ----------------------------------------------------------------------------
    def ibis(self) -> Any:
        """The Ibis backend over this connection; analyses build expressions on its tables."""
        if self._ibis is None:
            import ibis

            from wegweiser.store import _ibis_compilers

            _ibis_compilers.install()  # DuckDB's compiler only, not every dialect's
            self._ibis = ibis.duckdb.from_connection(self._con)
        return self._ibis

    def table(self, name: str) -> Any:
        return self.ibis().table(name)

    def build(self, name: str, expr: Any) -> Any:
        con = self.ibis()
        con.create_table(name, expr, overwrite=True)
        return con.table(name)

    # -- objects from Python -----------------------------------------------------------
    def register(self, name: str, data: Any) -> None:
        """Expose an Arrow table, RecordBatchReader or DataFrame as a view ``name``."""
        with self._lock:
            self._con.register(name, data)

    def unregister(self, name: str) -> None:
        with self._lock:
            self._con.unregister(name)

    @contextlib.contextmanager
    def memory_limit(self, limit: str | None) -> Iterator[Engine]:
        """Run the block under DuckDB's buffer limit ``limit`` (None: unchanged), then
        restore the engine's own (nested blocks: the outer one's). The value is validated by
        ``config`` (``SET`` takes no parameters)."""
        if limit is None or self.database == ":memory:":
            # an in-memory store has nowhere to put what exceeds the limit
            yield self
            return
        with self._lock:
            before = self._limits[-1] if self._limits else self._settings[0]
            self._limits.append(limit.strip())
            self._con.execute(f"SET memory_limit = '{limit.strip()}'")
        try:
            yield self
        finally:
            with self._lock:
                self._limits.pop()
                if before is None:
                    self._con.execute("RESET memory_limit")
                else:
                    self._con.execute(f"SET memory_limit = '{before.strip()}'")

    # -- transactions ------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Engine]:
        """All statements inside commit together or not at all."""
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield self
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def interrupt(self) -> None:
        """Stop the running query (safe from another thread; it raises in its thread)."""
        self._con.interrupt()

    def checkpoint(self) -> None:
        self.run("CHECKPOINT")

    def rewrite(self) -> None:
        """Rewrite the store file so that deleted rows leave no bytes behind.

        DuckDB reuses freed blocks but never overwrites them (``CHECKPOINT`` and ``VACUUM``
        reclaim nothing); its documented way to get a compact file is ``COPY FROM DATABASE``
        into a new one. The copy is written beside the store (``<store>.rewrite``), synced,
        then renamed over the store while this connection still holds the old file's lock
        (another process retrying the lock reopens the path and finds the new file), so a
        crash leaves the old or the new file, never a partial one. The connection is then
        reopened on the new file (waiting, like opening, while another process holds it).
        """
        if self.database == ":memory:":
            return
        path = self.database
        tmp = path + ".rewrite"
        with self._lock:
            self._con.execute("CHECKPOINT")
            for stale in (tmp, tmp + ".wal"):
                if os.path.exists(stale):
                    os.remove(stale)
            source = self._con.execute("SELECT current_database()").fetchall()[0][0]
            self._con.execute(f"ATTACH {_literal(tmp)} AS _wegweiser_rewrite")
            try:
                self._con.execute(
                    f"COPY FROM DATABASE {quote_identifier(source)} TO _wegweiser_rewrite"
                )
            finally:
                self._con.execute("DETACH _wegweiser_rewrite")
            os.chmod(tmp, 0o600)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            _fsync_dir(os.path.dirname(os.path.abspath(path)))
            self._con.close()
            self._ibis = None
            # another process (the server's importer) may take the new file first: wait
            wait_seconds, on_wait = self._wait
            self._con = _connect(path, read_only=False, wait_seconds=max(wait_seconds, 120.0),
                                 on_wait=on_wait)
            self._configure()

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_warehouse(config: EngineConfig, store: Engine, folder: Path) -> Warehouse:
    """The warehouse ``config.kind`` asks for, over the DuckDB ``store`` of the project in
    ``folder`` (the one place that decides which engine runs the analyses)."""
    if config.kind == "spark":
        from wegweiser.store.spark import SparkEngine

        spark = SparkEngine(config, store, folder)
        store.event_sink = spark
        return spark
    return store


def is_engine_error(exc: BaseException) -> bool:
    """True for errors raised by the database itself (for mapping to user messages)."""
    return isinstance(exc, duckdb.Error)
