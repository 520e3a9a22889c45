"""Privacy requests against a real ``wegweiser serve`` over the small demo project: export
and erase over the API (dashboard users only; API tokens are refused), the dashboard's
buttons, and the collector dropping events of erased ids afterwards — neither the store
nor the spool holds them."""

from __future__ import annotations

import base64
import io
import json
import re
import time
import zipfile
from typing import TYPE_CHECKING

import httpx
import pytest

import wegweiser
from tests.privacy.seed import scan
from tests.serve.conftest import API_TOKEN, WRITE_KEY, auth_env, logged_in

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.serve.conftest import LiveServer


def _three_users(project: Path) -> tuple[str, str, str]:
    with wegweiser.open_project(project) as p:
        users = p.identities().filter(lambda t: t.id_kind == "user").id.to_pyarrow()
    ids = sorted(str(u) for u in users.to_pylist())
    return ids[0], ids[1], ids[2]


def _collect(server: LiveServer, user_id: str, marker: str, email: str) -> httpx.Response:
    key = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    return httpx.post(server.url + "/v1/batch", timeout=30, headers={
        "Authorization": f"Basic {key}"}, json={"batch": [
            {"type": "track", "event": "page_view", "userId": user_id,
             "messageId": f"{marker}-{user_id}", "timestamp": "2026-11-01T10:00:00Z"},
            {"type": "identify", "anonymousId": f"fresh-{marker}",
             "traits": {"email": email}, "messageId": f"{marker}-mail",
             "timestamp": "2026-11-01T10:00:00Z"},
        ]})


def _stored(project: Path, prefix: str) -> int:
    with wegweiser.open_project(project, wait_seconds=30) as p:
        events = p.events()
        return int(events.filter(events.message_id.startswith(prefix)).count().to_pyarrow()
                   .as_py())


@pytest.mark.slow
def test_erase_over_the_api_and_suppression_at_the_collector(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    gone, kept, other = _three_users(demo_project)
    server = live_server(demo_project, **auth_env())
    token = {"Authorization": f"Bearer {API_TOKEN}"}
    refused = httpx.post(f"{server.url}/api/v1/privacy/erase", json={"id": gone},
                         headers=token, timeout=30)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "read_only_token"
    with logged_in(server.url) as client:
        exported = client.post("/api/v1/privacy/export", json={"id": gone})
        assert exported.status_code == 200, exported.text
        doc = exported.json()
        assert doc["counts"]["events"] > 0
        assert gone in doc["ids"]
        zipped = client.post("/api/v1/privacy/export", json={"id": gone, "format": "csv"})
        assert "events.csv" in zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
        done = client.post("/api/v1/privacy/erase", json={"id": gone})
        assert done.status_code == 200, done.text
        assert done.json()["requests"][0]["counts"]["events"] == doc["counts"]["events"]
        # collected afterwards: the erased id (and her address) are dropped, others kept
        email = (doc["emails"] or [f"{gone}@example.org"])[0].upper()  # any case
        if not doc["emails"]:  # no address in the demo: suppress one by hand
            assert client.post("/api/v1/privacy/suppressions",
                               json={"ids": [email]}).status_code == 200
        assert _collect(server, gone, "after", email).json()["accepted"] == 2
        assert _collect(server, kept, "control", "kept@example.org").json()["accepted"] == 2
        deadline = time.monotonic() + 30
        while _stored(demo_project, "control-") < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _stored(demo_project, "control-") == 2
        assert _stored(demo_project, "after-") == 0
        records = client.get("/api/v1/privacy/records").json()["records"]
        assert [r["actor"] for r in records][-1] == "server:ana"
        assert len(client.get("/api/v1/privacy/suppressions").json()["suppressed"]) >= 2
        missing = client.post("/api/v1/privacy/export", json={"id": gone})
        assert missing.status_code in (400, 404)
    # demo ids have a fixed width: no other id contains this one
    assert scan(demo_project, (gone, email.lower())) == []
    assert scan(demo_project, (kept,))
    with wegweiser.open_project(demo_project, wait_seconds=30) as p:
        assert p.person_of(kept) is not None
        assert p.person_of(gone) is None
        person_id = p.person_of(other)
    _the_person_page_exports_and_erases(server, str(person_id))


def _the_person_page_exports_and_erases(server: LiveServer, person_id: str) -> None:
    """The dashboard's buttons (one server for both tests: it takes seconds to start)."""
    with logged_in(server.url) as client:
        page = client.get(f"/persons/{person_id}")
        assert page.status_code == 200
        assert 'data-testid="person-privacy"' in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        got = client.post("/persons/export", data={"csrf": csrf, "person": person_id,
                                                   "format": "json"})
        assert got.status_code == 200
        assert json.loads(got.content)["counts"]["events"] > 0
        wrong = client.post("/persons/erase", data={"csrf": csrf, "person": person_id,
                                                    "confirm": "someone"})
        assert wrong.status_code == 303
        assert client.get(f"/persons/{person_id}").status_code == 200  # still there
        erased = client.post("/persons/erase", data={"csrf": csrf, "person": person_id,
                                                     "confirm": person_id})
        assert erased.status_code == 303
        landing = client.get(erased.headers["location"])
        assert "Erased:" in landing.text or "Gelöscht:" in landing.text
        assert client.get(f"/persons/{person_id}").status_code == 404
        forged = client.post("/persons/erase", data={"csrf": "x", "person": person_id,
                                                     "confirm": person_id})
        assert forged.status_code == 403
