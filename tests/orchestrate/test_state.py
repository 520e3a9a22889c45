"""The state store's bulk writes (:meth:`Tx.executemany_rows`) on SQLite and PostgreSQL."""

from __future__ import annotations

from wegweiser.orchestrate.state import open_state


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
