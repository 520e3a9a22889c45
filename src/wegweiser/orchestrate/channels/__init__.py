"""Channels: one module each behind one small interface.

A channel's ``send(message, idempotency_key)`` returns :class:`Delivered`, or a
:class:`~wegweiser.orchestrate.errors.Transient` / :class:`~wegweiser.orchestrate.errors.Terminal`
(returned, not raised). ``idempotent`` says whether the receiver honours the key, i.e.
whether a message whose fate a crash left open may be sent again with the same key.
A new channel is one module with one class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from wegweiser.orchestrate.errors import Terminal, Transient


@dataclass(frozen=True)
class Message:
    """A rendered message for one person."""

    person_id: str
    journey: str
    step: str
    variant: str = ""
    to: str | None = None
    """Email address, phone number or device token."""
    subject: str = ""
    text: str = ""
    html: str | None = None
    unsubscribe_url: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    """The JSON body of a webhook."""


@dataclass(frozen=True)
class Delivered:
    detail: str = ""


Outcome = Delivered | Transient | Terminal


class Channel(Protocol):
    name: str
    idempotent: bool

    def send(self, message: Message, idempotency_key: str) -> Outcome: ...

    def close(self) -> None: ...


class Prepared(Protocol):
    """A message handed over up to its last byte: ``commit`` sends that byte (the point of
    no return), ``abort`` drops it (nothing is delivered)."""

    def commit(self) -> Outcome: ...

    def abort(self) -> None: ...


@runtime_checkable
class CanPrepare(Protocol):
    """A channel whose point of no return is one step at the end (SMTP: the ``.`` that ends
    ``DATA``). The runtime prepares before it marks the ledger ``sending``, so a crash
    leaves a message ``unknown`` only if it came in that last step."""

    def prepare(self, message: Message, idempotency_key: str) -> Prepared | Outcome: ...


__all__ = ["CanPrepare", "Channel", "Delivered", "Message", "Outcome", "Prepared", "Terminal",
           "Transient"]
