"""SMS and mobile push through a provider's webhook (the adapter for Twilio-, MessageBird-
or FCM-like gateways behind an HTTP endpoint of yours or theirs).

The provider gets ``{"channel", "to", "text", "title", "key", "journey", "step", "variant"}``
signed like a webhook. Providers do not promise to drop repeats, so ``idempotent = False``:
a timeout after the request went out is ``unknown`` in the ledger, never sent again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate.channels.webhook import WebhookChannel

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
