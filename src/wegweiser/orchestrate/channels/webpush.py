"""Web push (browsers' Push API): the payload encrypted for the subscription (RFC 8291,
``aes128gcm``) and signed with the sender's VAPID key (RFC 8292), through ``pywebpush``
(the ``[journeys]`` extra).

The person's subscription (``{"endpoint", "keys": {"p256dh", "auth"}}``, as the browser's
``PushSubscription.toJSON()`` gives it) is a trait, by default ``push_subscription``. Push
services do not drop repeats, so ``idempotent = False``. 404 and 410 (the subscription is
gone) and other 4xx are terminal; 429 and 5xx transient.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from wegweiser.errors import MissingDependency
from wegweiser.orchestrate.channels import Delivered, Message, Outcome
from wegweiser.orchestrate.errors import Terminal, Transient

if TYPE_CHECKING:
    from wegweiser.orchestrate.settings import WebPushSettings


class WebPushChannel:
    name = "webpush"
    idempotent = False

    def __init__(self, settings: WebPushSettings, *, vapid_private_key: str | None) -> None:
        try:
            import pywebpush  # noqa: F401
        except ImportError as exc:  # pragma: no cover - the extra brings it
            raise MissingDependency("pywebpush", "journeys") from exc
        self.settings = settings
        self.vapid_private_key = vapid_private_key

    def send(self, message: Message, idempotency_key: str) -> Outcome:
        import requests
        from pywebpush import WebPushException, webpush

        if not self.vapid_private_key:
            return Terminal(f"no VAPID key: set {self.settings.vapid_private_key_env}")
        try:
            subscription: Any = json.loads(message.to or "")
        except (ValueError, TypeError):
            subscription = None
        if not isinstance(subscription, dict) or "endpoint" not in subscription:
            return Terminal("the person's push subscription is not a subscription JSON")
        data = json.dumps({"title": message.subject, "body": message.text,
                           "url": message.payload.get("url"), "key": idempotency_key})
        try:
            webpush(subscription, data=data, vapid_private_key=self.vapid_private_key,
                    vapid_claims={"sub": self.settings.subject},
                    ttl=self.settings.ttl_seconds, timeout=self.settings.timeout_seconds,
                    headers={"Topic": idempotency_key.encode().hex()[:32]})
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status is None:
                return Terminal(f"web push: {exc.message}")
            if status == 429 or status >= 500:
                return Transient(f"push service answered HTTP {status}")
            return Terminal(f"push service answered HTTP {status}"
                            + (" (subscription gone)" if status in (404, 410) else ""))
        except (requests.ConnectionError, requests.exceptions.ConnectTimeout) as exc:
            if isinstance(exc, requests.exceptions.ReadTimeout):
                return Transient(f"push service did not answer: {exc}", maybe_delivered=True)
            return Transient(f"push service unreachable: {exc}")
        except requests.Timeout as exc:
            return Transient(f"push service did not answer: {exc}", maybe_delivered=True)
        except requests.RequestException as exc:
            return Transient(f"web push: {exc}", maybe_delivered=True)
        return Delivered()

    def close(self) -> None:
        return None
