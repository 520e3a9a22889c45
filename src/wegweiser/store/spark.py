"""The Spark side of the engine boundary: events as date-partitioned Parquet, analyses on Spark.

With ``[engine] kind = "spark"`` the embedded DuckDB store keeps the bookkeeping (imports,
quarantine, identities and links, costs, derived-table stamps) and :class:`SparkEngine`
holds what grows with the events:

* ``events`` — Parquet under ``events_path``, one folder per UTC day (``date=YYYY-MM-DD``),
  appended by the importer (:meth:`SparkEngine.add_events`: DuckDB writes a local folder,
  Spark a URI). Every row carries its ``import_id``; only rows of imports the embedded store
  committed are visible, so a batch whose DuckDB transaction failed after its files were
  written stays invisible and is imported again on retry; an undone import
  (:mod:`wegweiser.events.history`) is invisible too.
* ``identities`` — the embedded store's table, handed to Spark as a DataFrame when a query
  needs it. Stitching finds the connected components of the link graph on Spark
  (:meth:`SparkEngine.components`); the safeguards are the same vectorised code as on DuckDB
  (:func:`wegweiser.events.identity.stitch_codes`).
* derived tables (``journey``) — Parquet under ``derived_path``, rebuilt by
  :meth:`SparkEngine.build`.

Analyses receive Ibis tables over the PySpark backend, exactly as they do over DuckDB. The
session gets one SQL function, ``epoch_us`` (DuckDB's builtin; see
``wegweiser.analysis._time``), and Ibis is adjusted in three places so that both engines
return the same values and types with no Python UDFs: Spark timestamps are typed UTC, JSON
fields compile to ``get_json_object``, and results come back through Arrow.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from wegweiser.errors import MissingDependency
from wegweiser.store.engine import quote_identifier
from wegweiser.store.schema import EVENT_COLUMNS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

    from wegweiser.config import EngineConfig
    from wegweiser.store.engine import Engine

#: Settings every Wegweiser session gets (``engine.spark_conf`` may override them).
SESSION_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
PARTITION = "date"
_EPOCH_US = (
    "CREATE OR REPLACE TEMPORARY FUNCTION epoch_us(ts TIMESTAMP) RETURNS BIGINT "
    "RETURN unix_micros(ts)"
)
_SPARK_TYPES = {
    "VARCHAR": "STRING", "JSON": "STRING", "TIMESTAMPTZ": "TIMESTAMP", "DOUBLE": "DOUBLE",
}
#: The events Parquet as Spark DDL, with the partition column last.
EVENTS_DDL = ", ".join(
    [f"`{name}` {_SPARK_TYPES[typ]}" for name, typ in EVENT_COLUMNS.items()]
    + [f"`{PARTITION}` DATE"]
)
#: The imports whose rows are visible: committed ones that added rows and were not undone
#: (module docstring).
_COMMITTED = "SELECT import_id FROM imports WHERE n_imported > 0 AND undone_at IS NULL"
_views = itertools.count()
_session_lock = threading.Lock()


def spark_session(config: EngineConfig) -> Any:
    """The process's SparkSession for ``config`` (created on first use, then shared)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise MissingDependency("pyspark", "spark") from exc
    with _session_lock:
        builder = SparkSession.builder.appName("wegweiser")
        if config.spark_remote:
            builder = builder.remote(config.spark_remote)
        else:
            builder = builder.master(config.spark_master or "local[*]")
        for key, value in {**SESSION_DEFAULTS, **_local_defaults(config),
                           **config.spark_conf}.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.sql(_EPOCH_US)
    return session


def _local_defaults(config: EngineConfig) -> dict[str, str]:
    """Settings for ``local[...]`` masters: Python workers run this interpreter, and a
    shuffle has two partitions per core instead of Spark's 200 (which costs seconds per query
    on one machine)."""
    master = config.spark_master or "local[*]"
    if config.spark_remote or not master.startswith("local"):
        return {}
    threads = master.partition("[")[2].split(",")[0].rstrip("]") or "1"  # "local": one thread
    cores = (os.cpu_count() or 2) if threads == "*" else int(threads)
    return {
        "spark.pyspark.python": sys.executable,
        "spark.sql.shuffle.partitions": str(2 * max(cores, 1)),
        "spark.ui.showConsoleProgress": "false",
    }


def _type_timestamps_as_utc() -> None:
    """Spark's ``TIMESTAMP`` is an instant, shown in the session time zone (always UTC here),
    but Ibis types it as a naive timestamp, so results would lose their zone. Type it as
    ``timestamp('UTC')``, as DuckDB's ``TIMESTAMPTZ`` is, so both engines return the same
    values and types (a test pins this against the Ibis version in use)."""
    import functools

    import ibis.expr.datatypes as dt
    from ibis.backends.pyspark import datatypes
    from pyspark.sql import types as pt

    datatypes._from_pyspark_dtypes[pt.TimestampType] = functools.partial(
        dt.Timestamp, timezone="UTC"
    )


def _ibis_backend(session: Any) -> Any:
    """Ibis' PySpark backend, fetching results as Arrow (Spark's ``toArrow``) instead of
    through pandas (Ibis' ``toPandas`` path is slower and trips pandas 3 deprecations), and
    registering the UDFs an expression needs (Ibis' JSON unwrapping) before caching it too."""
    import ibis
    import ibis.expr.operations as ops
    import sqlglot as sg
    import sqlglot.expressions as sge
    from ibis.backends.pyspark import Backend
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler
    from ibis.formats.pyarrow import PyArrowData

    _ = ibis.pyspark  # loading the backend this way registers its options (ibis.options.pyspark)

    class NativeJSON(PySparkCompiler):  # type: ignore[misc]
        """JSON fields read as on DuckDB, without Python UDFs.

        Ibis compiles ``json[key]`` to Spark's ``get_json_object``, which already gives a
        string's text unquoted (so ``.str`` of it needs no UDF) and a number, boolean, object
        or array as its JSON text, as DuckDB does; only a JSON ``null`` reads as NULL, where
        DuckDB's text of it is ``null``, so casting a top-level field to string says so.
        """

        SIMPLE_OPS: ClassVar[dict[Any, str]] = {
            op: name for op, name in PySparkCompiler.SIMPLE_OPS.items()
            if op is not ops.UnwrapJSONString
        }

        def visit_JSONGetItem(self, op: Any, *, arg: Any, index: Any) -> Any:
            """A JSON pointer of one token (``/a.b``, as the filter model reads a key: a key,
            never a path) reads that key of the top-level object; Spark's JSONPath cannot
            quote every key, so the object is read as a map of texts."""
            key = op.index.value if isinstance(op.index, ops.Literal) else None
            if isinstance(key, str) and key.startswith("/") and "/" not in key[1:]:
                name = key[1:].replace("~1", "/").replace("~0", "~")
                as_map = self.f.from_json(arg, sge.convert("map<string,string>"))
                return self.f.try_element_at(as_map, sge.convert(name))
            return super().visit_JSONGetItem(op, arg=arg, index=index)

        def visit_UnwrapJSONString(self, op: Any, *, arg: Any) -> Any:
            if isinstance(op.arg, ops.JSONGetItem):
                return arg
            return self.f.unwrap_json_str(arg)  # Ibis' UDF, registered before running

        def visit_Cast(self, op: Any, *, arg: Any, to: Any) -> Any:
            field = op.arg
            if (
                to.is_string() and isinstance(field, ops.JSONGetItem)
                and isinstance(field.index, ops.Literal) and isinstance(field.index.value, str)
                and isinstance(arg, sge.JSONExtractScalar)
            ):
                keys = self.f.json_object_keys(arg.this)
                is_null = sg.and_(
                    arg.is_(sge.Null()), self.f.array_contains(keys, sge.convert(field.index.value))
                )
                return self.if_(is_null, sge.convert("null"), self.cast(arg, to))
            return super().visit_Cast(op, arg=arg, to=to)

    class ArrowResults(Backend):  # type: ignore[misc]
        compiler = NativeJSON()

        def to_pyarrow(
            self, expr: Any, /, *, params: Any = None, limit: Any = None, **kwargs: Any
        ) -> Any:
            table_expr = expr.as_table()
            self._run_pre_execute_hooks(table_expr)
            frame = self._session.sql(self.compile(table_expr, params=params, limit=limit))
            table = PyArrowData.convert_table(frame.toArrow(), table_expr.schema())
            return expr.__pyarrow_result__(table)

        def _create_cached_table(self, name: str, expr: Any) -> Any:
            # as Ibis' own, but with the UDFs registered and without its `is_cached` check,
            # which Spark Connect's lazy cache fails
            self._run_pre_execute_hooks(expr)
            frame = self._session.sql(self.compile(expr)).cache()
            frame.createOrReplaceTempView(name)
            self._cached_dataframes[name] = frame
            return self.table(name)

    return ArrowResults().connect(session)


def _safe(text: Any) -> str:
    """``text`` reduced to letters, digits and ``-`` (for file names)."""
    return "".join(ch for ch in str(text) if ch.isalnum() or ch == "-")


def is_uri(location: str) -> bool:
    return "://" in location or location.startswith("file:")


def resolve_uri(location: str, folder: Path) -> str:
    """``location`` as Spark reads it: URIs unchanged, relative paths inside ``folder``.

    >>> resolve_uri("s3a://lake/events", Path("/shop")), resolve_uri("events", Path("/shop"))
    ('s3a://lake/events', '/shop/events')
    """
    if is_uri(location):
        return location
    path = folder / os.path.expanduser(location)
    return str(path.resolve())


class SparkEngine:
    """Events, identities and derived tables on Spark (see the module docstring)."""

    name = "spark"

    def __init__(self, config: EngineConfig, catalog: Engine, folder: Path) -> None:
        self.config = config
        self.catalog = catalog
        self.events_uri = resolve_uri(config.events_path, folder)
        # a local folder is read and written by DuckDB, a URI by Spark (see add_events)
        self._events_dir = None if is_uri(config.events_path) else Path(self.events_uri)
        self.derived_uri = resolve_uri(config.derived_path, folder)
        self._session: Any = None
        self._backend: Any = None
        self._prefix = f"wegweiser_{next(_views)}_"
        self._views: set[str] = set()

    @property
    def session(self) -> Any:
        """The SparkSession, started on first use (commands that need no Spark start none)."""
        if self._session is None:
            self._session = spark_session(self.config)
            _type_timestamps_as_utc()
            self._backend = _ibis_backend(self._session)
        return self._session

    @property
    def _ibis(self) -> Any:
        _ = self.session
        return self._backend

    # -- reading ---------------------------------------------------------------------------
    def ibis(self) -> Any:
        """The Ibis PySpark backend; analyses build expressions on its tables."""
        return self._ibis

    def table(self, name: str) -> Any:
        """``events`` (committed rows), ``identities`` or a derived table, as an Ibis table."""
        if name == "events":
            return self._view("events", self._events())
        if name == "identities":
            return self._view("identities", self._from_catalog(
                "SELECT id, id_kind, person_id FROM identities"))
        return self._view(name, self._derived(name))

    def _events(self) -> Any:
        from pyspark.sql import functions as F

        # only committed imports that added rows; none: nothing was written yet
        committed = self.catalog.arrow(_COMMITTED)
        if committed.num_rows == 0:
            return self.session.createDataFrame([], EVENTS_DDL).drop(PARTITION)
        files = self.session.read.schema(EVENTS_DDL).parquet(self.events_uri)
        ids = self.session.createDataFrame(committed)
        visible = files.join(F.broadcast(ids), "import_id", "left_semi")
        return visible.select(*EVENT_COLUMNS)

    def _from_catalog(self, sql: str) -> Any:
        return self.session.createDataFrame(self.catalog.arrow(sql))

    def _derived(self, name: str) -> Any:
        return self.session.read.parquet(f"{self.derived_uri}/{name}")

    def _view(self, name: str, frame: Any) -> Any:
        view = self._prefix + name
        frame.createOrReplaceTempView(view)
        self._views.add(view)
        return self._ibis.table(view)

    # -- writing ---------------------------------------------------------------------------
    def build(self, name: str, expr: Any) -> Any:
        """Write ``expr`` as the derived table ``name`` (replacing it) and return it.

        Columns get the types of the Ibis expression (Spark's ``row_number`` is an INT where
        Ibis, and DuckDB, have a BIGINT)."""
        from ibis.backends.pyspark.datatypes import PySparkType
        from pyspark.sql import functions as F

        self._ibis._run_pre_execute_hooks(expr)
        frame = self.session.sql(self._ibis.compile(expr))
        frame = frame.select(*[
            F.col(f"`{col}`").cast(PySparkType.from_ibis(typ)).alias(col)
            for col, typ in expr.schema().items()
        ])
        frame.write.mode("overwrite").parquet(f"{self.derived_uri}/{name}")
        return self.table(name)

    def add_events(self, store: Engine, relation: str) -> int:
        """Store the rows of ``relation`` (a table of the DuckDB ``store`` with the columns
        of ``events``) that are new; rows whose ``message_id`` is stored already are deleted
        from ``relation`` first. Returns how many rows were stored.

        A local ``events_path`` is read and written by DuckDB (fast, nothing goes through
        the JVM); a URI (``hdfs://``, ``s3a://``, ``file://``...) by Spark.
        """
        if store.scalar(f"SELECT count(*) FROM ({_COMMITTED})"):
            self._drop_known(store, relation)
        n_new = int(store.scalar(f"SELECT count(*) FROM {relation}"))
        if n_new == 0:
            return 0
        text = {c: f"CAST({c} AS VARCHAR) AS {c}" for c, t in EVENT_COLUMNS.items() if t == "JSON"}
        columns = ", ".join(text.get(c, quote_identifier(c)) for c in EVENT_COLUMNS)
        rows = f"SELECT {columns} FROM {relation}"
        if self._events_dir is not None:
            import_id = store.scalar(f"SELECT any_value(import_id) FROM {relation}")
            store.run(
                f"COPY (SELECT *, CAST(\"timestamp\" AS DATE) AS {PARTITION} FROM ({rows})) "
                f"TO $dir (FORMAT parquet, PARTITION_BY ({PARTITION}), APPEND, "
                f"FILENAME_PATTERN 'part-{_safe(import_id)}-{{uuid}}')",
                {"dir": str(self._events_dir)},
            )
        else:
            self._spark_append(store.arrow(rows))
        return n_new

    def copy_events(self, store: Engine, name: str, columns: list[str]) -> None:
        """Copy ``columns`` of the visible events into a temp table ``name`` of ``store``
        (identities are rebuilt from them after an undo)."""
        cols = ", ".join(quote_identifier(c) for c in columns)
        if self._events_dir is not None:
            files = list(self._events_dir.glob("*/*.parquet"))
            if files:
                store.run(
                    f"CREATE TEMP TABLE {name} AS SELECT {cols} FROM "
                    "read_parquet($files, hive_partitioning = false) "
                    f"WHERE import_id IN ({_COMMITTED})",
                    {"files": [str(f) for f in files]},
                )
                return
            store.run(f"CREATE TEMP TABLE {name} AS SELECT {cols} FROM events LIMIT 0")
            return
        rows = self._events().select(*columns).toArrow()
        store.register("_copied_events", rows)
        try:
            store.run(f"CREATE TEMP TABLE {name} AS SELECT {cols} FROM _copied_events")
        finally:
            store.unregister("_copied_events")

    def _drop_known(self, store: Engine, relation: str) -> None:
        if self._events_dir is not None:
            store.run(
                f"DELETE FROM {relation} WHERE message_id IN (SELECT message_id FROM "
                "read_parquet($files, hive_partitioning = false) "
                f"WHERE import_id IN ({_COMMITTED}))",
                {"files": f"{self._events_dir}/*/*.parquet"},
            )
            return
        ids = store.arrow(f"SELECT message_id FROM {relation}")
        probe = self.session.createDataFrame(ids)
        stored = self._events().select("message_id")
        known = stored.join(probe, "message_id", "left_semi").distinct().toArrow()
        if known.num_rows:
            store.register("_known_ids", known)
            try:
                store.run(f"DELETE FROM {relation} WHERE message_id IN "
                          "(SELECT message_id FROM _known_ids)")
            finally:
                store.unregister("_known_ids")

    def _spark_append(self, rows: pa.Table) -> None:
        from pyspark.sql import functions as F

        frame = self.session.createDataFrame(rows)
        frame = frame.withColumn(PARTITION, F.to_date("timestamp"))
        frame.repartition(PARTITION).write.mode("append").partitionBy(PARTITION).parquet(
            self.events_uri
        )

    def components(
        self, src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64], n: int
    ) -> npt.NDArray[np.int64]:
        """Connected components of the identity links, on Spark (:mod:`.spark_graph`)."""
        from wegweiser.store.spark_graph import connected_components

        return connected_components(self.session, src, dst, n)

    def close(self) -> None:
        """Drop this project's views; the session stays for the process (see
        :func:`stop_spark`)."""
        if self._session is not None:
            for view in self._views:
                self._session.catalog.dropTempView(view)
        self._views.clear()


def stop_spark() -> None:
    """Stop the process's SparkSession, if one runs."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover
        return
    with _session_lock:
        session = SparkSession.getActiveSession()
        if session is not None:
            session.stop()
