"""Import: read, normalise, validate, quarantine, deduplicate, insert, stitch.

One *import* — a file, a DataFrame, a collector segment, a quarantine replay — is one
transaction with one ``import_id`` in the ``imports`` history, however large: it is processed
in batches of ``ingest.batch_rows`` rows (which bounds memory), and a process killed in the
middle leaves the store as it was before that import. Re-importing adds nothing: rows are
deduplicated on ``message_id`` against the store and within the import (the first row wins).
An import can be undone, or replaced by importing the same file again
(:mod:`wegweiser.events.history`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.errors import InvalidInput
from wegweiser.events import history, readers
from wegweiser.events.normalize import ColumnPlan, plan_columns, raw_sql, staging_sql
from wegweiser.events.options import ImportOptions, split_mapping
from wegweiser.events.persons import resolve_persons, update_identities
from wegweiser.events.store_rows import (
    duplicate_sample,
    insert_direct,
    insert_events,
    send_events,
)
from wegweiser.events.summary import MAX_DUPLICATES, MAX_ERRORS, ImportSummary, Span
from wegweiser.events.suppression import any_suppressed, drop_suppressed
from wegweiser.store import event_keys
from wegweiser.store.engine import is_engine_error, quote_identifier

if TYPE_CHECKING:
    import os

    import pyarrow as pa

    from wegweiser.config import Config
    from wegweiser.events.readers import Rejected, Source
    from wegweiser.store.engine import Engine

__all__ = [
    "ImportSummary",
    "Progress",
    "ingest_batch",
    "ingest_paths",
    "ingest_source",
    "ingest_table",
    "parse_mapping",
    "resolve_persons",
    "update_identities",
]

Progress = Callable[[str, int, int], None]
"""Called with (source name, rows done, rows in all) after each batch."""


def parse_mapping(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"user_id=client_id,event=action"`` -> ``{"user_id": "client_id", "event": "action"}``.

    A quoted value is a constant (``event='purchase'``, see
    :func:`wegweiser.events.options.split_mapping`).
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        target, sep, source = part.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise InvalidInput(
                f"bad column mapping {part!r}: write it as event_field=your_column, "
                "e.g. --map user_id=client_id,timestamp=ts (a constant: event='purchase')"
            )
        mapping[target.strip()] = source.strip()
    return mapping


# -- one import ----------------------------------------------------------------------------
@dataclasses.dataclass
class _Import:
    engine: Engine
    config: Config
    plan: ColumnPlan
    options: ImportOptions
    source_name: str
    raw_format: str
    import_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    started: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))
    summary: ImportSummary = dataclasses.field(default_factory=ImportSummary)
    span: Span = dataclasses.field(default_factory=Span)
    collector: bool = False  # a collector spool segment: retried requests are not new rows
    direct: bool = False  # batches may take the direct path (see _direct)
    # (events before 1971, with negative revenue) among the rows this import has stored, as
    # the last direct batch counted them; None once a staged batch stored rows (count again)
    stored_odd: tuple[int, int] | None = (0, 0)


def ingest_source(
    engine: Engine,
    config: Config,
    source: Source,
    mapping: Mapping[str, str],
    *,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    kind: str = "file",
    source_key: str | None = None,
    replace: bool = False,
    raw_format: str = "record",
    finalize: Callable[[Engine, str], None] | None = None,
    given_mapping: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Import a table-backed source as one import, in batches of ``ingest.batch_rows`` rows.

    ``replace``: first undo the earlier imports of the same ``source_key`` (a file's absolute
    path), in the same transaction. ``finalize(engine, import_id)`` runs inside the
    transaction, last. ``given_mapping``: the ``--map`` to record in the history when the
    reader applied it already (JSON records).
    """
    options = options or ImportOptions()
    columns, constants = split_mapping(mapping)
    plan = plan_columns(source.columns, columns, {**options.constants, **constants})
    run = _Import(engine, config, plan, options, source.name, raw_format)
    run.collector = kind == "collector"
    run.direct = may_go_direct(engine, plan)
    with engine.memory_limit(config.ingest.memory_limit), engine.transaction():
        earlier = (
            history.earlier_imports(engine, source_key, source.name) if source_key else []
        )
        if replace:
            history.undo_imports(engine, config, earlier, replaced_by=run.import_id)
            run.summary.replaced = earlier
        _record(run, kind=kind, source_key=source_key, mapping=given_mapping or mapping)
        if engine.event_sink is None:  # the duplicate check's keys cover the store
            event_keys.ensure(engine)
        if source.parts is None:
            _batches(run, source, progress, 0, whole=source)
        else:
            done = 0
            parts = source.parts()
            try:
                for part in parts:
                    try:
                        done = _batches(run, part, progress, done, whole=source)
                    finally:
                        part.close()
            finally:
                close = getattr(parts, "close", None)
                if close is not None:
                    close()
        if engine.event_sink is None:
            event_keys.keep(engine)  # every batch added the keys of the rows it stored
            update_identities(engine, config, run.import_id)
        run.summary.negative_revenue = run.span.negative
        run.summary.warnings += _warnings(run, source, kind, earlier if not replace else [])
        _finish(run)
        if finalize is not None:
            finalize(engine, run.import_id)
        if run.summary.quarantined:
            run.summary.errors = engine.execute(
                "SELECT source, line, reason FROM quarantine WHERE import_id = $id "
                f"ORDER BY line LIMIT {MAX_ERRORS}",
                {"id": run.import_id},
            ).dicts()
    run.summary.sources = [source.name]
    run.summary.import_ids = [run.import_id]
    return run.summary


def _batches(
    run: _Import, source: Source, progress: Progress | None, done: int, *, whole: Source
) -> int:
    """Import ``source`` (the input, or a part of it) in batches of ``ingest.batch_rows``
    rows; returns ``done`` plus its rows. ``whole``: the input (its share read so far gives
    the progress total of an input read in parts)."""
    engine = run.engine
    size = run.config.ingest.batch_rows
    n_in, low, high = engine.execute(
        f"SELECT count(*), min(_line), max(_line) FROM {source.relation}"
    ).rows[0]
    lines = [r.line for r in source.rejected] + [int(x) for x in (low, high) if x is not None]
    start = min(lines, default=1) - 1 if source is not whole else 0
    end = max(lines, default=0)
    total = int(n_in) + len(source.rejected)
    if source is not whole:  # a part: the input's rows estimated from the share read
        total = round((done + total) / max(whole.done, 1e-9))
    first = True
    while True:
        stop = start + size
        rejected = [
            r for r in source.rejected if start < r.line <= stop or (first and r.line <= start)
        ]
        relation = f"(SELECT * FROM {source.relation} WHERE _line > {start} AND _line <= {stop})"
        done += _batch(run, relation, rejected)
        if progress:
            progress(whole.name, done, max(total, done))
        start, first = stop, False
        if start >= end:
            break
    return done


def _warnings(run: _Import, source: Source, kind: str, earlier: list[str]) -> list[str]:
    """What looks wrong although no row was rejected (see :class:`ImportSummary`)."""
    out = list(source.warnings)
    if kind != "collector":  # a collector batch spans seconds by nature
        out += run.span.warnings(source.name)
    if kind != "collector" and (unread := _unread_fields(run.plan)):
        shown = ", ".join(run.plan.extras[:12]) + (", ..." if len(run.plan.extras) > 12 else "")
        out.append(
            f"no column of {source.name} was read as {', '.join(unread)}; its columns "
            f"{shown} went to properties — name them, e.g. --map "
            + ",".join(f"{f.split('/')[0]}=COLUMN" for f in unread)
        )
    if earlier and run.summary.imported:
        out.append(
            f"{source.name} was imported before ({', '.join(i[:12] for i in earlier)}) and "
            f"this import added {run.summary.imported:,} events: if it corrects the earlier "
            "one, undo that (wegweiser imports undo ID) or import with --replace"
        )
    return out


def _unread_fields(plan: ColumnPlan) -> list[str]:
    """The fields every event needs (an id, a timestamp, an event name unless a ``type``
    column may say identify/alias) that no input column or constant gives, when the input
    has columns left over that could have given them."""
    if not plan.extras:
        return []
    given = set(plan.sources)
    missing = []
    if not given & {"user_id", "anonymous_id"}:
        missing.append("user_id/anonymous_id")
    if not given & {"timestamp", "original_timestamp", "received_at"}:
        missing.append("timestamp")
    if not given & {"event", "name", "type"}:
        missing.append("event")
    return missing


def _record(run: _Import, *, kind: str, source_key: str | None, mapping: Mapping[str, str]) -> None:
    options = {
        "map": dict(mapping),
        **{k: v for k, v in dataclasses.asdict(run.options).items() if v not in (None, {})},
    }
    run.engine.run(
        "INSERT INTO imports (import_id, source, started_at, n_rows, n_imported, n_duplicates, "
        "n_quarantined, kind, source_key, options) "
        "VALUES ($id, $source, $started, 0, 0, 0, 0, $kind, $key, $options)",
        {
            "id": run.import_id,
            "source": run.source_name,
            "started": run.started,
            "kind": kind,
            "key": source_key,
            "options": json.dumps(options, sort_keys=True),
        },
    )


def _finish(run: _Import) -> None:
    s = run.summary
    details = {
        "warnings": s.warnings,
        "duplicate_sample": s.duplicate_sample,
        "negative_revenue": s.negative_revenue,
    }
    run.engine.run(
        "UPDATE imports SET finished_at = $now, n_rows = $rows, n_imported = $new, "
        "n_duplicates = $dup, n_quarantined = $bad, details = $details WHERE import_id = $id",
        {
            "details": json.dumps(details, default=str),
            "id": run.import_id,
            "now": datetime.now(UTC),
            "rows": s.rows,
            "new": s.imported,
            "dup": s.duplicates,
            "bad": s.quarantined,
        },
    )


def _batch(run: _Import, relation: str, rejected: list[Rejected]) -> int:
    """Normalise ``relation`` and write it to the store; returns the rows it held."""
    engine, config, import_id = run.engine, run.config, run.import_id
    sql, params = staging_sql(relation, run.plan, config, run.options,
                              flag_hints=not run.collector)
    if run.direct:
        done = _direct(run, relation, rejected, sql, params)
        if done is not None:
            return done
    stage = f"_stage_{uuid.uuid4().hex[:12]}"
    engine.run(f"CREATE TEMP TABLE {stage} AS {sql}", params)
    try:
        run.summary.suppressed += drop_suppressed(engine, stage)
        n_rows, n_bad, n_distinct, first, last, n_1970, negative = engine.execute(
            "SELECT count(*), count(_error), count(DISTINCT message_id) "
            "FILTER (WHERE _error IS NULL), "
            'min("timestamp") FILTER (WHERE _error IS NULL), '
            'max("timestamp") FILTER (WHERE _error IS NULL), '
            "count(*) FILTER (WHERE _error IS NULL AND \"timestamp\" < TIMESTAMPTZ '1971-01-01'), "
            f"count(*) FILTER (WHERE _error IS NULL AND revenue < 0) FROM {stage}"
        ).rows[0]
        _quarantine(run, stage, relation, rejected, has_bad=bool(n_bad))
        repeats = n_distinct < n_rows - n_bad
        if engine.event_sink is None:
            n_new = insert_events(engine, config, stage, import_id, dedup=repeats)
            if n_new:  # the keys of the rows stored now (this import's rows not yet keyed)
                event_keys.add(
                    engine,
                    "SELECT hash(message_id) AS h FROM events WHERE import_id = $import_id "
                    "AND hash(message_id) NOT IN "
                    "(SELECT h FROM event_keys WHERE import_id = $import_id)",
                    import_id,
                )
            known = "message_id IN (SELECT message_id FROM events WHERE import_id <> $id)"
        else:
            n_new = send_events(engine, config, stage, import_id, dedup=repeats)
            update_identities(engine, config, import_id, new=f"{stage}_new")
            known = f"message_id NOT IN (SELECT message_id FROM {stage}_new)"
        summary = run.summary
        n_dup = n_rows - n_bad - n_new
        if n_dup and len(summary.duplicate_sample) < MAX_DUPLICATES:
            summary.duplicate_sample += duplicate_sample(
                engine, stage, known, import_id, MAX_DUPLICATES - len(summary.duplicate_sample)
            )
        summary.imported += n_new
        summary.duplicates += n_dup
        summary.quarantined += n_bad + len(rejected)
        summary.rows += n_rows + len(rejected)
        run.span.add(n_rows - n_bad, first, last, n_1970, negative)
        run.stored_odd = None
        # visible to this transaction only: lets the next batch (Spark) see these rows
        engine.run(
            "UPDATE imports SET n_imported = $n WHERE import_id = $id",
            {"n": summary.imported, "id": import_id},
        )
        return int(n_rows) + len(rejected)
    finally:
        engine.run(f"DROP TABLE IF EXISTS {stage}_new")
        engine.run(f"DROP TABLE IF EXISTS {stage}")


def may_go_direct(engine: Engine, plan: ColumnPlan) -> bool:
    """Whether batches of an input with this plan may take the direct path (see
    :func:`_direct`): events in this store (not an event sink), a ``message_id`` column,
    no suppressed ids to drop."""
    return (
        engine.event_sink is None
        and "message_id" in plan.sources
        and "message_id" not in plan.constants
        and not any_suppressed(engine)
    )


def _direct(
    run: _Import, relation: str, rejected: list[Rejected], sql: str, params: dict[str, Any]
) -> int | None:
    """The batch written without a staged copy, when no row of it can be a duplicate (every
    row has an id, the batch repeats none, the store holds none of them): the good rows go
    from the normalising query straight into ``events``. Bad rows (the inserted count falls
    short) are normalised again to quarantine them. None: take the staged path."""
    engine = run.engine
    mid = quote_identifier(run.plan.sources["message_id"][0])
    # the batch's ids as 64-bit keys (store/event_keys.py), hashed once for the three
    # uses: the batch repeats none (a hash collision only makes it look repeated: staged
    # path), the store holds none, and the keys added once the rows are stored
    hashes = f"_keys_{uuid.uuid4().hex[:12]}"
    engine.run(
        f"CREATE TEMP TABLE {hashes} AS SELECT hash(id) AS h, id IS NOT NULL AS given "
        f"FROM (SELECT nullif(trim(CAST({mid} AS VARCHAR)), '') AS id FROM {relation})"
    )
    try:
        return _direct_keyed(run, relation, rejected, sql, params, hashes)
    finally:
        engine.run(f"DROP TABLE IF EXISTS {hashes}")


def _direct_keyed(
    run: _Import,
    relation: str,
    rejected: list[Rejected],
    sql: str,
    params: dict[str, Any],
    hashes: str,
) -> int | None:
    """:func:`_direct` with the batch's id keys in the temp table ``hashes`` (h, given)."""
    engine = run.engine
    n_rows, n_ids, n_distinct = engine.execute(
        f"SELECT count(*), count(*) FILTER (WHERE given), count(DISTINCT h) FROM {hashes}"
    ).rows[0]
    if not n_rows or not n_rows == n_ids == n_distinct:
        return None
    # the store's keys, not its id strings: "no" is certain, "maybe" takes the staged path
    # (its exact anti-join)
    if event_keys.any_stored(engine, f"SELECT h FROM {hashes}"):
        return None
    # the good rows are the inserted ones: their span is what this import's stored rows
    # gained (typed columns of the store, not the input parsed again)
    n_1970_before, negative_before = run.stored_odd or _stored_span(run)[3:]
    keys = staging_sql(relation, run.plan, run.config, run.options, channel_keys=True)
    n_new = insert_direct(engine, run.config, sql, params, run.import_id, keys)
    # the bad rows' keys too: a harmless "maybe"
    event_keys.add(engine, f"SELECT h FROM {hashes}", run.import_id)
    n_bad = int(n_rows) - n_new
    _, first, last, n_1970, negative = _stored_span(run)
    run.stored_odd = (n_1970, negative)
    stage = f"_stage_{uuid.uuid4().hex[:12]}"
    try:
        if n_bad:
            engine.run(
                f"CREATE TEMP TABLE {stage} AS SELECT * FROM ({sql}) WHERE _error IS NOT NULL",
                params,
            )
        _quarantine(run, stage, relation, rejected, has_bad=bool(n_bad))
    finally:
        engine.run(f"DROP TABLE IF EXISTS {stage}")
    summary = run.summary
    summary.imported += n_new
    summary.quarantined += n_bad + len(rejected)
    summary.rows += int(n_rows) + len(rejected)
    run.span.add(n_new, first, last, n_1970 - n_1970_before, negative - negative_before)
    return int(n_rows) + len(rejected)


def _stored_span(run: _Import) -> tuple[Any, ...]:
    """Count, first and last timestamp, events before 1971 and with negative revenue of the
    rows this import has stored so far."""
    return run.engine.execute(
        'SELECT count(*), min("timestamp"), max("timestamp"), '
        "count(*) FILTER (WHERE \"timestamp\" < TIMESTAMPTZ '1971-01-01'), "
        "count(*) FILTER (WHERE revenue < 0) FROM events WHERE import_id = $id",
        {"id": run.import_id},
    ).rows[0]


def _quarantine(
    run: _Import, stage: str, relation: str, rejected: list[Rejected], *, has_bad: bool
) -> None:
    """Store the reader's rejected lines and the stage's bad rows (once per source and line)."""
    engine = run.engine
    base = {"import_id": run.import_id, "source": run.source_name, "now": run.started}
    if rejected:
        engine.run(
            "INSERT INTO quarantine (import_id, source, line, reason, raw, raw_format, "
            "quarantined_at) SELECT * FROM (SELECT $import_id, $source AS source, "
            "unnest($lines) AS line, unnest($reasons), unnest($raws) AS raw, 'text', $now) "
            "AS r "
            "WHERE NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.source = r.source "
            "AND q.line = r.line AND q.raw IS NOT DISTINCT FROM r.raw)",
            {
                **base,
                "lines": [r.line for r in rejected],
                "reasons": [r.reason for r in rejected],
                "raws": [r.raw for r in rejected],
            },
        )
    if has_bad:
        retried = ""
        if run.collector:
            # a client's retry of a bad event is the same spool line but for received_at
            same = _WITHOUT_RECEIVED.format("r.raw")
            retried = (
                "AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE starts_with(q.source, "
                f"'spool/') AND {_WITHOUT_RECEIVED.format('q.raw')} = {same}) "
                f"QUALIFY row_number() OVER (PARTITION BY {same} ORDER BY s._row) = 1 "
            )
        engine.run(
            "INSERT INTO quarantine (import_id, source, line, reason, raw, raw_format, "
            "quarantined_at) SELECT $import_id, $source, s._line, s._error, r.raw, $fmt, "
            f"$now FROM {stage} s JOIN ({raw_sql(relation, run.plan)}) r USING (_row) "
            "WHERE s._error IS NOT NULL AND NOT EXISTS (SELECT 1 FROM quarantine q "
            f"WHERE q.source = $source AND q.line = s._line AND q.raw = r.raw) {retried}"
            "ORDER BY s._row",
            {**base, "fmt": run.raw_format},
        )


#: A collector spool line without its receive time (``{}``: the column holding it).
_WITHOUT_RECEIVED = (
    "CAST(CASE WHEN json_valid({0}) THEN json_merge_patch({0}, '{{\"received_at\": null}}') "
    "END AS VARCHAR)"
)


# -- sources -------------------------------------------------------------------------------
def ingest_batch(
    engine: Engine,
    config: Config,
    relation: str,
    columns: Mapping[str, str],
    *,
    source_name: str,
    mapping: Mapping[str, str],
    rejected: Iterable[Rejected] = (),
    raw_format: str = "record",
    kind: str = "replay",
    finalize: Callable[[Engine, str], None] | None = None,
    options: ImportOptions | None = None,
) -> ImportSummary:
    """Import ``relation`` (with ``_line``) as one import in one transaction (``options``:
    how its values read, e.g. a timestamp format or a decimal comma)."""
    source = readers.Source(source_name, relation, dict(columns), list(rejected))
    return ingest_source(
        engine, config, source, mapping, options=options, kind=kind, raw_format=raw_format,
        finalize=finalize,
    )


def ingest_paths(
    engine: Engine,
    config: Config,
    inputs: Iterable[str | os.PathLike[str]],
    *,
    mapping: Mapping[str, str] | None = None,
    fmt: str | None = None,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    replace: bool = False,
) -> ImportSummary:
    """Import files, folders and globs; each file is one import, committed on its own.

    ``replace``: each file's earlier imports are undone in the same transaction.
    """
    columns, constants = split_mapping(dict(mapping or {}))
    options = options or ImportOptions()
    options = dataclasses.replace(options, constants={**options.constants, **constants})
    paths = readers.expand_paths(inputs)
    formats = [(p, readers.detect_format(p, fmt)) for p in paths]
    summary = ImportSummary()
    for path, kind in formats:
        with engine.memory_limit(config.ingest.memory_limit):
            part = _ingest_path(engine, config, path, kind, columns, options, progress, replace)
        summary.add(part)
    return summary


def _ingest_path(
    engine: Engine,
    config: Config,
    path: Path,
    kind: str,
    columns: dict[str, str],
    options: ImportOptions,
    progress: Progress | None,
    replace: bool,
) -> ImportSummary:
    """One file as one import (see :func:`ingest_paths`)."""
    source = readers.read_source(engine, path, kind, columns, options)
    imported = functools.partial(
        ingest_source, engine, config, mapping={} if source.records else columns,
        options=options, progress=progress, source_key=str(Path(path).resolve()),
        replace=replace, given_mapping=columns,
    )
    try:
        try:
            return imported(source=source)
        except Exception as exc:
            if kind != "parquet" or not is_engine_error(exc):
                raise
            # a row group could not be decoded: the import rolled back; read the file
            # again row group by row group, rejecting the broken ones
            source.close()
            source = readers.read_parquet_row_groups(engine, path, exc)
            return imported(source=source)
    finally:
        source.close()


def ingest_table(
    engine: Engine,
    config: Config,
    table: pa.Table,
    *,
    mapping: Mapping[str, str] | None = None,
    options: ImportOptions | None = None,
    source_name: str = "<dataframe>",
) -> ImportSummary:
    """Import an in-memory Arrow table (a DataFrame is converted by the caller)."""
    source = readers.read_arrow(engine, table, source_name=source_name)
    try:
        return ingest_source(
            engine, config, source, dict(mapping or {}), options=options, kind="table"
        )
    finally:
        source.close()
