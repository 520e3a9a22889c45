"""Person traits from ``identify`` events, for ``breakdown="trait:<key>"`` (internal).

A person's trait is the value of ``traits.<key>`` on their latest ``identify`` event that sets
it (ties on the timestamp: the higher ``message_id``); a string by its value, a number or
boolean by its JSON text; ``key`` is a key, not a path
(``a.b`` is the trait named so), and a JSON ``null`` is no value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wegweiser.analysis.filters import property_value

if TYPE_CHECKING:
    import ibis.expr.types as ir


def identify_traits(events: ir.Table, identities: ir.Table, key: str) -> ir.Table:
    """One row per person that has the trait: ``person_id`` and a column named ``key``."""
    ids = identities.select(i_id=identities.id, i_person=identities.person_id)
    idents = events.filter(events.type == "identify")
    idents = idents.select(
        i_key=idents.user_id.coalesce(idents.anonymous_id), i_ts=idents.timestamp,
        i_mid=idents.message_id, i_value=property_value(idents.traits, key),
    )
    idents = idents.filter(idents.i_value.notnull())
    rows = idents.join(ids, idents.i_key == ids.i_id)
    latest = rows.group_by(l_person=rows.i_person).agg(l_ts=rows.i_ts.max())
    at_latest = rows.join(
        latest, (rows.i_person == latest.l_person) & (rows.i_ts == latest.l_ts)
    )
    return at_latest.group_by(person_id=at_latest.i_person).agg(
        **{key: at_latest.i_value.argmax(at_latest.i_mid)}
    )
