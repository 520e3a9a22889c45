"""Roll-ups of the journey that the overview, trends, phases and sessions read instead of events.

They are materialised beside the ``journey`` table, rebuilt with it (the same stamp), so
that the dashboard's overview reads tables of person-days and persons instead of every
event (issue 20: the overview with its trend at 10M events):

* ``person_days`` — one row per person and UTC day with an event: ``day`` (days since
  1970-01-01), ``events``, ``conversions`` (events that are conversion events),
  ``converted`` (1 when there was one, else 0), ``revenue`` (of the conversions; NULL
  without) and ``prev_day`` (the person's previous day with an event; NULL on the first);
* ``persons`` — one row per person: ``events``, ``conversions``, ``revenue`` (as above),
  ``phase`` and ``since`` (the current phase, :func:`~wegweiser.analysis.phases.current_phase`;
  NULL for a person without a phase-mapped event);
* ``phase_episodes`` — one row per phase episode of a person: the columns of
  :func:`~wegweiser.analysis.phases.episode_table`, from which the phase analysis (without
  ``as_of``) aggregates its tables instead of ordering every phase-mapped event again;
* ``sessions`` — one row per session of the journey's own sessions (the project's
  ``windows.session_gap_minutes``; the gap is part of the stamp): the columns of
  :func:`~wegweiser.analysis.sessions.stored_sessions`, from which the sessions analysis
  (at the project's gap) aggregates its tables instead of grouping every event again.

Every figure of the overview and of ``trends`` (without an event filter) is a sum or a
distinct count over these rows, so reading them gives the same numbers as reading the
journey; the tests check it on random logs.

Built from the journey, they leave out the persons who withheld analytics consent when
``[privacy] analytics_consent = "required"``, as the journey does; their stamp is the
journey's (the settings, ``[privacy]`` among them, and the store's import state), so a
consent statement arriving later -- an import like any event -- rebuilds both
(``tests/analysis/test_consent.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.config import Phase

#: part of the roll-ups' stamp: raise it when their columns or definitions change, so that
#: stores built by an earlier version rebuild them
VERSION = 1
#: the roll-ups by name, in the order they are built
NAMES: tuple[Literal["person_days", "persons", "phase_episodes", "sessions"], ...] = (
    "person_days", "persons", "phase_episodes", "sessions")


def person_days(journey: ir.Table, keys: tuple[str, ...] = ()) -> ir.Table:
    """Person-days of the events ``journey`` (per ``keys`` as well): the ``person_days``
    columns. ``journey`` needs a ``day`` column when ``keys`` are given (see
    :func:`~wegweiser.analysis.retention.day_index`); else it is added."""
    from wegweiser.analysis.retention import day_index

    t = journey if "day" in journey.columns else journey.mutate(day=day_index(journey.timestamp))
    conv = t.is_conversion.cast("int64")
    return t.group_by(["person_id", "day", *keys]).agg(
        events=t.count(), conversions=conv.sum(), converted=conv.max(),
        revenue=t.revenue.sum(where=t.is_conversion))


def with_previous_day(days: ir.Table) -> ir.Table:
    """``days`` (person-days) with ``prev_day``: the person's previous day in them."""
    import ibis

    order = ibis.window(group_by="person_id", order_by="day")
    return days.mutate(prev_day=days.day.lag().over(order))


def persons(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """One row per person of ``journey``: the ``persons`` columns."""
    from wegweiser.analysis.phases import current_phase

    per = journey.group_by("person_id").agg(
        events=journey.count(), conversions=journey.is_conversion.cast("int64").sum(),
        revenue=journey.revenue.sum(where=journey.is_conversion))
    now = current_phase(journey, phases)
    joined = per.left_join(now, per.person_id == now.person_id)
    return joined.select(per.person_id, per.events, per.conversions, per.revenue,
                         now.phase, now.since)


def build(name: str, journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """The expression of the roll-up ``name`` over ``journey``."""
    if name == "person_days":
        return with_previous_day(person_days(journey))
    if name == "persons":
        return persons(journey, phases)
    if name == "phase_episodes":
        from wegweiser.analysis.phases import episode_table

        return episode_table(journey, phases)
    if name == "sessions":
        from wegweiser.analysis.sessions import stored_sessions

        return stored_sessions(journey)
    raise KeyError(f"no roll-up {name!r}; there are {', '.join(NAMES)}")
