"""Journeys that act: definitions, delivery policy, channels, send ledger and runtime.

See docs/journeys.md. The runtime keeps its state in SQLite (embedded) or PostgreSQL,
never in the event store.
"""

from __future__ import annotations

from wegweiser.orchestrate.definitions import Journey
from wegweiser.orchestrate.errors import (
    DeliveryError,
    InvalidJourney,
    JourneyError,
    StateStoreError,
    Terminal,
    Transient,
)
from wegweiser.orchestrate.loading import load_delivery, load_journey, load_journeys
from wegweiser.orchestrate.settings import Delivery
from wegweiser.orchestrate.state import StateStore, open_state

__all__ = [
    "Delivery",
    "DeliveryError",
    "InvalidJourney",
    "Journey",
    "JourneyError",
    "StateStore",
    "StateStoreError",
    "Terminal",
    "Transient",
    "load_delivery",
    "load_journey",
    "load_journeys",
    "open_state",
]
