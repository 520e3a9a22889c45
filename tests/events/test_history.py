"""Import history, undo and --replace (issue 12.3); one file is one transaction (12.6)."""

from __future__ import annotations

import json

import pytest

import wegweiser
from tests.conftest import write

ROWS = "client,action,ts,amount\nc1,view,2026-01-01,\nc1,buy,2026-01-02,10\nc2,buy,2026-01-03,5\n"


def _count(project: wegweiser.Project, sql: str = "SELECT count(*) FROM events") -> int:
    return int(project._engine.scalar(sql))


def test_reimport_with_corrected_map_replaces_instead_of_doubling(project, tmp_path):
    path = write(tmp_path / "e.csv", ROWS)
    first = project.import_events(path, mapping="user_id=client,timestamp=ts")
    # the wrong mapping: `action` went into properties, every row quarantined (no event)
    assert first.quarantined == 3
    wrong = project.import_events(path, mapping="user_id=client,timestamp=ts,event='x'")
    assert wrong.imported == 3
    fixed = project.import_events(
        path, mapping="user_id=client,event=action,timestamp=ts", replace=True
    )
    assert fixed.imported == 3
    assert sorted(fixed.replaced) == sorted(first.import_ids + wrong.import_ids)
    assert _count(project) == 3
    assert sorted(r[0] for r in project._engine.execute("SELECT event FROM events").rows) == [
        "buy", "buy", "view"
    ]
    assert project.quarantine().empty  # the first import's rejections went with it
    history = project.imports()
    assert len(history) == 3
    assert history["undone_at"].notna().sum() == 2
    assert set(history["replaced_by"].dropna()) == set(fixed.import_ids)


def test_undo_removes_events_reresolves_identities_and_stales_the_journey(project, tmp_path):
    a = write(tmp_path / "a.csv", "anonymous_id,user_id,event,timestamp\nx1,,view,2026-01-01\n"
                                   "x2,,view,2026-01-01\n")
    b = write(tmp_path / "b.csv", "anonymous_id,user_id,event,timestamp\nx1,u1,login,2026-01-02\n"
                                   "x2,u1,login,2026-01-02\n")
    project.import_events(a)
    second = project.import_events(b)
    assert project.person_of("x1") == project.person_of("x2") == "u1"
    assert project.journey().count().execute() == 4
    stamp = project._journey_stamp()

    undone = project.undo_import(second.import_ids[0][:8])
    assert (undone.events, undone.quarantined) == (2, 0)
    assert _count(project) == 2
    assert project.person_of("x1") == "x1"  # the link came with the undone import
    assert project.person_of("x2") == "x2"
    assert project.person_of("u1") is None
    assert project._journey_stamp() != stamp
    assert project.journey().count().execute() == 2
    with pytest.raises(wegweiser.InvalidInput, match="undone already"):
        project.undo_import(second.import_ids[0])
    with pytest.raises(wegweiser.InvalidInput, match="no import"):
        project.undo_import("ffffffff")
    # importing it again brings it back
    assert project.import_events(b).imported == 2
    assert project.person_of("x1") == "u1"


def test_one_file_is_one_import_even_in_many_batches(project, tmp_path):
    cfg = project.path / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("batch_rows = 2000000", "batch_rows = 10"))
    project.reload_config()
    assert project.config.ingest.batch_rows == 10
    rows = "".join(f"u{i},x,2026-01-01T00:00:{i % 60:02d}Z\n" for i in range(35))
    again = "".join(rows.splitlines(keepends=True)[:5])  # repeats across batches
    path = write(tmp_path / "e.csv", "user_id,event,timestamp\n" + rows + again)
    summary = project.import_events(path)
    assert len(summary.import_ids) == 1
    assert (summary.imported, summary.duplicates, summary.rows) == (35, 5, 40)
    assert _count(project, "SELECT count(*) FROM imports") == 1
    assert _count(project, "SELECT n_imported FROM imports") == 35


def test_a_failure_in_a_later_batch_leaves_nothing_of_the_file(project, tmp_path, monkeypatch):
    from wegweiser.events import ingest

    cfg = project.path / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("batch_rows = 2000000", "batch_rows = 10"))
    project.reload_config()
    rows = "".join(f"u{i},x,2026-01-01T00:00:{i % 60:02d}Z\n" for i in range(35))
    path = write(tmp_path / "e.csv", "user_id,event,timestamp\n" + rows)
    original = ingest._batch
    calls = []

    def fail_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed in batch 3")
        return original(*args, **kwargs)

    monkeypatch.setattr(ingest, "_batch", fail_third)
    with pytest.raises(RuntimeError):
        project.import_events(path)
    assert _count(project) == 0
    assert _count(project, "SELECT count(*) FROM imports") == 0
    assert _count(project, "SELECT count(*) FROM identities") == 0


def test_collector_segments_are_in_the_history_and_can_be_undone(project, tmp_path):
    from wegweiser.events.collect.spool_reader import import_segment

    segment = tmp_path / "seg.jsonl"
    lines = [
        {"type": "track", "event": "view", "anonymous_id": "a1",
         "timestamp": "2026-01-01T00:00:00Z", "message_id": "m1"},
        {"type": "track", "event": "view", "anonymous_id": "a2",
         "timestamp": "2026-01-01T00:00:00Z", "message_id": "m2"},
    ]
    segment.write_text("".join(json.dumps(x) + "\n" for x in lines))
    summary = import_segment(project._engine, project.config, segment, source_name="spool/1.jsonl")
    assert summary is not None
    assert summary.imported == 2
    history = project.imports()
    assert history["kind"].tolist() == ["collector"]
    assert history["source"].tolist() == ["spool/1.jsonl"]
    project.undo_import(history["import_id"][0])
    assert _count(project) == 0
    # the collector does not import an undone segment again
    assert import_segment(
        project._engine, project.config, segment, source_name="spool/1.jsonl"
    ) is None


def test_reimport_that_adds_rows_without_replace_is_warned(project, tmp_path):
    path = write(tmp_path / "e.csv", ROWS)
    first = project.import_events(path, mapping="user_id=client,event=action,timestamp=ts")
    assert first.warnings == []
    again = project.import_events(path, mapping="user_id=client,event=action,timestamp=ts")
    assert again.warnings == []  # nothing added: a plain re-import
    changed = project.import_events(path, mapping="user_id=client,event='x',timestamp=ts")
    assert changed.imported == 3
    assert any("imported before" in w and "--replace" in w for w in changed.warnings)


def test_progress_counts_rows_without_the_header(project, tmp_path):
    cfg = project.path / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("batch_rows = 2000000", "batch_rows = 10"))
    project.reload_config()
    rows = "".join(f"u{i},x,2026-01-01T00:00:{i % 60:02d}Z\n" for i in range(25))
    path = write(tmp_path / "e.csv", "user_id,event,timestamp\n" + rows)
    seen: list[tuple[str, int, int]] = []
    project.import_events(path, progress=lambda *a: seen.append(a))
    # batches are cut by line number: the header is line 1
    assert seen == [(str(path), 9, 25), (str(path), 19, 25), (str(path), 25, 25)]
