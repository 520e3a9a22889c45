"""Putting a worker together from a project folder: journeys, delivery settings, channels
(with their secrets from the environment) and the state store."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from wegweiser.orchestrate.channels.email import EmailChannel
from wegweiser.orchestrate.channels.provider import ProviderChannel
from wegweiser.orchestrate.channels.webhook import WebhookChannel
from wegweiser.orchestrate.credentials import secret
from wegweiser.orchestrate.loading import JOURNEYS_DIR, load_journeys
from wegweiser.orchestrate.runtime import Runtime
from wegweiser.orchestrate.state import STATE_FILE, open_state

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from wegweiser.orchestrate.channels import Channel
    from wegweiser.orchestrate.settings import Delivery

STATE_ENV = "WEGWEISER_JOURNEYS_STATE"
"""A ``postgresql://`` URL (several workers) instead of ``journeys.sqlite`` in the project."""


def build_channels(delivery: Delivery, *, project_dir: Path | None = None) -> dict[str, Channel]:
    """Every channel the settings describe: ``email``, ``sms``, ``push``, ``webpush``,
    ``webhook:<name>``."""
    email = delivery.email
    channels: dict[str, Channel] = {
        "email": EmailChannel(
            email,
            username=secret(email.username_env, project_dir=project_dir),
            password=secret(email.password_env, project_dir=project_dir),
        )
    }
    for name in ("sms", "push"):
        endpoint = getattr(delivery, name)
        if endpoint is not None:
            channels[name] = ProviderChannel(
                name, endpoint, secret=secret(endpoint.secret_env, project_dir=project_dir))
    if delivery.webpush is not None:
        from wegweiser.orchestrate.channels.webpush import WebPushChannel

        channels["webpush"] = WebPushChannel(delivery.webpush, vapid_private_key=secret(
            delivery.webpush.vapid_private_key_env, project_dir=project_dir))
    for name, endpoint in delivery.webhooks.items():
        channels[f"webhook:{name}"] = WebhookChannel(
            endpoint, secret=secret(endpoint.secret_env, project_dir=project_dir))
    return channels


def state_target(project_dir: Path, state: str | None = None) -> str:
    return state or os.environ.get(STATE_ENV) or str(project_dir / STATE_FILE)


def open_runtime(
    project_dir: Path,
    *,
    phases: Sequence[str] | None = None,
    state: str | None = None,
    worker_id: str | None = None,
) -> Runtime:
    """The runtime of a project: ``journeys/`` validated (every problem or nothing)."""
    journeys, delivery = load_journeys(project_dir / JOURNEYS_DIR, phases=phases)
    store = open_state(state_target(project_dir, state), project_dir=project_dir)
    return Runtime(store, journeys, delivery, build_channels(delivery, project_dir=project_dir),
                   worker_id=worker_id)
