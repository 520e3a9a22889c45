"""Headline figures of a project: persons, events, channels, conversions, revenue, phases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from wegweiser.analysis.journeys import journey_events

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from wegweiser.analysis.registry import Inputs
    from wegweiser.config import Config


@dataclass(frozen=True)
class Overview:
    """Headline counts plus persons per current phase (``phases``: phase, persons, share)."""

    figures: dict[str, Any]
    phases: pd.DataFrame


def overview(events: Any, identities: Any, config: Config, *, withheld: Any = None
             ) -> Overview:
    """Compute the :class:`Overview` from the ``events`` and ``identities`` Ibis tables.
    With ``[privacy] analytics_consent = "required"`` the persons who withheld analytics
    consent are left out, as in the journey: ``withheld`` (their ``person_id``, e.g. the
    project's materialised table) or else computed from the events."""
    from wegweiser.analysis.consent import leave_out, withheld_by

    if withheld is None:
        withheld = withheld_by(events, identities, config)
    elif config.privacy.analytics_consent != "required":
        withheld = None
    return summarise(leave_out(journey_events(events, identities), withheld), config)


def scoped_overview(inputs: Inputs, options: Mapping[str, Any] | None = None) -> Overview:
    """The :class:`Overview` of the journey within a scope (``options``: the fields of
    :class:`~wegweiser.analysis.scope.Scope`; none: all data); bad values raise
    :class:`~wegweiser.errors.InvalidInput`."""
    from wegweiser.analysis.registry import describe
    from wegweiser.analysis.scope import Scope, check, scoped
    from wegweiser.errors import InvalidInput

    try:
        p = Scope.model_validate(dict(options or {}))
    except ValidationError as exc:
        raise InvalidInput(f"overview: {describe(exc)}") from None
    check(p)
    if p.by_segment:
        raise InvalidInput("the overview is one set of figures: give segment, not by_segment")
    view = scoped(inputs, p, renumber=False)
    return summarise(view.journey(), inputs.config, persons=view.rollup("persons"))


def summarise(journey: Any, config: Config, *, persons: Any = None) -> Overview:
    """The :class:`Overview` of a journey (e.g. the materialised one in a scope).

    ``persons``: the journey's materialised ``persons`` roll-up
    (:mod:`wegweiser.analysis.rollups`), read instead of every event (the same figures;
    only the distinct channels are counted on the journey)."""
    from wegweiser.analysis.phases import current_phase  # an analysis module: on use

    if persons is None:
        conv = journey.event.isin(config.conversion_events)
        figures = journey.aggregate(
            persons=journey.person_id.nunique(),
            events=journey.count(),
            channels=journey.channel.nunique(),
            conversions=conv.sum(),
            converters=journey.person_id.nunique(where=conv),
            revenue=journey.revenue.sum(where=conv),
        )
        now = current_phase(journey, list(config.phases))
    else:
        figures = persons.aggregate(
            persons=persons.count(), events=persons.events.sum(),
            conversions=persons.conversions.sum(), converters=(persons.conversions > 0).sum(),
            revenue=persons.revenue.sum(),
        ).cross_join(journey.aggregate(channels=journey.channel.nunique()))
        now = persons.filter(persons.phase.notnull())
    head = figures.to_pyarrow().to_pylist()[0]
    persons = int(head["persons"] or 0)
    conversions = int(head["conversions"] or 0)
    revenue = float(head["revenue"] or 0.0)
    figures = {
        "persons": persons,
        "events": int(head["events"] or 0),
        "channels": int(head["channels"] or 0),
        "conversions": conversions,
        "converting_persons": int(head["converters"] or 0),
        "conversion_rate": (int(head["converters"] or 0) / persons) if persons else 0.0,
        "revenue": round(revenue, 2),
        "average_order_value": round(revenue / conversions, 2) if conversions else 0.0,
        "currency": config.currency,
    }
    counts = now.group_by("phase").agg(persons=now.count()).to_pyarrow().to_pandas()
    order = {p.name: i for i, p in enumerate(config.phases)}
    counts = counts.assign(order=counts["phase"].map(order)).sort_values("order")
    counts = counts.drop(columns="order").reset_index(drop=True)
    counts["share"] = (counts["persons"] / persons).round(4) if persons else 0.0
    return Overview(figures, counts)
