from __future__ import annotations

import json
import re
import sys

import pytest

import wegweiser
from tests.orchestrate.sinks import SmtpSink
from wegweiser import cli

WELCOME = """\
[entry]
kind = "event"
event = "signup"

[[steps]]
id = "hello"
type = "send"
channel = "email"
template = "hello"
variant = "A"

[templates.hello.de]
subject = "Willkommen {{ traits.first_name }}"
text = "Hallo {{ traits.first_name }}"
[templates.hello.en]
subject = "Welcome {{ traits.first_name }}"
text = "Hello {{ traits.first_name }}"
"""


def wegweiser_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["wegweiser", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def shop(tmp_path):
    with SmtpSink() as smtp:
        wegweiser.Project.init(tmp_path / "shop").close()
        folder = tmp_path / "shop" / "journeys"
        folder.mkdir()
        (folder / "welcome.toml").write_text(WELCOME, encoding="utf-8")
        (folder / "_delivery.toml").write_text(f"[email]\nport = {smtp.port}\n",
                                               encoding="utf-8")
        yield tmp_path / "shop", smtp


def test_the_cli_runs_a_journey_from_import_to_message_event(tmp_path, shop, monkeypatch,
                                                             capsys):
    project, smtp = shop
    p = ("--project", str(project))
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "validate", *p)
    assert code == 0
    assert "welcome: entry event, 1 steps" in out
    assert wegweiser_cli(monkeypatch, capsys, "journeys", "run", "--once", *p)[0] == 0
    rows = [
        {"type": "identify", "messageId": "i1", "userId": "u1", "timestamp":
         "2026-06-01T09:00:00Z", "traits": {"email": "u1@example.org", "email_opt_in": True,
                                            "first_name": "Uta"}},
        {"type": "track", "messageId": "t1", "userId": "u1", "event": "signup",
         "timestamp": "2026-06-01T09:01:00Z"},
    ]
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with wegweiser.open_project(project) as proj:
        proj.import_events(path)
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "run", "--once", *p)
    assert code == 0
    assert "entered 1" in out
    assert "events recorded 1" in out
    assert [str(m["Subject"]) for m in smtp.messages] == ["Willkommen Uta"]
    with wegweiser.open_project(project) as proj:
        sent = proj._engine.execute(
            "SELECT user_id, channel, properties FROM events WHERE event = 'message_sent'"
        ).rows
    assert len(sent) == 1
    assert sent[0][:2] == ("u1", "email")
    assert json.loads(sent[0][2])["journey"] == "welcome"
    assert json.loads(sent[0][2])["variant"] == "A"
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "status", "-f", "json", *p)
    (status,) = json.loads(out)
    assert (status["journey"], status["entrants"], status["done"], status["msg_sent"]) == (
        "welcome", 1, 1, 1)
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "status", "--steps",
                                 "welcome", "-f", "json", *p)
    assert json.loads(out) == [{"step": "hello", "channel": "email", "variant": "A",
                                "state": "sent", "messages": 1}]
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "ledger", "-f", "json", *p)
    assert [(r["key"], r["state"]) for r in json.loads(out)] == [
        ("welcome:u1:1|hello|email", "sent")]
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "exit", "welcome",
                                 "--person", "u1", *p)
    assert "0 run(s) of u1 in welcome ended." in out  # it is done already
    assert wegweiser_cli(monkeypatch, capsys, "journeys", "pause", "welcome", *p)[0] == 0
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "list", "-f", "json", *p)
    assert json.loads(out)[0]["paused"] is True
    code, _, err = wegweiser_cli(monkeypatch, capsys, "journeys", "pause", "welcom", *p)
    assert code == 2
    assert "no journey 'welcom'" in err
    _the_api_and_the_dashboard_show_it(project, tmp_path, smtp.messages[0])
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "run", "--once", *p)
    with wegweiser.open_project(project) as proj:  # the worker imported the unsubscribe
        rows = proj._engine.execute(
            "SELECT user_id, properties FROM events WHERE event = 'unsubscribed'").rows
    assert [(r[0], json.loads(r[1])["channel"]) for r in rows] == [("u1", "email")]


def _the_api_and_the_dashboard_show_it(project, tmp_path, mail):
    """The same state through the query API (in process and over HTTP) and the page."""
    import httpx

    from tests.serve.conftest import start_server
    from wegweiser.serve.api import queries

    with wegweiser.open_project(project) as proj:
        status = queries.run(proj, "journeys").tables()["journeys"]
        sent = queries.run(proj, "journey_ledger", {"state": "sent"}).tables()["ledger"]
    assert status[["journey", "paused", "entrants", "msg_sent"]].values.tolist() == [
        ["welcome", True, 1, 1]]
    assert sent["key"].tolist() == ["welcome:u1:1|hello|email"]
    server = start_server(project, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            api = http.get("/api/v1/journeys/ledger", params={"state": "unknown"}).json()
            assert api["tables"]["ledger"] == []
            readout = http.get("/api/v1/journeys/readout", params={"journey": "welcome"})
            assert readout.status_code == 200, readout.text
            rows = readout.json()["tables"]["summary"]
            assert [(r["metric"], r["treated"], r["holdout"]) for r in rows] == [
                ("conversion", 1, 0), ("revenue", 1, 0)]
            assert http.get("/api/v1/journeys/readout",
                            params={"journey": "welcom"}).status_code in (400, 422)
            page = http.get("/journeys", params={"lang": "de"}).text
            link = re.search(r"<(http[^>]+/u/([^>]+))>", mail["List-Unsubscribe"])
            token = link.group(2)
            ask = http.get(f"/u/{token}", params={"lang": "en"})
            assert ask.status_code == 200
            assert "no more messages by email" in ask.text  # GET changes nothing
            assert http.get(f"/u/{token[:-2]}xx").status_code == 404  # forged
            done = http.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
            assert done.status_code == 200
            assert "unsubscribed" in done.text.lower()
    finally:
        server.stop()
    assert "welcome" in page
    assert "pausiert" in page
    assert "Keine: jede Nachricht ist entschieden." in page
    assert 'data-testid="readout"' in page
    assert "Wirkung: was die Journeys bewirken" in page
    from wegweiser.orchestrate.state import open_state

    with open_state(project / "journeys.sqlite") as store, store.transaction() as tx:
        assert tx.one("SELECT person_id, channel FROM wj_unsubscribed") is not None


def test_a_broken_journey_stops_everything_with_a_precise_error(shop, monkeypatch, capsys):
    project, smtp = shop
    path = project / "journeys" / "welcome.toml"
    path.write_text(WELCOME.replace('channel = "email"', 'channel = "e-mail"'),
                    encoding="utf-8")
    p = ("--project", str(project))
    code, _, err = wegweiser_cli(monkeypatch, capsys, "journeys", "validate", *p)
    assert code == 2
    allowed = "must be one of 'email', 'sms', 'push' or 'webpush'"
    assert f"{path}:8: steps.0.channel: {allowed}" in " ".join(err.split())
    code, _, err = wegweiser_cli(monkeypatch, capsys, "journeys", "run", "--once", *p)
    assert code == 2
    assert not (project / "journeys.sqlite").exists()
    assert smtp.messages == []


def test_serve_runs_the_worker_beside_the_server(tmp_path, shop, monkeypatch, capsys):
    """``wegweiser serve --journeys``: an import while the server runs reaches the SMTP sink
    through the worker process, and the worker ends with the server."""
    import time

    from tests.serve.conftest import start_server

    project, smtp = shop
    assert wegweiser_cli(monkeypatch, capsys, "journeys", "run", "--once",
                         "--project", str(project))[0] == 0  # the baseline: nothing old
    server = start_server(project, tmp_path / "server.log", "--journeys")
    try:
        assert "Journeys   worker running" in server.output()
        rows = [
            {"type": "identify", "messageId": "i9", "userId": "u9", "timestamp":
             "2026-06-01T09:00:00Z", "traits": {"email": "u9@example.org",
                                                "email_opt_in": True, "first_name": "Ida"}},
            {"type": "track", "messageId": "t9", "userId": "u9", "event": "signup",
             "timestamp": "2026-06-01T09:01:00Z"},
        ]
        path = tmp_path / "late.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        with wegweiser.open_project(project) as proj:
            proj.import_events(path)
        deadline = time.monotonic() + 90
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [str(m["Subject"]) for m in smtp.messages] == ["Willkommen Ida"]
    finally:
        server.stop()
    assert server.process.returncode is not None
    pid = int(re.search(r"worker running \(process (\d+)\)", server.output()).group(1))
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # a zombie has ended
        return stat.read().split()[2] != "Z"


def test_journeys_readout_reads_a_journey_as_an_experiment(tmp_path, shop, monkeypatch,
                                                         capsys):
    project, _ = shop
    p = ("--project", str(project))
    assert wegweiser_cli(monkeypatch, capsys, "journeys", "run", "--once", *p)[0] == 0
    rows = [{"type": "track", "messageId": f"t{i}", "userId": f"u{i}", "event": "signup",
             "timestamp": "2026-06-01T09:01:00Z"} for i in range(3)]
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with wegweiser.open_project(project) as proj:
        proj.import_events(path)
    assert wegweiser_cli(monkeypatch, capsys, "journeys", "run", "--once", *p)[0] == 0
    code, out, err = wegweiser_cli(monkeypatch, capsys, "journeys", "readout", "welcome",
                                   "-f", "json", *p)
    assert code == 0, err
    # no holdout and no control group: nothing to compare, and it says so
    data = json.loads(out)
    assert "no uplift without both treated persons and a holdout" in data["notes"][0]
    assert {r["metric"] for r in data["summary"]} == {"conversion", "revenue"}
    assert data["summary"][0]["entrants"] == data["summary"][0]["treated"] == 3
    code, out, err = wegweiser_cli(monkeypatch, capsys, "journeys", "readout",
                                   "--control-group", "-f", "json", *p)
    assert code == 0, err
    assert json.loads(out)["summary"][0]["treated"] == 3
    from wegweiser.report.journey_readout import gather_readouts, readout_blocks

    with wegweiser.open_project(project) as proj:
        readouts = gather_readouts(proj)
    assert [r.journey for r in readouts] == ["welcome", "(all)"]
    table = readout_blocks(readouts, "en")[2]
    assert [row[:4] for row in table["rows"]][::2] == [
        ["welcome", "", "Conversion", "3"], ["Global control group", "", "Conversion", "3"]]
    code, _, err = wegweiser_cli(monkeypatch, capsys, "journeys", "readout", "welcome",
                                 "--by", "step", *p)
    assert code == 2
    assert "--by is journey or variant" in err
    code, _, err = wegweiser_cli(monkeypatch, capsys, "journeys", "readout", "welcom", *p)
    assert code == 2
    assert "no journey 'welcom'" in err
    assert "Did you mean 'welcome'?" in err


def _unknown(project, *keys: str) -> None:
    from wegweiser.orchestrate import ledger
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.state import open_state

    with open_state(state_target(project), project_dir=project) as store, \
            store.transaction() as tx:
        for key in keys:
            run, step, channel = key.split("|")
            ledger.start(tx, ledger.Intent(key=key, run_id=run, journey="welcome", step=step,
                                           channel=channel, person_id=run.split(":")[1]),
                         worker="dead", lease_until=5.0, now=1.0)
            ledger.recover(tx, key, idempotent=False, now=6.0)


def test_receipts_and_settling_by_hand_on_the_command_line(tmp_path, shop, monkeypatch,
                                                         capsys):
    from wegweiser import audit
    from wegweiser.orchestrate.channels.email import message_id

    project, _ = shop
    p = ("--project", str(project))
    first, second, third = (f"welcome:p{i}:1|hello|email" for i in (1, 2, 3))
    _unknown(project, first, second, third)
    path = tmp_path / "receipts.jsonl"
    path.write_text("\n".join([
        json.dumps({"message_id": message_id(first), "status": "delivered",
                    "at": "2026-12-07T09:00:00Z"}),
        json.dumps({"key": "welcome:nobody:1|hello|email", "status": "delivered"}),
        "{broken",
    ]) + "\n", encoding="utf-8")
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "receipts", str(path), *p,
                                 "--format", "json")
    assert code == 1  # some were refused: said, and the exit code says so
    answer = json.loads(out)
    assert [(a["key"], a["before"], a["after"]) for a in answer["applied"]] == [
        (first, "unknown", "sent")]
    assert [r["index"] for r in answer["rejected"]] == [1, 2]
    assert "no message in the send ledger has the key" in answer["rejected"][0]["error"]
    assert answer["rejected"][1]["error"].startswith("line 3 is not JSON")
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "receipts", str(path), *p)
    assert code == 1
    assert "1 applied (0 changed the ledger), 2 refused." in out  # a repeat changes nothing
    csv_path = tmp_path / "receipts.csv"
    csv_path.write_text(f"key,status,reason\n{second},bounced,mailbox full\n",
                        encoding="utf-8")
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "receipts", str(csv_path),
                                 *p)
    assert code == 0, out
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "ledger", "settle", third,
                                 first, "--as", "sent", "--reason", "in the MTA log", *p)
    assert code == 1  # the first was settled by its receipt already
    assert f"{third}: unknown -> sent" in out
    assert "only unknown messages are settled by hand" in out
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "ledger", *p,
                                 "--format", "json")
    states = {r["key"]: (r["state"], r["reason"]) for r in json.loads(out)}
    assert states[first] == ("sent", "delivery receipt: delivered")
    assert states[second] == ("failed", "bounced (provider receipt): mailbox full")
    assert states[third][0] == "sent"
    assert "settled by hand as sent by cli:" in states[third][1]
    (entry,) = audit.read(project, action="journey_settle")
    assert (entry.target, entry.detail["decision"], entry.detail["reason"]) == (
        third, "sent", "in the MTA log")
    code, out, _ = wegweiser_cli(monkeypatch, capsys, "journeys", "ledger", "settle", third,
                                 "--as", "maybe", "--reason", "x", *p)
    assert code == 2
