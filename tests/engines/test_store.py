"""The store on every engine: import, deduplication, identity, the journey table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.analysis.reference import BASE, random_rows, reference_journeys, stitched_frame
from tests.engines.conftest import ENGINES, STORES
from wegweiser.analysis.filters import property_value
from wegweiser.analysis.result import to_frame, to_value
from wegweiser.events import ingest


def test_journey_follows_the_reference(log):
    got = to_frame(log.project.journey().order_by("person_id", "seq"))
    assert str(got["timestamp"].dtype) == "datetime64[us, UTC]"
    assert str(got["seq"].dtype) == "int64"
    expected = reference_journeys(log.rows)
    assert sorted(got.person_id.unique()) == sorted(expected)
    for person, events in expected.items():
        mine = got[got.person_id == person]
        assert mine["message_id"].tolist() == [e.message_id for e in events]
        assert mine["seq"].tolist() == list(range(len(events)))
        assert mine["session"].tolist() == [e.session for e in events]
        assert mine["next_event"].tolist()[:-1] == [e.event for e in events[1:]]


@pytest.mark.spark
def test_identities_agree_across_engines(log_duckdb, log_spark):
    sql = "SELECT id, id_kind, person_id FROM identities ORDER BY id"
    links = "SELECT a_id, b_id, status, first_seen, message_id FROM identity_links ORDER BY 1, 2"
    for query in (sql, links):
        spark, duck = log_spark.project._engine, log_duckdb.project._engine
        assert spark.arrow(query).equals(duck.arrow(query))


@pytest.mark.parametrize("fresh", STORES, indirect=True)
def test_reimport_adds_nothing(fresh):
    frame = stitched_frame(random_rows(3, n=120))
    first = fresh.import_events(frame)
    again = fresh.import_events(frame)
    assert first.imported == len(frame)
    assert (again.imported, again.duplicates) == (0, len(frame))
    assert fresh.stats()["events"] == len(frame)
    assert to_value(fresh.journey().count()) == 120


@pytest.mark.parametrize("fresh", STORES, indirect=True)
def test_a_failed_batch_leaves_no_events(fresh, monkeypatch):
    frame = stitched_frame(random_rows(4, n=80))

    def fail(*args, **kwargs):
        raise RuntimeError("killed after the events were written")

    with monkeypatch.context() as patch:
        patch.setattr(ingest, "update_identities", fail)
        with pytest.raises(RuntimeError):
            fresh.import_events(frame)
    assert fresh.stats()["events"] == 0
    assert to_value(fresh.journey().count()) == 0
    summary = fresh.import_events(frame)  # the retry imports everything once
    assert (summary.imported, summary.duplicates) == (len(frame), 0)
    assert to_value(fresh.journey().count()) == 80


@pytest.mark.parametrize("fresh", STORES, indirect=True)
def test_journey_rebuilds_after_import_and_config_change(fresh):
    rows = random_rows(1, n=50)
    fresh.import_events(stitched_frame(rows, share=0))
    assert to_value(fresh.journey().count()) == 50
    more = random_rows(2, n=30)
    for r in more:
        r.message_id = "x" + r.message_id
    fresh.import_events(stitched_frame(more, share=0))
    assert to_value(fresh.journey().count()) == 80
    cfg = fresh.path / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("session_gap_minutes = 30", "session_gap_minutes = 1"))
    fresh.reload_config()
    j = fresh.journey()
    got = to_frame(j.group_by("person_id").agg(n=j.session.max() + 1))
    expected = reference_journeys(rows + more, gap_minutes=1)
    assert dict(zip(got.person_id, got.n, strict=True)) == {
        p: ev[-1].session + 1 for p, ev in expected.items()
    }


@pytest.mark.spark
@pytest.mark.parametrize("fresh", ["spark", "spark-uri"], indirect=True)
def test_spark_events_are_parquet_by_date(fresh):
    rows = random_rows(5, n=60, minutes=60 * 24 * 2)
    fresh.import_events(stitched_frame(rows, identify_at=BASE + timedelta(days=9)))
    folder = Path(fresh.path / "events")
    days = sorted(p.name for p in folder.iterdir() if p.is_dir())
    expected = {f"date={r.timestamp.date()}" for r in rows} | {"date=2026-03-10"}
    assert days == sorted(expected)
    assert all(any(p.glob("*.parquet")) for p in folder.iterdir() if p.is_dir())
    assert to_value(fresh._engine.ibis().table("events").count()) == 0  # not in the DuckDB store


@pytest.mark.spark
@pytest.mark.parametrize("fresh", ["spark"], indirect=True)
def test_json_properties_read_as_on_duckdb(fresh, project):
    props = ['{"k": "x"}', '{"k": 3}', '{"k": 61.990}', '{"k": true}', '{"k": null}',
             '{"k": {"b": [1, 2]}}', '{"j": 1}', None, '{"k": "x\\"y"}', '{"k": ""}',
             '{"k": 1e3}', '{"k": "\\u00e9"}', '{"a.b": "key", "a": {"b": "path"}}',
             '{"a": {"b": "path"}}', '{"it\'s": 1, "q\\"x": 2}']
    frame = pd.DataFrame({
        "message_id": [f"m{i}" for i in range(len(props))], "user_id": "u", "event": "a",
        "timestamp": [(BASE + timedelta(minutes=i)).isoformat() for i in range(len(props))],
        "properties": props,
    })
    got = {}
    for p in (fresh, project):
        p.import_events(frame)
        j = p.journey()
        rows = to_frame(j.select("message_id", v=property_value(j.properties, "k"),
                                 w=property_value(j.properties, "a.b")))
        got[p._warehouse.name + "/a.b"] = dict(zip(rows.message_id, rows.w, strict=True))
        got[p._warehouse.name] = dict(zip(rows.message_id, rows.v, strict=True))
    assert got["spark"] == got["duckdb"]
    assert got["spark/a.b"] == got["duckdb/a.b"]
    assert pd.isna(got["duckdb"]["m4"])  # JSON null: no value
    assert got["duckdb"]["m1"] == "3"
    assert got["duckdb/a.b"]["m12"] == "key"  # a key, not the path a -> b
    assert pd.isna(got["duckdb/a.b"]["m13"])


@pytest.mark.parametrize("fresh", STORES, indirect=True)
def test_undo_and_replace(fresh, tmp_path):
    """Undo removes an import's events (Spark: makes them invisible), re-resolves identities
    and rebuilds the journey; --replace swaps a file's import in one transaction."""
    first = stitched_frame(random_rows(6, n=60))
    second = stitched_frame(random_rows(7, n=40))
    second["message_id"] = "y" + second["message_id"]
    a = fresh.import_events(first)
    j_a = to_value(fresh.journey().count())
    b = fresh.import_events(second)
    n_a, n_b = len(first), len(second)
    assert (a.imported, b.imported) == (n_a, n_b)
    assert to_value(fresh.journey().count()) > j_a
    persons = fresh.stats()["persons"]
    fresh.undo_import(b.import_ids[0])
    assert fresh.stats()["events"] == n_a
    assert to_value(fresh.journey().count()) == j_a
    assert fresh.stats()["persons"] <= persons
    ids = fresh._engine.execute("SELECT id, person_id FROM identities ORDER BY id").rows
    fresh.undo_import(a.import_ids[0])
    assert fresh.stats()["events"] == 0
    assert fresh._engine.scalar("SELECT count(*) FROM identities") == 0
    again = fresh.import_events(first)
    assert again.imported == n_a
    assert fresh._engine.execute("SELECT id, person_id FROM identities ORDER BY id").rows == ids

    path = tmp_path / "e.csv"
    file_rows = second.assign(message_id="z" + second["message_id"])
    file_rows.to_csv(path, index=False)
    assert fresh.import_events(path).imported == n_b
    file_rows.assign(event="renamed_" + file_rows["event"]).to_csv(path, index=False)
    swapped = fresh.import_events(path, replace=True)
    assert len(swapped.replaced) == 1
    assert swapped.imported == n_b  # the same message ids: new again once the old are undone
    assert fresh.stats()["events"] == n_a + n_b
    events = to_frame(fresh._warehouse.table("events").select("message_id", "event", "type"))
    renamed = events[events.message_id.str.startswith("z")]
    assert len(renamed) == n_b
    assert renamed[renamed.type == "track"].event.str.startswith("renamed_").all()


@pytest.mark.parametrize("fresh", ENGINES, indirect=True)
def test_analytics_consent_required_leaves_out_who_withheld_it(fresh, tmp_path):
    """``[privacy] analytics_consent``: ignored by default (numbers unchanged); required,
    the journey (and so every analysis) leaves out persons whose latest statement on
    ``Analytics`` is false -- from the consent object of any event or the consent trait."""
    import json

    def ev(n: int, user: str, minute: int, kind: str = "track", **extra: object) -> dict:
        return {"messageId": f"c{n}", "type": kind, "userId": user,
                "timestamp": f"2026-06-01T09:{minute:02d}:00Z",
                **({"event": "page_view"} if kind == "track" else {}), **extra}

    def prefs(value: object) -> dict:
        return {"context": {"consent": {"categoryPreferences": {"Analytics": value}}}}

    rows = [
        ev(1, "yes", 1, **prefs(True)),
        ev(2, "later_no", 1, **prefs(True)), ev(3, "later_no", 2, **prefs(False)),
        ev(4, "later_yes", 1, **prefs("no")), ev(5, "later_yes", 2, **prefs("yes")),
        ev(6, "trait_no", 1), ev(7, "trait_no", 2, "identify", traits={"consent": {
            "Analytics": False}}),
        ev(8, "silent", 1),
    ]
    path = tmp_path / "consent.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    fresh.import_events(path)

    def persons() -> set[str]:
        j = fresh.journey()
        return set(to_frame(j.select("person_id").distinct())["person_id"])

    everyone = {"yes", "later_no", "later_yes", "trait_no", "silent"}
    assert persons() == everyone
    cfg = fresh.path / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace('consent_trait = "consent"',
                                           'consent_trait = "consent"\n'
                                           'analytics_consent = "required"'))
    fresh.reload_config()
    assert persons() == everyone - {"later_no", "trait_no"}
    summary = fresh.analyse("sessions").tables()["summary"]
    assert int(summary["persons"].iloc[0]) == 3
    # the store's counts and the overview leave them out too (yes 1, later_yes 2, silent 1)
    stats = fresh.stats()
    assert (stats["events"], stats["types"], stats["persons"], stats["withheld_persons"]) == (
        4, {"track": 4}, 3, 2)
    figures = fresh.overview().figures
    assert (figures["persons"], figures["events"]) == (3, 4)
