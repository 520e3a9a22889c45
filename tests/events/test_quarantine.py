from __future__ import annotations

import json

import pytest

from tests.conftest import write


def test_replay_after_fixing_the_mapping(project, tmp_path):
    path = write(tmp_path / "e.csv", "client,action,ts\nc1,view,2026-01-01\nc2,buy,2026-01-02\n")
    assert project.import_events(path, mapping="event=action,timestamp=ts").quarantined == 2
    q = project.quarantine()
    assert set(q["reason"]) == {"missing ids: neither anonymous_id nor user_id is set"}
    assert json.loads(q["raw"].iloc[0]) == {"client": "c1", "action": "view", "ts": "2026-01-01"}

    summary, skipped = project.replay_quarantine(mapping="user_id=client,event=action,timestamp=ts")
    assert summary.counts() == {"imported": 2, "duplicates": 0, "quarantined": 0}
    assert skipped == 0
    assert project.quarantine().empty
    assert sorted(project._engine.execute("SELECT user_id FROM events").rows) == [("c1",), ("c2",)]


def test_replay_after_fixing_the_config_keeps_failures(project, tmp_path):
    big = "x" * 300
    rows = [
        {"anonymousId": "a", "event": "e", "timestamp": "2026-01-01", "properties": {"b": big}},
        {"anonymousId": "b", "event": "e", "timestamp": "soon"},
        "{not json",
    ]
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows)
    cfg = project.path / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("max_payload_bytes = 32768", "max_payload_bytes = 100"))
    project.reload_config()
    assert project.import_events(write(tmp_path / "e.jsonl", text)).quarantined == 3

    cfg.write_text(cfg.read_text().replace("max_payload_bytes = 100", "max_payload_bytes = 32768"))
    project.reload_config()
    summary, skipped = project.replay_quarantine()
    assert (summary.imported, summary.quarantined, skipped) == (1, 1, 1)
    q = project.quarantine().set_index("line")
    assert q.loc[2, "reason"].startswith("unparseable timestamp 'soon'")
    assert q.loc[2, "replays"] == 1
    assert q.loc[3, "reason"].startswith("broken JSON")
    assert project.stats()["events"] == 1


def test_drop_and_filter(project, tmp_path):
    write(tmp_path / "e.csv", "anonymous_id,event,timestamp\n,x,2026-01-01\na,x,never\n")
    project.import_events(tmp_path / "e.csv")
    assert len(project.quarantine(reason="timestamp")) == 1
    assert project.drop_quarantine(reason="missing ids") == 1
    assert len(project.quarantine()) == 1


def test_reimport_does_not_double_the_quarantine(project, tmp_path):
    path = write(tmp_path / "e.csv", "anonymous_id,event,timestamp\n,x,2026-01-01\n")
    project.import_events(path)
    project.import_events(path)
    assert len(project.quarantine()) == 1


@pytest.mark.parametrize("limit", [1, None])
def test_list_limit(project, tmp_path, limit):
    write(tmp_path / "e.csv", "anonymous_id,event,timestamp\n,x,2026-01-01\n,y,2026-01-01\n")
    project.import_events(tmp_path / "e.csv")
    assert len(project.quarantine(limit=limit)) == (limit or 2)


def test_replay_with_a_constant_in_the_mapping(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,ts\nc1,2026-01-01\n")
    assert project.import_events(path, mapping="timestamp=ts").quarantined == 1
    summary, _ = project.replay_quarantine(mapping="timestamp=ts,event='purchase'")
    assert summary.imported == 1
    assert project._engine.execute("SELECT event FROM events").rows == [("purchase",)]


def test_replay_takes_the_options_of_how_values_read(project, tmp_path):
    path = write(tmp_path / "orders.csv", "user_id;event;timestamp;revenue\n"
                                          "k1;buy;07.12.2026 10:00;1.234,50\nk2;buy;2026-12-08;3\n")
    assert project.import_events(path).quarantined == 1
    # the timestamp read, the decimal comma not yet: the row stays, with the new reason
    summary, _ = project.replay_quarantine(timestamp_format="%d.%m.%Y %H:%M")
    assert (summary.imported, summary.quarantined) == (0, 1)
    assert project.quarantine()["reason"].iloc[0].startswith("revenue is not a number: '1.234,50'")
    summary, _ = project.replay_quarantine(timestamp_format="%d.%m.%Y %H:%M", decimal=",")
    assert (summary.imported, summary.quarantined) == (1, 0)
    rows = project._engine.execute(
        "SELECT user_id, revenue, strftime(timestamp AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M') "
        "FROM events ORDER BY user_id").rows
    assert rows == [("k1", 1234.5, "2026-12-07 10:00"), ("k2", 3.0, "2026-12-08 00:00")]
    with pytest.raises(ValueError, match="--decimal"):
        project.replay_quarantine(decimal=";")
