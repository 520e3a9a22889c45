"""Fit the send-time model on a project: engagement counts on the engine, each person's
local clock, personas as priors.

:func:`fit_send_time` runs :func:`~wegweiser.orchestrate.sendtime.engagement_counts` on the
project's journey table (one query; only the per-person hour-of-week counts leave the
engine), moves each person's counts to their local clock (the delivery settings' time-zone
trait, else their latest country, else the default zone; the UTC offset at ``now``), and
uses the remembered personas (``wegweiser personas``) as priors when there are any.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput
from wegweiser.orchestrate.person import Person
from wegweiser.orchestrate.policy import person_zone
from wegweiser.orchestrate.sendtime import SendTimeModel, engagement_counts, to_local

if TYPE_CHECKING:
    from wegweiser.orchestrate.settings import Delivery
    from wegweiser.project import Project

__all__ = ["fit_send_time"]


def _offsets(project: Project, persons: list[str], delivery: Delivery, now: datetime
             ) -> dict[str, float]:
    journey = project.journey()
    zones = to_frame(project.traits(delivery.timezone_trait))
    zone_of = {str(p): z for p, z in zip(zones["person_id"], zones.iloc[:, 1], strict=True)
               if isinstance(z, str) and z}
    countries = to_frame(journey.filter(journey.country.notnull()).group_by("person_id")
                         .agg(country=journey.country.max()))
    country_of = dict(zip(countries["person_id"].astype(str), countries["country"],
                          strict=True))
    out = {}
    for pid in persons:
        traits = {delivery.timezone_trait: zone_of[pid]} if pid in zone_of else {}
        zone = person_zone(Person(pid, traits=traits, country=country_of.get(pid)), delivery)
        offset = now.astimezone(zone).utcoffset()
        out[pid] = offset.total_seconds() / 3600 if offset is not None else 0.0
    return out


def fit_send_time(project: Project, *, delivery: Delivery | None = None,
                  personas: bool = True, model: SendTimeModel | None = None,
                  now: datetime | None = None) -> SendTimeModel:
    """The send-time model of ``project`` (module docstring); ``model`` gives the
    hyper-parameters (default :class:`SendTimeModel`)."""
    from wegweiser.orchestrate.settings import Delivery

    delivery = delivery or Delivery()
    now = now or datetime.now(UTC)
    journey = project.journey()
    counts = to_frame(engagement_counts(journey))
    persons = sorted(counts["person_id"].astype(str).unique())
    counts["person_id"] = counts["person_id"].astype(str)
    counts = to_local(counts, _offsets(project, persons, delivery, now))
    groups = None
    memory = project.persona_memory() if personas else None
    if memory:
        from wegweiser.analysis.personas import remembered_members

        try:
            found = remembered_members(journey, memory)
        except InvalidInput:  # personas of an older version: the population prior
            found = None
        if found is not None:
            groups = {str(p): str(g) for p, g in zip(found["person_id"], found["persona"],
                                                     strict=True)}
    return (model or SendTimeModel()).fit(counts, groups=groups)
