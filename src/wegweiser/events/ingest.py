"""Import: read, normalise, validate, quarantine, deduplicate, insert, stitch.

One *batch* (a file, or ``ingest.batch_rows`` rows of a larger file, or one DataFrame or
HTTP request) is one transaction: a process killed in the middle leaves the store as it was
before that batch. Re-importing adds nothing: rows are deduplicated on ``message_id``
against the store and within the batch (the first row wins).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from wegweiser.events import readers
from wegweiser.events.channels import channel_case_sql
from wegweiser.events.identity import stitch_codes
from wegweiser.events.normalize import plan_columns, raw_sql, staging_sql
from wegweiser.events.schema import EVENT_COLUMNS

if TYPE_CHECKING:
    import os

    from wegweiser.config import Config
    from wegweiser.events.readers import Rejected, Source
    from wegweiser.store.engine import Engine

Progress = Callable[[str, int], None]
"""Called with (source name, rows done) after each batch."""


@dataclass
class ImportSummary:
    """Counts of one import call; ``errors`` holds the first few rejections per source."""

    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    sources: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: ImportSummary) -> None:
        self.imported += other.imported
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.sources += other.sources
        self.errors += other.errors[: max(0, 20 - len(self.errors))]

    def as_dict(self) -> dict[str, int]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


def parse_mapping(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"user_id=client_id,event=action"`` -> ``{"user_id": "client_id", "event": "action"}``."""
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        target, sep, source = part.partition("=")
        if not sep or not target.strip() or not source.strip():
            from wegweiser.errors import InvalidInput

            raise InvalidInput(
                f"bad column mapping {part!r}: write it as event_field=your_column, "
                "e.g. --map user_id=client_id,timestamp=ts"
            )
        mapping[target.strip()] = source.strip()
    return mapping


# -- batches -------------------------------------------------------------------------------
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
    finalize: Callable[[Engine, str], None] | None = None,
) -> ImportSummary:
    """Normalise ``relation`` and write it to the store in one transaction.

    ``finalize(engine, import_id)`` runs inside the same transaction, last.
    """
    plan = plan_columns(columns, mapping)
    sql, params = staging_sql(relation, plan, config)
    import_id = uuid.uuid4().hex
    stage = f"_stage_{import_id[:12]}"
    started = datetime.now(UTC)
    rejected = list(rejected)
    with engine.transaction():
        engine.run(f"CREATE TEMP TABLE {stage} AS {sql}", params)
        try:
            n_rows, n_bad, n_distinct = engine.execute(
                "SELECT count(*), count(_error), count(DISTINCT message_id) "
                f"FILTER (WHERE _error IS NULL) FROM {stage}"
            ).rows[0]
            if rejected:
                engine.run(
                    "INSERT INTO quarantine (import_id, source, line, reason, raw, raw_format, "
                    "quarantined_at) SELECT * FROM (SELECT $import_id, $source AS source, "
                    "unnest($lines) AS line, unnest($reasons), unnest($raws) AS raw, 'text', $now) "
                    "AS r "
                    "WHERE NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.source = r.source "
                    "AND q.line = r.line AND q.raw = r.raw)",
                    {
                        "import_id": import_id,
                        "source": source_name,
                        "now": started,
                        "lines": [r.line for r in rejected],
                        "reasons": [r.reason for r in rejected],
                        "raws": [r.raw for r in rejected],
                    },
                )
            if n_bad:
                engine.run(
                    "INSERT INTO quarantine (import_id, source, line, reason, raw, raw_format, "
                    "quarantined_at) SELECT $import_id, $source, s._line, s._error, r.raw, $fmt, "
                    f"$now FROM {stage} s JOIN ({raw_sql(relation, plan)}) r USING (_line) "
                    "WHERE s._error IS NOT NULL AND NOT EXISTS (SELECT 1 FROM quarantine q "
                    "WHERE q.source = $source AND q.line = s._line AND q.raw = r.raw) "
                    "ORDER BY s._line",
                    {"import_id": import_id, "source": source_name, "now": started,
                     "fmt": raw_format},
                )
            repeats = n_distinct < n_rows - n_bad
            if engine.event_sink is None:
                n_new = _insert_events(engine, config, stage, import_id, dedup=repeats)
                update_identities(engine, config, import_id)
            else:
                n_new = _send_events(engine, config, stage, import_id, dedup=repeats)
                update_identities(engine, config, import_id, new=f"{stage}_new")
            summary = ImportSummary(
                imported=n_new,
                duplicates=n_rows - n_bad - n_new,
                quarantined=n_bad + len(rejected),
                sources=[source_name],
            )
            engine.run(
                "INSERT INTO imports VALUES "
                "($id, $source, $started, $now, $rows, $new, $dup, $bad)",
                {
                    "id": import_id,
                    "source": source_name,
                    "started": started,
                    "now": datetime.now(UTC),
                    "rows": n_rows + len(rejected),
                    "new": n_new,
                    "dup": summary.duplicates,
                    "bad": summary.quarantined,
                },
            )
            if finalize is not None:
                finalize(engine, import_id)
            if summary.quarantined:
                summary.errors = engine.execute(
                    "SELECT source, line, reason FROM quarantine WHERE import_id = $id "
                    "ORDER BY line LIMIT 20",
                    {"id": import_id},
                ).dicts()
        finally:
            engine.run(f"DROP TABLE IF EXISTS {stage}_new")
            engine.run(f"DROP TABLE IF EXISTS {stage}")
    return summary


def _insert_events(
    engine: Engine, config: Config, stage: str, import_id: str, *, dedup: bool
) -> int:
    """Insert the good rows of ``stage`` that are new; returns how many.

    ``dedup`` says the batch repeats a ``message_id``: then only its first row is kept.
    """
    chan = _channels(engine, config, stage)
    cols = [c for c in EVENT_COLUMNS if c not in ("channel", "import_id")]
    before = engine.scalar("SELECT count(*) FROM events")
    engine.run(
        f"INSERT INTO events ({', '.join(cols)}, channel, import_id) "
        f"{_good_rows(stage, chan, cols, dedup=dedup)} "
        "WHERE s.message_id NOT IN (SELECT message_id FROM events)",
        {"import_id": import_id},
    )
    engine.run(f"DROP TABLE {chan}")
    return int(engine.scalar("SELECT count(*) FROM events")) - int(before)


def _send_events(
    engine: Engine, config: Config, stage: str, import_id: str, *, dedup: bool
) -> int:
    """:func:`_insert_events` for events kept elsewhere (``engine.event_sink``): the new rows
    are kept in ``<stage>_new`` (for the identities) and appended to the sink."""
    sink = engine.event_sink
    assert sink is not None
    chan = _channels(engine, config, stage)
    new = f"{stage}_new"
    cols = [c for c in EVENT_COLUMNS if c not in ("channel", "import_id")]
    engine.run(
        f"CREATE TEMP TABLE {new} AS {_good_rows(stage, chan, cols, dedup=dedup)}",
        {"import_id": import_id},
    )
    engine.run(f"DROP TABLE {chan}")
    return sink.add_events(engine, new)


def _channels(engine: Engine, config: Config, stage: str) -> str:
    """A temp table of the channel rules' verdict per distinct (medium, source, referrer
    host, event, platform) of the good rows without a channel; returns its name."""
    case_sql, params = channel_case_sql(list(config.channels))
    chan = f"{stage}_chan"
    engine.run(
        f"CREATE TEMP TABLE {chan} AS SELECT *, {case_sql} AS derived FROM ("
        f"SELECT DISTINCT medium, source, referrer_host, event, platform FROM {stage} "
        "WHERE _error IS NULL AND channel IS NULL)",
        params,
    )
    return chan


def _good_rows(stage: str, chan: str, cols: list[str], *, dedup: bool) -> str:
    """SELECT of the good rows of ``stage`` as ``cols, channel, import_id`` (alias ``s``;
    ``dedup``: only the first row of a repeated ``message_id``)."""
    select = ", ".join(f"s.{c}" if c != "timestamp" else 's."timestamp"' for c in cols)
    keys = ("medium", "source", "referrer_host", "event", "platform")
    join = " AND ".join(f"s.{k} IS NOT DISTINCT FROM c.{k}" for k in keys)
    first_only = (
        "QUALIFY row_number() OVER (PARTITION BY message_id ORDER BY _line) = 1" if dedup else ""
    )
    return (
        f"SELECT {select}, coalesce(s.channel, c.derived, 'direct') AS channel, "
        f"$import_id AS import_id "
        f"FROM (SELECT * FROM {stage} WHERE _error IS NULL {first_only}) s "
        f"LEFT JOIN {chan} c ON {join}"
    )


# -- identity ------------------------------------------------------------------------------
def update_identities(
    engine: Engine, config: Config, import_id: str, *, new: str | None = None
) -> None:
    """Add the ids and links of one import, then re-resolve persons if links changed.

    ``new``: a table holding the import's new events (default: read from ``events``).
    """
    params = None if new is not None else {"id": import_id}
    new = new or "(SELECT * FROM events WHERE import_id = $id)"
    engine.run(
        "INSERT INTO identities SELECT id, CASE WHEN bool_or(is_user) THEN 'user' "
        "ELSE 'anonymous' END, id FROM ("
        f"SELECT user_id AS id, TRUE AS is_user FROM {new} WHERE user_id IS NOT NULL "
        f"UNION ALL SELECT anonymous_id, FALSE FROM {new} WHERE anonymous_id IS NOT NULL "
        f"UNION ALL SELECT previous_id, FALSE FROM {new} WHERE previous_id IS NOT NULL) "
        "WHERE id NOT IN (SELECT id FROM identities) GROUP BY id",
        params,
    )
    engine.run(
        "UPDATE identities SET id_kind = 'user' WHERE id_kind = 'anonymous' AND id IN "
        f"(SELECT user_id FROM {new} WHERE user_id IS NOT NULL)",
        params,
    )
    added = engine.execute(
        "INSERT INTO identity_links SELECT a_id, b_id, min(ts), arg_min(message_id, ts), "
        "'merged', NULL FROM ("
        'SELECT least(x, y) AS a_id, greatest(x, y) AS b_id, "timestamp" AS ts, message_id '
        "FROM (SELECT CASE WHEN type = 'alias' THEN previous_id ELSE anonymous_id END AS x, "
        f'user_id AS y, "timestamp", message_id FROM {new}) '
        "WHERE x IS NOT NULL AND y IS NOT NULL AND x <> y) l "
        "WHERE NOT EXISTS (SELECT 1 FROM identity_links k "
        "WHERE k.a_id = l.a_id AND k.b_id = l.b_id) "
        "GROUP BY a_id, b_id",
        params,
    ).single_value()
    if added:
        resolve_persons(engine, config)


def resolve_persons(engine: Engine, config: Config) -> None:
    """Recompute persons from all links (order-free, see :mod:`wegweiser.events.identity`)."""
    nodes = engine.arrow(
        "SELECT id, id_kind = 'user' AS is_user FROM identities WHERE id IN "
        "(SELECT a_id FROM identity_links UNION SELECT b_id FROM identity_links) ORDER BY id"
    )
    links = engine.arrow(
        "WITH n AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS code FROM identities "
        "WHERE id IN (SELECT a_id FROM identity_links UNION SELECT b_id FROM identity_links)) "
        "SELECT l.a_id, l.b_id, na.code AS a, nb.code AS b FROM identity_links l "
        "JOIN n na ON na.id = l.a_id JOIN n nb ON nb.id = l.b_id"
    )
    ids = np.asarray(nodes.column("id").to_numpy(zero_copy_only=False), dtype=object)
    person, status, reason = stitch_codes(
        links.column("a").to_numpy(),
        links.column("b").to_numpy(),
        ids,
        nodes.column("is_user").to_numpy(zero_copy_only=False).astype(bool),
        max_ids_per_person=config.identity.max_ids_per_person,
        components=engine.event_sink.components if engine.event_sink is not None else None,
    )
    resolved = pa.table(
        {"id": pa.array(ids, pa.string()), "person_id": pa.array(person, pa.string())}
    )
    verdicts = pa.table(
        {
            "a_id": links.column("a_id"),
            "b_id": links.column("b_id"),
            "status": pa.array(status, pa.string()),
            "reason": pa.array(reason, pa.string()),
        }
    )
    engine.register("_resolved", resolved)
    engine.register("_verdicts", verdicts)
    try:
        engine.run(
            "UPDATE identities SET person_id = r.person_id FROM _resolved r "
            "WHERE identities.id = r.id AND identities.person_id IS DISTINCT FROM r.person_id"
        )
        engine.run(
            "UPDATE identity_links SET status = v.status, reason = v.reason FROM _verdicts v "
            "WHERE identity_links.a_id = v.a_id AND identity_links.b_id = v.b_id "
            "AND (identity_links.status IS DISTINCT FROM v.status "
            "OR identity_links.reason IS DISTINCT FROM v.reason)"
        )
    finally:
        engine.unregister("_resolved")
        engine.unregister("_verdicts")


# -- sources -------------------------------------------------------------------------------
def ingest_source(
    engine: Engine,
    config: Config,
    source: Source,
    mapping: Mapping[str, str],
    *,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a table-backed source in batches of ``ingest.batch_rows`` rows."""
    summary = ImportSummary()
    size = config.ingest.batch_rows
    last = int(engine.scalar(f"SELECT coalesce(max(_line), 0) FROM {source.relation}"))
    start = 0
    while True:
        stop = start + size
        batch_rejected = [
            r for r in source.rejected if start < r.line <= stop or (start == 0 and r.line <= 0)
        ]
        relation = f"(SELECT * FROM {source.relation} WHERE _line > {start} AND _line <= {stop})"
        summary.add(
            ingest_batch(
                engine,
                config,
                relation,
                source.columns,
                source_name=source.name,
                mapping=mapping,
                rejected=batch_rejected,
            )
        )
        if progress:
            progress(source.name, min(stop, last))
        start = stop
        if start >= max(last, max((r.line for r in source.rejected), default=0)):
            break
    summary.sources = [source.name]
    return summary


def ingest_paths(
    engine: Engine,
    config: Config,
    inputs: Iterable[str | os.PathLike[str]],
    *,
    mapping: Mapping[str, str] | None = None,
    fmt: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import files, folders and globs; each file is read and committed on its own."""
    mapping = dict(mapping or {})
    paths = readers.expand_paths(inputs)
    formats = [(p, readers.detect_format(p, fmt)) for p in paths]
    summary = ImportSummary()
    read = {
        "csv": lambda p: readers.read_csv(engine, p),
        "parquet": lambda p: readers.read_parquet(engine, p),
        "jsonl": lambda p: readers.read_jsonl(engine, p, mapping),
    }
    for path, kind in formats:
        source = read[kind](path)
        try:
            summary.add(
                ingest_source(
                    engine, config, source, {} if source.records else mapping, progress=progress
                )
            )
        finally:
            source.close()
    return summary


def ingest_table(
    engine: Engine,
    config: Config,
    table: pa.Table,
    *,
    mapping: Mapping[str, str] | None = None,
    source_name: str = "<dataframe>",
) -> ImportSummary:
    """Import an in-memory Arrow table (a DataFrame is converted by the caller)."""
    source = readers.read_arrow(engine, table, source_name=source_name)
    try:
        return ingest_source(engine, config, source, dict(mapping or {}))
    finally:
        source.close()
