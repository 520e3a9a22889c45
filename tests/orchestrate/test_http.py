"""The webhooks' HTTP connection (orchestrate/channels/_http.py) against real servers on
loopback: the sink of the journey tests, and a raw socket server that answers with scripted
bytes (what odd servers send)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.orchestrate.sinks import HookSink
from wegweiser.orchestrate.channels import Delivered, Message
from wegweiser.orchestrate.channels._http import AnswerError, Connection, request_head
from wegweiser.orchestrate.channels.webhook import WebhookChannel
from wegweiser.orchestrate.errors import Terminal, Transient
from wegweiser.orchestrate.settings import EndpointSettings

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class Scripted:
    """A TCP server that reads one request per answer and sends the scripted bytes; ``None``
    closes the connection instead of answering, ``b""`` closes it while idle (after the
    answer before it)."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = answers
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.answers:
            conn, _ = self.sock.accept()
            self.connections += 1
            with conn:
                while self.answers:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if not data:
                        break
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    while len(body) < length:
                        body += conn.recv(65536)
                    self.requests.append(data)
                    answer = self.answers.pop(0)
                    if answer is None:
                        break  # close without an answer
                    conn.sendall(answer)
                    if b"close" in answer.lower() or b"HTTP/1.0" in answer:
                        break
                    if self.answers and self.answers[0] == b"":
                        self.answers.pop(0)
                        break

    def close(self) -> None:
        self.sock.close()


def _post(conn: Connection, body: bytes = b'{"a":1}', headers: dict[str, str] | None = None):
    conn.write(request_head("POST", "/h", conn.host_header, headers or {}, len(body)) + body)
    return conn.read_answer()


def test_one_kept_connection_carries_many_requests():
    with HookSink(secret=None) as sink:
        port = int(sink.url.rsplit(":", 1)[1].split("/")[0])
        conn = Connection("127.0.0.1", port, https=False, timeout=5)
        opened = []
        open_ = conn._open
        conn._open = lambda: opened.append(1) or open_()  # type: ignore[method-assign]
        answers = [_post(conn, headers={"Idempotency-Key": f"k{i}"}) for i in range(50)]
        conn.close()
    assert [a.status for a in answers] == [200] * 50
    assert {a.body for a in answers} == {b'{"ok":true}'}
    assert not any(a.close for a in answers)
    assert len(opened) == 1
    assert sorted(sink.keys()) == sorted(f"k{i}" for i in range(50))


@pytest.mark.parametrize(("answer", "status", "body", "close"), [
    (b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 201, b"ok", False),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 200, b"", True),
    (b"HTTP/1.0 503 Busy\r\nContent-Length: 4\r\n\r\nbusy", 503, b"busy", True),
    # no length: the body ends with the connection
    (b"HTTP/1.1 400 Bad\r\nConnection: close\r\n\r\nno such thing", 400, b"no such thing",
     True),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
     200, b"abcde", False),
    # an interim answer first
    (b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 204,
     b"", False),
])
def test_answers_of_every_shape(answer, status, body, close):
    server = Scripted([answer])
    conn = Connection("127.0.0.1", server.port, https=False, timeout=5)
    got = _post(conn)
    conn.close()
    server.close()
    assert (got.status, got.body, got.close) == (status, body, close)
    assert server.requests[0].startswith(b"POST /h HTTP/1.1\r\nHost: 127.0.0.1:")
    assert server.requests[0].endswith(b'Content-Length: 7\r\n\r\n{"a":1}')


def test_no_answer_and_garbage_are_errors_after_the_request_went_out():
    server = Scripted([None, b"SMTP ready\r\n\r\n"])
    conn = Connection("127.0.0.1", server.port, https=False, timeout=5)
    with pytest.raises(AnswerError, match="closed the connection without an answer"):
        _post(conn)
    conn.close()
    with pytest.raises(AnswerError, match="not an HTTP answer"):
        _post(conn)
    conn.close()
    server.close()
    assert len(server.requests) == 2


def test_the_answer_keeps_only_its_first_bytes():
    server = Scripted([b"HTTP/1.1 500 E\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000, OK])
    conn = Connection("127.0.0.1", server.port, https=False, timeout=5)
    first = _post(conn)
    second = _post(conn)  # the long body was read whole: the connection goes on
    conn.close()
    server.close()
    assert (first.status, len(first.body), second.status) == (500, 2048, 200)
    assert server.connections == 1


def test_a_header_that_would_break_the_request_is_refused():
    with pytest.raises(ValueError, match="control character"):
        request_head("POST", "/", "h", {"Idempotency-Key": "a\r\nX-Evil: 1"}, 0)
    with pytest.raises(ValueError, match="not an HTTP token"):
        request_head("POST", "/", "h", {"Bad Name": "v"}, 0)
    assert Connection("::1", 8080, https=False, timeout=1).host_header == "[::1]:8080"
    assert Connection("example.org", None, https=True, timeout=1).host_header == "example.org"


def test_the_webhook_channel_over_it(hook):
    channel = WebhookChannel(EndpointSettings(url=hook.url), secret="hook-secret")
    message = Message(person_id="p1", journey="j", step="s", payload={"name": "Jürgen"})
    assert isinstance(channel.send(message, "j:p1:1|s|webhook"), Delivered)
    bad = channel.send(message, "key\nwith a line break")
    assert isinstance(bad, Terminal)
    assert "control character" in bad.reason
    channel.close()
    ((key, data, signed),) = hook.arrivals
    assert (key, data, signed) == ("j:p1:1|s|webhook", {"name": "Jürgen"}, True)


def test_a_kept_connection_the_server_closed_is_replaced_before_sending():
    server = Scripted([OK, b"", OK])
    # a receiver without idempotency keys: a request lost on a dead connection would be
    # "maybe delivered" (unknown in the ledger), not tried again
    endpoint = EndpointSettings(url=f"http://127.0.0.1:{server.port}/h",
                                honours_idempotency_key=False)
    channel = WebhookChannel(endpoint, secret=None, backoff_seconds=0.01)
    message = Message(person_id="p1", journey="j", step="s", payload={})
    assert isinstance(channel.send(message, "k1"), Delivered)
    time.sleep(0.2)  # the server closes the idle connection meanwhile
    assert isinstance(channel.send(message, "k2"), Delivered)
    channel.close()
    server.close()
    # seen closed before the request went out: no request was lost on the dead connection
    assert (server.connections, len(server.requests)) == (2, 2)


@pytest.mark.parametrize(("url", "message"), [
    ("http:///hook", "has no host"),
    ("http://example.org/a hook", "space or a control character"),
    ("ftp://example.org/", "starts with http"),
])
def test_a_webhook_url_that_cannot_go_on_the_wire_is_refused_with_the_settings(url, message):
    with pytest.raises(ValueError, match=message):
        EndpointSettings(url=url)


def _self_signed(folder):
    """A certificate for 127.0.0.1 that is its own CA, and its key (PEM files)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wegweiser test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
            ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_https_verifies_the_certificate_and_then_sends(tmp_path, monkeypatch):
    import ssl

    cert_file, key_file = _self_signed(tmp_path)
    with HookSink() as sink:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        sink.server.socket = context.wrap_socket(sink.server.socket, server_side=True)
        url = sink.url.replace("http://", "https://")
        message = Message(person_id="p1", journey="j", step="s", payload={"a": 1})
        # a certificate nobody vouches for: refused before anything is sent
        untrusted = WebhookChannel(EndpointSettings(url=url, timeout_seconds=2),
                                   secret="hook-secret", tries=1)
        refused = untrusted.send(message, "k0")
        untrusted.close()
        assert isinstance(refused, Transient)
        assert not refused.maybe_delivered
        assert "CERTIFICATE_VERIFY_FAILED" in refused.reason
        # trusted (as a system's CA list would): delivered over TLS, signed
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        trusted = WebhookChannel(EndpointSettings(url=url, timeout_seconds=2),
                                 secret="hook-secret")
        outcomes = [trusted.send(message, f"k{i}") for i in (1, 2)]
        trusted.close()
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert sink.arrivals == [("k1", {"a": 1}, True), ("k2", {"a": 1}, True)]
