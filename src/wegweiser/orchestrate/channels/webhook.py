"""Webhooks: a JSON body signed with HMAC-SHA256, an ``Idempotency-Key`` header, quick
retries with backoff on 5xx, 408, 429 and timeouts, terminal on other 4xx.

Headers: ``X-Wegweiser-Timestamp`` (epoch seconds) and ``X-Wegweiser-Signature:
sha256=<hex>`` over ``"{timestamp}.{body}"`` with the endpoint's secret; receivers check
the signature and drop a repeated ``Idempotency-Key`` (``idempotent = True``: after a crash
the ledger sends again with the same key). Keep-alive connections, one per thread
(:mod:`wegweiser.orchestrate.channels._http`: the answer parsed by ``httptools``).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from wegweiser.orchestrate.channels import Delivered, Message, Outcome
from wegweiser.orchestrate.channels._connections import PerThread
from wegweiser.orchestrate.channels._http import Connection, HeaderError, request_head
from wegweiser.orchestrate.errors import Terminal, Transient

if TYPE_CHECKING:
    from wegweiser.orchestrate.settings import EndpointSettings

RETRY_STATUS = {408, 425, 429}


class _AfterSend(Exception):
    """The request went out; what happened to it is not known."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value.

    >>> sign("k", "1700000000", b"{}")[:15]
    'sha256=c6ef4734'
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    name = "webhook"
    idempotent = True

    def __init__(
        self,
        endpoint: EndpointSettings,
        *,
        secret: str | None,
        tries: int = 3,
        backoff_seconds: float = 0.2,
    ) -> None:
        self.endpoint = endpoint
        if endpoint.honours_idempotency_key is not None:
            self.idempotent = endpoint.honours_idempotency_key
        self.secret = secret
        self.tries = tries
        self.backoff_seconds = backoff_seconds
        url = urlsplit(endpoint.url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "localhost"
        self._port = url.port
        self._path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self._connections: PerThread[Connection] = PerThread(
            self._open_connection, close_=Connection.close)

    def body(self, message: Message) -> dict[str, Any]:
        return message.payload

    def _open_connection(self) -> Connection:
        return Connection(self._host, self._port, https=self._https,
                          timeout=self.endpoint.timeout_seconds)

    def _conn(self) -> Connection:
        return self._connections.get()

    def _drop(self) -> None:
        self._connections.drop()

    def headers(self, body: bytes, idempotency_key: str) -> dict[str, str]:
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            "X-Wegweiser-Timestamp": stamp,
            "User-Agent": "wegweiser-journeys",
        }
        if self.secret:
            headers["X-Wegweiser-Signature"] = sign(self.secret, stamp, body)
        return headers

    def request(self, body: bytes, idempotency_key: str, conn: Connection) -> bytes:
        """The whole request: head and body (:class:`HeaderError` if a header would break
        it)."""
        head = request_head("POST", self._path, conn.host_header,
                            self.headers(body, idempotency_key), len(body))
        return head + body

    def encode(self, message: Message) -> bytes:
        """The body: JSON with sorted keys, no spaces (what is signed is what is sent)."""
        return orjson.dumps(self.body(message), option=orjson.OPT_SORT_KEYS, default=str)

    def fresh_connection(self) -> Connection:
        """The kept connection unless the server closed it meanwhile (then a new one)."""
        conn = self._conn()
        if conn.stale():
            self._drop()  # readable while idle: the server closed it
            conn = self._conn()
        return conn

    def _post(self, body: bytes, idempotency_key: str) -> tuple[int, str]:
        for fresh in (False, True):
            conn = self._conn() if fresh else self.fresh_connection()
            request = self.request(body, idempotency_key, conn)
            try:
                conn.write(request)
            except OSError:
                self._drop()  # a kept-alive connection the server had closed
                if fresh:
                    raise
                continue
            try:
                answer = conn.read_answer()
            except OSError as exc:
                self._drop()
                raise _AfterSend(f"{type(exc).__name__}: {exc}") from exc
            if answer.close:
                self._drop()
            return answer.status, answer.body.decode(errors="replace")
        raise AssertionError("unreachable")

    def send(self, message: Message, idempotency_key: str) -> Outcome:
        try:
            body = self.encode(message)
        except (TypeError, orjson.JSONEncodeError) as exc:
            return Terminal(f"webhook {self._host}: the payload is not JSON: {exc}")
        outcome: Outcome = Transient("not tried")
        for attempt in range(self.tries):
            if attempt:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            try:
                status, text = self._post(body, idempotency_key)
            except _AfterSend as exc:
                outcome = Transient(f"webhook {self._host}: no answer: {exc}",
                                    maybe_delivered=True)
                if not self.idempotent:
                    return outcome  # it may have arrived: never again without a key
                continue
            except HeaderError as exc:  # a header value with a line break
                return Terminal(f"webhook {self._host}: {exc}")
            except OSError as exc:
                self._drop()
                outcome = Transient(f"webhook {self._host}: {exc}")
                continue
            if 200 <= status < 300:
                return Delivered(f"HTTP {status}")
            if status >= 500 or status in RETRY_STATUS:
                outcome = Transient(f"webhook answered HTTP {status}: {text[:200]}")
                continue
            return Terminal(f"webhook answered HTTP {status}: {text[:200]}")
        return outcome

    def close(self) -> None:
        """Close every thread's connection."""
        self._connections.close_all()
