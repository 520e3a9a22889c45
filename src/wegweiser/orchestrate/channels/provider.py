"""SMS and mobile push through a provider's webhook (the adapter for Twilio-, MessageBird-
or FCM-like gateways behind an HTTP endpoint of yours or theirs).

The provider gets ``{"channel", "to", "text", "title", "key", "journey", "step", "variant"}``
signed like a webhook. Providers do not promise to drop repeats, so ``idempotent = False``:
a timeout after the request went out is ``unknown`` in the ledger, never sent again --
unless the endpoint says ``honours_idempotency_key = true`` (a gateway that drops a
repeated ``Idempotency-Key``): then it is sent again with the same key, like a webhook. The
worker prepares a request up to its last byte before the ledger says ``sending``
(:meth:`ProviderChannel.prepare`): a server acts on a request only when its body is
complete, so a crash before that last byte leaves nothing delivered.
"""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate.channels import Delivered, Outcome
from wegweiser.orchestrate.channels.webhook import RETRY_STATUS, WebhookChannel
from wegweiser.orchestrate.errors import Terminal, Transient

if TYPE_CHECKING:
    from wegweiser.orchestrate.channels import Message
    from wegweiser.orchestrate.settings import EndpointSettings


class ProviderChannel(WebhookChannel):
    idempotent = False

    def __init__(
        self, name: str, endpoint: EndpointSettings, *, secret: str | None, tries: int = 3,
        backoff_seconds: float = 0.2,
    ) -> None:
        super().__init__(endpoint, secret=secret, tries=tries, backoff_seconds=backoff_seconds)
        self.name = name
        # a gateway of yours that drops repeated keys: resend after a crash, not unknown
        self.idempotent = bool(endpoint.honours_idempotency_key)

    def body(self, message: Message) -> dict[str, Any]:
        return {
            "channel": self.name,
            "to": message.to,
            "title": message.subject,
            "text": message.text,
            "journey": message.journey,
            "step": message.step,
            "variant": message.variant,
        }

    def prepare(self, message: Message, idempotency_key: str) -> _PreparedPost | Outcome:
        """Headers and the body but its last byte sent; :meth:`_PreparedPost.commit` sends
        that byte and reads the answer."""
        if not message.to:
            return Terminal(f"no address to send {self.name} to")
        body = self.encode(message)
        headers = self.headers(body, idempotency_key)
        try:
            conn = self.fresh_connection()
            conn.putrequest("POST", self._path, skip_accept_encoding=True)
            for key, value in headers.items():
                conn.putheader(key, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body[:-1])
        except (http.client.HTTPException, OSError) as exc:
            self._drop()
            return Transient(f"{self.name} provider {self._host}: {exc}")
        return _PreparedPost(self, conn, body[-1:])


class _PreparedPost:
    def __init__(self, channel: ProviderChannel, conn: http.client.HTTPConnection,
                 last: bytes) -> None:
        self.channel = channel
        self.conn = conn
        self.last = last

    def commit(self) -> Outcome:
        name = self.channel.name
        try:
            self.conn.send(self.last)
        except OSError as exc:  # the request never became whole: not delivered
            self.channel._drop()
            return Transient(f"{name} provider: connection lost before the end: {exc}")
        try:
            response = self.conn.getresponse()
            text = response.read(2048).decode(errors="replace")
        except (http.client.HTTPException, OSError) as exc:
            self.channel._drop()
            return Transient(f"{name} provider: no answer: {exc}", maybe_delivered=True)
        if response.getheader("connection", "").lower() == "close":
            self.channel._drop()
        status = response.status
        if 200 <= status < 300:
            return Delivered(f"HTTP {status}")
        if status >= 500 or status in RETRY_STATUS:
            return Transient(f"{name} provider answered HTTP {status}: {text[:200]}")
        return Terminal(f"{name} provider answered HTTP {status}: {text[:200]}")

    def abort(self) -> None:
        self.channel._drop()  # the server drops a request whose body never ended
