"""One person's journey state exported and erased, on SQLite and PostgreSQL: every table
that names them, nothing of anyone else; SQLite's file (and WAL) and PostgreSQL's table
files hold none of their bytes afterwards (PostgreSQL's WAL is the operator's)."""

from __future__ import annotations

from pathlib import Path

from tests.privacy.seed import ANA_STATE, scan, seed_state
from wegweiser.orchestrate.assembly import STATE_ENV
from wegweiser.orchestrate.privacy import erase_state, export_state

ANA, BOB = "pid-ana-4711", "pid-bob-0815"


def test_state_of_one_person_is_exported_and_erased(state_url, tmp_path, monkeypatch,
                                                    request):
    monkeypatch.setenv(STATE_ENV, state_url)
    folder = tmp_path / "proj"
    folder.mkdir()
    seed_state(folder, {"ana": ANA, "bob": BOB}, target=state_url)
    got = export_state(folder, [ANA], [ANA])
    assert {k: len(v) for k, v in got.items()} == ANA_STATE
    assert got["wj_ledger"][0]["person_id"] == ANA
    counts = erase_state(folder, [ANA], [ANA])
    assert counts == ANA_STATE
    assert all(len(v) == 0 for v in export_state(folder, [ANA], [ANA]).values())
    assert {k: len(v) for k, v in export_state(folder, [BOB], [BOB]).items()} == ANA_STATE
    if state_url.startswith("postgresql"):
        host, _ = request.getfixturevalue("pg_server")
        tables = Path(host) / "data" / "base"
        assert scan(tables, (BOB,))  # the scan sees rows that are there
        assert scan(tables, (ANA,)) == []
    else:
        assert scan(tmp_path, (BOB,))
        assert scan(tmp_path, (ANA,)) == []


def test_the_shared_snapshot_the_runtime_wrote_is_erased_too(state_url, tmp_path, monkeypatch,
                                                             request):
    """Runs keep no snapshot of their own (schema 5): the person's one is in ``wj_persons``,
    exported with their state and erased with it, its bytes gone."""
    from tests.orchestrate.helpers import build, person
    from wegweiser.orchestrate.runtime import Entrant

    monkeypatch.setenv(STATE_ENV, state_url)
    folder = tmp_path / "proj"
    folder.mkdir()
    text = '[entry]\nkind = "event"\nevent = "x"\n[[steps]]\nid = "w"\ntype = "wait"\n' \
           'duration = "1h"\n'
    rt = build(tmp_path / "j", state_url, {"a": text, "b": text})
    ana_mail, bob_mail = "ana.snapshot-4711@example.org", "bob.snapshot-0815@example.org"
    entrants = [Entrant(j, person(pid, email=mail)) for j in ("a", "b")
                for pid, mail in ((ANA, ana_mail), (BOB, bob_mail))]
    assert rt.enter(entrants) == 4
    rt.close()
    got = export_state(folder, [ANA], [ANA])
    assert len(got["wj_runs"]) == 2
    assert all(r["person"] is None for r in got["wj_runs"])
    assert [ana_mail in r["person"] for r in got["wj_persons"]] == [True]
    counts = erase_state(folder, [ANA], [ANA])
    assert counts == {"wj_runs": 2, "wj_persons": 1, "wj_entries": 2}
    if state_url.startswith("postgresql"):
        host, _ = request.getfixturevalue("pg_server")
        files = Path(host) / "data" / "base"
    else:
        files = tmp_path
    assert scan(files, (bob_mail,))
    assert scan(files, (ana_mail,)) == []
