"""``wegweiser person`` end to end (subprocesses on a real project): by any id, as JSON with
the send ledger's rows, one view as CSV, the search, and a clear error for an unknown id."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pandas as pd

from wegweiser.orchestrate.assembly import state_target
from wegweiser.orchestrate.state import open_state
from wegweiser.project import Project


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wegweiser.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_person_command(tmp_path):
    folder = tmp_path / "p"
    events = pd.DataFrame([
        {"message_id": "e1", "type": "track", "event": "product_view", "anonymous_id": "dev-1",
         "timestamp": "2026-10-01T10:00:00Z", "channel": "paid_search", "device": "mobile"},
        {"message_id": "e2", "type": "identify", "anonymous_id": "dev-1", "user_id": "u-7",
         "timestamp": "2026-10-01T10:01:00Z", "traits": json.dumps({"email": "u7@shop.de"})},
        {"message_id": "e3", "type": "track", "event": "order_completed", "user_id": "u-7",
         "timestamp": "2026-10-02T09:00:00Z", "channel": "email", "device": "desktop",
         "revenue": 42.5},
        {"message_id": "e4", "type": "track", "event": "product_view", "user_id": "u-8",
         "timestamp": "2026-10-02T09:00:00Z"},
    ])
    with Project.init(folder) as project:
        assert project.import_events(events).quarantined == 0
    with open_state(state_target(folder), project_dir=folder) as store, \
            store.transaction() as tx:
        tx.execute(
            "INSERT INTO wj_ledger (key, run_id, journey, step, channel, person_id, state, "
            "created_at, updated_at) VALUES ('r|thanks|email', 'r', 'after_order', 'thanks', "
            "'email', 'u-7', 'sent', 1790000000, 1790000000)", {})

    from typer.testing import CliRunner

    from wegweiser.cli import app

    def invoke(*args: str) -> str:
        res = CliRunner().invoke(app, ["person", *args, "-p", str(folder)])
        assert res.exit_code == 0, res.output
        return str(res.stdout)

    body = json.loads(invoke("dev-1", "-f", "json"))
    assert body["person_id"] == "u-7"
    tables = body["tables"]
    assert [r["message_id"] for r in tables["timeline"]] == ["e1", "e3"]
    assert tables["summary"][0]["revenue"] == 42.5
    assert {r["id"] for r in tables["ids"]} == {"dev-1", "u-7"}
    assert [(r["journey"], r["state"]) for r in tables["sends"]] == [("after_order", "sent")]
    assert tables["traits"] == [{"key": "email", "value": "u7@shop.de",
                                 "at": "2026-10-01T10:01:00+00:00"}]

    rows = list(csv.DictReader(io.StringIO(invoke("U7@shop.de", "--view", "devices",
                                                  "-f", "csv"))))
    assert sorted((r["device"], r["events"]) for r in rows) == [("desktop", "1"), ("mobile", "1")]
    shown = invoke("u-7")
    assert "Person u-7" in shown
    assert "order_completed" in shown
    found = json.loads(invoke("--search", "dev", "-f", "json"))
    assert found == [{"person_id": "u-7", "matched": "dev-1", "kind": "prefix"}]

    unknown = run("person", "nobody", "-p", str(folder))
    assert unknown.returncode == 1
    assert "no person has the id or email 'nobody'" in unknown.stderr
