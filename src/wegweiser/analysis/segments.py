"""Segments: saved, named groups of persons, and who belongs to them (a pure function).

A :class:`Segment` combines any of these parts; a person is a **member** when every given
part holds:

* ``did``: the person did each of these events at least once (within ``within``);
* ``did_not``: the person did none of these events (within ``within``);
* ``where``: conditions of the filter model (:mod:`wegweiser.analysis.filters`): one of the
  person's events satisfies every event condition, and their ``trait:`` conditions hold;
* ``ids``: the person's ``person_id`` is in this static list (``segments add --ids FILE``
  reads a CSV; ``segments export`` writes one).

``within`` (a duration such as ``14d``) is the window ``[as_of - within, as_of]`` of ``did``
and ``did_not``, ``as_of`` being the moment the segment is evaluated (now, unless given);
without it the whole journey counts. Only persons with a journey can be members.

A project keeps its segments as files ``segments/<name>.toml`` (``wegweiser segments add``
writes them). :func:`members` is what an analysis's ``segment``/``by_segment`` parameters,
the CLI's ``segments export`` and (later) a journey entry use.

>>> Segment(name="carts", did=["add_to_cart"], did_not=["order_completed"], within="14d").kind
'behaviour'
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import ibis
from pydantic import AfterValidator, Field, field_validator, model_validator

from wegweiser.analysis import filters
from wegweiser.analysis.params import Duration, Names, Params, duration
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import ibis.expr.types as ir

__all__ = ["NAME_PATTERN", "Rule", "Segment", "Where", "check_name", "members"]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
MAX_IDS = 1_000_000

Where = Annotated[
    list[Annotated[str, Field(max_length=1000)] | filters.Condition],
    Field(max_length=100),
    AfterValidator(filters.conditions),
]


class Rule(Params):
    """Who belongs to a segment (see :mod:`wegweiser.analysis.segments`); the API's body."""

    description: Annotated[str, Field(max_length=500)] = ""
    did: Names = Field(default_factory=list)
    did_not: Names = Field(default_factory=list)
    within: Duration | None = None
    where: Where = Field(default_factory=list)
    ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=MAX_IDS)
    ] = Field(default_factory=list)

    @field_validator("ids")
    @classmethod
    def _unique(cls, ids: list[str]) -> list[str]:
        return sorted(set(ids))

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if not (self.did or self.did_not or self.where or self.ids):
            raise ValueError("the segment has no rule; give did, did_not, where or ids")
        if self.within is not None and not (self.did or self.did_not):
            raise ValueError("within applies to did/did_not; give one of them")
        for c in filters.conditions(self.where):
            if c.step is not None:
                raise ValueError("a segment's condition cannot name a step")
        return self

    @property
    def kind(self) -> str:
        """``behaviour``, ``traits``, ``list`` or ``mixed`` (for lists of segments)."""
        parts = [
            k
            for k, on in (
                ("behaviour", self.did or self.did_not),
                ("traits", self.where),
                ("list", self.ids),
            )
            if on
        ]
        return parts[0] if len(parts) == 1 else "mixed"

    def summary(self) -> dict[str, Any]:
        """One row of ``segments list``."""
        rule = []
        if self.did:
            rule.append("did " + ", ".join(self.did))
        if self.did_not:
            rule.append("did not " + ", ".join(self.did_not))
        if self.within:
            rule.append(f"within {self.within}")
        rule += [filters.describe(c) for c in filters.conditions(self.where)]
        if self.ids:
            rule.append(f"{len(self.ids)} listed ids")
        return {
            "name": getattr(self, "name", ""),
            "kind": self.kind,
            "rule": "; ".join(rule),
            "description": self.description,
        }


class Segment(Rule):
    """A saved, named group of persons (see :mod:`wegweiser.analysis.segments`)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]


def members(
    journey: ir.Table,
    segment: Segment,
    *,
    as_of: datetime | None = None,
    traits: Callable[[str], ir.Table] | None = None,
    personas: Callable[[Sequence[str]], tuple[ir.Table, list[str]]] | None = None,
    scores: Callable[[str], ir.Table] | None = None,
) -> ir.Table:
    """The members of ``segment``: one row per ``person_id`` (see the module docstring).

    ``journey`` is the whole journey (not a filtered one); ``traits(key)`` gives the
    ``(person_id, <key>)`` table of a trait for ``trait:`` conditions, ``personas`` the
    persona side of ``persona`` conditions (:func:`wegweiser.analysis.filters.apply`).
    """
    persons = journey.select("person_id").distinct()
    t = journey
    if segment.did or segment.did_not:
        window = duration(segment.within)
        if window is not None:
            end = (as_of or datetime.now(UTC)).astimezone(UTC)
            t = t.filter((t.timestamp >= ibis.literal(end - window)) & (t.timestamp <= end))
        names = sorted(set(segment.did) | set(segment.did_not))
        done = t.filter(t.event.isin(names))
        flags = {f"d{i}": (done.event == name).any() for i, name in enumerate(names)}
        per = done.group_by(p=done.person_id).agg(**flags)
        for i, name in enumerate(names):
            if name in segment.did:
                hit = per.filter(per[f"d{i}"])
                persons = persons.filter(persons.person_id.isin(hit.p))
            else:
                hit = per.filter(per[f"d{i}"])
                persons = persons.filter(~persons.person_id.isin(hit.p))
    conds = filters.conditions(segment.where)
    if conds:
        matched = filters.apply(journey, conds, traits, personas=personas, scores=scores)
        matched = matched.select("person_id").distinct()
        persons = persons.filter(persons.person_id.isin(matched.person_id))
    if segment.ids:
        listed = ibis.memtable({"l_person": segment.ids})
        persons = persons.filter(persons.person_id.isin(listed.l_person))
    return persons


def check_name(name: str) -> str:
    """``name`` if it can name a segment (a file name), else :class:`InvalidInput`."""
    if not re.match(NAME_PATTERN, name):
        raise InvalidInput(
            f"segment name {name!r}: use letters, digits, '-' and '_' "
            "(at most 64, starting with a letter or digit)"
        )
    return name
