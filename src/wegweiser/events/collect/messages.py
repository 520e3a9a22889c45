"""A Segment/RudderStack message as the canonical row the importer reads, and the JSON
types the collector's schema wants of its fields (for :mod:`.validate` and the collector).

:func:`event_row` makes the row :func:`wegweiser.events.readers.message_to_row` would make
(keys snake-cased and aliased, unknown keys moved into ``properties``, a RudderStack
top-level ``channel`` read as ``platform``, scalars as text), but leaves JSON objects as
Python objects; :func:`type_error` says why a message's fields have the wrong types.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson

from wegweiser.events.readers import RECORD_COLUMNS
from wegweiser.store.schema import JSON_COLUMNS, MESSAGE_ONLY_KEYS, canonical_key

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["event_row", "type_error"]

_RECORD = frozenset(RECORD_COLUMNS)
_MESSAGE_ONLY = frozenset(MESSAGE_ONLY_KEYS)
_TEXT, _OBJECT, _DROP, _EXTRA = range(4)
_KEYS: dict[str, tuple[str, int]] = {}


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


def _json_text(value: Any) -> bytes:
    """The JSON text the importer measures and shows for a JSON column's value."""
    if isinstance(value, dict | list):
        return orjson.dumps(value)
    return json.dumps(value, ensure_ascii=False).encode()
