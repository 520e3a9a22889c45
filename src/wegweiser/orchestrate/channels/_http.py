"""A keep-alive HTTP/1.1 connection for the webhook and provider channels: the request goes
out in one write, the answer is parsed by ``httptools`` (llhttp, the C parser uvicorn uses;
it comes with ``uvicorn[standard]``).

``http.client`` parses every answer's head with the ``email`` package: measured, that and
the rest of ``http.client`` were half of a worker's processor time per webhook
(benchmarks/RESULTS.md, "Journeys: webhooks/s — 2026-12-07"). Here the answer is parsed in
C and the request head is written from a dict (names and values checked for line breaks).
"""

from __future__ import annotations

import re
import select
import socket
import ssl
from dataclasses import dataclass

import httptools

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_READ = 65536


class HeaderError(ValueError):
    """A header name or value that would break the request's head."""


class AnswerError(OSError):
    """The server's answer was cut short or is not HTTP (the request may have arrived)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    """The first bytes of the body (at most ``keep`` of :meth:`Connection.read_answer`)."""
    close: bool
    """The server closes the connection after this answer."""


def request_head(method: str, path: str, host: str, headers: dict[str, str], length: int) -> bytes:
    """The head of a request with a body of ``length`` bytes; a header name or value that
    would break the head is a :class:`HeaderError` (a ``ValueError``, as in ``http.client``).

    >>> request_head("POST", "/h", "x:1", {"A": "b"}, 2)
    b'POST /h HTTP/1.1\\r\\nHost: x:1\\r\\nA: b\\r\\nContent-Length: 2\\r\\n\\r\\n'
    >>> try:
    ...     request_head("POST", "/h", "x", {"A": "b\\r\\nEvil: 1"}, 0)
    ... except HeaderError as exc:
    ...     print(exc)
    header 'A': its value contains a control character
    """
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in headers.items():
        if not _TOKEN.match(name):
            raise HeaderError(f"header name {name!r} is not an HTTP token")
        if _BAD_VALUE.search(value):
            raise HeaderError(f"header {name!r}: its value contains a control character")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Reader:
    """The parser's callbacks: status, keep-alive (HTTP/1.0 or ``Connection: close``), body,
    end (1xx interim answers are skipped)."""

    __slots__ = ("body", "close", "done", "head", "keep", "parser", "status")

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.body = bytearray()
        self.close = self.done = self.head = False
        self.status = 0
        self.parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        parser = self.parser
        assert parser is not None
        # asked here: llhttp forgets it once the message is complete
        self.close = not parser.should_keep_alive()
        self.status = parser.get_status_code()
        self.head = self.status >= 200

    def on_body(self, body: bytes) -> None:
        if len(self.body) < self.keep:
            self.body += body[: self.keep - len(self.body)]

    def on_message_complete(self) -> None:
        if self.status >= 200:
            self.done = True
        else:  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            self.body.clear()
            self.close = False


class Connection:
    """One connection to ``host:port`` (TLS when ``https``), opened on first use."""

    def __init__(self, host: str, port: int | None, *, https: bool, timeout: float) -> None:
        self.host, self.https, self.timeout = host, https, timeout
        self.port = port or (443 if https else 80)
        default = (443 if https else 80) == self.port
        name = f"[{host}]" if ":" in host else host
        self.host_header = name if default else f"{name}:{self.port}"
        self.sock: socket.socket | None = None

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock
        return sock

    def stale(self) -> bool:
        """The kept connection is readable while idle: the server closed it."""
        return self.sock is not None and bool(select.select([self.sock], [], [], 0)[0])

    def write(self, data: bytes) -> None:
        """Send ``data`` whole (opens the connection if needed); ``OSError`` on failure."""
        (self.sock or self._open()).sendall(data)

    def read_answer(self, *, keep: int = 2048) -> Answer:
        """Read one whole answer (1xx interim answers skipped); keeps ``keep`` bytes of its
        body. :class:`AnswerError` (an ``OSError``) if the connection ends before the head
        is complete or the bytes are not HTTP; a close-delimited body ends at the close."""
        sock = self.sock
        if sock is None:
            raise AnswerError("no request was sent on this connection")
        reader = _Reader(keep)
        parser = reader.parser
        assert parser is not None
        try:
            while not reader.done:
                data = sock.recv(_READ)
                if not data:
                    if reader.head:  # a body without a length ends with the connection
                        return Answer(reader.status, bytes(reader.body), True)
                    raise AnswerError("the server closed the connection without an answer")
                try:
                    parser.feed_data(data)
                except httptools.HttpParserError as exc:
                    raise AnswerError(f"not an HTTP answer: {exc}") from exc
        finally:
            reader.parser = None  # no reference cycle left for the garbage collector
        return Answer(reader.status, bytes(reader.body), reader.close)

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()
