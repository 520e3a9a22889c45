"""Persons who withheld analytics consent, as an Ibis expression (every engine).

With ``[privacy] analytics_consent = "required"`` the journey table leaves these persons
out, so every analysis that reads it honours the setting. A person withheld consent when
their latest statement on the category (Segment's ``context.consent.categoryPreferences``
on any event, or the consent trait of an ``identify`` event; the context counts over the
trait within one event) is false -- the same rule as :mod:`wegweiser.events.consent`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis.filters import property_value, trimmed

if TYPE_CHECKING:
    import ibis.expr.types as ir

_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


def _flag(text: ir.StringValue) -> ir.BooleanValue:
    low = trimmed(text).lower()
    return ibis.cases((low.isin(_TRUE), True), (low.isin(_FALSE), False), else_=None)


def withheld(events: ir.Table, identities: ir.Table, *, category: str,
             trait: str) -> ir.Table:
    """``person_id`` of every person whose latest statement on ``category`` is false."""
    ids = identities.select("id", "person_id")
    by_user = ids.rename(user_person="person_id", user_key="id")
    by_anon = ids.rename(anon_person="person_id", anon_key="id")
    joined = events.left_join(by_user, events.user_id == by_user.user_key).left_join(
        by_anon, events.anonymous_id == by_anon.anon_key)
    rows = joined.mutate(person_id=joined.user_person.coalesce(joined.anon_person))
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
