"""What the runtime knows about a person: a snapshot refreshed by the triggers.

The worker never reads the event store: a run carries the :class:`Person` snapshot its
conditions, templates and delivery policy need (traits, current phase, the counts and last
times of the events journeys ask about, country), refreshed whenever an import touches the
person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True)
class EventStats:
    count: int
    last: float
    """Epoch seconds of the latest occurrence."""


@dataclass(frozen=True)
class Person:
    person_id: str
    traits: dict[str, Any] = field(default_factory=dict)
    phase: str | None = None
    events: dict[str, EventStats] = field(default_factory=dict)
    country: str | None = None
    user_id: str | None = None
    """The person's user id, if any (events the journeys emit carry it)."""
    scores: dict[str, float] = field(default_factory=dict)
    """The stored predicted scores by model (``wegweiser scores refit``), e.g. ``churn``."""
    consent: dict[str, bool] = field(default_factory=dict)
    """Consent categories (``Marketing``: False, ...), latest statement wins
    (:mod:`wegweiser.events.consent`)."""
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    """The stored next-best offers, best first (``wegweiser scores refit``): each ``item``,
    ``category`` (None when unknown), ``score`` and ``rank``."""

    def language(self, default: str = "de") -> str:
        """``de`` or ``en``: from the ``language``/``locale`` trait, else ``default``."""
        for key in ("language", "locale", "lang"):
            value = self.traits.get(key)
            if isinstance(value, str) and value[:2].lower() in ("de", "en"):
                return value[:2].lower()
        return default

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "person_id": self.person_id,
                "traits": self.traits,
                "phase": self.phase,
                "events": {k: [v.count, v.last] for k, v in sorted(self.events.items())},
                "country": self.country,
                "user_id": self.user_id,
                "scores": self.scores,
                "consent": self.consent,
                "recommendations": self.recommendations,
            },
            option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
            default=str,
        ).decode()

    @classmethod
    def from_json(cls, text: str) -> Person:
        data = orjson.loads(text)
        return cls(
            person_id=data["person_id"],
            traits=data.get("traits") or {},
            phase=data.get("phase"),
            events={k: EventStats(int(v[0]), float(v[1])) for k, v in data["events"].items()},
            country=data.get("country"),
            user_id=data.get("user_id"),
            scores={str(k): float(v) for k, v in (data.get("scores") or {}).items()},
            consent={str(k): bool(v) for k, v in (data.get("consent") or {}).items()},
            recommendations=[dict(r) for r in data.get("recommendations") or []],
        )
