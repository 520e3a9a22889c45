"""The webhook channels' HTTP/1.1 client against a raw TCP server on loopback that answers
with scripted bytes: the forms of answer servers really send, and broken ones."""

from __future__ import annotations

import socket
import threading

import pytest

from wegweiser.orchestrate.channels._http import Connection, HttpError, request_head


class RawServer:
    """Accepts one connection; for each request read, sends the next scripted answer."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            buffer = b""
            for answer in self.answers:
                while b"\r\n\r\n" not in buffer:
                    buffer += conn.recv(65536)
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + rest[:length])
                buffer = rest[length:]
                conn.sendall(answer)

    def close(self) -> None:
        self.listener.close()


def _ask(answers: list[bytes], n: int | None = None) -> tuple[list, RawServer]:
    server = RawServer(answers)
    conn = Connection("127.0.0.1", server.port, https=False, timeout=5)
    got = []
    try:
        for i in range(n or len(answers)):
            conn.send(request_head("POST", "h", "/hook", {"X-N": str(i)}, 2) + b"{}")
            got.append(conn.read_response())
    finally:
        conn.close()
        server.close()
    return got, server


def test_answers_with_length_chunks_and_interim_on_one_kept_connection():
    got, server = _ask([
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked"
        b"\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy",
    ])
    assert [(r.status, r.body, r.close) for r in got] == [
        (200, b"hello", False), (202, b"abcde", False), (204, b"", False),
        (503, b"busy", True)]
    assert len(server.requests) == 4  # one connection for all four
    assert server.requests[0] == (b"POST /hook HTTP/1.1\r\nHost: h\r\nX-N: 0\r\n"
                                  b"Content-Length: 2\r\n\r\n{}")


def test_an_answer_without_length_ends_with_the_connection():
    got, _ = _ask([b"HTTP/1.0 200 OK\r\n\r\nall of it"])
    assert (got[0].status, got[0].body, got[0].close) == (200, b"all of it", True)


@pytest.mark.parametrize("answer", [
    b"",  # closed before an answer
    b"SMTP ready\r\n",  # not HTTP
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # cut short
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  # bad chunk
    b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
])
def test_broken_answers_are_errors_not_guesses(answer):
    with pytest.raises(HttpError):
        _ask([answer])


def test_a_header_with_a_line_break_is_refused():
    with pytest.raises(ValueError, match="span lines"):
        request_head("POST", "h", "/", {"Idempotency-Key": "k\r\nX-Evil: 1"}, 0)
