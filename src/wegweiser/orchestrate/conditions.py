"""Conditions of splits, entries and waits, and their evaluation on a person snapshot.

A condition tests exactly one thing: a ``trait``, a stored ``score`` (``wegweiser scores
refit``; ``{ score = "churn", op = "gt", value = 0.7 }``), an event ``property`` (entries and waits
for an event), the current ``phase``, the ``event`` history, or combines others with
``all``/``any``/``not``::

    { trait = "vip", op = "eq", value = true }
    { phase = ["Consideration", "Preference"] }
    { event = "order_completed", within_days = 30 }           # done in the last 30 days
    { event = "product_view", min_count = 3 }
    { any = [ { trait = "country", value = "DE" }, { not = { trait = "email" , op = "exists" } } ] }
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from collections.abc import Mapping

    from wegweiser.orchestrate.person import Person

Op = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "contains", "exists", "missing"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Model):
    trait: str | None = None
    score: str | None = None
    property: str | None = None
    phase: str | list[str] | None = None
    event: str | None = None
    op: Op = "eq"
    value: Any = None
    within_days: float | None = Field(default=None, gt=0)
    min_count: int = Field(default=1, ge=0)
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        given = [
            k for k in ("trait", "score", "property", "phase", "event", "all", "any", "not_")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            names = ", ".join(k.rstrip("_") for k in given) or "none"
            raise ValueError(
                "a condition tests exactly one of trait, score, property, phase, event, all, any, "
                f"not; this one has {names}"
            )
        if self.op in ("in",) and not isinstance(self.value, list):
            raise ValueError("op 'in' needs a list as value")
        return self

    def phases(self) -> list[str]:
        """Every phase name this condition refers to (for validation)."""
        out: list[str] = []
        if self.phase is not None:
            out += [self.phase] if isinstance(self.phase, str) else list(self.phase)
        for sub in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            out += sub.phases()
        return out

    def events(self) -> list[str]:
        """Every event name whose history this condition reads."""
        out = [self.event] if self.event is not None else []
        for sub in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            out += sub.events()
        return out


def _compare(op: Op, actual: Any, expected: Any, present: bool) -> bool:
    if op == "exists":
        return present and actual is not None
    if op == "missing":
        return not present or actual is None
    if not present:
        return op == "ne"
    try:
        if op == "eq":
            return bool(actual == expected)
        if op == "ne":
            return bool(actual != expected)
        if op == "in":
            return actual in expected
        if op == "contains":
            return expected in actual
        if op == "gt":
            return bool(actual > expected)
        if op == "ge":
            return bool(actual >= expected)
        if op == "lt":
            return bool(actual < expected)
        return bool(actual <= expected)
    except TypeError:
        return False


def _lookup(data: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """``a.b`` in nested mappings: (present, value)."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def evaluate(
    condition: Condition,
    person: Person,
    *,
    properties: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> bool:
    """Whether ``condition`` holds for ``person`` (and the event ``properties``, if any)."""
    c = condition
    if c.all is not None:
        return all(evaluate(s, person, properties=properties, now=now) for s in c.all)
    if c.any is not None:
        return any(evaluate(s, person, properties=properties, now=now) for s in c.any)
    if c.not_ is not None:
        return not evaluate(c.not_, person, properties=properties, now=now)
    if c.trait is not None:
        present, actual = _lookup(person.traits, c.trait)
        return _compare(c.op, actual, c.value, present)
    if c.score is not None:  # a stored score (wegweiser scores refit); unscored: missing
        present, actual = _lookup(dict(person.scores), c.score)
        return _compare(c.op, actual, c.value, present)
    if c.property is not None:
        present, actual = _lookup(dict(properties or {}), c.property)
        return _compare(c.op, actual, c.value, present)
    if c.phase is not None:
        wanted = [c.phase] if isinstance(c.phase, str) else c.phase
        return person.phase in wanted
    assert c.event is not None
    stats = person.events.get(c.event)
    if stats is None:
        return c.min_count == 0
    if c.within_days is not None:
        moment = time.time() if now is None else now
        if stats.last < moment - c.within_days * 86400:
            return c.min_count == 0
    return stats.count >= c.min_count
