"""The collector's ids for messages without ``messageId`` (events/collect/ids.py)."""

from __future__ import annotations

from wegweiser.events.collect.ids import FirstSeen, assign_ids, request_digest

ROW = {"type": "track", "event": "tap", "anonymous_id": "a", "timestamp": "2026-05-04T10:00:00Z"}


def test_copies_in_one_request_get_ids_of_their_own_the_same_on_a_retry() -> None:
    first = assign_ids([dict(ROW, received_at="t1") for _ in range(4)], key_id="wk:1")
    retry = assign_ids([dict(ROW, received_at="t2") for _ in range(4)], key_id="wk:1")
    ids = [r.get("message_id") for r in first]
    assert ids[0] is None  # the store derives it, as for a file
    assert len(set(ids[1:])) == 3
    assert all(i.startswith("c") for i in ids[1:])
    assert [r.get("message_id") for r in retry] == ids
    other_key = assign_ids([dict(ROW) for _ in range(2)], key_id="wk:2")
    assert other_key[1]["message_id"] != ids[1]


def test_given_ids_are_kept_and_do_not_count_as_copies() -> None:
    rows = [dict(ROW, message_id="m1"), dict(ROW, message_id="m1"), dict(ROW)]
    assert [r.get("message_id") for r in assign_ids(rows, key_id="k")] == ["m1", "m1", None]


def test_a_request_is_known_by_its_body_without_sent_at() -> None:
    body = {"batch": [{"event": "x", "sentAt": "1"}], "sentAt": "1", "writeKey": "k"}
    renewed = {"writeKey": "k", "sentAt": "2", "batch": [{"sentAt": "2", "event": "x"}]}
    assert request_digest(body, key_id="wk") == request_digest(renewed, key_id="wk")
    assert request_digest(body, key_id="wk") != request_digest(body, key_id="other")
    changed = {**body, "batch": [{"event": "y"}]}
    assert request_digest(changed, key_id="wk") != request_digest(body, key_id="wk")


def test_first_seen_remembers_within_the_window_only() -> None:
    now = [0.0]
    seen = FirstSeen(60, clock=lambda: now[0])
    assert seen.received("d1", "10:00:00") == ("10:00:00", True)
    now[0] = 59
    assert seen.received("d1", "10:00:59") == ("10:00:00", False)  # a retry
    now[0] = 61
    assert seen.received("d1", "10:01:01") == ("10:01:01", True)  # later: a new request
    small = FirstSeen(3600, limit=2, clock=lambda: 0.0)
    for digest in ("a", "b", "c"):
        small.received(digest, digest)
    assert small.received("a", "again") == ("again", True)  # forgotten: two kept at most
    assert small.received("c", "again") == ("c", False)


def test_first_seen_on_disk_survives_a_restart(tmp_path) -> None:
    path = tmp_path / "first-seen.log"
    now = [1000.0]
    seen = FirstSeen(60, clock=lambda: now[0])
    seen.open(path)
    for digest in ("d1", "d2"):
        received, new = seen.received(digest, f"t-{digest}")
        assert new
        seen.record(digest, received)
    # a crash may leave half a line: it was never acknowledged
    with path.open("a", encoding="ascii") as handle:
        handle.write("d3 10")
    now[0] = 1050
    again = FirstSeen(60, clock=lambda: now[0])
    again.open(path)
    assert again.received("d1", "later") == ("t-d1", False)
    assert again.received("d3", "later") == ("later", True)
    now[0] = 1070  # past the window: forgotten, and dropped from the file on the next start
    assert again.received("d2", "much later") == ("much later", True)
    again.close()
    third = FirstSeen(60, clock=lambda: now[0])
    third.open(path)
    assert "d1" not in path.read_text(encoding="ascii")
    third.close()
