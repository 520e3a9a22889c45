"""The import rules of :mod:`wegweiser.events.normalize`, in Python, for the collector.

The collector answers each request with a verdict per event (accepted, or rejected with a
reason) before the events reach the store. Running the SQL normaliser per request is far too
slow (~60 ms for 100 events), so :class:`Validator` implements the same rules in plain Python
(a few µs per event), on the same input: :func:`event_row` turns a Segment/RudderStack
message into the canonical row :func:`wegweiser.events.readers.message_to_row` would make
(keys snake-cased and aliased, unknown keys moved into ``properties``, a RudderStack
top-level ``channel`` read as ``platform``, scalars as text), but leaves JSON objects as
Python objects. The store still runs the SQL on every event; ``tests/serve/test_validate.py``
checks that both give the same verdict on a corpus of good and bad messages.

Timestamps and revenue in the usual shapes (ISO-8601 as SDKs send it, epoch numbers, plain
decimals) are parsed in Python; anything else is asked of DuckDB (one in-memory query per
call), so odd formats get exactly the store's answer.

>>> v = Validator(default_config())
>>> v.check([event_row({"type": "track", "event": "x", "userId": "u1",
...                     "timestamp": "2026-05-01T10:00:00.000Z"}),
...          event_row({"type": "track", "userId": "null", "timestamp": "soon"})])
[None, "missing ids: neither anonymous_id nor user_id is set ('null' is a blocked id value, \
see identity.blocked_ids); track event without an event name; unparseable timestamp 'soon' \
(use ISO-8601 or epoch seconds/milliseconds)"]
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, cast

import orjson

from wegweiser.config import default_config
from wegweiser.events.normalize import timestamp_expr
from wegweiser.events.readers import RECORD_COLUMNS
from wegweiser.store.engine import Engine
from wegweiser.store.schema import EVENT_TYPES, JSON_COLUMNS, MESSAGE_ONLY_KEYS, canonical_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from wegweiser.config import Config

__all__ = ["Validator", "event_row", "type_error"]

_RECORD = frozenset(RECORD_COLUMNS)
_MESSAGE_ONLY = frozenset(MESSAGE_ONLY_KEYS)
_TYPES = frozenset(EVENT_TYPES)
_TEXT, _OBJECT, _DROP, _EXTRA = range(4)
_KEYS: dict[str, tuple[str, int]] = {}

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


def _key(key: str) -> tuple[str, int]:
    """A message key's canonical name and what ``message_to_row`` does with it."""
    found = _KEYS.get(key)
    if found is None:
        name = canonical_key(key)
        if name in JSON_COLUMNS:
            role = _OBJECT
        elif name in _RECORD:
            role = _TEXT
        elif name in _MESSAGE_ONLY:
            role = _DROP
        else:
            role = _EXTRA
        found = (name, role)
        if len(_KEYS) < 4096:
            _KEYS[key] = found
    return found


def _as_text(value: Any) -> str:
    """A scalar as ``message_to_row`` writes it (objects and lists as compact JSON)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def event_row(message: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical row of one message, as the importer would read it.

    Like :func:`~wegweiser.events.readers.message_to_row` (without a column mapping), but
    the JSON columns keep their parsed value and empty fields are left out.

    >>> event_row({"userId": 7, "channel": "web", "context": {}, "plan": "pro"})
    {'user_id': '7', 'context': {}, 'platform': 'web', 'properties': {'plan': 'pro'}}
    """
    row: dict[str, Any] = {}
    extra: dict[str, Any] | None = None
    seen_context = seen_channel = seen_platform = False
    keys = _KEYS
    for key, value in message.items():
        found = keys.get(key)
        name, role = found if found is not None else _key(key)
        if role == _TEXT:
            if value is None:
                row.pop(name, None)
            else:
                row[name] = value if type(value) is str else _as_text(value)
            if name == "channel":
                seen_channel = True
            elif name == "platform":
                seen_platform = True
        elif role == _OBJECT:
            if value is None:
                row.pop(name, None)
            else:
                row[name] = value
            if name == "context":
                seen_context = True
        elif role == _EXTRA:
            if extra is None:
                extra = {}
            extra[name] = value
    if seen_context and seen_channel and not seen_platform:
        # RudderStack's top-level channel (web, ios, server) is the sending platform
        platform = row.pop("channel", None)
        if platform is not None:
            row["platform"] = platform
    if extra:
        props = row.get("properties")
        if props is None:
            row["properties"] = extra
        elif isinstance(props, dict):
            row["properties"] = {**extra, **props}
    return row


_SCALAR_KEYS = frozenset({"original_timestamp", "sent_at"})
_ANY, _SCALAR, _OBJ, _STRING = range(4)
_WANTS: dict[str, int] = {}
_WANTED = {_SCALAR: "a string or a number", _OBJ: "a JSON object", _STRING: "a string"}


def _wants(key: str) -> int:
    """Which JSON types a message key takes (``_ANY`` for keys that go into properties)."""
    found = _WANTS.get(key)
    if found is None:
        name, role = _key(key)
        if name == "write_key":
            found = _STRING
        elif role == _TEXT or name in _SCALAR_KEYS:
            found = _SCALAR
        elif role == _OBJECT or name == "integrations":
            found = _OBJ
        else:
            found = _ANY
        if len(_WANTS) < 4096:
            _WANTS[key] = found
    return found


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else "a number"


def type_error(message: Mapping[str, Any]) -> str | None:
    """Why a message's fields do not have the types of the collector's schema, or None.

    Event fields (ids, ``event``, ``timestamp``, UTM fields, ...) take a string or a number
    (written as text); ``properties``, ``context``, ``traits`` and ``integrations`` take an
    object; ``writeKey`` a string; null is the same as leaving a field out. Other keys go
    into ``properties`` as they are.

    >>> type_error({"userId": {}, "event": "x"})
    'userId must be a string or a number, not an object ({})'
    >>> type_error({"userId": 7, "context": None, "integrations": {}}) is None
    True
    """
    wants = _WANTS
    for key, value in message.items():
        want = wants.get(key)
        if want is None:
            want = _wants(key)
        if want == _ANY or value is None:
            continue
        kind = type(value)
        if want == _SCALAR:
            if kind is str or kind is int or kind is float:
                continue
        elif want == _OBJ:
            if kind is dict:
                continue
        elif kind is str:
            continue
        shown = _json_text(value).decode()
        if len(shown) > 40:
            shown = shown[:37] + "..."
        return f"{key} must be {_WANTED[want]}, not {_kind_of(value)} ({shown})"
    return None


def _trimmed(value: Any) -> str | None:
    """``nullif(trim(x), '')``: DuckDB's trim removes spaces only."""
    if value is None:
        return None
    text = str(value).strip(" ")
    return text or None


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


def _json_text(value: Any) -> bytes:
    """The JSON text the importer measures and shows for a JSON column's value."""
    if isinstance(value, dict | list):
        return orjson.dumps(value)
    return json.dumps(value, ensure_ascii=False).encode()


def _quoted(text: str) -> str:
    return f"'{text[:80]}'"


class Validator:
    """The verdicts of :func:`wegweiser.events.normalize.staging_sql` for canonical rows."""

    def __init__(self, config: Config | None = None) -> None:
        config = config if config is not None else default_config()
        self.blocked = frozenset(b.strip().lower() for b in config.identity.blocked_ids)
        self.max_bytes = config.ingest.max_payload_bytes

    def check(
        self, rows: Sequence[Mapping[str, Any]], *, sizes: Sequence[int] | None = None
    ) -> list[str | None]:
        """For each row of :func:`event_row`: None if the store accepts it, else the reasons
        (``; ``-separated, in the words of the SQL normaliser).

        ``sizes`` (optional) are upper bounds of each row's JSON size, e.g. the length of
        its serialised spool line: rows within ``ingest.max_payload_bytes`` by that bound
        skip measuring their JSON columns.
        """
        known = _Known({}, {})
        out: list[str | None] = []
        waiting: list[int] = []
        for i, row in enumerate(rows):
            reasons = self._reasons(row, None if sizes is None else sizes[i], known)
            if reasons is _SLOW:
                waiting.append(i)
                reasons = None
            out.append(cast("str | None", reasons))
        if waiting:
            # the values Python left open, in one DuckDB query each
            texts = {
                t
                for i in waiting
                for t in (rows[i].get("timestamp"), rows[i].get("original_timestamp"))
                if t is not None and t not in known.stamps
            }
            known.stamps.update(_ORACLE.timestamps(texts))
            numbers = {
                rev
                for i in waiting
                if (rev := _trimmed(rows[i].get("revenue"))) is not None
                and rev not in known.numbers
            }
            known.numbers.update(_ORACLE.numbers(numbers))
            for i in waiting:
                again = self._reasons(rows[i], None if sizes is None else sizes[i], known)
                out[i] = cast("str | None", again)
        return out

    def _reasons(
        self, row: Mapping[str, Any], size_bound: int | None, known: _Known
    ) -> str | object | None:
        """The reasons for one row, or ``_SLOW`` if a value must be asked of DuckDB first."""
        get = row.get
        errors: list[str] = []
        ts, orig = get("timestamp"), get("original_timestamp")
        if ts is not None and orig is None and _fast_timestamp(ts) == _IN_RANGE:
            stamp: object = None  # the usual case, without the general path below
        else:
            stamp = _timestamp(ts, orig, known.stamps)
            if stamp is _SLOW:
                return _SLOW
        rev = get("revenue")
        if rev is not None:
            rev = rev.strip(" ") or None
            if rev is not None:
                ok = known.numbers.get(rev, False) if rev in known.numbers else None
                if rev not in known.numbers:
                    if len(rev) > 300 or not _NUMBER.fullmatch(rev):  # 1e309 digits: inf
                        return _SLOW
                    ok = True
                if ok is None:
                    rev_error = f"revenue is not a finite number: {_quoted(rev)}"
                elif not ok:
                    rev_error = f"revenue is not a number: {_quoted(rev)}"
        kind = get("type")
        kind = (kind.strip(" ") or "track").lower() if kind is not None else "track"
        if kind not in _TYPES:
            errors.append(
                f"unknown type {_quoted(kind)} (expected track, identify, page, screen, group "
                "or alias)"
            )
        blocked = self.blocked
        anon = get("anonymous_id")
        anon = anon.strip(" ") or None if anon is not None else None
        user = get("user_id")
        user = user.strip(" ") or None if user is not None else None
        ok_user = user is not None and user.lower() not in blocked
        if not ok_user and (anon is None or anon.lower() in blocked):
            shown = user if user is not None else anon
            errors.append(
                "missing ids: neither anonymous_id nor user_id is set"
                + (
                    f" ({_quoted(shown)} is a blocked id value, see identity.blocked_ids)"
                    if shown is not None
                    else ""
                )
            )
        if kind == "alias":
            prev = _trimmed(get("previous_id"))
            if prev is None or prev.lower() in blocked or not ok_user:
                errors.append("alias needs both previous_id and user_id")
        elif kind == "track" and _trimmed(get("event")) is None:
            errors.append("track event without an event name")
        if stamp is not None:
            errors.append(stamp)  # type: ignore[arg-type]
        if rev is not None and not ok:
            errors.append(rev_error)
        size = 0
        measure = size_bound is None or size_bound > self.max_bytes
        for name in JSON_COLUMNS:
            value = get(name)
            if value is None:
                continue
            if type(value) is not dict:
                text = _json_text(value).decode()
                errors.append(f"{name} is not a JSON object: {_quoted(text)}")
            if measure:
                size += len(_json_text(value))
        if size > self.max_bytes:
            errors.append(
                f"oversized payload: {size} bytes, more than ingest.max_payload_bytes = "
                f"{self.max_bytes}"
            )
        return "; ".join(errors) if errors else None


@dataclass
class _Known:
    """Values DuckDB was asked about in one :meth:`Validator.check` call."""

    stamps: dict[str, _Ts | None]
    numbers: dict[str, bool | None]


def _parsed(text: str, stamps: Mapping[str, _Ts | None]) -> _Ts | object | None:
    found = stamps.get(text, _SLOW)
    return _fast_timestamp(text) if found is _SLOW else found


def _timestamp(ts: str | None, orig: str | None, stamps: Mapping[str, _Ts | None]) -> object:
    """The timestamp reason (None when fine), or ``_SLOW``."""
    text = ts if ts is not None else orig
    if text is None or not text.strip(" "):
        return "missing timestamp"
    found = _parsed(ts, stamps) if ts is not None else None
    if found is None and orig is not None:
        found = _parsed(orig, stamps)
    if found is _SLOW:
        return _SLOW
    if found is None:
        return f"unparseable timestamp {_quoted(text)} (use ISO-8601 or epoch seconds/milliseconds)"
    in_range, shown = cast("_Ts", found)
    return None if in_range else f"timestamp out of range: {shown}"
