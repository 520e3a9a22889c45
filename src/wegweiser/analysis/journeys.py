"""The input of every analysis: events with the ``person_id`` of their stitched person."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir


def journey_events(events: ir.Table, identities: ir.Table) -> ir.Table:
    """Events of real touchpoints (``identify``/``alias``/``group`` calls dropped), each with
    the ``person_id`` of its user id, else of its anonymous id."""
    ids = identities.select("id", "person_id")
    by_user = ids.rename(user_person="person_id", user_key="id")
    by_anon = ids.rename(anon_person="person_id", anon_key="id")
    touch = events.filter(events.type.isin(["track", "page", "screen"]))
    joined = touch.left_join(by_user, touch.user_id == by_user.user_key).left_join(
        by_anon, touch.anonymous_id == by_anon.anon_key
    )
    return joined.mutate(person_id=joined.user_person.coalesce(joined.anon_person)).drop(
        "user_person", "user_key", "anon_person", "anon_key"
    )
