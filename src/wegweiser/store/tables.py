"""Table definitions of the store, applied as numbered migrations.

``events`` is append-only and deduplicated on ``message_id`` by the importer (an anti-join
is far faster than a unique index on bulk inserts). ``identities`` maps every anonymous and
user id to a ``person_id``; it is rebuilt from ``identity_links`` after each import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wegweiser.errors import ProjectError
from wegweiser.store.schema import EVENT_COLUMNS

if TYPE_CHECKING:
    from wegweiser.store.engine import Engine

_EVENTS = ",\n    ".join(f"{name} {typ}" for name, typ in EVENT_COLUMNS.items())

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"CREATE TABLE events (\n    {_EVENTS}\n)",
        """CREATE TABLE imports (
            import_id VARCHAR PRIMARY KEY,
            source VARCHAR,
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            n_rows BIGINT,
            n_imported BIGINT,
            n_duplicates BIGINT,
            n_quarantined BIGINT
        )""",
        "CREATE SEQUENCE quarantine_seq START 1",
        """CREATE TABLE quarantine (
            quarantine_id BIGINT PRIMARY KEY DEFAULT nextval('quarantine_seq'),
            import_id VARCHAR,
            source VARCHAR,
            line BIGINT,
            reason VARCHAR NOT NULL,
            raw VARCHAR,
            raw_format VARCHAR,          -- 'record' (a JSON object) or 'text' (an unparsed line)
            quarantined_at TIMESTAMPTZ,
            replays INTEGER DEFAULT 0
        )""",
        """CREATE TABLE identity_links (
            a_id VARCHAR, b_id VARCHAR,       -- a_id < b_id
            first_seen TIMESTAMPTZ,
            message_id VARCHAR,               -- first event that carried the link
            status VARCHAR,                   -- 'merged' or 'refused'
            reason VARCHAR
        )""",
        """CREATE TABLE identities (
            id VARCHAR, id_kind VARCHAR, person_id VARCHAR   -- id_kind: 'user' or 'anonymous'
        )""",
        """CREATE TABLE costs (
            date DATE, channel VARCHAR, campaign VARCHAR, cost DOUBLE, currency VARCHAR
        )""",
        """CREATE VIEW persons AS
            SELECT person_id,
                   count(*) FILTER (WHERE id_kind = 'user') AS n_user_ids,
                   count(*) FILTER (WHERE id_kind = 'anonymous') AS n_anonymous_ids
            FROM identities GROUP BY person_id""",
    ),
    (
        # derived tables (e.g. `journey`) and the store/config state they were built from
        "CREATE TABLE derived (name VARCHAR PRIMARY KEY, stamp VARCHAR, built_at TIMESTAMPTZ)",
    ),
    (
        # import history: what an import was (kind, the file it read, its options) and
        # whether it was undone (its events removed; on Spark: no longer visible)
        "ALTER TABLE imports ADD COLUMN kind VARCHAR",  # file, table, collector, replay
        "ALTER TABLE imports ADD COLUMN source_key VARCHAR",  # a file's absolute path
        "ALTER TABLE imports ADD COLUMN options VARCHAR",  # JSON: --map and read options
        "ALTER TABLE imports ADD COLUMN undone_at TIMESTAMPTZ",
        "ALTER TABLE imports ADD COLUMN replaced_by VARCHAR",  # the import that replaced it
    ),
    (
        # JSON: warnings, duplicate_sample, negative_revenue (for the data-quality section)
        "ALTER TABLE imports ADD COLUMN details VARCHAR",
    ),
    (
        # predicted scores per person (store/scores.py): one row per person and model
        """CREATE TABLE scores (
            person_id VARCHAR, model VARCHAR, score DOUBLE, version VARCHAR,
            scored_at DATE, fitted_at TIMESTAMPTZ
        )""",
    ),
    (
        # next-best offers per person (store/scores.py): one row per person and rank
        """CREATE TABLE recommendations (
            person_id VARCHAR, rank INTEGER, item VARCHAR, category VARCHAR, score DOUBLE,
            version VARCHAR, scored_at DATE, fitted_at TIMESTAMPTZ
        )""",
    ),
    (
        # the import's duplicate check (store/event_keys.py): a hash per stored message_id,
        # filled on the first import that needs it
        "CREATE TABLE event_keys (h UBIGINT, import_id VARCHAR)",
        "CREATE TABLE event_keys_state (stamp UBIGINT, n_events BIGINT)",
    ),
)


def migrate(engine: Engine) -> int:
    """Bring the store to the newest schema; returns the version it is at."""
    engine.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
    current = engine.scalar("SELECT coalesce(max(version), 0) FROM schema_version")
    for version, statements in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        with engine.transaction():
            for statement in statements:
                engine.run(statement)
            engine.run("INSERT INTO schema_version VALUES (?)", [version])
    return len(MIGRATIONS)


def check_version(engine: Engine) -> None:
    """For a read-only store: refuse one whose schema is older than this version's."""
    try:
        current = engine.scalar("SELECT coalesce(max(version), 0) FROM schema_version")
    except Exception as exc:  # no schema_version table: not a Wegweiser store
        raise ProjectError(f"{engine.database} is not a Wegweiser store ({exc})") from exc
    if current < len(MIGRATIONS):
        raise ProjectError(
            f"{engine.database} has schema version {current}, this Wegweiser needs "
            f"{len(MIGRATIONS)}; open the store for writing once (any command) to migrate it."
        )
