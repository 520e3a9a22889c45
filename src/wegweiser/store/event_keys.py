"""A compact key table of the stored ``message_id`` values, for the import's duplicate check.

An import asks, batch by batch, "does the store hold any of these ids?" Asked of
``events.message_id`` that is a semi-join that decompresses, hashes and probes every stored
id string per batch (0.5 s CPU per batch against 10M stored ids). ``event_keys`` holds one
64-bit hash (DuckDB ``hash``) per stored id instead, with its ``import_id``; the same
question over it costs a fifth of that, and the import adds its batches' keys as it goes.

The table is a *superset* cache: a key may stand for an id that is no longer stored (an
undone import, a quarantined row, an erased id) or collide with another id's hash — then the
check says "maybe", and the caller takes its exact path (the string anti-join). What must
never happen is a stored id without its key; so the table is trusted only while
``event_keys_state`` says it covers the store: the hash function's fingerprint (a DuckDB
upgrade may change ``hash``) and the number of ``events`` rows it was kept for. Anything
else — a store from before this table, events written or removed elsewhere, ids rewritten by
the erasure — makes :func:`ensure` rebuild it from ``events`` (once, O(store)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wegweiser.store.engine import Engine

__all__ = ["add", "any_stored", "ensure", "forget", "invalidate", "keep", "valid"]

#: The hash of this text fingerprints DuckDB's ``hash`` function.
_PROBE = "wegweiser event keys"


def _fingerprint(engine: Engine) -> int:
    return int(engine.scalar("SELECT hash($p)", {"p": _PROBE}))


def valid(engine: Engine) -> bool:
    """Whether ``event_keys`` holds the key of every stored event (see the module doc)."""
    state = engine.execute("SELECT stamp, n_events FROM event_keys_state").rows
    if len(state) != 1:
        return False
    stamp, n_events = state[0]
    return bool(
        int(stamp) == _fingerprint(engine)
        and int(n_events) == int(engine.scalar("SELECT count(*) FROM events"))
    )


def ensure(engine: Engine) -> None:
    """Make ``event_keys`` cover the store: nothing if it does, else rebuild it (O(store))."""
    if valid(engine):
        return
    engine.run("DELETE FROM event_keys")
    engine.run("INSERT INTO event_keys SELECT hash(message_id), import_id FROM events")
    keep(engine)


def keep(engine: Engine) -> None:
    """Record that ``event_keys`` covers the store as it is now (call after :func:`add`
    for every row an import stored, at the end of the import)."""
    engine.run("DELETE FROM event_keys_state")
    engine.run(
        "INSERT INTO event_keys_state SELECT $stamp, count(*) FROM events",
        {"stamp": _fingerprint(engine)},
    )


def invalidate(engine: Engine) -> None:
    """Empty the table (stored ids were erased or rewritten): the next :func:`ensure`
    rebuilds it, and no key of an erased id stays behind."""
    engine.run("DELETE FROM event_keys_state")
    engine.run("DELETE FROM event_keys")


def add(engine: Engine, hashes: str, import_id: str, params: dict[str, Any] | None = None) -> None:
    """Add the keys ``hashes`` (a query with a column ``h`` = ``hash(message_id)``) of ids
    stored, or about to be, by ``import_id``."""
    engine.run(
        f"INSERT INTO event_keys SELECT h, $import_id FROM ({hashes})",
        {**(params or {}), "import_id": import_id},
    )


def any_stored(engine: Engine, hashes: str, params: dict[str, Any] | None = None) -> bool:
    """Whether the store may hold one of the ids whose keys ``hashes`` (a query with a
    column ``h`` = ``hash(id)``) gives: False is certain (while :func:`valid`), True may be a
    stale key or a hash collision."""
    return bool(
        engine.scalar(
            f"SELECT count(*) FROM event_keys WHERE h IN (SELECT h FROM ({hashes}))", params
        )
    )


def forget(engine: Engine, import_ids: list[str]) -> None:
    """Drop the keys of undone imports (their events were deleted)."""
    engine.run("DELETE FROM event_keys WHERE list_contains($ids, import_id)", {"ids": import_ids})
