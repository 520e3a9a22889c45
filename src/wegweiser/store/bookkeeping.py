"""Named operations on the embedded store's bookkeeping tables: the faces' only way in.

The bookkeeping lives in the project's DuckDB file on every engine (``imports``,
``quarantine``, ``identities``, ``identity_links``, ``costs``, ``derived``); events and the
journey live where :func:`~wegweiser.store.engine.open_warehouse` says. Everything here
takes the :class:`~wegweiser.store.engine.Engine` of that file, runs bound SQL and returns
plain values or DataFrames; :class:`~wegweiser.project.Project` names them for the faces, so
no SQL string runs outside ``store/`` and the ingest pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from wegweiser.store.engine import Engine


def identity_counts(engine: Engine) -> dict[str, int]:
    """``identities`` (ids), ``persons`` and ``user_ids`` of the identity table."""
    ids, persons, users = engine.execute(
        "SELECT count(*), count(DISTINCT person_id), count(*) FILTER (WHERE id_kind = 'user') "
        "FROM identities"
    ).rows[0]
    return {"identities": int(ids), "persons": int(persons), "user_ids": int(users)}


def link_counts(engine: Engine) -> dict[str, int]:
    """``merges`` and ``refused_merges``: identity links by verdict."""
    merged, refused = engine.execute(
        "SELECT count(*) FILTER (WHERE status = 'merged'), "
        "count(*) FILTER (WHERE status = 'refused') FROM identity_links"
    ).rows[0]
    return {"merges": int(merged), "refused_merges": int(refused)}


def merges(engine: Engine, *, limit: int | None = 100, status: str | None = None
           ) -> pd.DataFrame:
    """Identity links with their verdict (``merged``/``refused``), reason and person."""
    return engine.df(
        "SELECT l.a_id, l.b_id, i.person_id, l.status, l.reason, l.first_seen, l.message_id "
        "FROM identity_links l LEFT JOIN identities i ON i.id = l.a_id "
        "WHERE $status IS NULL OR l.status = $status "
        "ORDER BY l.status DESC, l.first_seen, l.a_id LIMIT $limit",
        {"status": status, "limit": limit if limit is not None else 2**62},
    )


def person_of(engine: Engine, any_id: str) -> str | None:
    """The ``person_id`` of an anonymous or user id, or None."""
    row = engine.execute("SELECT person_id FROM identities WHERE id = $id", {"id": any_id}).first()
    return None if row is None else str(row[0])


def quarantine_count(engine: Engine) -> int:
    return int(engine.scalar("SELECT count(*) FROM quarantine"))


def quarantine_by_reason(engine: Engine, *, limit: int = 200) -> pd.DataFrame:
    """``reason``, ``n`` (rows), ``first`` and ``last`` (quarantined at), most rows first."""
    return engine.df(
        "SELECT reason, count(*) AS n, min(quarantined_at) AS first, max(quarantined_at) AS last "
        "FROM quarantine GROUP BY reason ORDER BY n DESC, reason LIMIT $limit",
        {"limit": limit},
    )


def has_costs(engine: Engine) -> bool:
    return bool(engine.scalar("SELECT count(*) FROM costs"))


def costs_table(engine: Engine) -> Any:
    """The ``costs`` table as an Ibis table (None when it is empty)."""
    return engine.ibis().table("costs") if has_costs(engine) else None


def replace_costs(engine: Engine, costs: pa.Table) -> int:
    """Load spend rows (date, channel, campaign, cost, currency); rows for the same
    date/channel/campaign replace the stored ones instead of adding to them."""
    name = "_costs_in"
    engine.register(name, costs)
    try:
        with engine.transaction():
            engine.run(
                "DELETE FROM costs WHERE (date, channel, coalesce(campaign, '')) IN "
                f"(SELECT (date, channel, coalesce(campaign, '')) FROM {name})"
            )
            engine.run(
                "INSERT INTO costs SELECT CAST(date AS DATE), channel, campaign, "
                f"CAST(cost AS DOUBLE), currency FROM {name}"
            )
    finally:
        engine.unregister(name)
    return int(costs.num_rows)


def import_state(engine: Engine) -> list[str]:
    """What changes whenever an import commits or is undone: for stamps of derived tables."""
    state = engine.execute(
        "SELECT count(*), CAST(max(finished_at) AS VARCHAR), sum(n_imported), "
        "count(undone_at), CAST(max(undone_at) AS VARCHAR) FROM imports"
    ).rows[0]
    return [str(x) for x in state]


def derived_stamp(engine: Engine, name: str) -> str | None:
    """The stamp the derived table ``name`` was built with (None: never built)."""
    row = engine.execute("SELECT stamp FROM derived WHERE name = $name", {"name": name}).first()
    return None if row is None else str(row[0])


def set_derived_stamp(engine: Engine, name: str, stamp: str) -> None:
    engine.run(
        "INSERT OR REPLACE INTO derived VALUES ($name, $stamp, current_timestamp)",
        {"name": name, "stamp": stamp},
    )
