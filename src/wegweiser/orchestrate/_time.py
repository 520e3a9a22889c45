"""Durations (``"2d"``), clock times (``"09:30"``) and weekdays as journey files write them."""

from __future__ import annotations

import re
from datetime import time, timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_duration(value: object) -> timedelta:
    """``"30m"``, ``"1h30m"``, ``"2d"``, ``"1w"``, a number of seconds, or a timedelta.

    >>> parse_duration("1d12h")
    datetime.timedelta(days=1, seconds=43200)
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError(f"a duration is text like '2d', '1h30m' or '45s', not {value!r}")
    raw = value.strip().lower().replace(" ", "")
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise ValueError(f"cannot read the duration {value!r}; write it like 30m, 1h30m, 2d or 45s")
    return timedelta(**{_UNITS[u]: float(n) for n, u in parts})


def parse_clock(value: object) -> time:
    """``"09:30"`` as a time of day.

    >>> parse_clock("21:05")
    datetime.time(21, 5)
    """
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ValueError(f"a time of day is written 'HH:MM' (24 hours), not {value!r}")
    hours, minutes = (int(p) for p in value.strip().split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
    return time(hours, minutes)


def parse_weekday(value: object) -> int:
    """``"mon"`` .. ``"sun"`` (or full English names) as 0..6."""
    text = str(value).strip().lower()[:3]
    if text not in WEEKDAYS:
        raise ValueError(f"a weekday is one of {', '.join(WEEKDAYS)}, not {value!r}")
    return WEEKDAYS.index(text)
