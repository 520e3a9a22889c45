"""The collector against a real server: SDK-style requests, limits, quarantine, crash safety."""

from __future__ import annotations

import base64
import gzip
import re
import shutil
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

import wegweiser
from tests.serve.conftest import WRITE_KEY, auth_env, start_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.serve.conftest import LiveServer

RATE_KEY = "wk_rate_key"
TS = "2026-05-04T10:11:12.345Z"


def configure(project: Path, **server: Any) -> None:
    """Set ``[server]`` values in the project's wegweiser.toml."""
    path = project / "wegweiser.toml"
    text = path.read_text(encoding="utf-8")
    for key, value in server.items():
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        if not n:
            text, n = re.subn(r"(?m)^\[server\].*$", rf"\g<0>\n{key} = {value}", text)
        assert n == 1, key
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module: 1,000 events/s per key, bursts of 3,000."""
    folder = tmp_path_factory.mktemp("collector")
    project = folder / "project"
    shutil.copytree(demo_template, project)
    configure(
        project,
        rate_limit_events=1000,
        rate_limit_burst=3000,
        max_request_bytes=200_000,
        store_wait_seconds=1,
    )
    env = auth_env()
    env["WEGWEISER_WRITE_KEYS"] = f"{WRITE_KEY},{RATE_KEY}"
    live = start_server(project, folder / "server.log", **env)
    yield live
    live.stop()


def basic(key: str = WRITE_KEY) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def post(server: LiveServer, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    headers = {**basic(), **kwargs.pop("headers", {})}
    return httpx.post(server.url + path, json=body, headers=headers, timeout=30, **kwargs)


def wait_for(check: Callable[[], Any], *, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def stored(project: Path, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Events with these message ids, by id (the store is shared with the running server)."""
    with wegweiser.open_project(project) as p:
        rows = p._engine.execute(
            "SELECT message_id, type, event, name, anonymous_id, user_id, channel, platform, "
            "source, medium, device, properties::VARCHAR AS properties "
            "FROM events WHERE list_contains($ids, message_id)",
            {"ids": ids},
        ).dicts()
    return {r["message_id"]: r for r in rows}


def quarantined(project: Path, marker: str) -> list[dict[str, Any]]:
    with wegweiser.open_project(project) as p:
        frame = p.quarantine(limit=None)
    rows = frame[frame["raw"].str.contains(marker, regex=False)]
    return rows[["source", "line", "reason", "raw"]].to_dict("records")


def ajs(kind: str, marker: str, **fields: Any) -> dict[str, Any]:
    """An analytics.js-style message."""
    message: dict[str, Any] = {
        "type": kind,
        "messageId": f"ajs-{marker}-{kind}",
        "anonymousId": f"anon-{marker}",
        "timestamp": TS,
        "sentAt": TS,
        "context": {
            "library": {"name": "analytics.js", "version": "5.2.0"},
            "page": {"url": "https://shop.example/?utm_source=news&utm_medium=email"},
            "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)",
            "locale": "de-DE",
        },
        "integrations": {},
        **fields,
    }
    return message


# -- the endpoints -------------------------------------------------------------------------
ENDPOINTS = {
    "track": {"event": "Product Viewed", "properties": {"sku": "S1", "price": 9.5}},
    "identify": {"userId": "user-{m}", "traits": {"email": "a@example.com"}},
    "page": {"name": "Home", "properties": {"path": "/"}},
    "screen": {"name": "Cart"},
    "group": {"groupId": "acme", "traits": {"name": "ACME"}},
    "alias": {"previousId": "anon-{m}", "userId": "user-{m}"},
}


def test_every_endpoint_takes_analytics_js_requests(server: LiveServer) -> None:
    marker = uuid.uuid4().hex[:8]
    ids = []
    for kind, extra in ENDPOINTS.items():
        fields = {k: v.format(m=marker) if isinstance(v, str) else v for k, v in extra.items()}
        message = ajs(kind, marker, **fields)
        ids.append(message["messageId"])
        # analytics.js posts text/plain (no CORS preflight for the body)
        response = httpx.post(
            f"{server.url}/v1/{kind}",
            content=wegweiser_json(message),
            headers={**basic(), "Content-Type": "text/plain", "Origin": "https://shop.example"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"success": True, "accepted": 1, "rejected": []}
        assert response.headers["access-control-allow-origin"] == "*"
    sent = time.monotonic()
    found = wait_for(lambda: len(stored(server.project, ids)) == len(ids) and True)
    assert found, f"not all events stored after {time.monotonic() - sent:.1f} s"
    assert time.monotonic() - sent < 15
    events = stored(server.project, ids)
    track = events[f"ajs-{marker}-track"]
    assert (track["type"], track["event"], track["medium"], track["source"]) == (
        "track",
        "Product Viewed",
        "email",
        "news",
    )
    assert track["channel"] == "email"
    assert track["device"] == "mobile"
    assert events[f"ajs-{marker}-page"]["event"] == "page_view"
    # identify and alias linked the anonymous id to the user: one person
    with wegweiser.open_project(server.project) as p:
        assert p.person_of(f"anon-{marker}") == p.person_of(f"user-{marker}") is not None


def wegweiser_json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


def test_rudderstack_batch_gzip_and_write_key_in_body(server: LiveServer) -> None:
    marker = uuid.uuid4().hex[:8]
    batch = [
        {
            "type": "track",
            "event": "Order Completed",
            "messageId": f"rs-{marker}-{i}",
            "anonymousId": f"rs-anon-{marker}",
            "channel": "web",
            "originalTimestamp": TS,
            "sentAt": TS,
            "rudderId": "r-1",
            "properties": {"revenue": 20 + i, "currency": "EUR"},
            "context": {"library": {"name": "RudderLabs JavaScript SDK"}},
        }
        for i in range(3)
    ]
    body = gzip.compress(wegweiser_json({"batch": batch, "sentAt": TS}))
    response = httpx.post(
        f"{server.url}/v1/batch",
        content=body,
        headers={**basic(), "Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 3
    # Segment's batch: writeKey in the body, the envelope context for every message
    envelope = {
        "writeKey": WRITE_KEY,
        "context": {"campaign": {"source": "google", "medium": "cpc"}},
        "batch": [{"type": "page", "messageId": f"env-{marker}", "userId": f"u-{marker}"}],
    }
    response = httpx.post(f"{server.url}/v1/batch", json=envelope, timeout=30)
    assert response.status_code == 200, response.text
    ids = [f"rs-{marker}-{i}" for i in range(3)] + [f"env-{marker}"]
    assert wait_for(lambda: len(stored(server.project, ids)) == 4)
    events = stored(server.project, ids)
    assert {events[i]["platform"] for i in ids[:3]} == {"web"}
    assert events[f"env-{marker}"]["channel"] == "paid_search"  # timestamp: receive time


def test_batch_with_bad_events_answers_per_event_and_quarantines(server: LiveServer) -> None:
    marker = uuid.uuid4().hex[:8]
    good = ajs("track", marker, event="Signed Up")
    batch = [
        good,
        {"type": "track", "messageId": f"no-event-{marker}", "anonymousId": marker},
        {"type": "alias", "messageId": f"alias-{marker}", "userId": f"u-{marker}"},
        7,
        {
            "type": "click",
            "messageId": f"type-{marker}",
            "anonymousId": marker,
            "timestamp": "not yet",
        },
    ]
    response = post(server, "/v1/batch", {"batch": batch})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["accepted"] == 1
    assert body["rejected"] == [
        {
            "index": 1,
            "messageId": f"no-event-{marker}",
            "error": "track event without an event name",
        },
        {
            "index": 2,
            "messageId": f"alias-{marker}",
            "error": "alias needs both previous_id and user_id",
        },
        {"index": 3, "messageId": None, "error": "not a JSON object but int"},
        {
            "index": 4,
            "messageId": f"type-{marker}",
            "error": "unknown type 'click' (expected track, identify, page, screen, group or "
            "alias); unparseable timestamp 'not yet' (use ISO-8601 or epoch "
            "seconds/milliseconds)",
        },
    ]
    rows = wait_for(lambda: len(quarantined(server.project, marker)) >= 3 and True)
    assert rows
    rows = quarantined(server.project, marker)
    assert sorted(r["reason"] for r in rows) == sorted(
        r["error"] for r in body["rejected"] if r["messageId"] is not None
    )
    assert all(r["source"].startswith("spool/") and r["source"].endswith(".jsonl") for r in rows)
    assert WRITE_KEY not in str(rows)  # the spool keeps a fingerprint, not the key
    assert stored(server.project, [good["messageId"]])


def test_single_event_endpoint_answers_400_and_still_quarantines(server: LiveServer) -> None:
    marker = uuid.uuid4().hex[:8]
    response = post(
        server, "/v1/track", {"messageId": f"bad-{marker}", "userId": "undefined", "event": "x"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_event"
    reason = (
        "missing ids: neither anonymous_id nor user_id is set ('undefined' is a blocked "
        "id value, see identity.blocked_ids)"
    )
    assert error["details"] == [{"index": 0, "messageId": f"bad-{marker}", "error": reason}]
    assert reason in error["message"]
    assert wait_for(lambda: [r["reason"] for r in quarantined(server.project, marker)]) == [reason]


@pytest.mark.parametrize(
    ("headers", "body", "message"),
    [
        ({}, {"batch": []}, "HTTP Basic"),
        (basic("wk_wrong"), {"batch": []}, "Unknown write key"),
        ({}, {"writeKey": "wk_wrong", "batch": []}, "Unknown write key"),
        (basic("at_test_token"), {"batch": []}, "Unknown write key"),
    ],
)
def test_write_key_is_required(server: LiveServer, headers, body, message) -> None:
    response = httpx.post(f"{server.url}/v1/batch", json=body, headers=headers, timeout=30)
    assert response.status_code == 401
    assert message in response.json()["error"]["message"]
    assert response.headers["www-authenticate"].startswith("Basic")


def test_bad_bodies_get_400(server: LiveServer) -> None:
    for content, needle in [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"batch": {"type": "track"}}', '"batch": a list'),
        (b"", "not valid JSON"),
    ]:
        response = httpx.post(
            f"{server.url}/v1/batch", content=content, headers=basic(), timeout=30
        )
        assert response.status_code == 400, content
        assert needle in response.json()["error"]["message"]
    response = httpx.post(
        f"{server.url}/v1/track",
        content=b"\x1f\x8b broken",
        headers={**basic(), "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert response.status_code == 400
    response = httpx.post(
        f"{server.url}/v1/track",
        content=b"{}",
        headers={**basic(), "Content-Encoding": "br"},
        timeout=30,
    )
    assert response.status_code == 415


def test_request_size_limit_applies_after_gzip(server: LiveServer) -> None:
    big = {"batch": [ajs("track", "big", event="x", properties={"p": "x" * 250_000})]}
    response = post(server, "/v1/batch", big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    bomb = gzip.compress(wegweiser_json(big))
    assert len(bomb) < 5_000
    response = httpx.post(
        f"{server.url}/v1/batch",
        content=bomb,
        headers={**basic(), "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert response.status_code == 413


def test_rate_limit_per_write_key(server: LiveServer) -> None:
    small = [{"type": "page", "anonymousId": "rate", "timestamp": TS} for _ in range(1000)]
    codes = []
    for _ in range(4):
        response = post(server, "/v1/batch", {"batch": small}, headers=basic(RATE_KEY))
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"
    # another key has its own bucket
    assert post(server, "/v1/batch", {"batch": small[:10]}).status_code == 200


def test_cors_preflight(server: LiveServer) -> None:
    response = httpx.options(
        f"{server.url}/v1/batch",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=30,
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"]


def test_collecting_goes_on_while_the_cli_holds_the_store(server: LiveServer) -> None:
    marker = uuid.uuid4().hex[:8]
    health = f"{server.url}/healthz"
    with wegweiser.open_project(server.project):  # as `wegweiser import` would
        response = post(server, "/v1/track", ajs("track", marker, event="Held"))
        assert response.status_code == 200
        busy = wait_for(
            lambda: (
                "store busy"
                in (httpx.get(health, timeout=30).json()["collector"]["last_error"] or "")
            )
        )
        assert busy
        assert httpx.get(health, timeout=30).json()["collector"]["pending_events"] >= 1
    assert wait_for(lambda: stored(server.project, [f"ajs-{marker}-track"]))
    assert wait_for(lambda: httpx.get(health, timeout=30).json()["collector"]["last_error"] is None)


def test_health_and_openapi(server: LiveServer) -> None:
    post(server, "/v1/page", ajs("page", "health"))
    collector = httpx.get(f"{server.url}/healthz", timeout=30).json()["collector"]
    assert collector["running"] is True
    assert {"pending_events", "pending_segments", "last_flush", "last_error"} <= set(collector)
    spec = httpx.get(f"{server.url}/api/openapi.json", timeout=30).json()
    for kind in ("track", "identify", "page", "screen", "group", "alias", "batch"):
        operation = spec["paths"][f"/v1/{kind}"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema["type"] == "object"
        assert {"401", "413", "429"} <= set(operation["responses"])
        assert operation["security"] == [{"writeKey": []}]
    summaries = [spec["paths"][f"/v1/{k}"]["post"]["summary"] for k in ("identify", "page")]
    assert summaries == ["Collect an identify event", "Collect a page event"]
    assert spec["components"]["securitySchemes"]["writeKey"]["scheme"] == "basic"


# -- issue 13: what the SDKs send ---------------------------------------------------------
def count_of(project: Path, anonymous_id: str) -> int:
    with wegweiser.open_project(project) as p:
        return int(
            p._engine.scalar(
                "SELECT count(*) FROM events WHERE anonymous_id = $a", {"a": anonymous_id}
            )
        )


def test_short_paths_of_analytics_next_and_beacon_bodies(server: LiveServer) -> None:
    """@segment/analytics-next posts to /v1/t, /p, /i, /g, /a (and /s, /b) with text/plain;
    sendBeacon cannot set headers, so the write key travels in the body."""
    marker = uuid.uuid4().hex[:8]
    ids = []
    for kind, extra in ENDPOINTS.items():
        fields = {k: v.format(m=marker) if isinstance(v, str) else v for k, v in extra.items()}
        message = ajs(kind, marker, **fields)
        ids.append(message["messageId"])
        response = httpx.post(
            f"{server.url}/v1/{kind[0]}",
            content=wegweiser_json(message),
            headers={**basic(), "Content-Type": "text/plain", "Origin": "https://shop.example"},
            timeout=30,
        )
        assert response.status_code == 200, (kind, response.text)
        assert response.headers["access-control-allow-origin"] == "*"
    beacon = {
        "writeKey": WRITE_KEY,
        "batch": [ajs("track", marker, event="Left", messageId=f"b-{marker}")],
    }
    response = httpx.post(
        f"{server.url}/v1/b",
        content=wegweiser_json(beacon),
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://shop.example"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    ids.append(f"b-{marker}")
    assert wait_for(lambda: len(stored(server.project, ids)) == len(ids))


def test_preflight_for_a_short_path_allows_what_analytics_next_sends(server: LiveServer) -> None:
    response = httpx.options(
        f"{server.url}/v1/t",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-retry-count",
        },
        timeout=30,
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-retry-count" in response.headers["access-control-allow-headers"]


def test_cors_origins_are_configurable(demo_project: Path, live_server) -> None:
    configure(demo_project, cors_origins='["https://shop.example"]')
    live = live_server(demo_project, **auth_env())
    ask = {"Access-Control-Request-Method": "POST"}
    good = httpx.options(
        f"{live.url}/v1/t", headers={**ask, "Origin": "https://shop.example"}, timeout=30
    )
    assert good.status_code == 204
    assert good.headers["access-control-allow-origin"] == "https://shop.example"
    assert good.headers["vary"] == "Origin"
    bad = httpx.options(
        f"{live.url}/v1/t", headers={**ask, "Origin": "https://evil.example"}, timeout=30
    )
    assert bad.status_code == 403
    assert "server.cors_origins" in bad.json()["message"]
    assert "access-control-allow-origin" not in bad.headers
    # a beacon from another site is refused, not stored behind the browser's back
    marker = uuid.uuid4().hex[:8]
    beacon = {"writeKey": WRITE_KEY, **ajs("track", marker, event="x")}
    response = httpx.post(
        f"{live.url}/v1/t",
        content=wegweiser_json(beacon),
        headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
        timeout=30,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "origin_not_allowed"
    # server-side SDKs send no Origin
    assert post(live, "/v1/track", ajs("track", marker, event="x")).status_code == 200


def test_errors_carry_code_and_message_where_the_sdks_read_them(server: LiveServer) -> None:
    response = httpx.post(f"{server.url}/v1/batch", json={"batch": []}, headers=basic("wk_x"))
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False
    assert body["code"] == body["error"]["code"] == "unauthorized"
    assert body["message"] == body["error"]["message"]
    assert response.headers["access-control-allow-origin"] == "*"


def test_id_less_events_are_stored_once_each(server: LiveServer) -> None:
    """Issue 13, 2: 4 events answered "accepted" are 4 stored; a retry of an event without
    messageId and timestamp does not store it twice."""
    marker = f"idless-{uuid.uuid4().hex[:8]}"
    event = {"type": "track", "event": "Tapped", "anonymousId": marker}
    first = post(server, "/v1/batch", {"batch": [event] * 4, "sentAt": "2026-05-04T10:00:00Z"})
    assert first.json()["accepted"] == 4
    # the client retries (a lost answer); SDKs renew sentAt on every attempt
    again = post(server, "/v1/batch", {"batch": [event] * 4, "sentAt": "2026-05-04T10:00:09Z"})
    assert again.json()["accepted"] == 4
    single = {**event, "anonymousId": marker + "-single"}
    for _ in range(3):
        assert post(server, "/v1/track", single).status_code == 200
    # two copies with the client's own timestamp are two events too
    timed = {**event, "anonymousId": marker + "-timed", "timestamp": TS}
    post(server, "/v1/batch", {"batch": [timed, timed]})
    post(server, "/v1/batch", {"batch": [timed, timed]})
    assert wait_for(lambda: count_of(server.project, marker + "-timed") == 2)
    assert wait_for(lambda: count_of(server.project, marker) == 4)
    assert count_of(server.project, marker + "-single") == 1
    time.sleep(1.5)  # a late flush would show a double here
    assert count_of(server.project, marker) == 4
    assert count_of(server.project, marker + "-timed") == 2


def test_a_bad_event_retried_is_quarantined_once(server: LiveServer) -> None:
    marker = f"badretry-{uuid.uuid4().hex[:8]}"
    bad = {"type": "track", "messageId": marker, "anonymousId": "a", "timestamp": "soon"}
    for _ in range(3):
        assert post(server, "/v1/track", {**bad, "event": "x"}).status_code == 400
    idless = {"type": "track", "anonymousId": marker}  # no event name, no id
    for _ in range(2):
        assert post(server, "/v1/batch", {"batch": [idless]}).json()["rejected"]
    assert wait_for(lambda: len(quarantined(server.project, marker)) >= 2)
    time.sleep(1.5)
    assert len(quarantined(server.project, marker)) == 2


def test_campaign_from_the_page_url_and_context(server: LiveServer) -> None:
    marker = uuid.uuid4().hex[:8]
    url = "https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=spring%20sale"
    from_url = ajs("page", marker, context={"page": {"url": url}})
    from_context = ajs(
        "track",
        marker,
        event="x",
        context={"campaign": {"name": "Black Friday", "source": "google", "medium": "cpc"}},
    )
    assert post(server, "/v1/batch", {"batch": [from_url, from_context]}).status_code == 200
    ids = [from_url["messageId"], from_context["messageId"]]
    assert wait_for(lambda: len(stored(server.project, ids)) == 2)
    with wegweiser.open_project(server.project) as p:
        found = dict(
            p._engine.execute(
                "SELECT message_id, campaign FROM events WHERE list_contains($ids, message_id)",
                {"ids": ids},
            ).rows
        )
    assert found == {ids[0]: "spring sale", ids[1]: "Black Friday"}


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/v1/track", {"userId": {}, "event": "x"}, "userId must be a string or a number"),
        ("/v1/identify", {"userId": "u", "traits": []}, "traits must be a JSON object"),
        ("/v1/batch", {"batch": [{"anonymousId": "a", "event": True}]}, "Message 0: event"),
        ("/v1/batch", {"batch": [], "context": "web"}, "context must be a JSON object"),
    ],
)
def test_wrong_types_are_refused_not_stored(server: LiveServer, path, body, needle) -> None:
    response = post(server, path, body)
    assert response.status_code == 400, response.text
    assert needle in response.json()["error"]["message"]


def test_a_retry_after_a_server_kill_is_still_known(demo_project: Path, live_server) -> None:
    """An id-less, timestamp-less request answered, the server killed, the client retries
    against the new server: stored once (the first receive time is kept on disk)."""
    live = live_server(demo_project, **auth_env())
    marker = f"killretry-{uuid.uuid4().hex[:8]}"
    body = {"batch": [{"type": "track", "event": "Tapped", "anonymousId": marker}] * 2}
    assert post(live, "/v1/batch", body).json()["accepted"] == 2
    live.kill()
    again = live_server(demo_project, **auth_env())
    assert post(again, "/v1/batch", {**body, "sentAt": TS}).json()["accepted"] == 2
    assert wait_for(lambda: count_of(demo_project, marker) >= 2)
    time.sleep(1.5)  # a late flush would show a double here
    assert count_of(demo_project, marker) == 2


# -- crash safety --------------------------------------------------------------------------
def test_sigkill_after_200_loses_nothing(demo_project: Path, live_server) -> None:
    configure(demo_project, flush_seconds=3600)  # nothing reaches the store before the kill
    live = live_server(demo_project, **auth_env())
    marker = uuid.uuid4().hex[:8]
    accepted = 0
    with httpx.Client(headers=basic(), timeout=30) as client:
        for b in range(20):
            batch = [
                ajs("track", marker, event="Viewed", messageId=f"{marker}-{b}-{i}")
                for i in range(100)
            ]
            batch[0] = {"type": "track", "messageId": f"{marker}-{b}-bad", "anonymousId": marker}
            response = client.post(f"{live.url}/v1/batch", json={"batch": batch})
            assert response.status_code == 200
            accepted += response.json()["accepted"]
    live.kill()
    assert accepted == 20 * 99
    assert list((demo_project / "spool").glob("*.open"))
    configure(demo_project, flush_seconds=0.5)
    again = live_server(demo_project, **auth_env())
    health = wait_for(
        lambda: (
            (c := httpx.get(f"{again.url}/healthz", timeout=30).json()["collector"])
            and c["pending_events"] == 0
            and c["flushes"] > 0
            and c
        )
    )
    assert health
    assert health["last_error"] is None
    with wegweiser.open_project(demo_project) as p:
        n, distinct = p._engine.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM events "
            "WHERE starts_with(message_id, $m)",
            {"m": marker},
        ).rows[0]
        q, q_distinct = p._engine.execute(
            "SELECT count(*), count(DISTINCT (source, line)) FROM quarantine "
            "WHERE contains(raw, $m)",
            {"m": marker},
        ).rows[0]
    assert n == distinct == accepted
    assert q == q_distinct == 20
    # stop imports again (nothing left) and a restart finds an empty spool
    again.stop()
    left = [p.name for p in (demo_project / "spool").iterdir() if p.suffix in (".open", ".jsonl")]
    assert left == []
