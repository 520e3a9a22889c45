"""``POST /v1/receipts`` through a real server: the write key, the shapes of a body, every
receipt answered, a repeat changes nothing, nothing is sent."""

from __future__ import annotations

import httpx
import pytest

import wegweiser
from tests.serve.conftest import WRITE_KEY, auth_env, start_server
from wegweiser.orchestrate import ledger
from wegweiser.orchestrate.assembly import state_target
from wegweiser.orchestrate.channels.email import message_id
from wegweiser.orchestrate.state import open_state

MAIL, SMS = "j:p1:1|mail|email", "j:p2:1|text|sms"


@pytest.fixture
def server(tmp_path):
    project = tmp_path / "shop"
    wegweiser.Project.init(project).close()
    with open_state(state_target(project), project_dir=project) as store, \
            store.transaction() as tx:
        for key, channel in ((MAIL, "email"), (SMS, "sms")):
            run = key.split("|")[0]
            ledger.start(tx, ledger.Intent(key=key, run_id=run, journey="j",
                                           step=key.split("|")[1], channel=channel,
                                           person_id=run.split(":")[1]),
                         worker="dead", lease_until=5.0, now=1.0)
            ledger.recover(tx, key, idempotent=False, now=6.0)
    live = start_server(project, tmp_path / "server.log", **auth_env())
    yield live
    live.stop()


def _states(project) -> dict[str, str]:
    with open_state(state_target(project), project_dir=project) as store, \
            store.transaction() as tx:
        return dict(tx.execute("SELECT key, state FROM wj_ledger"))


def test_receipts_route_settles_the_ledger_and_answers_every_receipt(server):
    url = server.url + "/v1/receipts"
    one = {"message_id": message_id(MAIL), "status": "delivered"}
    assert httpx.post(url, json=one, timeout=60).status_code == 401  # no write key
    wrong = httpx.post(url, json=one, auth=("wk_wrong", ""), timeout=60)
    assert wrong.status_code == 401
    assert "Unknown write key" in wrong.json()["error"]["message"]
    assert _states(server.project) == {MAIL: "unknown", SMS: "unknown"}
    with httpx.Client(auth=(WRITE_KEY, ""), timeout=60) as http:
        bad = http.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400
        assert "not valid JSON" in bad.json()["error"]["message"]
        assert http.post(url, json={"receipts": "x"}).status_code == 400
        assert http.post(url, json=[1, 2] * 6_000).status_code == 400  # too many at once
        single = http.post(url, json=one).json()  # one receipt, as an object
        assert [(a["key"], a["before"], a["after"]) for a in single["applied"]] == [
            (MAIL, "unknown", "sent")]
        batch = http.post(url, json={"receipts": [
            {"key": SMS, "status": "failed", "reason": "unreachable", "at": 1_800_000_000},
            {"key": "j:p9:1|text|sms", "status": "delivered"},
            one,
        ]}).json()
        # written into the body instead of the header: the collector's other way
        keyed = httpx.post(url, json={"writeKey": WRITE_KEY, **one}, timeout=60)
    assert keyed.status_code == 200
    assert keyed.json()["applied"][0]["repeat"] is True
    assert batch["n_applied"] == 2
    assert batch["n_changed"] == 1
    assert [(a["index"], a["after"], a["repeat"]) for a in batch["applied"]] == [
        (0, "failed", False), (2, "sent", True)]
    assert batch["rejected"] == [{"index": 1, "error": "no message in the send ledger has "
                                  "the key 'j:p9:1|text|sms'; nothing was changed"}]
    assert _states(server.project) == {MAIL: "sent", SMS: "failed"}
    spec = httpx.get(server.url + "/api/openapi.json", timeout=60).json()
    assert "/v1/receipts" in spec["paths"]
