"""Steps of the path analyses: events per unit (person or session), renamed, filtered, collapsed.

Name patterns (``groups``, ``exclude``, ``start``, ``end``): a pattern starting with ``re:``
is a regular expression searched anywhere in the event name (anchor it with ``^``/``$``; use
the syntax RE2 and Java share); any other pattern is a glob over the whole name where ``*``
is any text and ``?`` one character. Names are case-sensitive.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

import ibis

from wegweiser.analysis._codes import has_codes, rename_events
from wegweiser.analysis.phases import glob_regex
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import ibis.expr.types as ir

Unit = Literal["person", "session"]
UNITS: tuple[str, ...] = ("person", "session")
STEP_COLUMNS = (
    "unit_id", "person_id", "step", "event", "timestamp", "next_event", "next_timestamp",
)


def check_pattern(pattern: str, *, what: str = "pattern") -> str:
    """``pattern`` if it is a usable name pattern, else :class:`InvalidInput`.

    >>> check_pattern("re:^checkout_(shipping|payment)$")
    're:^checkout_(shipping|payment)$'
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidInput(f"empty {what}; give an event name, a glob such as checkout_* "
                           "or a regex such as re:^checkout_")
    if pattern.startswith("re:"):
        try:
            re.compile(pattern[3:])
        except re.error as exc:
            raise InvalidInput(f"{what} {pattern!r} is not a valid regular expression: {exc}; "
                               "fix it or use a glob (* and ?) without the re: prefix") from exc
    return pattern


def name_matches(event: ir.StringValue, pattern: str) -> ir.BooleanValue:
    """Whether ``event`` matches a name pattern (see the module docstring)."""
    if pattern.startswith("re:"):
        return event.re_search(pattern[3:])
    if "*" in pattern or "?" in pattern:
        return event.re_search(glob_regex(pattern))
    return event == pattern


def matches_any(event: ir.StringValue, patterns: Iterable[str]) -> ir.BooleanValue:
    """Whether ``event`` matches one of ``patterns`` (False for none)."""
    tests = [name_matches(event, p) for p in patterns]
    return ibis.or_(*tests) if tests else ibis.literal(False)


def check_unit(by: str) -> Unit:
    if by == "person":
        return "person"
    if by == "session":
        return "session"
    raise InvalidInput(f"unknown unit {by!r}; use by='person' or by='session'")


def prepare_steps(
    journey: ir.Table,
    *,
    groups: Mapping[str, str] | None = None,
    exclude: Iterable[str] | None = None,
    collapse: bool = False,
    by: str = "person",
) -> ir.Table:
    """The steps of each unit, renumbered: ``unit_id``, ``person_id``, ``step`` (1-based),
    ``event``, ``timestamp``, ``next_event``, ``next_timestamp`` (NULL at the unit's end).

    Applied in this order, keeping the journey order (``seq``: timestamp, then message_id):

    1. ``exclude``: events whose name, or whose group name, matches any pattern are dropped;
    2. ``groups`` (pattern -> group name): an event takes the group name of the first
       matching rule (rules in mapping order), else keeps its own name;
    3. ``collapse``: of a run of consecutive equal (grouped) events only the first is kept,
       with its timestamp;
    4. steps are numbered 1, 2, ... per unit. A unit is a person (``by="person"``,
       ``unit_id`` = person_id) or a session (``by="session"``, ``unit_id`` = session_id).

    Without cleaning, the journey's integer codes (``person_n``, ``event_n``,
    ``next_event_n``; see :mod:`wegweiser.analysis.journeys`) follow when it has them.

    >>> import ibis
    >>> from datetime import datetime, UTC
    >>> t = ibis.memtable({"person_id": ["p"] * 4, "seq": [0, 1, 2, 3],
    ...     "session_id": ["p:0"] * 4, "event": ["view", "checkout_a", "checkout_b", "buy"],
    ...     "timestamp": [datetime(2026, 1, 1, 0, m, tzinfo=UTC) for m in range(4)]})
    >>> s = prepare_steps(t, groups={"checkout_*": "checkout"}, collapse=True)
    >>> s.order_by("step").event.to_pyarrow().to_pylist()
    ['view', 'checkout', 'buy']
    """
    unit = check_unit(by)
    rules = {check_pattern(p, what="group pattern"): name for p, name in (groups or {}).items()}
    drops = [check_pattern(p, what="exclude pattern") for p in (exclude or [])]
    unit_id = journey.person_id if unit == "person" else journey.session_id
    if not rules and not drops and not collapse and _has_next(journey):
        return _plain_steps(journey, unit)
    t = journey.select(
        unit_id=unit_id, person_id=journey.person_id, seq=journey.seq,
        original=journey.event, timestamp=journey.timestamp,
    )
    renamed = ibis.cases(
        *[(name_matches(t.original, p), ibis.literal(name)) for p, name in rules.items()],
        else_=t.original,
    ) if rules else t.original
    t = rename_events(t, renamed)
    if drops:
        dropped = matches_any(t.original, drops)
        if rules:
            dropped = dropped | matches_any(t.event, drops)
        t = t.filter(~dropped)
    order = ibis.window(group_by="unit_id", order_by="seq")
    if collapse:
        t = t.mutate(previous=t.event.lag().over(order))
        t = t.filter(t.previous.isnull() | (t.previous != t.event))
    t = t.mutate(
        step=ibis.row_number().over(order) + 1,
        next_event=t.event.lead().over(order),
        next_timestamp=t.timestamp.lead().over(order),
    )
    return t.select(*STEP_COLUMNS)


def steps_have_codes(journey: ir.Table, *, groups: Mapping[str, str] | None = None,
                     exclude: Iterable[str] | None = None, collapse: bool = False) -> bool:
    """Whether :func:`prepare_steps` with these options keeps the journey's integer codes
    (:func:`._codes.has_codes` of its result), without building it: only uncleaned steps
    from a journey with codes and ``next_*`` columns do (either unit)."""
    plain = not groups and not exclude and not collapse and _has_next(journey)
    return plain and has_codes(journey)


def _has_next(journey: ir.Table) -> bool:
    return {"next_event", "next_timestamp", "session_id"} <= set(journey.columns)


def _plain_steps(journey: ir.Table, unit: Unit) -> ir.Table:
    """Steps without cleaning, from the journey's ``seq`` and ``next_*`` columns: no ordered
    window for persons; for sessions one unordered window (first and last ``seq``). The
    journey's integer codes (``person_n``, ``event_n``, ``next_event_n``) come along when
    it has them (the events keep their names, so the codes stay true)."""
    j = journey
    coded = has_codes(j)
    codes: dict[str, ir.Value] = (
        {"person_n": j.person_n, "event_n": j.event_n, "next_event_n": j.next_event_n}
        if coded else {}
    )
    if unit == "person":
        return j.select(
            unit_id=j.person_id, person_id=j.person_id, step=j.seq + 1, event=j.event,
            timestamp=j.timestamp, next_event=j.next_event, next_timestamp=j.next_timestamp,
            **codes,
        )
    # sessions are (person, session number) pairs: integers hash faster than session_id
    session = ibis.window(group_by=["person_n", "session"] if coded else "session_id")
    j = j.mutate(first_seq=j.seq.min().over(session), last_seq=j.seq.max().over(session))
    inside = j.seq < j.last_seq
    if coded:
        codes = {"person_n": j.person_n, "event_n": j.event_n,
                 "next_event_n": ibis.ifelse(inside, j.next_event_n,
                                             ibis.null().cast("int64"))}
    return j.select(
        unit_id=j.session_id, person_id=j.person_id, step=j.seq - j.first_seq + 1,
        event=j.event, timestamp=j.timestamp,
        next_event=ibis.ifelse(inside, j.next_event, ibis.null().cast("string")),
        next_timestamp=ibis.ifelse(
            inside, j.next_timestamp, ibis.null().cast(j.next_timestamp.type())
        ),
        **codes,
    )


def first_hits(steps: ir.Table, pattern: str, name: str, *,
               after: str | None = None) -> ir.Table:
    """Per unit with a step matching ``pattern`` (after the step in column ``after``, when
    given): ``unit_id`` and that first step in column ``name``."""
    hit = name_matches(steps.event, pattern)
    if after is not None:
        hit = hit & (steps.step > steps[after])
    hits = steps.filter(hit)
    return hits.group_by("unit_id").agg(**{name: hits.step.min()})


def with_first(steps: ir.Table, pattern: str, name: str) -> ir.Table:
    """``steps`` of the units that have a step matching ``pattern``, with the unit's first
    such step in column ``name``: a group-by over the matching steps joined back on
    ``unit_id`` (cheaper than a window over all steps when few steps match)."""
    firsts = first_hits(steps, pattern, name).rename(unit_key="unit_id")
    return steps.join(firsts, steps.unit_id == firsts.unit_key).drop("unit_key")


def collapsed_runs(journey: ir.Table) -> ir.Table:
    """The steps of :func:`prepare_steps` ``(collapse=True)`` by person, for transitions only,
    from a journey with integer codes (:func:`._codes.has_codes`) and ``next_*``: one row per
    run of equal consecutive events, with ``timestamp`` its first event's, ``next_*`` the next
    run's (its first event's time), and ``step`` 1 for the person's first run (0 for the
    others: transitions need no other number).

    No window over every event: a run ends at an event whose next event (``next_event_n``)
    differs or is missing, and that row already holds the next run's event and time. Only a
    run of two or more events needs its start: its other events (those whose next event is
    the same) form an island of consecutive ``seq``, numbered by ``seq - row_number`` in one
    window over those events alone; the island's first time is the run's start, and the run
    ends at the event after the island.
    """
    j = journey
    is_end = j.next_event_n.isnull() | (j.next_event_n != j.event_n)
    inside = j.filter(~is_end).select("person_n", "seq", "timestamp")
    order = ibis.window(group_by="person_n", order_by="seq")
    inside = inside.mutate(rank=ibis.row_number().over(order))
    inside = inside.mutate(island=inside.seq - inside["rank"])
    islands = inside.group_by("person_n", "island").agg(
        first_seq=inside.seq.min(), start=inside.timestamp.min(), end_seq=inside.seq.max() + 1,
    )
    islands = islands.select(i_person="person_n", i_end="end_seq", i_first="first_seq",
                             i_start="start")
    ends = j.filter(is_end)
    runs = ends.left_join(
        islands, (ends.person_n == islands.i_person) & (ends.seq == islands.i_end)
    )
    first = (runs.seq == 0) | (runs.i_first.notnull() & (runs.i_first == 0))
    return runs.select(
        unit_id=runs.person_id, person_id=runs.person_id,
        step=ibis.ifelse(first, 1, 0).cast("int64"), event=runs.event,
        timestamp=runs.i_start.coalesce(runs.timestamp), next_event=runs.next_event,
        next_timestamp=runs.next_timestamp, person_n=runs.person_n, event_n=runs.event_n,
        next_event_n=runs.next_event_n,
    )
