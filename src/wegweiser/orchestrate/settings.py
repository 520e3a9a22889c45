"""Delivery settings: ``journeys/_delivery.toml`` (every key optional).

Policy (caps, quiet hours, consent, control group, time zones) and where the channels
deliver. Secrets are never written here: ``*_env`` keys name environment variables, read by
:mod:`wegweiser.orchestrate.secrets`.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from wegweiser.orchestrate.definitions import Clock, Duration, _Model

DELIVERY_FILE = "_delivery.toml"


class Cap(_Model):
    """At most ``max`` messages per person on ``channel`` (``"*"``: all channels together)
    in a ``rolling`` window of ``window``, or per calendar ``day`` in the person's time zone."""

    channel: str = "*"
    max: int = Field(ge=0)
    per: Literal["rolling", "day"] = "rolling"
    window: Duration | None = None

    @model_validator(mode="after")
    def _window(self) -> Cap:
        if (self.per == "rolling") != (self.window is not None):
            raise ValueError("per = 'rolling' needs a window (e.g. '7d'); per = 'day' takes none")
        return self


class QuietHours(_Model):
    start: Clock
    end: Clock
    mode: Literal["defer", "drop"] = "defer"
    """``defer``: send at the end of the quiet hours; ``drop``: do not send at all."""


class ControlGroup(_Model):
    share: float = Field(default=0.0, ge=0, lt=1)
    """Share of all persons kept out of every journey (deterministic per person)."""
    salt: str = "1"
    """Change it to draw a new control group."""


class EmailSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=25, gt=0, lt=65536)
    starttls: bool = False
    username_env: str | None = None
    password_env: str | None = None
    from_address: str = "Wegweiser <journeys@localhost>"
    address_trait: str = "email"
    timeout_seconds: float = Field(default=10.0, gt=0)


class EndpointSettings(_Model):
    """A webhook endpoint: the URL, the variable holding its signing secret."""

    url: str
    secret_env: str | None = None
    timeout_seconds: float = Field(default=5.0, gt=0)
    honours_idempotency_key: bool | None = None
    """Whether the receiver drops a repeated ``Idempotency-Key`` (then a message a crash
    left ``sending`` goes again with the same key; else it is ``unknown``). Default: yes
    for webhooks, no for the SMS and push provider adapter."""

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"a webhook URL starts with http:// or https://, not {value!r}")
        if not urlsplit(value).hostname:
            raise ValueError(f"the webhook URL {value!r} has no host")
        if any(c <= " " or c == "\x7f" for c in value):
            raise ValueError(f"the webhook URL {value!r} has a space or a control character "
                             "(percent-encode it: %20)")
        return value


class WebPushSettings(_Model):
    """Web push with VAPID: the private key comes from the variable named here."""

    vapid_private_key_env: str = "WEGWEISER_VAPID_PRIVATE_KEY"
    subject: str = "mailto:journeys@localhost"
    """Who sends (a ``mailto:`` or ``https:`` URL), told to the push services."""
    subscription_trait: str = "push_subscription"
    ttl_seconds: int = Field(default=86400, ge=0)
    timeout_seconds: float = Field(default=10.0, gt=0)


class Delivery(_Model):
    default_timezone: str = "Europe/Berlin"
    default_language: Literal["de", "en"] = "de"
    timezone_trait: str = "timezone"
    caps: list[Cap] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    consent: dict[str, str] = Field(
        default_factory=lambda: {"email": "email_opt_in", "sms": "sms_opt_in",
                                 "push": "push_opt_in", "webpush": "push_opt_in"}
    )
    """Per channel the trait that must be true to send on it; channels not named need none."""
    consent_categories: dict[str, list[str]] = Field(
        default_factory=lambda: {"email": ["Marketing"], "sms": ["Marketing"],
                                 "push": ["Marketing"], "webpush": ["Marketing"]}
    )
    """Per channel the consent categories (Segment's ``context.consent.categoryPreferences``)
    that govern it: any of them withdrawn stops the channel, all of them granted allow it
    (as the trait does). See ``docs/privacy.md``, "Consent"."""
    control_group: ControlGroup = Field(default_factory=ControlGroup)
    email: EmailSettings = Field(default_factory=EmailSettings)
    sms: EndpointSettings | None = None
    """The SMS provider's webhook (the provider adapter)."""
    push: EndpointSettings | None = None
    """The mobile push provider's webhook (the provider adapter)."""
    webpush: WebPushSettings | None = None
    """Web push (VAPID) to browsers' push subscriptions."""
    webhooks: dict[str, EndpointSettings] = Field(default_factory=dict)
    phone_trait: str = "phone"
    push_token_trait: str = "push_token"
    retry_backoff: Duration = timedelta(seconds=30)
    """First wait after a transient failure; it doubles with each attempt (at most 1 h)."""
    unsubscribe_url: str = "http://127.0.0.1:8000/u/{token}"
    """The per-person unsubscribe link; ``{token}`` is a signed token."""
    unsubscribe_secret_env: str = "WEGWEISER_UNSUBSCRIBE_SECRET"
    """Names the variable with the key that signs unsubscribe, open and click links."""
    track_opens: bool = True
    """A 1x1 image from ``open_url`` at the end of every HTML email (``message_opened``)."""
    track_clicks: bool = True
    """The ``http(s)`` links of every HTML email go through ``click_url`` (``message_clicked``)."""
    open_url: str = "http://127.0.0.1:8000/o/{token}"
    click_url: str = "http://127.0.0.1:8000/c/{token}"
    default_send_time: Clock = time(10, 0)
    """The fallback of ``send_at = "best_time"`` (the person's local time; docs/journeys.md)."""
    lease: Duration = timedelta(seconds=60)
    """How long a worker owns a claimed run; a dead worker's runs are taken over after it."""

    @field_validator("unsubscribe_url", "open_url", "click_url")
    @classmethod
    def _link(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or "{token}" not in value:
            raise ValueError("a link starts with http:// or https:// and holds {token} (the "
                             f"signed part), e.g. 'https://shop.example/o/{{token}}', "
                             f"not {value!r}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as "
                             "'Europe/Berlin'") from None
        return value
