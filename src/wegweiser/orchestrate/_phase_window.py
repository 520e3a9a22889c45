"""The triggers' phase window (internal): which phase moves new events made, and each
person's current phase, read from the touched persons' events in one window per person.

A person's phase events (those whose event maps to a phase) are ordered by timestamp, then
phase rank, then ``message_id``; a move is an event of a new import whose phase differs from
the one before it (or that has none before it), and the current phase is that of the last
phase event.
"""

from __future__ import annotations

from itertools import compress
from typing import TYPE_CHECKING

import ibis

from wegweiser.analysis.phases import phase_of, phase_rank
from wegweiser.analysis.result import to_frame
from wegweiser.orchestrate._lists import as_lists

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wegweiser.config import Phase

#: ``(person_id, ts, from_phase, to_phase)``: a phase move, ``ts`` in epoch seconds
Move = tuple[str, float, str | None, str]


def phase_moves(touch: ir.Table, phases: list[Phase], ids: list[str]
                ) -> tuple[list[Move], dict[str, str]]:
    """The moves the events of the imports ``ids`` made, in order, and each person's
    current phase, from the touchpoint events ``touch`` (all of the touched persons'); no
    phases: none."""
    if not phases:
        return [], {}
    mapped = touch.mutate(phase=phase_of(touch.event, phases))
    mapped = mapped.filter(mapped.phase.notnull())
    mapped = mapped.mutate(rank=phase_rank(mapped.phase, phases))
    order = ibis.window(group_by="person_id", order_by=["timestamp", "rank", "message_id"])
    mapped = mapped.mutate(prev=mapped.phase.lag().over(order),
                           after=mapped.phase.lead().over(order))
    moved = mapped.import_id.isin(ids) & (mapped.prev.isnull()
                                          | (mapped.prev != mapped.phase))
    last = mapped.after.isnull()
    # the moves and each person's last phase event in one pass of the window
    tr = as_lists(mapped.filter(moved | last).select(
        "person_id", "timestamp", "prev", "phase", "rank", "message_id", moved_=moved,
        last_=last).order_by("timestamp", "rank", "message_id"))
    transitions = list(compress(zip(tr["person_id"], tr["timestamp"], tr["prev"],
                                    tr["phase"], strict=True), tr["moved_"]))
    current = dict(compress(zip(tr["person_id"], tr["phase"], strict=True), tr["last_"]))
    return transitions, current


def current_phases(mine: ir.Table, phases: list[Phase]) -> dict[str, str]:
    """Each person's current phase (that of their last phase event) among the events
    ``mine`` (any type; touchpoints count)."""
    if not phases:
        return {}
    touch = mine.filter(mine.type.isin(("track", "page", "screen")))
    mapped = touch.mutate(phase=phase_of(touch.event, phases))
    mapped = mapped.filter(mapped.phase.notnull())
    mapped = mapped.mutate(rank=phase_rank(mapped.phase, phases))
    order = ibis.window(group_by="person_id", order_by=["timestamp", "rank", "message_id"])
    last = mapped.mutate(after=mapped.phase.lead().over(order))
    frame = to_frame(last.filter(last.after.isnull()).select("person_id", "phase"))
    return dict(zip(frame["person_id"].tolist(), frame["phase"].tolist(), strict=True))
