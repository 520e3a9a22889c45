"""Persons who withheld analytics consent, as an Ibis expression (every engine).

With ``[privacy] analytics_consent = "required"`` the journey table leaves these persons
out, so every analysis that reads it honours the setting. A person withheld consent when
their latest statement on the category (Segment's ``context.consent.categoryPreferences``
on any event, or the consent trait of an ``identify`` event; the context counts over the
trait within one event) is false -- the same rule as :mod:`wegweiser.events.consent`.

The figures that do not come from the journey follow the same setting through
:func:`consented_events` (the store's counts: ``Project.stats``) and :func:`leave_out`
(any table with a ``person_id``), so the overview and every analysis agree. The project
materialises :func:`withheld_by` beside the journey (``Project.consent_withheld``), so
that these read a small table instead of every event's consent statements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis.filters import property_value, trimmed
from wegweiser.analysis.journeys import events_with_person

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.config import Config

_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


def _flag(text: ir.StringValue) -> ir.BooleanValue:
    low = trimmed(text).lower()
    return ibis.cases((low.isin(_TRUE), True), (low.isin(_FALSE), False), else_=None)


def withheld(events: ir.Table, identities: ir.Table, *, category: str,
             trait: str) -> ir.Table:
    """``person_id`` of every person whose latest statement on ``category`` is false."""
    rows = events_with_person(events, identities)
    context = rows.context.cast("string")
    traits = rows.traits.cast("string")
    in_context = property_value(
        property_value(property_value(context, "consent"), "categoryPreferences"), category)
    in_trait = ibis.ifelse(rows.type == "identify",
                           property_value(property_value(traits, trait), category), None)
    said = rows.mutate(said=_flag(in_context).coalesce(_flag(in_trait)))
    # cheap first cut: only rows whose text mentions the category at all
    said = said.filter(context.contains(category) | traits.contains(category))
    said = said.filter(said.said.notnull() & said.person_id.notnull())
    order = ibis.window(group_by="person_id", order_by=[ibis.desc("timestamp"),
                                                        ibis.desc("message_id")])
    ranked = said.mutate(rank=ibis.row_number().over(order))
    latest = ranked.filter((ranked.rank == 0) & ~ranked.said)
    return latest.select("person_id").distinct()


def withheld_by(events: ir.Table, identities: ir.Table, config: Config) -> ir.Table | None:
    """The persons the project leaves out of its analyses (:func:`withheld` with the
    project's ``[privacy]`` settings), or None when ``analytics_consent`` is ``ignore``."""
    privacy = config.privacy
    if privacy.analytics_consent != "required":
        return None
    return withheld(events, identities, category=privacy.analytics_category,
                    trait=privacy.consent_trait)


def leave_out(table: ir.Table, out: ir.Table | None) -> ir.Table:
    """``table`` (with a ``person_id`` column) without the persons ``out`` (a
    ``person_id`` table: :func:`withheld_by`); ``table`` itself when ``out`` is None."""
    return table if out is None else table.anti_join(out, table.person_id == out.person_id)


def consented_events(events: ir.Table, identities: ir.Table, out: ir.Table | None
                     ) -> ir.Table:
    """``events`` (every type) without those of the persons ``out`` (:func:`withheld_by`);
    ``events`` itself when ``out`` is None. An event belongs to the person of its user id,
    else of its anonymous id (as in the journey)."""
    if out is None:
        return events
    rows = events_with_person(events, identities)
    kept = rows.anti_join(out, rows.person_id == out.person_id)
    return kept.select(*events.columns)
