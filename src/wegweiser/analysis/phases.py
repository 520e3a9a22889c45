"""Phases: which phase each event puts a person in, and where each person is now.

An event belongs to the first phase (in config order) with a matching glob pattern; events
matching no phase leave the person's phase unchanged. A person's *current phase* is the phase
of their latest phase-mapped event (ties on the timestamp: the later phase in config order).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import ibis

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.config import Phase


def glob_regex(pattern: str) -> str:
    """An anchored RE2 regex for a glob with ``*`` and ``?``.

    >>> glob_regex("checkout_*")
    '^checkout_.*$'
    """
    return "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"


def _matches(event: ir.StringValue, pattern: str) -> ir.BooleanValue:
    if "*" in pattern or "?" in pattern:
        return event.re_search(glob_regex(pattern))
    return event == pattern


def phase_of(event: ir.StringValue, phases: list[Phase]) -> ir.StringValue:
    """The phase name an event maps to, or NULL.

    >>> import ibis
    >>> from wegweiser.config import default_config
    >>> t = ibis.memtable({"event": ["ad_click", "checkout_payment", "login"]})
    >>> t.select(phase=phase_of(t.event, default_config().phases)).to_pyarrow()["phase"].to_pylist()
    ['Awareness', 'Purchase', None]
    """
    branches = [
        (ibis.or_(*[_matches(event, p) for p in phase.events]), phase.name)
        for phase in phases
        if phase.events
    ]
    if not branches:
        return ibis.null().cast("string")
    return ibis.cases(*branches, else_=ibis.null().cast("string"))


def phase_rank(phase: ir.StringValue, phases: list[Phase]) -> ir.IntegerValue:
    """Position of a phase in the configured order (0-based), NULL for no phase."""
    return ibis.cases(*[(phase == p.name, i) for i, p in enumerate(phases)], else_=ibis.null())


def current_phase(journey: ir.Table, phases: list[Phase]) -> ir.Table:
    """One row per person: ``person_id``, ``phase`` (latest phase-mapped event), ``since``."""
    mapped = journey.mutate(phase=phase_of(journey.event, phases))
    mapped = mapped.filter(mapped.phase.notnull()).mutate(rank=phase_rank(mapped.phase, phases))
    last = mapped.group_by("person_id").agg(
        since=mapped.timestamp.max(),
    )
    at_last = mapped.join(
        last, (mapped.person_id == last.person_id) & (mapped.timestamp == last.since)
    )
    return at_last.group_by(at_last.person_id).agg(
        phase=at_last.phase.argmax(at_last.rank), since=at_last.since.max()
    )
