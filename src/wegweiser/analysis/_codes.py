"""The journey's integer codes (internal): which columns, whether a table has them *and they
still describe its names*, and the one way to rewrite event names on a journey.

The DuckDB journey carries ``person_n``, ``event_n`` and ``next_event_n`` beside the names
(see :mod:`wegweiser.analysis.journeys`); analyses group and partition by them when present.
A view that renames or regroups ``event`` but keeps ``event_n`` would make such an analysis
count the old names' rows under the new names: a silently wrong number. Two guards:

* :func:`rename_events` is how an event rewrite is done (groups, renames): it recomputes
  ``next_event`` from the new names and drops the event codes;
* :func:`has_codes` trusts the codes only where each came out of the same step of the
  expression as its name (:func:`_origin`), so even a plain ``mutate(event=...)`` that
  keeps ``event_n`` makes the analyses fall back to the names.

Kept apart from ``journeys`` so that modules below it (``scope``) can ask without a cycle.

>>> import ibis
>>> t = ibis.memtable({"person_id": ["p", "p"], "seq": [0, 1], "event": ["a_1", "a_2"],
...     "next_event": ["a_2", None], "person_n": [0, 0], "event_n": [0, 1],
...     "next_event_n": [1, None]})
>>> has_codes(t), has_codes(t.mutate(event=t.event.left(1)))
(True, False)
>>> g = rename_events(t, t.event.left(1))
>>> has_codes(g), g.order_by("seq").next_event.to_pyarrow().to_pylist()
(False, ['a', None])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.operations as ops

if TYPE_CHECKING:
    import ibis.expr.types as ir

#: the integer codes of the DuckDB journey
CODE_COLUMNS = ("person_n", "event_n", "next_event_n")

#: each code and the name it encodes
_NAMED = (("person_n", "person_id"), ("event_n", "event"), ("next_event_n", "next_event"))

#: steps that keep every column as it is (rows may go, columns may go)
_KEEP_COLUMNS = (ops.Filter, ops.Sort, ops.Limit, ops.Distinct, ops.DropColumns, ops.Sample)


def has_codes(table: ir.Table) -> bool:
    """Whether ``table`` carries the journey's integer codes (:data:`CODE_COLUMNS`) and each
    still encodes its name: the code and the name come out of the same step (a stored
    table, a join, one ``mutate``), so a step that rewrote a name without its code (or a
    code without its name) is seen, and the analyses go by the names."""
    if not set(CODE_COLUMNS) <= set(table.columns):
        return False
    rel = table.op()
    for code, name in _NAMED:
        if name not in table.columns:
            return False
        at_code, code_as = _origin(rel, code)
        at_name, name_as = _origin(rel, name)
        if at_code is not at_name and at_code != at_name:
            return False
        if (code_as, name_as) != (code, name):
            return False  # e.g. ``event`` is another column (``phase``) under a new name
    return True


def _origin(rel: ops.Relation, name: str) -> tuple[ops.Relation, str]:
    """The step of the expression where the column ``name`` of ``rel`` got its values, and
    its name there: through projections that pass it on unchanged (perhaps renamed) and
    steps that keep columns as they are (filters, sorts, ...); any other step (a stored
    table, a join, an aggregation) counts as where all its columns are made."""
    while True:
        if isinstance(rel, ops.Project):
            value = rel.values[name]
            if isinstance(value, ops.Field) and value.rel == rel.parent:
                rel, name = rel.parent, value.name
                continue
            return rel, name
        if isinstance(rel, _KEEP_COLUMNS):
            rel = rel.parent
            continue
        return rel, name


def rename_events(journey: ir.Table, event: ir.StringValue) -> ir.Table:
    """``journey`` with the event names ``event`` (an expression over ``journey``: a
    grouping, a rename) instead of its own: the one way to rewrite them.

    ``next_event`` (where the journey has it, with ``seq``) is recomputed from the new names
    (the person's next event by ``seq``), and ``event_n``/``next_event_n`` are dropped: they
    encode the old names. ``person_n`` stays. Phases and conversions are not re-derived."""
    out = journey.mutate(event=event)
    if {"next_event", "seq", "person_id"} <= set(out.columns):
        order = ibis.window(group_by="person_id", order_by="seq")
        out = out.mutate(next_event=out.event.lead().over(order))
    stale = [c for c in ("event_n", "next_event_n") if c in out.columns]
    return out.drop(*stale) if stale else out
