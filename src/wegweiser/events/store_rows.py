"""Writing one batch's good rows: channels derived, new rows inserted (or sent to the
engine's event sink), and a sample of what was not stored as a duplicate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wegweiser.events.channels import channel_case_sql
from wegweiser.store.schema import EVENT_COLUMNS

if TYPE_CHECKING:
    from wegweiser.config import Config
    from wegweiser.store.engine import Engine

__all__ = [
    "channels_table",
    "duplicate_sample",
    "good_rows",
    "insert_direct",
    "insert_events",
    "known_ids",
    "send_events",
]


def duplicate_sample(
    engine: Engine, stage: str, known: str, import_id: str, n: int
) -> list[dict[str, Any]]:
    """The first ``n`` good rows of ``stage`` that were not stored: a repeat of an earlier
    row of this import (``first_line``) or of a row stored before (``known``)."""
    rows = engine.execute(
        f"WITH g AS (SELECT message_id, _row, _line FROM {stage} WHERE _error IS NULL), "
        "f AS (SELECT message_id, min(_row) AS first_row, arg_min(_line, _row) AS first_line "
        "FROM g GROUP BY message_id HAVING count(*) > 1), "
        "picked AS (SELECT g._row FROM g LEFT JOIN f USING (message_id) "
        f"WHERE g._row > f.first_row OR {known} ORDER BY g._row LIMIT {int(n)}) "
        "SELECT s._line AS line, CASE WHEN s._row > f.first_row THEN f.first_line END "
        "AS first_line, s.message_id, s.event, coalesce(s.user_id, s.anonymous_id) AS id, "
        'CAST(s."timestamp" AS VARCHAR) AS "timestamp", s.revenue '
        f"FROM {stage} s JOIN picked p ON p._row = s._row "
        "LEFT JOIN f ON f.message_id = s.message_id ORDER BY s._row",
        {"id": import_id} if "$id" in known else None,
    ).dicts()
    for row in rows:
        row["why"] = (
            f"same event as line {row['first_line']} of this input"
            if row["first_line"] is not None
            else "already in the store (imported before)"
        )
    return rows


def insert_events(
    engine: Engine, config: Config, stage: str, import_id: str, *, dedup: bool
) -> int:
    """Insert the good rows of ``stage`` that are new; returns how many.

    ``dedup`` says the batch repeats a ``message_id``: then only its first row is kept.
    The store is looked up for the batch's ids only (a semi-join built on the batch, the
    store's ids streamed past it), so the memory of the duplicate check is bounded by the
    batch, not by the store.
    """
    chan = channels_table(engine, config, stage)
    cols = [c for c in EVENT_COLUMNS if c not in ("channel", "import_id")]
    before = engine.scalar("SELECT count(*) FROM events")
    engine.run(
        f"INSERT INTO events ({', '.join(cols)}, channel, import_id) "
        f"{good_rows(stage, chan, cols, dedup=dedup)} "
        f"WHERE s.message_id NOT IN ({known_ids(stage)})",
        {"import_id": import_id},
    )
    engine.run(f"DROP TABLE {chan}")
    return int(engine.scalar("SELECT count(*) FROM events")) - int(before)


def known_ids(stage: str) -> str:
    """SELECT of the ``message_id`` values of the store that the good rows of ``stage`` have."""
    return (
        "SELECT e.message_id FROM events e WHERE e.message_id IN "
        f"(SELECT message_id FROM {stage} WHERE _error IS NULL)"
    )


def send_events(
    engine: Engine, config: Config, stage: str, import_id: str, *, dedup: bool
) -> int:
    """:func:`_insert_events` for events kept elsewhere (``engine.event_sink``): the new rows
    are kept in ``<stage>_new`` (for the identities) and appended to the sink."""
    sink = engine.event_sink
    assert sink is not None
    chan = channels_table(engine, config, stage)
    new = f"{stage}_new"
    cols = [c for c in EVENT_COLUMNS if c not in ("channel", "import_id")]
    engine.run(
        f"CREATE TEMP TABLE {new} AS {good_rows(stage, chan, cols, dedup=dedup)}",
        {"import_id": import_id},
    )
    engine.run(f"DROP TABLE {chan}")
    return sink.add_events(engine, new)


def channels_table(
    engine: Engine,
    config: Config,
    stage: str,
    *,
    name: str | None = None,
    params: dict[str, Any] | None = None,
) -> str:
    """A temp table of the channel rules' verdict per distinct (medium, source, referrer
    host, event, platform) of the good rows without a channel; returns its name.

    ``stage``: a table, or a parenthesised query (``params``: its parameters) — then
    ``name`` names the table, and the combinations of all its rows are taken (a superset
    of the good rows' ones: the result is only looked up)."""
    case_sql, case_params = channel_case_sql(list(config.channels))
    chan = name or f"{stage}_chan"
    good = "TRUE" if stage.startswith("(") else "_error IS NULL"
    engine.run(
        f"CREATE TEMP TABLE {chan} AS SELECT *, {case_sql} AS derived FROM ("
        f"SELECT DISTINCT medium, source, referrer_host, event, platform FROM {stage} "
        f"WHERE {good} AND channel IS NULL)",
        {**(params or {}), **case_params} or None,
    )
    return chan


def insert_direct(
    engine: Engine,
    config: Config,
    staging: str,
    params: dict[str, Any],
    import_id: str,
    keys: tuple[str, dict[str, Any]],
) -> int:
    """Insert the good rows of the normalising query ``staging`` straight into ``events``
    (no staged copy); returns how many. ``keys``: the query of the same rows' channel keys
    and its parameters (:func:`wegweiser.events.normalize.staging_sql` with
    ``channel_keys``). The caller has made sure that the batch repeats no ``message_id``
    and that the store holds none of them."""
    chan = channels_table(
        engine, config, f"({keys[0]})", name=f"_chan_{import_id[:12]}", params=keys[1]
    )
    cols = [c for c in EVENT_COLUMNS if c not in ("channel", "import_id")]
    try:
        return int(
            engine.execute(
                f"INSERT INTO events ({', '.join(cols)}, channel, import_id) "
                f"{good_rows(f'({staging})', chan, cols, dedup=False)}",
                {**params, "import_id": import_id},
            ).single_value()
        )
    finally:
        engine.run(f"DROP TABLE IF EXISTS {chan}")


def good_rows(stage: str, chan: str, cols: list[str], *, dedup: bool) -> str:
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
