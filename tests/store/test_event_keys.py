"""The duplicate check's key table: it covers every stored id whatever wrote the store, and
a stale or missing table never lets a stored event in twice."""

from __future__ import annotations

import pyarrow as pa

from wegweiser.store import event_keys


def _rows(ids: list[str], *, ts: str = "2026-01-01T00:00:00Z") -> pa.Table:
    return pa.table(
        {
            "message_id": ids,
            "anonymous_id": [f"a-{i}" for i in ids],
            "event": ["page_view"] * len(ids),
            "timestamp": [ts] * len(ids),
        }
    )


def _unkeyed(engine) -> int:
    return int(
        engine.scalar(
            "SELECT count(*) FROM events WHERE hash(message_id) NOT IN (SELECT h FROM event_keys)"
        )
    )


def test_keys_cover_every_stored_id_on_the_direct_and_staged_paths(project):
    engine = project._engine
    assert project.import_events(_rows(["a", "b", "c"])).imported == 3  # direct
    assert project.import_events(_rows(["c", "d", "d", "e"])).counts() == {  # staged
        "imported": 2,
        "duplicates": 2,
        "quarantined": 0,
    }
    assert _unkeyed(engine) == 0
    assert event_keys.valid(engine)
    assert project.import_events(_rows(["e", "a"])).imported == 0


def test_a_stale_or_missing_key_table_is_rebuilt_and_dedup_stays_exact(project):
    engine = project._engine
    assert project.import_events(_rows(["a", "b"])).imported == 2
    # a store from before the key table: no keys, no state
    engine.run("DELETE FROM event_keys")
    engine.run("DELETE FROM event_keys_state")
    assert not event_keys.valid(engine)
    assert project.import_events(_rows(["a", "b", "c"])).counts() == {
        "imported": 1,
        "duplicates": 2,
        "quarantined": 0,
    }
    assert event_keys.valid(engine)
    # events written behind the importer's back (the count no longer matches)
    engine.run(
        'INSERT INTO events (message_id, type, event, anonymous_id, "timestamp") '
        "VALUES ('x', 'track', 'e', 'p', TIMESTAMPTZ '2026-01-01')"
    )
    assert not event_keys.valid(engine)
    assert project.import_events(_rows(["x"])).counts()["duplicates"] == 1
    # another DuckDB hash function (an upgrade): the fingerprint differs
    engine.run("UPDATE event_keys_state SET stamp = stamp + 1")
    engine.run("DELETE FROM event_keys")
    assert project.import_events(_rows(["a", "x", "y"])).imported == 1
    assert _unkeyed(engine) == 0
    assert engine.scalar("SELECT count(*) FROM events") == 5


def test_a_stale_key_only_takes_the_exact_path(project):
    engine = project._engine
    bad = _rows(["a", "b"])
    bad = bad.set_column(3, "timestamp", pa.array(["2026-01-01T00:00:00Z", "not a time"]))
    assert project.import_events(bad).counts()["quarantined"] == 1
    # "b" has a key (the direct path keys its whole batch) but is not stored
    assert engine.scalar("SELECT count(*) FROM event_keys WHERE h = hash('b')") == 1
    assert project.import_events(_rows(["b", "c"])).counts() == {
        "imported": 2,
        "duplicates": 0,
        "quarantined": 0,
    }


def test_undo_and_pseudonymisation_keep_the_keys_true(project):
    engine = project._engine
    first = project.import_events(_rows(["a", "b"]))
    project.import_events(_rows(["c"]))
    project.undo_import(first.import_ids[0])
    assert event_keys.valid(engine)  # the undone import's keys are gone with its events
    assert engine.scalar("SELECT count(*) FROM event_keys") == 1
    assert project.import_events(_rows(["a", "b", "c"])).imported == 2
    project.pseudonymise_person_rows(["a-c"], [], "someone")
    assert not event_keys.valid(engine)  # new message ids: rebuilt by the next import
    assert engine.scalar("SELECT count(*) FROM event_keys") == 0
    new_id = engine.scalar("SELECT message_id FROM events WHERE starts_with(message_id, 'anon-')")
    assert project.import_events(_rows([new_id, "d"])).counts()["duplicates"] == 1
    assert _unkeyed(engine) == 0
