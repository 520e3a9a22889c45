"""When a wait step is over, from the moment the run reached it (so a restart computes the
same instant again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import time
    from zoneinfo import ZoneInfo


def next_local_time(
    after: float, zone: ZoneInfo, clock: time, weekdays: Sequence[int] = ()
) -> float:
    """The first instant strictly after ``after`` (epoch seconds) whose local wall time in
    ``zone`` is ``clock`` on one of ``weekdays`` (0 = Monday; empty: any day). A wall time
    that a DST change skips is taken at the instant the clock jumps past it.

    >>> from zoneinfo import ZoneInfo
    >>> from datetime import time
    >>> start = datetime(2026, 3, 28, 12, tzinfo=UTC).timestamp()  # Saturday
    >>> at = next_local_time(start, ZoneInfo("Europe/Berlin"), time(9, 30), [0])
    >>> datetime.fromtimestamp(at, ZoneInfo("Europe/Berlin")).isoformat()
    '2026-03-30T09:30:00+02:00'
    """
    local = datetime.fromtimestamp(after, zone)
    day = local.date()
    for offset in range(9):
        date = day + timedelta(days=offset)
        if weekdays and date.weekday() not in weekdays:
            continue
        wall = datetime(date.year, date.month, date.day, clock.hour, clock.minute, tzinfo=zone)
        instant = wall.astimezone(UTC).timestamp()
        if instant > after:
            return instant
    raise AssertionError("a weekday always comes within 8 days")
