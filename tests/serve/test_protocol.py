"""Slow clients at the header stage (issue 13 item 7: "slow clients are never timed out"),
against a real ``wegweiser serve`` with real sockets: a client that connects and says
nothing, one that trickles its headers (slowloris) and one that sends endless headers are
cut off; a normal keep-alive client is not."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import pytest

from tests.serve.conftest import set_server
from tests.serve.test_guard import read_rest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.serve.conftest import LiveServer


@pytest.fixture
def server(demo_project: Path, live_server: Callable[..., LiveServer]) -> LiveServer:
    set_server(demo_project, header_timeout_seconds=1.0)
    return live_server(demo_project)


@pytest.fixture
def sock(server: LiveServer) -> Iterator[socket.socket]:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        yield connection


def test_a_silent_connection_is_closed(sock: socket.socket) -> None:
    started = time.monotonic()
    answer, closed = read_rest(sock, 6)
    assert closed, "the server kept a silent connection open"
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < 5


def test_trickled_headers_are_cut_off(sock: socket.socket) -> None:
    started = time.monotonic()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    sent = 0
    for _ in range(30):  # one header byte every 0.2 s: 6 s in all
        try:
            sock.sendall(b"X")
        except OSError:
            break
        sent += 1
        time.sleep(0.2)
    answer, closed = read_rest(sock, 3)
    assert closed
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"server.header_timeout_seconds" in answer
    assert time.monotonic() - started < 8
    assert sent < 30


def test_endless_headers_are_refused(sock: socket.socket) -> None:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    try:
        for k in range(200):
            sock.sendall(f"X-Filler-{k}: {'a' * 1000}\r\n".encode())
    except OSError:
        pass
    answer, closed = read_rest(sock, 5)
    assert closed
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]


def test_keep_alive_requests_still_work(sock: socket.socket) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for _ in range(3):
        sock.sendall(request)
        sock.settimeout(10)
        data = b""
        while b'"status":"ok"' not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")
        time.sleep(0.6)  # below the header deadline between requests: still fine
