"""Errors of the journey engine, below :class:`wegweiser.errors.WegweiserError`.

::

    WegweiserError
    └── JourneyError               anything the journey engine raises on purpose
        ├── InvalidJourney         a journey or delivery file is wrong (also ValueError)
        ├── StateStoreError        the journey state store cannot be used
        └── DeliveryError          a message could not be delivered
            ├── Transient          try again later (timeouts, 5xx, connection refused)
            └── Terminal           trying again will not help (4xx, bad address, template)

``Transient``/``Terminal`` drive retries: the runtime retries a ``Transient`` with backoff
up to the step's attempts, and parks a ``Terminal`` with its reason for the operator.
"""

from __future__ import annotations

from wegweiser.errors import WegweiserError

DOCS = "https://github.com/wegweiser-journeys/wegweiser/blob/main/docs/journeys.md"


class JourneyError(WegweiserError):
    """Root of the journey engine's errors."""


class InvalidJourney(JourneyError, ValueError):
    """Journey files do not validate. ``problems`` holds each as ``(path, line, field,
    message)`` (``line`` None when unknown); ``path``/``line``/``field`` are the first's.
    The message lists them all, one per line: ``path:line: field: message``."""

    exit_code = 2

    def __init__(self, problems: list[tuple[str, int | None, str, str]]) -> None:
        self.problems = problems
        self.path, self.line, self.field, _ = problems[0]
        lines = [
            f"{path}:{line if line is not None else '?'}: "
            + (f"{field}: " if field else "")
            + msg
            for path, line, field, msg in problems
        ]
        super().__init__("\n".join(lines) + f"\nNothing runs until this is fixed; see {DOCS}")


class StateStoreError(JourneyError):
    """The journey state store (SQLite file or PostgreSQL) cannot be opened or used."""


class DeliveryError(JourneyError):
    """A message was not delivered; ``reason`` says why."""

    retry = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transient(DeliveryError):
    """Worth another try later: a timeout, a 5xx, a refused connection.

    ``maybe_delivered``: the failure came after the message was handed over (a timeout
    waiting for the answer), so it may have arrived; on a channel without idempotency keys
    the ledger then says ``unknown`` instead of sending again.
    """

    retry = True

    def __init__(self, reason: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(reason)
        self.maybe_delivered = maybe_delivered


class Terminal(DeliveryError):
    """Another try will not help: a 4xx, a rejected address, a template error."""
