"""A small HTTP/1.1 client for the webhook and provider channels: one kept-alive connection,
a request written in one piece (or all of it but its last byte), and the answer's status,
headers and body.

Not ``http.client``: it spent ~45% of the worker's processor time per webhook, most of it
parsing the answer's headers with ``email.feedparser``, and it writes headers and body in
two system calls. What a webhook needs is small: ``POST`` with a ``Content-Length`` body;
answers with ``Content-Length``, ``Transfer-Encoding: chunked`` or until the connection
closes, after any ``1xx``. A header value with a line break is refused (no injection).
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import BinaryIO

MAX_LINE = 65_536
MAX_HEADERS = 100


class HttpError(Exception):
    """The answer was cut short or was not HTTP."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes
    close: bool
    """The server closes the connection after this answer."""


def request_head(
    method: str, host: str, path: str, headers: Mapping[str, str], length: int
) -> bytes:
    """The request line and headers, ending with the blank line.

    >>> request_head("POST", "h:8080", "/x", {"A": "1"}, 2)
    b'POST /x HTTP/1.1\\r\\nHost: h:8080\\r\\nA: 1\\r\\nContent-Length: 2\\r\\n\\r\\n'
    """
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in headers.items():
        if any(c in name or c in value for c in "\r\n"):
            raise ValueError(f"the header {name!r} would span lines")
        lines.append(f"{name}: {value}")
    lines += [f"Content-Length: {length}", "", ""]
    return "\r\n".join(lines).encode("latin-1")


class Connection:
    """One connection to ``host:port`` (TLS with ``https``), opened on first use."""

    def __init__(self, host: str, port: int | None, *, https: bool, timeout: float) -> None:
        self.host, self.https, self.timeout = host, https, timeout
        self.port = port or (443 if https else 80)
        self.sock: socket.socket | None = None
        self._in: BinaryIO | None = None

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock, self._in = sock, sock.makefile("rb")
        return sock

    def idle_closed(self) -> bool:
        """Whether the server closed the kept connection meanwhile (readable while idle)."""
        return self.sock is not None and bool(select.select([self.sock], [], [], 0)[0])

    def send(self, data: bytes) -> None:
        (self.sock or self._connect()).sendall(data)

    def read_response(self, *, limit: int = 1 << 20) -> Response:
        """The answer to the request sent (its body up to ``limit`` bytes)."""
        if self._in is None:
            raise HttpError("nothing was sent on this connection")
        stream = self._in
        while True:
            line = stream.readline(MAX_LINE)
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
                raise HttpError(f"not an HTTP answer: {line[:80]!r}" if line
                                else "the connection closed before an answer")
            version, status = parts[0], int(parts[1])
            headers = self._headers(stream)
            if not 100 <= status < 200:  # 1xx: an interim answer, the real one follows
                break
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == b"HTTP/1.0" and connection != "keep-alive")
        if status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked(stream, limit)
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise HttpError(f"bad Content-Length {headers['content-length']!r}") from None
            body = stream.read(min(length, limit))
            if len(body) < min(length, limit):
                raise HttpError("the answer was cut short")
            close = close or length > limit
        else:
            body, close = stream.read(limit), True
        return Response(status, headers, body, close)

    @staticmethod
    def _headers(stream: BinaryIO) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = stream.readline(MAX_LINE)
            if not line:
                raise HttpError("the connection closed in the answer's headers")
            if line in (b"\r\n", b"\n"):
                return headers
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        raise HttpError(f"more than {MAX_HEADERS} headers in the answer")

    @staticmethod
    def _chunked(stream: BinaryIO, limit: int) -> bytes:
        body = bytearray()
        while True:
            size_line = stream.readline(MAX_LINE)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise HttpError(f"bad chunk size {size_line[:40]!r}") from None
            if size == 0:
                while stream.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body[:limit])
            chunk = stream.read(size)
            if len(chunk) < size or stream.readline(MAX_LINE) not in (b"\r\n", b"\n"):
                raise HttpError("the answer was cut short")
            if len(body) < limit:
                body += chunk

    def close(self) -> None:
        for part in (self._in, self.sock):
            if part is not None:
                with contextlib.suppress(OSError):
                    part.close()
        self.sock = self._in = None
