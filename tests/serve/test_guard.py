"""The guard in front of every request (issue 13, items 6 and 7): the Host allow-list against
DNS rebinding, same-origin changes, body size limits and the body deadline -- against a real
``wegweiser serve`` on loopback, with real sockets where the timing matters."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.serve.conftest import (
    API_TOKEN,
    WRITE_KEY,
    auth_env,
    raw_exchange,
    set_server,
)
from wegweiser.serve.guard import host_allowed, host_name, is_trusted

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.serve.conftest import LiveServer

FUNNEL = {"steps": ["product_view", "add_to_cart"]}


def read_rest(sock: socket.socket, seconds: float = 5.0) -> tuple[bytes, bool]:
    """What ``sock`` still receives, and whether the server closed the connection."""
    sock.settimeout(seconds)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        return data, False
    except OSError:  # reset
        return data, True
    return data, True


def _port(server: LiveServer) -> str:
    return server.url.rsplit(":", 1)[1]


def test_dns_rebinding_is_refused_in_open_access(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    """Issue 13 item 6: a page at evil.example whose name resolves to 127.0.0.1 read all
    analytics and dropped quarantined rows (no users = open access)."""
    server = live_server(demo_project)  # open access
    rebound = {"host": f"evil.example:{_port(server)}"}
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert c.get("/api/v1/stats").status_code == 200
        read = c.get("/api/v1/stats", headers=rebound)
        assert read.status_code == 400, read.text
        assert read.json()["error"]["code"] == "host_not_allowed"
        assert "server.allowed_hosts" in read.json()["error"]["message"]
        dropped = c.post(
            "/api/v1/quarantine/drop",
            json={"all": True},
            headers={**rebound, "origin": f"http://evil.example:{_port(server)}"},
        )
        assert dropped.status_code == 400
        assert c.get("/", headers=rebound).status_code == 400
        assert c.get("/healthz", headers={"host": f"localhost:{_port(server)}"}).status_code == 200


def test_allowed_hosts_and_logged_in_mode(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    set_server(demo_project, allowed_hosts=[".shop.example"])
    server = live_server(demo_project, **auth_env())
    bearer = {"authorization": f"Bearer {API_TOKEN}"}
    with httpx.Client(base_url=server.url, timeout=60, headers=bearer) as c:
        assert c.get("/api/v1/stats", headers={"host": "collect.shop.example"}).status_code == 200
        assert c.get("/api/v1/stats", headers={"host": "shop.example"}).status_code == 200
        assert c.get("/api/v1/stats", headers={"host": "shop.example.evil"}).status_code == 400
        assert c.get("/api/v1/stats", headers={"host": "[::1]:9"}).status_code == 200


def test_any_host_with_users_and_no_list(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    """With dashboard users the log-in guards the pages, so any name is served unless
    server.allowed_hosts says otherwise (a server behind a proxy keeps working)."""
    server = live_server(demo_project, **auth_env())
    with httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.get(
            "/api/v1/stats",
            headers={"host": "anything.example", "authorization": f"Bearer {API_TOKEN}"},
        )
        assert r.status_code == 200


def test_cross_site_changes_are_refused_but_not_collector_calls(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(demo_project, WEGWEISER_WRITE_KEYS=WRITE_KEY)  # open access
    evil = {"origin": "https://evil.example"}
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert c.post("/api/v1/funnel", json=FUNNEL).status_code == 200
        same = c.post("/api/v1/funnel", json=FUNNEL, headers={"origin": server.url})
        assert same.status_code == 200
        foreign = c.post("/api/v1/funnel", json=FUNNEL, headers=evil)
        assert foreign.status_code == 403
        assert foreign.json()["error"]["code"] == "cross_site"
        assert (
            c.post(
                "/api/v1/quarantine/drop", json={"all": True}, headers={"origin": "null"}
            ).status_code
            == 403
        )
        assert (
            c.post(
                "/api/v1/funnel", json=FUNNEL, headers={"referer": "https://evil.example/page"}
            ).status_code
            == 403
        )
        event = {"type": "track", "event": "x", "userId": "u", "messageId": "guard-1"}
        collected = c.post("/v1/track", json=event, headers=evil, auth=(WRITE_KEY, ""))
        assert collected.status_code == 200, collected.text


def test_query_api_refuses_large_bodies(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    """Issue 13 item 7: the query API accepted 40 MiB bodies."""
    server = live_server(demo_project)
    big = b'{"steps": ["' + b"a" * (40 * 1024 * 1024) + b'"]}'
    with httpx.Client(base_url=server.url, timeout=60) as c:
        started = time.monotonic()
        said = c.post("/api/v1/funnel", content=big, headers={"content-type": "application/json"})
        assert said.status_code == 413
        assert said.json()["error"]["code"] == "payload_too_large"
        assert "server.max_request_bytes" in said.json()["error"]["message"]
        assert time.monotonic() - started < 10

        def chunks():  # no Content-Length: counted while it arrives
            yield b'{"steps": ["'
            for _ in range(40):
                yield b"a" * (1024 * 1024)
            yield b'"]}'

        streamed = c.post(
            "/api/v1/funnel", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        login = c.post("/login", data={"username": "x" * 1_000_000})
        assert login.status_code == 413


def test_a_body_that_trickles_is_cut_off(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    """Issue 13 item 7: slow clients were never timed out (here: the body)."""
    set_server(demo_project, body_timeout_seconds=1.0)
    server = live_server(demo_project)
    host, port = server.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(
            b"POST /api/v1/funnel HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
        )
        sock.settimeout(0.25)
        answer = b""
        for _ in range(40):  # one byte every 0.25 s: would take 50 s
            try:
                sock.sendall(b" ")
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            answer += chunk
            if not chunk or answer.endswith(b"}"):
                break
        rest, closed = read_rest(sock)
    answer += rest
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"server.body_timeout_seconds" in answer
    assert elapsed < 6, elapsed
    assert closed


def test_a_slow_collector_body_is_cut_off_too(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    set_server(demo_project, body_timeout_seconds=1.0)
    server = live_server(demo_project, WEGWEISER_WRITE_KEYS=WRITE_KEY)
    started = time.monotonic()
    answer = raw_exchange(
        server.url,
        b'POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{"batch": [',
        timeout=20,
    )
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(
    ("netloc", "name"),
    [
        ("Example.com:80", "example.com"),
        ("[::1]", "::1"),
        ("localhost.", "localhost"),
        ("127.0.0.1:8000", "127.0.0.1"),
    ],
)
def test_host_name(netloc: str, name: str) -> None:
    assert host_name(netloc) == name


def test_host_rules() -> None:
    assert host_allowed("::1", [], open_access=True)
    assert not host_allowed("127.0.0.1.evil.example", [], open_access=True)
    assert host_allowed("a.example", ["*"], open_access=True)
    assert not host_allowed("b.example", ["a.example"], open_access=False)
    assert is_trusted("::1", ["::1"])
    assert not is_trusted("not an ip", ["0.0.0.0/0"])
    assert not is_trusted("10.0.0.1", ["bad entry"])
