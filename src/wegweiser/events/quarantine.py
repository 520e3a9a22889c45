"""Quarantine: rows rejected on import, with the reason, where they came from and the raw
payload, kept so nothing is lost and replayable after the mapping or config is fixed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from wegweiser.events.ingest import ImportSummary, ingest_batch
from wegweiser.events.options import ImportOptions, split_mapping
from wegweiser.events.readers import load_records

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from wegweiser.config import Config
    from wegweiser.store.engine import Engine


def list_quarantine(
    engine: Engine, *, limit: int | None = 100, reason: str | None = None, source: str | None = None
) -> pd.DataFrame:
    """Quarantined rows, oldest first; ``reason``/``source`` filter by substring."""
    return engine.df(
        "SELECT quarantine_id, source, line, reason, raw, replays, quarantined_at "
        "FROM quarantine WHERE ($reason IS NULL OR contains(reason, $reason)) "
        "AND ($source IS NULL OR contains(source, $source)) "
        "ORDER BY quarantine_id LIMIT $limit",
        {"reason": reason, "source": source, "limit": limit if limit is not None else 2**62},
    )


def drop_quarantine(
    engine: Engine, *, reason: str | None = None, ids: list[int] | None = None
) -> int:
    """Delete quarantined rows for good (all, by reason substring or by id); returns how many."""
    with engine.transaction():
        where = (
            "($reason IS NULL OR contains(reason, $reason)) "
            "AND ($ids IS NULL OR list_contains($ids, quarantine_id))"
        )
        params: dict[str, Any] = {"reason": reason, "ids": ids}
        n = int(engine.scalar(f"SELECT count(*) FROM quarantine WHERE {where}", params))
        engine.run(f"DELETE FROM quarantine WHERE {where}", params)
    return n


def replay_quarantine(
    engine: Engine,
    config: Config,
    *,
    mapping: Mapping[str, str] | None = None,
    reason: str | None = None,
    options: ImportOptions | None = None,
) -> tuple[ImportSummary, int]:
    """Import quarantined rows again with the current config, ``mapping`` and ``options``
    (how values read: timestamp format, epoch unit, decimal mark; a file's delimiter and
    encoding were used when its rows were split, so they are not replayed).

    Rows that now pass go into the store and leave the quarantine; rows that fail again stay,
    with the new reason and ``replays`` counted up. Unparsed lines (broken JSON, wrong column
    count) cannot be replayed: fix the file and import it again, or drop them. Returns the
    summary and the number of rows that could not be retried.
    """
    rows = engine.execute(
        "SELECT quarantine_id, raw, raw_format FROM quarantine "
        "WHERE ($reason IS NULL OR contains(reason, $reason)) ORDER BY quarantine_id",
        {"reason": reason},
    ).rows
    items: list[tuple[int, str, Any]] = []
    skipped = 0
    for qid, raw, fmt in rows:
        # 'text' rows are unparsed lines, 'cost' rows belong to `wegweiser import-costs`
        value = _parse(raw) if fmt == "record" else None
        if isinstance(value, dict):
            items.append((int(qid), raw, value))
        else:
            skipped += 1
    if not items:
        return ImportSummary(), skipped
    name = "_replay"
    columns, constants = split_mapping(dict(mapping or {}))
    source = load_records(engine, name, items, columns, source_name="quarantine replay")

    def settle(eng: Engine, import_id: str) -> None:
        # the replayed rows carry their quarantine id as line number
        eng.run(
            "UPDATE quarantine SET reason = n.reason, replays = quarantine.replays + 1 "
            "FROM (SELECT line, reason FROM quarantine WHERE import_id = $id) n "
            "WHERE quarantine.quarantine_id = n.line",
            {"id": import_id},
        )
        eng.run(
            "DELETE FROM quarantine WHERE list_contains($ids, quarantine_id) AND quarantine_id "
            "NOT IN (SELECT line FROM quarantine WHERE import_id = $id)",
            {"ids": [i[0] for i in items], "id": import_id},
        )
        eng.run("DELETE FROM quarantine WHERE import_id = $id", {"id": import_id})

    try:
        summary = ingest_batch(
            engine,
            config,
            source.relation,
            source.columns,
            source_name=source.name,
            mapping={target: f"'{value}'" for target, value in constants.items()},
            rejected=source.rejected,
            finalize=settle,
            options=options,
        )
    finally:
        source.close()
    return summary, skipped


def _parse(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return None
