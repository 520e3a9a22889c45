"""One person's journey state: exported and erased (see docs/privacy.md).

The state store (:mod:`.state`) holds a person in ``wj_runs`` (their runs, with a JSON copy
of the person the journey saw), ``wj_persons`` (the latest such copy), ``wj_entries``,
``wj_ledger`` (every message), ``wj_engagement`` (opens and clicks per ledger key),
``wj_unsubscribed``, ``wj_members`` (segment and persona membership) and ``wj_outbox``
(message events not yet imported; their JSON names the person). Erasing deletes those rows
and then makes the bytes go: SQLite with ``PRAGMA secure_delete`` (freed pages are zeroed),
a ``VACUUM`` (the file is rewritten) and a WAL checkpoint that truncates the ``-wal`` file;
PostgreSQL with ``VACUUM FULL`` of the affected tables (each written anew, the old file
deleted; it locks the table for that moment). PostgreSQL's own WAL, its archive and backups
are the operator's to expire.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wegweiser.orchestrate.state import StateStore, Tx

#: table -> the condition naming the person (:ids are their person ids, :needles also their
#: other ids, for JSON texts)
PERSON_TABLES: dict[str, str] = {
    "wj_runs": "person_id IN ({ids})",
    "wj_persons": "person_id IN ({ids})",
    "wj_entries": "person_id IN ({ids})",
    "wj_engagement": "key IN (SELECT key FROM wj_ledger WHERE person_id IN ({ids}))",
    "wj_ledger": "person_id IN ({ids})",
    "wj_unsubscribed": "person_id IN ({ids})",
    "wj_members": "person_id IN ({ids})",
}


def state_exists(project_dir: Path) -> bool:
    """Whether the project has a journey state to look into (nothing is created here)."""
    from wegweiser.orchestrate.assembly import state_target

    target = state_target(project_dir)
    if target.startswith(("postgresql://", "postgres://", "host=")):
        return True
    path = Path(target.removeprefix("sqlite:///"))
    return (path if path.is_absolute() else project_dir / path).is_file()


def _open(project_dir: Path) -> StateStore:
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.state import open_state

    return open_state(state_target(project_dir), project_dir=project_dir)


def _where(tx: Tx, condition: str, ids: list[str]) -> tuple[str, dict[str, Any]]:
    """``condition`` with the person ids bound (one parameter per id: both databases)."""
    names = {f"p{i}": v for i, v in enumerate(ids)}
    listed = ", ".join(f":{n}" for n in names) or "NULL"
    return condition.format(ids=listed), names


def _outbox_rows(tx: Tx, needles: list[str]) -> list[tuple[Any, ...]]:
    rows = tx.execute("SELECT message_id, created_at, event FROM wj_outbox")
    quoted = [f'"{n}"' for n in needles]
    return [r for r in rows if any(q in str(r[2]) for q in quoted)]


def export_state(
    project_dir: Path, person_ids: list[str], needles: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """The person's rows per state table (none without a journey state)."""
    if not person_ids or not state_exists(project_dir):
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    with _open(project_dir) as store, store.transaction() as tx:
        for table, condition in PERSON_TABLES.items():
            where, params = _where(tx, condition, person_ids)
            rows = tx.execute(f"SELECT * FROM {table} WHERE {where}", params)
            columns = _columns(tx, store.kind, table)
            found[table] = [dict(zip(columns, r, strict=True)) for r in rows]
        found["wj_outbox"] = [
            {"message_id": r[0], "created_at": r[1], "event": r[2]}
            for r in _outbox_rows(tx, needles)
        ]
    return found


def _columns(tx: Tx, kind: str, table: str) -> list[str]:
    if kind == "sqlite":
        return [str(r[1]) for r in tx.execute(f"PRAGMA table_info({table})")]
    rows = tx.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
        "ORDER BY ordinal_position", {"t": table})
    return [str(r[0]) for r in rows]


def erase_state(project_dir: Path, person_ids: list[str], needles: list[str]) -> dict[str, int]:
    """Delete the person's rows from the journey state and make their bytes go; returns
    the rows per table (only tables that had some)."""
    if not person_ids or not state_exists(project_dir):
        return {}
    counts: dict[str, int] = {}
    with _open(project_dir) as store:
        if store.kind == "sqlite":
            store.conn.execute("PRAGMA secure_delete = ON")  # type: ignore[attr-defined]
        with store.transaction() as tx:
            for table, condition in PERSON_TABLES.items():
                where, params = _where(tx, condition, person_ids)
                tx.execute(f"DELETE FROM {table} WHERE {where}", params)
                if tx.rowcount:
                    counts[table] = tx.rowcount
            outbox = [r[0] for r in _outbox_rows(tx, needles)]
            for message_id in outbox:
                tx.execute("DELETE FROM wj_outbox WHERE message_id = :m", {"m": message_id})
            if outbox:
                counts["wj_outbox"] = len(outbox)
        _vacuum(store, [*counts])
    return counts


def _vacuum(store: StateStore, tables: list[str]) -> None:
    conn: Any = store.conn  # type: ignore[attr-defined]
    if store.kind == "sqlite":
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    if not tables:
        return
    conn.commit()
    conn.autocommit = True
    try:
        for table in tables:  # FULL: the table is written anew, the old file deleted
            conn.execute(f"VACUUM FULL {table}")
    finally:
        conn.autocommit = False


__all__ = ["PERSON_TABLES", "erase_state", "export_state", "state_exists"]
