"""The event model: Segment-spec fields plus touchpoint fields.

``EVENT_COLUMNS`` is the ``events`` table in order. Input columns are matched to it by name
after :func:`canonical_key` (``messageId`` -> ``message_id``) and :data:`KEY_ALIASES`.
"""

from __future__ import annotations

import re

EVENT_TYPES = ("track", "identify", "page", "screen", "group", "alias")

#: name -> DuckDB type of the ``events`` table, in column order.
EVENT_COLUMNS: dict[str, str] = {
    "message_id": "VARCHAR",
    "type": "VARCHAR",
    "event": "VARCHAR",
    "name": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "user_id": "VARCHAR",
    "previous_id": "VARCHAR",
    "group_id": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "received_at": "TIMESTAMPTZ",
    "channel": "VARCHAR",
    "source": "VARCHAR",
    "medium": "VARCHAR",
    "campaign": "VARCHAR",
    "content": "VARCHAR",
    "term": "VARCHAR",
    "referrer": "VARCHAR",
    "device": "VARCHAR",
    "platform": "VARCHAR",
    "country": "VARCHAR",
    "revenue": "DOUBLE",
    "currency": "VARCHAR",
    "properties": "JSON",
    "context": "JSON",
    "traits": "JSON",
    "import_id": "VARCHAR",
}

#: Columns an input may carry (everything but what the store sets itself).
INPUT_COLUMNS = tuple(c for c in EVENT_COLUMNS if c not in ("import_id",))
JSON_COLUMNS = ("properties", "context", "traits")

#: Common foreign names of input columns, after snake-casing.
KEY_ALIASES: dict[str, str] = {
    "id": "message_id",
    "event_id": "message_id",
    "messageid": "message_id",
    "event_name": "event",
    "event_type": "event",
    "anon_id": "anonymous_id",
    "anonymousid": "anonymous_id",
    "userid": "user_id",
    "customer_id": "user_id",
    "previousid": "previous_id",
    "groupid": "group_id",
    "ts": "timestamp",
    "time": "timestamp",
    "event_time": "timestamp",
    "original_timestamp": "original_timestamp",
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "campaign",
    "utm_content": "content",
    "utm_term": "term",
    "device_type": "device",
    "amount": "revenue",
}

#: Segment/RudderStack message fields that are not events columns but are understood.
MESSAGE_ONLY_KEYS = (
    "original_timestamp",
    "sent_at",
    "integrations",
    "rudder_id",
    "request_ip",
    "version",
    "write_key",
    "_metadata",  # analytics.js' delivery bookkeeping (bundled/unbundled destinations)
)

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def canonical_key(key: str) -> str:
    """Snake-case a column or message key and resolve common aliases.

    >>> canonical_key("messageId"), canonical_key("utm_source"), canonical_key("Event")
    ('message_id', 'source', 'event')
    """
    snake = _CAMEL.sub(r"_\1", key.strip()).lower().replace("-", "_").replace(" ", "_")
    return KEY_ALIASES.get(snake, snake)
