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
call), so odd formats get exactly the store's answer (``_values.py``). :func:`event_row`
and :func:`type_error` live in :mod:`.messages`.

>>> v = Validator(default_config())
>>> v.check([event_row({"type": "track", "event": "x", "userId": "u1",
...                     "timestamp": "2026-05-01T10:00:00.000Z"}),
...          event_row({"type": "track", "userId": "null", "timestamp": "soon"})])
[None, "missing ids: neither anonymous_id nor user_id is set ('null' is a blocked id value, \
see identity.blocked_ids); track event without an event name; unparseable timestamp 'soon' \
(use ISO-8601 or epoch seconds/milliseconds)"]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from wegweiser.config import default_config
from wegweiser.events.collect._values import (
    _IN_RANGE,
    _NUMBER,
    _ORACLE,
    _SLOW,
    _fast_timestamp,
    _Ts,
)
from wegweiser.events.collect.messages import _json_text, event_row, type_error
from wegweiser.store.schema import EVENT_TYPES, JSON_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from wegweiser.config import Config

__all__ = ["Validator", "event_row", "type_error"]

_TYPES = frozenset(EVENT_TYPES)


def _trimmed(value: Any) -> str | None:
    """``nullif(trim(x), '')``: DuckDB's trim removes spaces only."""
    if value is None:
        return None
    text = str(value).strip(" ")
    return text or None


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
