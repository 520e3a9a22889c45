"""Durations as Ibis interval literals (``ibis.literal(timedelta)`` fails for zero or mixed
units such as 1 day 1 second)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis


def interval(span: timedelta) -> Any:
    """An Ibis interval literal, in whole seconds when exact, else microseconds.

    >>> interval(timedelta(days=1, seconds=1)).op().value
    86401
    >>> interval(timedelta(milliseconds=1500)).op().value
    1500000
    """
    us = span // timedelta(microseconds=1)
    if us % 1_000_000 == 0:
        return ibis.interval(seconds=us // 1_000_000)
    return ibis.interval(microseconds=us)
