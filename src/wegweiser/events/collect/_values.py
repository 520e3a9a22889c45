"""Timestamps and numbers as the store reads them, for :mod:`.validate` (internal): the
usual shapes (ISO-8601 as SDKs send it, epoch numbers, plain decimals) parsed in Python,
anything else asked of DuckDB in memory (:data:`_ORACLE`), so odd formats get exactly the
store's answer."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from wegweiser.events.normalize import timestamp_expr
from wegweiser.store.engine import Engine

if TYPE_CHECKING:
    from collections.abc import Iterable

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?(Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LOW, _HIGH = 86_400.0, 4_102_444_800.0  # 1970-01-02 and 2100-01-01 in epoch seconds
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SLOW = object()

# A parsed timestamp: (in 1970-01-02..2100, how DuckDB prints it or None until needed)
_Ts = tuple[bool, str | None]


def _shown(when: float | datetime) -> str | None:
    """A time (epoch seconds or aware datetime) as DuckDB casts a TIMESTAMPTZ to text in
    UTC, or None outside Python's range."""
    try:
        if isinstance(when, datetime):
            ts = when.astimezone(UTC)
        else:
            ts = _EPOCH + timedelta(microseconds=round(when * 1e6))
    except OverflowError:
        return None
    frac = f".{ts.microsecond:06d}".rstrip("0") if ts.microsecond else ""
    return f"{ts.year:04d}-{ts:%m-%d %H:%M:%S}{frac}+00"


_DATES: dict[str, int] = {}  # "YYYY-MM-DD" -> 1 valid, in range all day; 0 invalid; 2 else
_IN_RANGE: _Ts = (True, None)


def _date_kind(date: str) -> int:
    found = _DATES.get(date)
    if found is None:
        parsed = _fast_timestamp(date)
        found = (
            1
            if parsed == _IN_RANGE and "1971" <= date[:4] <= "2098"
            else 0
            if parsed is None
            else 2
        )
        if len(_DATES) < 8192:
            _DATES[date] = found
    return found


def _fast_timestamp(text: str) -> _Ts | object | None:
    """``normalize.timestamp_expr`` for the usual shapes; ``_SLOW`` when DuckDB must say."""
    if len(text) == 24 and text[23] == "Z" and text[10] == "T" and text[19] == ".":
        # JavaScript's toISOString(), as analytics.js and RudderStack send it
        clock = text[11:13] + text[14:16] + text[17:19] + text[20:23]
        if (
            text[13] == text[16] == ":"
            and clock.isdigit()
            and clock.isascii()
            and clock[:2] <= "23"
            and clock[2:4] <= "59"
            and clock[4:6] <= "59"
        ):
            kind = _date_kind(text[:10])
            if kind == 1:
                return _IN_RANGE
            if kind == 0:
                return None
    s = text.strip(" ")
    if len(s) == 8 and s.isdigit() and s.isascii():
        return _SLOW  # 19461201: the store may read it as a date (YYYYMMDD), not as seconds
    if _NUMBER.fullmatch(s):
        v = float(s)
        size = abs(v)
        if size >= 1e17:
            return None
        secs = v / 1e6 if size >= 1e14 else v / 1e3 if size >= 1e11 else v
        if _LOW <= secs < _HIGH:
            return (True, None)
        shown = _shown(secs)
        return _SLOW if shown is None else (False, shown)
    m = _ISO.fullmatch(s)
    if m is None:
        return _SLOW
    year, month, day, hour, minute, second, frac, zone = m.groups()
    y, mo, d = int(year), int(month), int(day)
    if y == 0 or (hour is not None and (hour > "23" or minute > "59" or second > "59")):
        return _SLOW
    if zone and zone != "Z" and (zone[1:3] > "15" or zone[4:6] > "59"):
        return _SLOW
    if not 1 <= mo <= 12 or not 1 <= d <= _MONTH_DAYS[mo - 1] + (mo == 2 and _leap(y)):
        return None  # month 13, 30 February, ...: DuckDB says NULL too
    if 1971 <= y <= 2098:  # in range whatever the time of day and zone
        return (True, None)
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    ts = datetime(
        y,
        mo,
        d,
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        int((frac or "0").ljust(6, "0")),
        tzinfo=timezone(offset),
    )
    secs = (ts - _EPOCH).total_seconds()
    if _LOW <= secs < _HIGH:
        return (True, None)
    shown = _shown(ts)
    return _SLOW if shown is None else (False, shown)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class _Oracle:
    """DuckDB in memory, for the values the Python fast paths leave open."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def _run(self, sql: str, values: list[str]) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._engine is None:
                self._engine = Engine(":memory:", threads=1, memory_limit="256MB")
            return self._engine.execute(sql, {"v": values}).rows

    def timestamps(self, texts: Iterable[str]) -> dict[str, _Ts | None]:
        values = list(texts)
        parsed = timestamp_expr("s", "VARCHAR")
        rows = self._run(
            "SELECT s, t >= TIMESTAMPTZ '1970-01-02' AND t < TIMESTAMPTZ '2100-01-01', "
            f"CAST(t AS VARCHAR) FROM (SELECT s, {parsed} AS t FROM unnest($v) AS u(s))",
            values,
        )
        return {s: None if shown is None else (bool(ok), shown) for s, ok, shown in rows}

    def numbers(self, texts: Iterable[str]) -> dict[str, bool | None]:
        """True: a finite number; None: a number but not finite (NaN, inf); False: none."""
        rows = self._run(
            "SELECT s, CASE WHEN TRY_CAST(s AS DOUBLE) IS NULL THEN 0 "
            "WHEN isfinite(TRY_CAST(s AS DOUBLE)) THEN 1 END FROM unnest($v) AS u(s)",
            list(texts),
        )
        return {s: None if ok is None else bool(ok) for s, ok in rows}


_ORACLE = _Oracle()
