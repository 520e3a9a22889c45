"""The state store on SQLite and PostgreSQL: its bulk writes (:meth:`Tx.executemany_rows`)
and its schema versions (an older store migrated, a newer one refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wegweiser.orchestrate._postgres import PostgresStore
from wegweiser.orchestrate._sqlite import SqliteStore
from wegweiser.orchestrate.errors import StateStoreError
from wegweiser.orchestrate.state import SCHEMA_VERSION, open_state


def test_rows_as_tuples_bind_each_name_once_however_often_it_is_used(state_url):
    sql = (
        "INSERT INTO wj_entries (journey, person_id, n, last_at) VALUES (:j, :p, 1, :now) "
        "ON CONFLICT (journey, person_id) DO UPDATE SET n = wj_entries.n + 1, "
        "last_at = :now"
    )
    with open_state(state_url) as store:
        with store.transaction() as tx:  # the order of the names, not of the SQL
            tx.executemany_rows(sql, ("p", "j", "now"), [("a", "j1", 1.5), ("b", "j1", 2.5)])
            tx.executemany_rows(sql, ("p", "j", "now"), [("a", "j1", 7.0)])
        with store.transaction() as tx:
            rows = tx.execute(
                "SELECT journey, person_id, n, last_at FROM wj_entries ORDER BY person_id"
            )
    assert [tuple(r) for r in rows] == [("j1", "a", 2, 7.0), ("j1", "b", 1, 2.5)]


@pytest.mark.parametrize("long_texts", [False, True])
def test_bulk_inserts_write_the_same_rows_either_way(state_url, long_texts):
    """``insert_many`` with its rows in one JSON array or bound row by row (``long_texts``):
    the same rows, constants and upserts, texts with quotes, escapes and non-ASCII intact."""
    snapshot = '{"traits":{"name":"Jo \\"J\\" Öz\\n","x":null},"events":{}}'
    again = "ON CONFLICT (person_id) DO UPDATE SET person = excluded.person, updated_at = 2.0"
    with open_state(state_url) as store:
        with store.transaction() as tx:
            tx.insert_many("wj_persons", ("person_id", "person"),
                           [("a", snapshot), ("b", "{}")], constants={"updated_at": 1.0},
                           long_texts=long_texts)
            tx.insert_many("wj_persons", ("person_id", "person"), [("b", "[1]")],
                           constants={"updated_at": 1.0}, conflict=again, long_texts=long_texts)
        with store.transaction() as tx:
            rows = tx.execute("SELECT person_id, person, updated_at FROM wj_persons "
                              "ORDER BY person_id")
    assert [tuple(r) for r in rows] == [("a", snapshot, 1.0), ("b", "[1]", 2.0)]


def test_a_schema_4_store_keeps_its_runs_and_takes_shared_snapshots(state_url, tmp_path):
    """Schema 4 kept a snapshot in every run (``wj_runs.person NOT NULL``); opened by this
    version the column may be NULL, the old rows keep theirs, and new runs share one."""
    import json

    from tests.orchestrate.helpers import build, person
    from wegweiser.orchestrate.person import Person
    from wegweiser.orchestrate.runtime import Entrant
    from wegweiser.orchestrate.state import SCHEMA

    with open_state(state_url) as store, store.transaction() as tx:  # made a schema 4 store
        if store.kind == "sqlite":
            tx.execute("DROP TABLE wj_runs")
            tx.execute(SCHEMA[0].replace("person TEXT,", "person TEXT NOT NULL,"))
            for index in SCHEMA[1:3]:
                tx.execute(index)
        else:
            tx.execute("ALTER TABLE wj_runs ALTER COLUMN person SET NOT NULL")
        tx.execute("UPDATE wj_meta SET value = '4' WHERE key = 'schema'")
        old = Person("old", traits={"email": "old@example.org", "tier": "silver"})
        tx.execute(
            "INSERT INTO wj_runs (run_id, journey, person_id, step, status, due_at, step_at, "
            "person, entered_at, updated_at) VALUES ('j:old:1', 'j', 'old', 'w', 'active', "
            "0, 0, :person, 0, 0)", {"person": old.to_json()})
    rt = build(tmp_path / "j", state_url, {"j": '[entry]\nkind = "event"\nevent = "x"\n'
               '[[steps]]\nid = "w"\ntype = "wait"\nduration = "1h"\n'})  # migrates
    store = rt.store  # entering below writes NULL: the constraint is gone
    with store.transaction() as tx:
        assert tx.one("SELECT value FROM wj_meta WHERE key = 'schema'") == ("6",)
        kept = tx.one("SELECT person FROM wj_runs WHERE run_id = 'j:old:1'")
    assert kept is not None
    assert json.loads(kept[0])["traits"]["tier"] == "silver"
    assert rt.enter([Entrant("j", person("new"))]) == 1
    claimed = {r.run_id: r for r in rt.claim()}
    assert claimed["j:old:1"].own_person
    assert claimed["j:old:1"].person.traits["tier"] == "silver"
    assert not claimed["j:new:1"].own_person
    assert claimed["j:new:1"].person.traits["email"] == "new@example.org"
    with store.transaction() as tx:
        assert tx.one("SELECT person FROM wj_runs WHERE run_id = 'j:new:1'") == (None,)


def test_a_store_of_a_newer_schema_is_refused_and_left_as_it_is(state_url):
    """An older Wegweiser must not "migrate" a newer store back: it says which version it
    found, which it knows and what to do, and changes nothing."""
    newer = str(int(SCHEMA_VERSION) + 1)
    with open_state(state_url) as store, store.transaction() as tx:
        tx.execute("UPDATE wj_meta SET value = :v WHERE key = 'schema'", {"v": newer})
        tx.execute("CREATE TABLE wj_future (x TEXT)")
    with pytest.raises(StateStoreError) as caught:
        open_state(state_url)
    message = str(caught.value)
    assert f"schema version {newer} was written by a newer Wegweiser" in message
    assert f"up to {SCHEMA_VERSION}" in message
    assert "Upgrade Wegweiser" in message
    assert "journeys.sqlite" in message or "PostgreSQL database 't_" in message
    raw = (PostgresStore(state_url) if state_url.startswith("postgresql")
           else SqliteStore(Path(state_url)))
    with raw, raw.transaction() as tx:  # the refused open wrote nothing
        assert tx.one("SELECT value FROM wj_meta WHERE key = 'schema'") == (newer,)
        assert raw._has_table(tx, "wj_future")
