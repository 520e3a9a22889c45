"""Segment/RudderStack-compatible collector: ``/v1/track``, ``/identify``, ``/page``,
``/screen``, ``/group``, ``/alias`` and ``/batch``.

Point analytics.js, RudderStack or any Segment library at the server with a write key. A
request is handled on the event loop without touching the store:

1. the write key (HTTP Basic user name, as the SDKs send it, or ``writeKey`` in the body) is
   checked, then the per-key rate limit (``server.rate_limit_events``/``rate_limit_burst``,
   a token bucket counting events; 429 with ``Retry-After``);
2. the body (any content type — analytics.js sends ``text/plain``; gzip allowed; at most
   ``server.max_request_bytes`` after unpacking, else 413) is parsed with orjson;
3. each message becomes a canonical row (:func:`wegweiser.events.collect.messages.event_row`; a
   batch envelope's ``context`` is used for messages without their own) and gets the
   store's verdict from :class:`~wegweiser.events.collect.validate.Validator`;
4. all rows, good and bad, are appended to the spool (:mod:`wegweiser.events.collect.spool`) and
   flushed to disk before the answer: ``{"success": true, "accepted": n, "rejected": [...]}``.
   A single-event endpoint answers a bad event with 400 (the event is still kept, for the
   quarantine).

The server sets ``received_at``. A message with neither ``timestamp`` nor
``originalTimestamp`` gets the receive time as its timestamp, as Segment does; timestamps the
client sent are kept as they are (no clock-skew correction). The spool keeps a fingerprint
of the write key (``write_key``), never the key.

A background flusher imports closed spool segments every ``server.flush_seconds`` through
the normal importer (:mod:`wegweiser.events.collect.spool_reader`): validation, deduplication on
``message_id``, channels, identity stitching and quarantine (source ``spool/<id>.jsonl``)
work as for files. The import runs in a process of its own at a lower CPU priority: under
a burst, answering requests comes first, the spool absorbs the difference and the import
catches up afterwards. While the CLI holds the store the flusher retries later and the spool
keeps collecting. When the import process dies it is started again, with backoff
(:class:`~wegweiser.serve._importer.ImportProcess`), and the backlog drains.

After an import, and whenever the store or the settings changed otherwise, the import
process also writes the read snapshot the API and the dashboard read (at most every
``server.snapshot_seconds``; see :mod:`wegweiser.serve.context`).

:func:`status` (shown by ``/healthz``) reports the backlog (events, segments, age of the
oldest), the import process (alive, restarts) and the snapshot; beyond
``server.backlog_alert_events`` or ``server.backlog_alert_seconds`` the status is
``degraded`` and a warning is logged once.

The state between requests, the flusher, :func:`start`, :func:`stop` and :func:`status` live
in :mod:`wegweiser.serve._collector_state`; this module answers the requests.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPBasic

from wegweiser.events.collect.ids import assign_ids, request_digest
from wegweiser.events.collect.messages import event_row, type_error
from wegweiser.serve import _collector_schema as _schema
from wegweiser.serve._collector_state import Collector, start, status, stop
from wegweiser.serve._intake import (
    cors_headers,
    json_answer,
    origin_allowed,
    origin_refused,
    read_body,
    refuse,
    stamp_row,
    write_key,
)
from wegweiser.serve.auth import basic_user
from wegweiser.serve.errors import ApiError
from wegweiser.store.schema import EVENT_TYPES

__all__ = ["SHORT_PATHS", "Collector", "collect", "preflight", "router", "start", "status", "stop"]

log = logging.getLogger("wegweiser.serve")

# -- one request -------------------------------------------------------------------------
async def collect(request: Request, kind: str | None) -> Response:
    """Handle one collector request; ``kind`` is the endpoint's type (None for a batch)."""
    collector: Collector | None = getattr(request.app.state, "collector", None)
    if collector is None:
        raise refuse(503, "The collector is not running.", code="collector_stopped")
    ctx = collector.ctx
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(request, origin):
        raise refuse(403, origin_refused(origin), code="origin_not_allowed")
    header_key = basic_user(request.headers.get("authorization"))
    if header_key is not None:
        write_key(request, None, ctx)  # an unknown key is refused before the body is read
    raw = await read_body(request, ctx.config.server.max_request_bytes)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise refuse(400, f"The body is not valid JSON: {exc}.") from None
    key = write_key(request, body, ctx)
    if not isinstance(body, dict):
        raise refuse(400, f"The body must be a JSON object, not {_kind(body)}.")
    if kind is None:
        items = body.get("batch")
        if not isinstance(items, list):
            raise refuse(
                400,
                'A batch needs "batch": a list of messages, e.g. {"batch": [{"type": '
                '"track", "event": "signup", "userId": "u1"}]}.',
            )
        envelope = body.get("context")
        problem = type_error({k: body[k] for k in ("context", "sentAt", "writeKey") if k in body})
        if problem is not None:
            raise refuse(400, f"The batch's {problem}; nothing was accepted.", code="invalid_type")
    else:
        items, envelope = [body], None
    for index, item in enumerate(items):
        problem = type_error(item) if isinstance(item, dict) else None
        if problem is not None:
            which = f"Message {index}" if kind is None else "The message"
            raise refuse(400, f"{which}: {problem}; nothing was accepted.", code="invalid_type")
    if not items:
        return json_answer(request, {"success": True, "accepted": 0, "rejected": []})
    wait = collector.bucket(key).take(len(items))
    if wait > 0:
        raise refuse(
            429,
            f"Rate limit of {ctx.config.server.rate_limit_events:g} events/s for this write "
            f"key reached; retry in {wait:.1f} s.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )

    received = datetime.now(UTC).isoformat(timespec="microseconds")
    key_id = collector.fingerprint(key)
    rows: list[dict[str, Any]] = []
    where: list[int] = []  # index of each row in items
    untimed: list[dict[str, Any]] = []
    errors: dict[int, str] = {}
    dropped: set[int] = set()  # suppressed ids: accepted, never stored
    listing = collector.suppression.get()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[index] = f"not a JSON object but {type(item).__name__}"
            continue
        if envelope and "context" not in item:
            item = {**item, "context": envelope}
        row = event_row(item)
        if len(listing) and listing.matches(row):
            dropped.add(index)
            continue
        if stamp_row(row, kind, received, key_id):
            untimed.append(row)
        rows.append(row)
        where.append(index)
    try:
        lines, sizes, new = _lines(
            collector, body, items, rows, where, untimed, received, key_id, dropped
        )
    except (TypeError, RecursionError):  # orjson writes at most 254 levels of nesting
        raise refuse(
            400,
            "A message nests JSON too deeply to be stored (more than 254 levels); nothing "
            "was accepted.",
        ) from None
    for index, reason in zip(where, collector.validator.check(rows, sizes=sizes), strict=True):
        if reason is not None:
            errors[index] = reason
    collector.suppressed += len(dropped)
    if len(lines) == 0:  # every message was of a suppressed id
        return json_answer(
            request, {"success": True, "accepted": len(items) - len(errors), "rejected": []}
        )
    lines.append(b"")
    try:
        if new is not None:  # a retry after a restart must find it
            await asyncio.to_thread(collector.first_seen.record, new, received)
        await collector.spool.write(b"\n".join(lines), len(items) - len(dropped))
    except OSError as exc:
        log.exception("cannot write to the spool")
        raise refuse(
            503,
            f"The server could not store the events ({exc.strerror}); nothing was accepted, "
            "send them again.",
            code="spool_unavailable",
            headers={"Retry-After": "5"},
        ) from None
    collector.accepted += len(items) - len(errors)
    collector.rejected += len(errors)
    collector.importer.warm()
    rejected = [
        {"index": i, "messageId": _message_id(items[i]), "error": reason}
        for i, reason in sorted(errors.items())
    ]
    if kind is not None and rejected:
        raise refuse(
            400, f"Event rejected: {rejected[0]['error']}", code="invalid_event", details=rejected
        )
    return json_answer(
        request, {"success": True, "accepted": len(items) - len(errors), "rejected": rejected}
    )


def _lines(
    collector: Collector,
    body: dict[str, Any],
    items: list[Any],
    rows: list[dict[str, Any]],
    where: list[int],
    untimed: list[dict[str, Any]],
    received: str,
    key_id: str,
    dropped: set[int],
) -> tuple[list[bytes], list[int], str | None]:
    """The spool lines of a request's items (rows where there are rows), each row's line
    length, and the request's digest if it must be remembered; id-less rows get their ids
    (:mod:`wegweiser.events.collect.ids`)."""
    new: str | None = None
    if untimed:
        # a retry of this request gets the receive time of its first attempt
        digest = request_digest(body, key_id=key_id)
        first, is_new = collector.first_seen.received(digest, received)
        new = digest if is_new else None
        for row in untimed:
            row["timestamp"] = first
    assign_ids(rows, key_id=key_id)
    lines: list[bytes] = []
    sizes: list[int] = []
    at = 0
    for index, item in enumerate(items):
        if index in dropped:
            continue
        if at < len(where) and where[at] == index:
            line = orjson.dumps(rows[at])
            sizes.append(len(line))
            at += 1
        else:
            line = orjson.dumps(item)
        lines.append(line)
    return lines, sizes, new


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _message_id(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    value = item.get("messageId", item.get("message_id"))
    return None if value is None else str(value)


# -- routes ------------------------------------------------------------------------------
class _WriteKeyDocs(HTTPBasic):
    """Declares the write key (HTTP Basic) in OpenAPI; :func:`collect` does the checking."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


_write_key_docs = _WriteKeyDocs(
    scheme_name="writeKey",
    description="The collector write key as HTTP Basic user name with an empty password "
    "(as Segment/RudderStack SDKs send it); `writeKey` in the body works too.",
    auto_error=False,
)

router = APIRouter(tags=["collector"], dependencies=[Depends(_write_key_docs)])

#: The one-letter paths analytics.js (``@segment/analytics-next``) posts to: the first
#: letter of the type, ``b`` for a batch.
SHORT_PATHS: dict[str, str | None] = {kind[0]: kind for kind in EVENT_TYPES} | {"b": None}


def _route(kind: str | None) -> None:
    name = kind or "batch"
    article = "an" if kind and kind[0] in "aeiou" else "a"
    summary = f"Collect {article} {kind} event" if kind else "Collect a batch of events"

    async def endpoint(request: Request) -> Response:
        try:
            return await collect(request, kind)
        except ApiError as error:
            error.headers = {**cors_headers(request), **(error.headers or {})}
            raise

    endpoint.__name__ = f"collect_{name}"
    router.add_api_route(
        f"/v1/{name}",
        endpoint,
        methods=["POST"],
        summary=summary,
        description=f"Also at `/v1/{name[0]}`, where analytics.js sends it.",
        response_class=Response,
        responses=_schema.responses(kind is not None),
        openapi_extra=_schema.request_body(kind),
    )
    router.add_api_route(f"/v1/{name[0]}", endpoint, methods=["POST"], include_in_schema=False)


for _kind_name in (*EVENT_TYPES, None):
    _route(_kind_name)


@router.options("/v1/{path:path}", include_in_schema=False)
async def preflight(request: Request, path: str) -> Response:
    """CORS preflight: a page posts from its own origin (analytics.js sends
    ``Authorization``, so the browser asks first)."""
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(request, origin):
        raise ApiError(403, origin_refused(origin), code="origin_not_allowed")
    asked = request.headers.get("access-control-request-headers")
    return Response(
        status_code=204,
        headers={
            **cors_headers(request),
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": asked
            or "Authorization, Content-Type, Content-Encoding",
            "Access-Control-Max-Age": "86400",
        },
    )
