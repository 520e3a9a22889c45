"""Real receivers on loopback for the journey tests: an SMTP server (aiosmtpd) and an HTTP
webhook sink (``http.server``), both counting what arrived."""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from wegweiser.orchestrate.channels.webhook import verify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.rcpt_reply
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:  # parsed when asked for: a mail server does not parse MIME
            self.sink.raw.append(envelope.content)
        return "250 Message accepted"


_KEY = re.compile(rb"^X-Wegweiser-Key: ([^\r\n]*)", re.MULTILINE)


class SmtpSink:
    """``messages``: every message received (parsed); ``keys()``: their idempotency keys."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        """Every message as it came after DATA."""
        self._parsed: list[Any] = []
        self.lock = threading.Lock()
        self.rcpt_reply: str | None = None
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Any]:
        """Every message received, parsed (``email.policy.default``)."""
        with self.lock:
            for content in self.raw[len(self._parsed):]:
                raw = content.replace(b"\r\n", b"\n")  # the wire's CRLF, as a mailbox stores it
                self._parsed.append(email.message_from_bytes(raw, policy=email.policy.default))
            return list(self._parsed)

    def keys(self) -> Counter[str]:
        with self.lock:
            found = [_KEY.search(content) for content in self.raw]
        return Counter(m.group(1).decode() if m else "" for m in found)


class HookSink:
    """An HTTP receiver. ``arrivals``: every request (key, JSON body, signature valid);
    ``accepted()``: keys taken once, as a receiver honouring ``Idempotency-Key`` does.
    ``script``: statuses to answer in turn (then 200); ``delay``: seconds before answering."""

    def __init__(self, secret: str | None = "hook-secret") -> None:
        self.secret = secret
        self.arrivals: list[tuple[str, dict[str, Any], bool]] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []
        """Every request's headers and body as they came (web push bodies are encrypted)."""
        self.script: list[int] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the client went away mid-request: nothing came
                    self.close_connection = True
                    return
                key = self.headers.get("Idempotency-Key", "")
                ok = sink.secret is None or verify(
                    sink.secret, self.headers.get("X-Wegweiser-Timestamp", ""), body,
                    self.headers.get("X-Wegweiser-Signature", ""))
                try:
                    data = json.loads(body)
                except ValueError:
                    data = {}
                with sink.lock:
                    sink.raw.append((dict(self.headers.items()), body))
                    sink.arrivals.append((key, data, ok))
                    status = sink.script.pop(0) if sink.script else 200
                if sink.delay:
                    time.sleep(sink.delay)
                payload = b'{"ok":true}' if status < 300 else b'{"ok":false}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients killed mid-request (the chaos tests) are expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HookSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def keys(self) -> Counter[str]:
        with self.lock:
            return Counter(k for k, _, _ in self.arrivals)

    def accepted(self) -> set[str]:
        with self.lock:
            return {k for k, _, _ in self.arrivals}
