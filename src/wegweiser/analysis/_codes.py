"""The journey's integer codes (internal): which columns, and whether a table has them.

The DuckDB journey carries ``person_n``, ``event_n`` and ``next_event_n`` beside the names
(see :mod:`wegweiser.analysis.journeys`); analyses group and partition by them when present.
Kept apart from ``journeys`` so that modules below it (``scope``) can ask without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

#: the integer codes of the DuckDB journey
CODE_COLUMNS = ("person_n", "event_n", "next_event_n")


def has_codes(table: ir.Table) -> bool:
    """Whether ``table`` carries the journey's integer codes (:data:`CODE_COLUMNS`)."""
    return set(CODE_COLUMNS) <= set(table.columns)
