"""The collector's OpenAPI description: request bodies, answers and errors of ``/v1/*``.

The types here are the ones :func:`wegweiser.events.collect.messages.type_error` enforces
(a request breaking them is refused whole with 400); what the schema cannot say (blocked
ids, timestamps out of range, a track without an event name) is the per-event verdict of
the validator: listed in ``rejected`` of a batch, a 400 ``invalid_event`` for one event.
"""

from __future__ import annotations

from typing import Any

from wegweiser.serve.errors import ERROR_SCHEMA

__all__ = ["ERROR", "request_body", "responses"]

_TEXT: dict[str, Any] = {"type": ["string", "number", "null"]}
_OBJECT: dict[str, Any] = {"type": ["object", "null"]}
_MESSAGE: dict[str, Any] = {
    "type": "object",
    "description": "A Segment/RudderStack message. Keys that are not event fields go into "
    "`properties`. Event fields take a string or a number, `properties`/`context`/`traits`/"
    "`integrations` an object; null counts as missing. A message needs `userId` or "
    "`anonymousId` (not blank, not one of identity.blocked_ids); a track its `event`, an "
    "alias `previousId`. Timestamps: ISO-8601 or epoch seconds/milliseconds, 1970-01-02 to "
    "2099; without one the receive time is used.",
    "properties": {
        "type": {**_TEXT, "description": "track (default), identify, page, screen, group, alias"},
        "messageId": {**_TEXT, "description": "Deduplication key."},
        "anonymousId": _TEXT,
        "userId": _TEXT,
        "previousId": {**_TEXT, "description": "alias: the id being merged"},
        "groupId": _TEXT,
        "event": {**_TEXT, "description": "track: the event name"},
        "name": {**_TEXT, "description": "page/screen name"},
        "timestamp": _TEXT,
        "originalTimestamp": _TEXT,
        "sentAt": _TEXT,
        "channel": {**_TEXT, "description": "RudderStack: web, ios, server, ..."},
        "properties": _OBJECT,
        "context": _OBJECT,
        "traits": _OBJECT,
        "integrations": _OBJECT,
        "writeKey": {"type": ["string", "null"]},
    },
    "additionalProperties": True,
}
_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["success", "accepted", "rejected"],
    "properties": {
        "success": {"type": "boolean"},
        "accepted": {"type": "integer", "description": "events the store will hold"},
        "rejected": {
            "type": "array",
            "description": "events that go to the quarantine, with the reason",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "messageId": {"type": ["string", "null"]},
                    "error": {"type": "string"},
                },
            },
        },
    },
}

#: The collector's error body: the server's one shape, plus ``code`` and ``message`` at the
#: top level, where Segment's and RudderStack's SDKs read them.
ERROR: dict[str, Any] = {
    **ERROR_SCHEMA,
    "required": [*ERROR_SCHEMA["required"], "code", "message"],
    "properties": {
        **ERROR_SCHEMA["properties"],
        "success": {"type": "boolean"},
        "code": {"type": "string"},
        "message": {"type": "string"},
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def responses(single: bool) -> dict[int | str, dict[str, Any]]:
    """The documented answers of one collector route."""
    return {
        200: {
            "description": "Stored on disk; visible in the store within seconds.",
            "content": {"application/json": {"schema": _RESULT}},
        },
        400: _error(
            "The body is not JSON, not a message or a field has the wrong type (nothing "
            "accepted)"
            + ("; or the event is invalid (it goes to the quarantine)" if single else "")
        ),
        401: _error("Missing or unknown write key."),
        403: _error("The page's origin is not in server.cors_origins."),
        413: _error("Larger than server.max_request_bytes (after gzip)."),
        415: _error("Unsupported Content-Encoding."),
        429: _error("Rate limit of the write key reached; see Retry-After."),
        503: _error("The server cannot store events right now; retry."),
    }


_GIVEN: dict[str, Any] = {"type": ["string", "number"]}


def _needs(*names: str) -> dict[str, Any]:
    """Schema part: these fields present and not null."""
    return {"required": list(names), "properties": dict.fromkeys(names, _GIVEN)}


#: What a single event needs besides the types (the validator still checks blanks,
#: blocked ids and timestamps: a 400 ``invalid_event``).
_NEEDS: dict[str, dict[str, Any]] = {
    "alias": _needs("previousId", "userId"),
    "track": {**_needs("event"), "anyOf": [_needs("userId"), _needs("anonymousId")]},
}
_NEEDS_ID: dict[str, Any] = {"anyOf": [_needs("userId"), _needs("anonymousId")]}


def request_body(kind: str | None) -> dict[str, Any]:
    """``openapi_extra`` with the request body of the route for ``kind`` (None: batch)."""
    if kind is None:
        body: dict[str, Any] = {
            "type": "object",
            "required": ["batch"],
            "properties": {
                "batch": {
                    "type": "array",
                    "items": {k: v for k, v in _MESSAGE.items() if k != "type"},
                    "description": "Messages with their own type (default track); invalid "
                    "events (and items that are not objects) are rejected one by one, the "
                    "rest are accepted.",
                },
                "context": {**_OBJECT, "description": "for messages without one"},
                "writeKey": {"type": ["string", "null"]},
                "sentAt": _TEXT,
            },
            "additionalProperties": True,
        }
    else:
        body = {
            **_MESSAGE,
            "description": f"A {kind} message (its type is {kind}). {_MESSAGE['description']}",
            "allOf": [_NEEDS.get(kind, _NEEDS_ID)],
        }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}
