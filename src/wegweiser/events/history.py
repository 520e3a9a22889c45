"""Import history: every import (file, DataFrame, collector segment, quarantine replay) is a
row of ``imports``; an import can be undone.

Undo removes the events the import added (on Spark the import is marked undone, which makes
its Parquet rows invisible) and the rows it quarantined, rebuilds identities from the
events that remain, and marks derived tables (``journey``) stale — all in one transaction.
A quarantine replay cannot be undone (its rows left the quarantine); undo the import that
brought the rows instead, or drop the replayed events by importing the fixed file with
``--replace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wegweiser.errors import InvalidInput
from wegweiser.events.persons import rebuild_identities
from wegweiser.store import event_keys

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.config import Config
    from wegweiser.store.engine import Engine

__all__ = ["UndoSummary", "earlier_imports", "list_imports", "undo_import", "undo_imports"]


@dataclass(frozen=True)
class UndoSummary:
    """What an undo removed."""

    import_ids: list[str]
    events: int
    quarantined: int


def list_imports(engine: Engine, *, limit: int | None = 50, undone: bool = True) -> pd.DataFrame:
    """Imports, newest first: id, kind, source, when, counts, when undone (and by what),
    and ``details`` (JSON: warnings, duplicate_sample, negative_revenue)."""
    return engine.df(
        "SELECT import_id, kind, source, started_at, finished_at, n_rows, n_imported, "
        "n_duplicates, n_quarantined, undone_at, replaced_by, details FROM imports "
        "WHERE $undone OR undone_at IS NULL "
        "ORDER BY started_at DESC, import_id LIMIT $limit",
        {"undone": undone, "limit": limit if limit is not None else 2**62},
    )


def resolve_id(engine: Engine, prefix: str) -> str:
    """The import whose id starts with ``prefix`` (as ``wegweiser imports list`` shows it)."""
    text = prefix.strip().lower()
    if len(text) < 4:
        raise InvalidInput(f"import id {prefix!r}: give at least 4 characters of the id")
    found = [
        r[0]
        for r in engine.execute(
            "SELECT import_id FROM imports WHERE starts_with(import_id, $p) ORDER BY 1",
            {"p": text},
        ).rows
    ]
    if not found:
        raise InvalidInput(f"no import {prefix!r}; see `wegweiser imports list`")
    if len(found) > 1:
        raise InvalidInput(f"import id {prefix!r} is ambiguous ({len(found)} imports); give more")
    return str(found[0])


def earlier_imports(engine: Engine, source_key: str, source: str) -> list[str]:
    """Imports of the same file that are not undone (older stores matched by name)."""
    return [
        str(r[0])
        for r in engine.execute(
            "SELECT import_id FROM imports WHERE undone_at IS NULL AND "
            "(source_key = $key OR (source_key IS NULL AND source = $source)) ORDER BY started_at",
            {"key": source_key, "source": source},
        ).rows
    ]


def undo_import(engine: Engine, config: Config, prefix: str) -> UndoSummary:
    """Undo one import (by id or unique prefix), atomically."""
    import_id = resolve_id(engine, prefix)
    row = engine.execute(
        "SELECT kind, undone_at FROM imports WHERE import_id = $id", {"id": import_id}
    ).rows[0]
    if row[1] is not None:
        raise InvalidInput(f"import {import_id[:12]} was undone already ({row[1]:%Y-%m-%d %H:%M})")
    if row[0] == "replay":
        raise InvalidInput(
            f"import {import_id[:12]} is a quarantine replay and cannot be undone; undo the "
            "import the rows came from, or import the fixed file again with --replace"
        )
    with engine.transaction():
        return undo_imports(engine, config, [import_id])


def undo_imports(
    engine: Engine, config: Config, ids: list[str], *, replaced_by: str | None = None
) -> UndoSummary:
    """Undo ``ids`` inside the caller's transaction (see the module docstring)."""
    if not ids:
        return UndoSummary([], 0, 0)
    params = {"ids": ids}
    if engine.event_sink is None:
        n_events = int(engine.scalar(
            "SELECT count(*) FROM events WHERE list_contains($ids, import_id)", params
        ))
        kept = event_keys.valid(engine)
        engine.run("DELETE FROM events WHERE list_contains($ids, import_id)", params)
        event_keys.forget(engine, list(ids))
        if kept:
            event_keys.keep(engine)
    else:  # Parquet rows of an undone import are not visible any more
        n_events = int(engine.scalar(
            "SELECT coalesce(sum(n_imported), 0) FROM imports WHERE list_contains($ids, import_id)",
            params,
        ))
    n_quarantined = int(engine.scalar(
        "SELECT count(*) FROM quarantine WHERE list_contains($ids, import_id)", params
    ))
    engine.run("DELETE FROM quarantine WHERE list_contains($ids, import_id)", params)
    engine.run(
        "UPDATE imports SET undone_at = $now, replaced_by = $by "
        "WHERE list_contains($ids, import_id)",
        {**params, "now": datetime.now(UTC), "by": replaced_by},
    )
    rebuild_identities(engine, config)
    engine.run("DELETE FROM derived")  # stale: rebuilt on next use
    return UndoSummary(list(ids), n_events, n_quarantined)
