"""The input of every analysis: person-ordered touchpoint events.

:func:`journey_events` joins each touchpoint event (``track``/``page``/``screen``) to the
``person_id`` of its stitched person. :func:`journey_table` adds what every analysis needs
and is materialised once per store version as the ``journey`` table:

* ``seq`` — 0-based position in the person's journey, ordered by ``timestamp`` and, for
  equal timestamps, by ``message_id`` (so ties have one fixed, documented order);
* ``session`` — 0-based session number of the person: a new session starts when more than
  ``windows.session_gap_minutes`` passed since the person's previous event, on any device;
  ``session_id`` is ``person_id:session``;
* ``phase`` — the phase the event maps to (NULL for none), ``is_conversion``;
* ``next_event`` / ``next_timestamp`` — the person's following event (NULL at the end).

With ``codes=True`` (the DuckDB journey, stored in ``(person_n, seq)`` order) three integer
columns follow, so that group-bys and partitions hash integers instead of strings:
``person_n`` (0-based rank of ``person_id``, so person order is ``person_id`` order),
``event_n`` (0-based rank of the event name among the journey's names) and
``next_event_n`` (that of ``next_event``). A code is NULL exactly where its name is.
Analyses use them only when present and true to the names (:func:`._codes.has_codes`): a
view that renames events goes through :func:`._codes.rename_events`, which drops them; one
that renumbers ``seq`` recomputes ``next_event_n`` with ``next_event``.

With ``[privacy] analytics_consent = "required"`` the persons whose latest statement
withdrew analytics consent are left out (:mod:`wegweiser.analysis.consent`), so every
analysis of the journey honours it on every engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis._codes import CODE_COLUMNS

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.config import Config

TOUCHPOINT_TYPES = ("track", "page", "screen")

JOURNEY_COLUMNS = (
    "person_id", "seq", "timestamp", "event", "channel", "campaign", "source", "medium",
    "device", "platform", "country", "revenue", "properties", "message_id", "phase",
    "is_conversion", "session", "session_id", "next_event", "next_timestamp",
)


def events_with_person(events: ir.Table, identities: ir.Table) -> ir.Table:
    """``events`` (any type) with the ``person_id`` of their user id, else their anonymous
    id (NULL when neither is stitched)."""
    ids = identities.select("id", "person_id")
    by_user = ids.rename(user_person="person_id", user_key="id")
    by_anon = ids.rename(anon_person="person_id", anon_key="id")
    joined = events.left_join(by_user, events.user_id == by_user.user_key).left_join(
        by_anon, events.anonymous_id == by_anon.anon_key
    )
    return joined.mutate(person_id=joined.user_person.coalesce(joined.anon_person)).drop(
        "user_person", "user_key", "anon_person", "anon_key"
    )


def journey_events(events: ir.Table, identities: ir.Table) -> ir.Table:
    """Touchpoint events, each with the ``person_id`` of its user id, else its anonymous id."""
    return events_with_person(events.filter(events.type.isin(TOUCHPOINT_TYPES)), identities)


def _ranked(table: ir.Table, column: str, code: str) -> ir.Table:
    """The distinct values of ``column`` (renamed ``_key``) with their 0-based rank ``code``."""
    values = table.select(_key=table[column]).distinct()
    return values.mutate(**{code: ibis.dense_rank().over(order_by="_key").cast("int64")})


def _with_codes(base: ir.Table) -> ir.Table:
    """``base`` with ``person_n`` and ``event_n`` (NULL where the name is NULL: no join
    matches it)."""
    persons = _ranked(base, "person_id", "person_n")
    base = base.left_join(persons, base.person_id == persons._key).drop("_key")
    names = _ranked(base, "event", "event_n")
    return base.left_join(names, base.event == names._key).drop("_key")


def journey_table(
    events: ir.Table, identities: ir.Table, config: Config, *, codes: bool = False
) -> ir.Table:
    """The ``journey`` expression (see the module docstring); ``codes`` adds
    :data:`CODE_COLUMNS`."""
    from wegweiser.analysis.consent import leave_out, withheld_by
    from wegweiser.analysis.phases import phase_of  # the analysis module: built only here

    base = leave_out(journey_events(events, identities),
                     withheld_by(events, identities, config))
    base = base.select(
        "person_id", "timestamp", "event", "channel", "campaign", "source", "medium",
        "device", "platform", "country", "revenue",
        properties=base.properties.cast("string"), message_id=base.message_id,
    )
    if codes:
        base = _with_codes(base)
    person = "person_n" if codes else "person_id"  # the same partitions, integers hash faster
    order = ibis.window(group_by=person, order_by=["timestamp", "message_id"])
    gap = ibis.interval(minutes=config.windows.session_gap_minutes)
    lead: dict[str, ir.Value] = {"next_event_n": base.event_n.lead().over(order)} if codes else {}
    step = base.mutate(
        seq=ibis.row_number().over(order).cast("int64"), **lead,
        prev_timestamp=base.timestamp.lag().over(order),
        next_event=base.event.lead().over(order),
        next_timestamp=base.timestamp.lead().over(order),
    )
    step = step.mutate(
        new_session=ibis.ifelse(
            step.prev_timestamp.isnull() | (step.timestamp > step.prev_timestamp + gap), 1, 0
        )
    )
    running = ibis.window(group_by=person, order_by=["seq"], preceding=None, following=0)
    with_sessions = step.mutate(session=step.new_session.sum().over(running) - 1)
    out = with_sessions.mutate(
        phase=phase_of(with_sessions.event, list(config.phases)),
        is_conversion=with_sessions.event.isin(config.conversion_events),
        session_id=with_sessions.person_id.concat(":", with_sessions.session.cast("string")),
    )
    return out.select(*JOURNEY_COLUMNS, *(CODE_COLUMNS if codes else ()))
