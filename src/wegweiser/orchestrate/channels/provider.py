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

from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate.channels import Delivered, Outcome
from wegweiser.orchestrate.channels._http import HeaderError
from wegweiser.orchestrate.channels.webhook import RETRY_STATUS, WebhookChannel
from wegweiser.orchestrate.errors import Terminal, Transient

if TYPE_CHECKING:
    from wegweiser.orchestrate.channels import Message
    from wegweiser.orchestrate.channels._http import Connection
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
        try:
            conn = self.fresh_connection()
            request = self.request(body, idempotency_key, conn)
        except HeaderError as exc:  # a header value with a line break
            return Terminal(f"{self.name} provider {self._host}: {exc}")
        try:
            conn.write(request[:-1])
        except OSError as exc:
            self._drop()
            return Transient(f"{self.name} provider {self._host}: {exc}")
        return _PreparedPost(self, conn, request[-1:])


class _PreparedPost:
    def __init__(self, channel: ProviderChannel, conn: Connection, last: bytes) -> None:
        self.channel = channel
        self.conn = conn
        self.last = last

    def commit(self) -> Outcome:
        name = self.channel.name
        try:
            self.conn.write(self.last)
        except OSError as exc:  # the request never became whole: not delivered
            self.channel._drop()
            return Transient(f"{name} provider: connection lost before the end: {exc}")
        try:
            answer = self.conn.read_answer()
        except OSError as exc:
            self.channel._drop()
            return Transient(f"{name} provider: no answer: {exc}", maybe_delivered=True)
        if answer.close:
            self.channel._drop()
        status, text = answer.status, answer.body.decode(errors="replace")
        if 200 <= status < 300:
            return Delivered(f"HTTP {status}")
        if status >= 500 or status in RETRY_STATUS:
            return Transient(f"{name} provider answered HTTP {status}: {text[:200]}")
        return Terminal(f"{name} provider answered HTTP {status}: {text[:200]}")

    def abort(self) -> None:
        self.channel._drop()  # the server drops a request whose body never ended
