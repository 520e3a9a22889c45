"""The send-time model fitted on a real project: counts from the engine, local clocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.orchestrate.helpers import person
from wegweiser.orchestrate.sendtime import best_send_time
from wegweiser.orchestrate.sendtime_fit import fit_send_time
from wegweiser.orchestrate.settings import Delivery

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_persons_opens_in_their_own_zone_give_their_best_time(project, tmp_path):
    """Tokyo opens at 21:xx local (12:xx UTC), Berlin (default zone) at 07:xx local."""
    rows = [{"type": "identify", "messageId": "i1", "userId": "tokyo",
             "timestamp": "2026-01-01T00:00:00Z", "traits": {"timezone": "Asia/Tokyo"}}]
    for day in range(6):
        for uid, utc_hour in (("tokyo", 12), ("berlin", 6)):
            at = MONDAY + timedelta(days=day, hours=utc_hour, minutes=10)
            rows.append({"type": "track", "messageId": f"{uid}{day}", "userId": uid,
                         "event": "message_opened", "channel": "email",
                         "timestamp": at.isoformat()})
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    project.import_events(path)
    model = fit_send_time(project, now=MONDAY)
    for uid, zone, hour in (("tokyo", "Asia/Tokyo", 21), ("berlin", "Europe/Berlin", 7)):
        pid = str(project.person_of(uid))
        assert model.known(pid, "email")
        assert int(model.profile(pid, "email").argmax()) % 24 == hour  # local hour of week
        at = best_send_time(person(pid, timezone=zone), "email", MONDAY, model=model,
                            delivery=Delivery())
        assert at.astimezone(ZoneInfo(zone)).hour == hour
        assert MONDAY <= at < MONDAY + timedelta(hours=24)


def test_the_best_time_command(project, tmp_path, monkeypatch, capsys):
    from tests.orchestrate.test_commands import wegweiser_cli

    rows = [{"type": "track", "messageId": f"m{d}", "userId": "u1", "event": "message_opened",
             "channel": "email",
             "timestamp": (MONDAY + timedelta(days=d, hours=18, minutes=5)).isoformat()}
            for d in range(5)]
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    project.import_events(path)
    p = ("--project", str(project.path))
    code, out, err = wegweiser_cli(monkeypatch, capsys, "journeys", "best-time", "u1",
                                   "--now", "2026-01-12T08:00:00+00:00", "-f", "json", *p)
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["history"] is True
    assert row["best_time_local"] == "2026-01-12T19:00:00+01:00"  # 18:05 UTC = 19:05 Berlin
    code, _, err = wegweiser_cli(monkeypatch, capsys, "journeys", "best-time", "nobody", *p)
    assert code == 2
    assert "no person has the id 'nobody'" in err
    code, _, err = wegweiser_cli(monkeypatch, capsys, "journeys", "best-time", "u1",
                                 "--now", "2026-01-12T08:00", *p)
    assert code == 2
    assert "needs a time zone" in err
