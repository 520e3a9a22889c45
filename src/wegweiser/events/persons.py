"""Identities of the stored events: ids, links between them, and persons.

:func:`update_identities` adds what one import brings; :func:`rebuild_identities` starts
again from every visible event (after an import was undone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from wegweiser.events.identity import stitch_codes

if TYPE_CHECKING:
    from wegweiser.config import Config
    from wegweiser.store.engine import Engine


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
    # an id seen before only as an anonymous or previous id, now a user id: the person of its
    # links may change (a person is named by the smallest user id among its ids)
    promoted = engine.execute(
        "UPDATE identities SET id_kind = 'user' WHERE id_kind = 'anonymous' AND id IN "
        f"(SELECT user_id FROM {new} WHERE user_id IS NOT NULL)",
        params,
    ).single_value()
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
    if added or promoted:
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


def rebuild_identities(engine: Engine, config: Config) -> None:
    """Recompute ``identities`` and ``identity_links`` from all visible events.

    Events in the store are read where they are; events kept elsewhere (Spark) are copied
    in, the id columns only, by the sink. Persons are resolved again when links remain.
    """
    engine.run("DELETE FROM identity_links")
    engine.run("DELETE FROM identities")
    sink = engine.event_sink
    if sink is None:
        update_identities(engine, config, "", new="events")
    else:
        name = "_rebuild_ids"
        sink.copy_events(
            engine, name, ["message_id", "type", "anonymous_id", "user_id", "previous_id",
                           "timestamp"]
        )
        try:
            update_identities(engine, config, "", new=name)
        finally:
            engine.run(f"DROP TABLE IF EXISTS {name}")
