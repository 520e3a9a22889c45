"""Building runtimes for the tests from journey text, on a real state store and real
loopback receivers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wegweiser.orchestrate.channels.email import EmailChannel
from wegweiser.orchestrate.channels.provider import ProviderChannel
from wegweiser.orchestrate.channels.webhook import WebhookChannel
from wegweiser.orchestrate.loading import load_journeys
from wegweiser.orchestrate.person import Person
from wegweiser.orchestrate.runtime import Runtime
from wegweiser.orchestrate.settings import EndpointSettings
from wegweiser.orchestrate.state import open_state

if TYPE_CHECKING:
    from pathlib import Path


class Clock:
    def __init__(self, start: datetime | float = datetime(2026, 6, 1, 10, tzinfo=UTC)) -> None:
        self.now = start.timestamp() if isinstance(start, datetime) else float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def person(pid: str = "p1", **traits: Any) -> Person:
    base = {"email": f"{pid}@example.org", "email_opt_in": True, "timezone": "UTC",
            "language": "de"}
    return Person(person_id=pid, traits={**base, **traits}, user_id=pid)


def vapid_key() -> str:
    """A fresh VAPID private key, as the raw key in URL-safe base64."""
    import base64

    from py_vapid import Vapid

    vapid = Vapid()
    vapid.generate_keys()
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


OPEN: list[Runtime] = []
"""Runtimes built by a test; closed after it (tests/orchestrate/conftest.py)."""


def build(
    folder: Path,
    state_url: str,
    journeys: dict[str, str],
    delivery: str = "",
    *,
    smtp: Any = None,
    hook: Any = None,
    clock: Clock | None = None,
    worker_id: str = "w1",
) -> Runtime:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_delivery.toml").write_text(delivery, encoding="utf-8")
    for name, text in journeys.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    loaded, settings = load_journeys(folder)
    channels: dict[str, Any] = {}
    if smtp is not None:
        channels["email"] = EmailChannel(settings.email.model_copy(update={"port": smtp.port}))
    if hook is not None:
        endpoint = EndpointSettings(url=hook.url, timeout_seconds=2)
        for name in settings.webhooks:
            channels[f"webhook:{name}"] = WebhookChannel(endpoint, secret="hook-secret",
                                                         backoff_seconds=0.01)
        channels["sms"] = ProviderChannel("sms", endpoint, secret="hook-secret",
                                          backoff_seconds=0.01)
        if settings.webpush is not None:
            from wegweiser.orchestrate.channels.webpush import WebPushChannel

            channels["webpush"] = WebPushChannel(settings.webpush,
                                                 vapid_private_key=vapid_key())
    runtime = Runtime(open_state(state_url), loaded, settings, channels, worker_id=worker_id,
                      clock=clock or Clock(), unsubscribe_secret="test-key")
    OPEN.append(runtime)
    return runtime


def runs(runtime: Runtime) -> dict[str, tuple[str, str | None, str | None]]:
    with runtime.store.transaction() as tx:
        rows = tx.execute("SELECT run_id, status, step, reason FROM wj_runs ORDER BY run_id")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def ledger_rows(runtime: Runtime) -> dict[str, tuple[str, int, str | None]]:
    with runtime.store.transaction() as tx:
        rows = tx.execute("SELECT key, state, attempts, reason FROM wj_ledger ORDER BY key")
    return {r[0]: (r[1], int(r[2]), r[3]) for r in rows}


def outbox(runtime: Runtime) -> list[str]:
    import json

    with runtime.store.transaction() as tx:
        rows = tx.execute("SELECT event FROM wj_outbox ORDER BY created_at, message_id")
    return [json.loads(r[0])["event"] for r in rows]
