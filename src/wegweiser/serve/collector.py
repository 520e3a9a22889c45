"""Segment/RudderStack-compatible collector: ``/v1/track``, ``/identify``, ``/page``,
``/screen``, ``/group``, ``/alias`` and ``/batch``.

Point analytics.js, RudderStack or any Segment library at the server with a write key. A
request is handled on the event loop without touching the store:

1. the write key (HTTP Basic user name, as the SDKs send it, or ``writeKey`` in the body) is
   checked, then the per-key rate limit (``server.rate_limit_events``/``rate_limit_burst``,
   a token bucket counting events; 429 with ``Retry-After``);
2. the body (any content type — analytics.js sends ``text/plain``; gzip allowed; at most
   ``server.max_request_bytes`` after unpacking, else 413) is parsed with orjson;
3. each message becomes a canonical row (:func:`wegweiser.events.collect.validate.event_row`; a
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
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import math
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.security import HTTPBasic
from starlette.requests import ClientDisconnect

from wegweiser.events.collect.spool import SPOOL_FOLDER, Segment, Spool
from wegweiser.events.collect.validate import Validator, event_row
from wegweiser.serve._importer import ImportDied, ImportProcess
from wegweiser.serve.access import TokenBucket
from wegweiser.serve.auth import basic_user, is_known
from wegweiser.serve.context import ServerContext, SnapshotState
from wegweiser.serve.errors import ERROR_SCHEMA, ApiError
from wegweiser.store.schema import EVENT_TYPES

log = logging.getLogger("wegweiser.serve")

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Retry-After"}
_FAILED_ATTEMPTS = 3
SESSION_SECONDS = 5.0


# -- state -------------------------------------------------------------------------------
class Collector:
    """Everything the collector keeps between requests (``app.state.collector``)."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        config = ctx.config
        self.validator = Validator(config)
        self.spool = Spool(
            ctx.project_dir / SPOOL_FOLDER, max_lines=min(200_000, config.ingest.batch_rows)
        )
        self.buckets: dict[str, TokenBucket] = {}
        self.fingerprints: dict[str, str] = {}
        self.accepted = 0
        self.rejected = 0
        self.imported = 0
        self.flushes = 0
        self.last_flush: datetime | None = None
        self.last_error: str | None = None
        self.failures: dict[str, int] = {}
        self.stopping = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.importer = ImportProcess()
        self.alerts: list[str] = []  # why the backlog counts as too large now

    def fingerprint(self, key: str) -> str:
        """What the spool records instead of the write key itself."""
        found = self.fingerprints.get(key)
        if found is None:
            found = "wk:" + hashlib.sha256(key.encode()).hexdigest()[:12]
            self.fingerprints[key] = found
        return found

    def bucket(self, key: str) -> TokenBucket:
        found = self.buckets.get(key)
        if found is None:
            server = self.ctx.config.server
            found = TokenBucket(rate=server.rate_limit_events, burst=server.rate_limit_burst)
            self.buckets[key] = found
        return found

    # -- flushing ------------------------------------------------------------------------
    async def run(self) -> None:
        """The flusher: import closed segments every ``server.flush_seconds`` until stopped."""
        seconds = self.ctx.config.server.flush_seconds
        while not self.stopping.is_set():
            await self.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=seconds)

    async def flush(self) -> None:
        """Close the current segment and import every closed one (in the import process);
        write a new read snapshot when one is due."""
        try:
            await self.spool.rotate()
            segments = self.spool.waiting()
            snapshot = self._snapshot_due(bool(segments))
            if segments or snapshot:
                await self._import(segments, snapshot)
        except ImportDied as exc:  # started again at the next flush, after its pause
            self.last_error = str(exc)
        except Exception as exc:  # the flusher must keep running; the spool keeps the events
            log.exception("collector flush failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
        self._check_backlog()

    def _snapshot_due(self, importing: bool) -> bool:
        ctx = self.ctx
        if ctx.config.engine.kind == "spark" or not (importing or ctx.snapshot_stale()):
            return False
        current = ctx.snapshot
        return current is None or (
            time.time() - current.written_at >= ctx.config.server.snapshot_seconds
        )

    async def _import(self, segments: list[Segment], snapshot: bool) -> None:
        source = self.ctx.source_state()
        answer = await self.importer.run(
            {
                "project": str(self.ctx.project_dir),
                "jobs": [(str(s.path), s.source_name, s.lines) for s in segments],
                "wait": self.ctx.config.server.store_wait_seconds,
                "budget": SESSION_SECONDS,
                "snapshot": str(self.ctx.snapshots) if snapshot else None,
            }
        )
        if answer.snapshot is not None:
            path, _generation, mtime, size = answer.snapshot
            self.ctx.set_snapshot(
                SnapshotState(Path(path), time.time(), (mtime, size, source[2], False))
            )
        by_name = {s.source_name: s for s in segments}
        for name, imported, error in answer.done:
            segment = by_name[name]
            if error is None:
                self.failures.pop(segment.id, None)
                self.imported += imported
                self.spool.remove(segment)
                continue
            # a segment that cannot be imported must not hold up the ones after it
            count = self.failures.get(segment.id, 0) + 1
            self.failures[segment.id] = count
            self.last_error = f"{name}: {error}"
            if count >= _FAILED_ATTEMPTS:
                target = self.spool.set_aside(segment)
                self.failures.pop(segment.id, None)
                self.last_error += f" (moved to {target}; fix and import it with the CLI)"
        if answer.busy is not None:
            self.last_error = f"store busy, will retry: {answer.busy}"
            return
        self.flushes += 1
        self.last_flush = datetime.now(UTC)
        if not self.failures:
            self.last_error = None

    def backlog(self) -> dict[str, Any]:
        """Events and segments not yet in the store, and the age of the oldest."""
        events, segments = self.spool.pending()
        oldest = [s.id for s in self.spool.waiting()[:1]]
        current = self.spool.current
        if not oldest and current is not None:
            oldest = [current.id]
        age = 0.0
        if oldest:
            with contextlib.suppress(ValueError):
                born = datetime.strptime(oldest[0][:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
                age = max(0.0, (datetime.now(UTC) - born).total_seconds())
        return {"events": events, "segments": segments, "oldest_seconds": round(age, 1)}

    def _check_backlog(self) -> None:
        server = self.ctx.config.server
        backlog = self.backlog()
        alerts = []
        if backlog["events"] > server.backlog_alert_events:
            alerts.append(
                f"{backlog['events']} collected events wait for the store "
                f"(server.backlog_alert_events = {server.backlog_alert_events})"
            )
        if backlog["oldest_seconds"] > server.backlog_alert_seconds:
            alerts.append(
                f"the oldest waiting events arrived {backlog['oldest_seconds']:.0f} s ago "
                f"(server.backlog_alert_seconds = {server.backlog_alert_seconds:g})"
            )
        if alerts and not self.alerts:
            log.warning(
                "collector backlog: %s; last error: %s",
                "; ".join(alerts),
                self.last_error or "none",
            )
        elif not alerts and self.alerts:
            log.warning("collector backlog back to normal (%d events)", backlog["events"])
        self.alerts = alerts


async def start(app: FastAPI) -> None:
    """Open the spool (closing what a previous run left) and start the flusher, which
    imports those leftovers first."""
    ctx: ServerContext = app.state.ctx
    collector = Collector(ctx)
    await asyncio.to_thread(collector.spool.open)
    # what start-up loaded (DuckDB, pandas, Ibis, ...) is never garbage: keep it out of the
    # collector's way, so full collections stay short and do not show up as latency spikes
    gc.freeze()
    app.state.collector = collector
    collector.task = asyncio.create_task(collector.run(), name="wegweiser-flusher")


async def stop(app: FastAPI) -> None:
    """Stop the flusher, then import what was collected (left in the spool if the store is
    busy: the next start imports it)."""
    collector: Collector | None = getattr(app.state, "collector", None)
    if collector is None:
        return
    collector.stopping.set()
    if collector.task is not None:
        await collector.task
    await collector.flush()
    while waiting := len(collector.spool.waiting()):
        await collector.flush()  # one store session at a time, so the CLI gets its turns
        if len(collector.spool.waiting()) >= waiting:
            break  # the store is busy or a segment fails: the next start imports the rest
    await collector.spool.close()
    await collector.importer.close()
    gc.unfreeze()  # let interpreter shutdown clean up as usual


def status(app: FastAPI) -> dict[str, Any]:
    """The collector's backlog, import process and last flush, for ``/healthz``;
    ``problems`` lists what makes the server ``degraded``."""
    collector: Collector | None = getattr(app.state, "collector", None)
    if collector is None:
        return {"collector": {"running": False}, "problems": []}
    events, segments = collector.spool.pending()
    backlog = collector.backlog()
    last = collector.last_flush
    importer = collector.importer.status()
    collector._check_backlog()
    problems = list(collector.alerts)
    if importer["deaths_in_a_row"]:
        problems.append(
            f"the import process died {importer['deaths_in_a_row']} time(s) in a row "
            f"(exit code {importer['last_exit_code']})"
        )
    return {
        "collector": {
            "running": True,
            "pending_events": events,
            "pending_segments": segments,
            "oldest_pending_seconds": backlog["oldest_seconds"],
            "accepted": collector.accepted,
            "rejected": collector.rejected,
            "imported": collector.imported,
            "flushes": collector.flushes,
            "last_flush": last.isoformat() if last else None,
            "last_error": collector.last_error,
            "importer": importer,
        },
        "problems": problems,
    }


# -- one request -------------------------------------------------------------------------
def _error(status: int, message: str, **kwargs: Any) -> ApiError:
    headers = {**CORS, **kwargs.pop("headers", {})}
    return ApiError(status, message, headers=headers, **kwargs)


def _too_big(limit: int) -> ApiError:
    return _error(
        413,
        f"The request is larger than server.max_request_bytes = {limit} bytes; send fewer "
        "events per batch.",
    )


async def _read_body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _too_big(limit)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise _too_big(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise _error(400, "The client went away before the body was complete.") from None
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise _error(415, f"Content-Encoding {encoding!r} is not supported; use gzip or none.")
    unpack = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, told by the header
    try:
        data = unpack.decompress(body, limit + 1)
    except zlib.error as exc:
        raise _error(400, f"The body is not valid {encoding} data ({exc}).") from None
    if len(data) > limit or unpack.unconsumed_tail:
        raise _too_big(limit)
    if not unpack.eof:
        raise _error(400, f"The {encoding} body is truncated.")
    return data


def _write_key(request: Request, body: Any, ctx: ServerContext) -> str:
    key = basic_user(request.headers.get("authorization"))
    if key is None and isinstance(body, dict) and isinstance(body.get("writeKey"), str):
        key = body["writeKey"]
    if key is not None and is_known(key, ctx.secrets.write_keys):
        return key
    if not ctx.secrets.write_keys:
        message = (
            "This server has no write keys yet; create one with "
            "`wegweiser keys new --kind write --save` and restart it."
        )
    elif key is None:
        message = (
            "Send the write key as the HTTP Basic user name (empty password), as Segment and "
            "RudderStack SDKs do, or as writeKey in the body."
        )
    else:
        message = "Unknown write key; use one of server.write_keys / WEGWEISER_WRITE_KEYS."
    raise _error(401, message, headers={"WWW-Authenticate": 'Basic realm="wegweiser"'})


def _stamp_row(row: dict[str, Any], kind: str | None, received: str, key_id: str) -> None:
    """What the server adds to a canonical row before it is checked and spooled."""
    if kind is not None:
        row["type"] = kind
    for name in ("timestamp", "original_timestamp"):
        value = row.get(name)
        if value is not None and not value.strip(" "):
            del row[name]
    if "timestamp" not in row and "original_timestamp" not in row:
        row["timestamp"] = received
    row["received_at"] = received
    row["write_key"] = key_id


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status, CORS, media_type="application/json")


async def collect(request: Request, kind: str | None) -> Response:
    """Handle one collector request; ``kind`` is the endpoint's type (None for a batch)."""
    collector: Collector | None = getattr(request.app.state, "collector", None)
    if collector is None:
        raise _error(503, "The collector is not running.", code="collector_stopped")
    ctx = collector.ctx
    header_key = basic_user(request.headers.get("authorization"))
    if header_key is not None:
        _write_key(request, None, ctx)  # an unknown key is refused before the body is read
    raw = await _read_body(request, ctx.config.server.max_request_bytes)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _error(400, f"The body is not valid JSON: {exc}.") from None
    key = _write_key(request, body, ctx)
    if not isinstance(body, dict):
        raise _error(400, f"The body must be a JSON object, not {_kind(body)}.")
    if kind is None:
        items = body.get("batch")
        if not isinstance(items, list):
            raise _error(
                400,
                'A batch needs "batch": a list of messages, e.g. {"batch": [{"type": '
                '"track", "event": "signup", "userId": "u1"}]}.',
            )
        envelope = body.get("context")
    else:
        items, envelope = [body], None
    if not items:
        return _json({"success": True, "accepted": 0, "rejected": []})
    wait = collector.bucket(key).take(len(items))
    if wait > 0:
        raise _error(
            429,
            f"Rate limit of {ctx.config.server.rate_limit_events:g} events/s for this write "
            f"key reached; retry in {wait:.1f} s.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )

    received = datetime.now(UTC).isoformat(timespec="microseconds")
    key_id = collector.fingerprint(key)
    rows: list[dict[str, Any]] = []
    sizes: list[int] = []
    lines: list[bytes] = []
    where: list[int] = []  # index of each row in items
    errors: dict[int, str] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[index] = f"not a JSON object but {type(item).__name__}"
            lines.append(orjson.dumps(item))
            continue
        if envelope and "context" not in item:
            item = {**item, "context": envelope}
        try:
            row = event_row(item)
            _stamp_row(row, kind, received, key_id)
            line = orjson.dumps(row)
        except (TypeError, RecursionError):  # orjson writes at most 254 levels of nesting
            raise _error(
                400,
                f"Message {index} nests JSON too deeply to be stored (more than 254 levels); "
                "nothing was accepted.",
            ) from None
        rows.append(row)
        sizes.append(len(line))
        lines.append(line)
        where.append(index)
    for index, reason in zip(where, collector.validator.check(rows, sizes=sizes), strict=True):
        if reason is not None:
            errors[index] = reason
    lines.append(b"")
    try:
        await collector.spool.write(b"\n".join(lines), len(items))
    except OSError as exc:
        log.exception("cannot write to the spool")
        raise _error(
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
        raise _error(
            400, f"Event rejected: {rejected[0]['error']}", code="invalid_event", details=rejected
        )
    return _json({"success": True, "accepted": len(items) - len(errors), "rejected": rejected})


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

_ID: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": "[^ ]"}
_MESSAGE: dict[str, Any] = {
    "type": "object",
    "description": "A Segment/RudderStack message. Keys that are not event fields go into "
    "`properties`. Ids and the event name must not be blank; values in "
    "identity.blocked_ids (null, undefined, 0, ...) count as missing. Timestamps: ISO-8601 or "
    "epoch seconds/milliseconds, 1970-01-02 to 2099; without one the receive time is used.",
    "properties": {
        "type": {"type": "string", "enum": list(EVENT_TYPES)},
        "messageId": {"type": "string", "description": "Deduplication key."},
        "anonymousId": _ID,
        "userId": _ID,
        "previousId": {**_ID, "description": "alias: the id being merged"},
        "groupId": {"type": "string"},
        "event": {**_ID, "description": "track: the event name"},
        "name": {"type": "string", "description": "page/screen name"},
        "timestamp": {"type": "string", "format": "date-time"},
        "originalTimestamp": {"type": "string", "format": "date-time"},
        "sentAt": {"type": "string"},
        "channel": {"type": "string", "description": "RudderStack: web, ios, server, ..."},
        "properties": {"type": "object"},
        "context": {"type": "object"},
        "traits": {"type": "object"},
        "integrations": {"type": "object"},
        "writeKey": {"type": "string"},
    },
    "additionalProperties": True,
}
_REQUIRED: dict[str | None, dict[str, Any]] = {
    "track": {
        "required": ["event"],
        "anyOf": [{"required": ["userId"]}, {"required": ["anonymousId"]}],
    },
    "alias": {"required": ["previousId", "userId"]},
    None: {"anyOf": [{"required": ["userId"]}, {"required": ["anonymousId"]}]},
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


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def _responses(single: bool) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "Stored on disk; visible in the store within seconds.",
            "content": {"application/json": {"schema": _RESULT}},
        },
        400: _error_response(
            "The body is not JSON or not a message"
            + (" / the event is invalid (it still goes to the quarantine)" if single else "")
        ),
        401: _error_response("Missing or unknown write key."),
        413: _error_response("Larger than server.max_request_bytes (after gzip)."),
        415: _error_response("Unsupported Content-Encoding."),
        429: _error_response("Rate limit of the write key reached; see Retry-After."),
        503: _error_response("The server cannot store events right now; retry."),
    }


def _schema(kind: str | None) -> dict[str, Any]:
    if kind is None:
        body: dict[str, Any] = {
            "type": "object",
            "required": ["batch"],
            "properties": {
                "batch": {
                    "type": "array",
                    "items": {**_MESSAGE, **_REQUIRED[None]},
                    "description": "Messages with their own type (default track); bad ones "
                    "are rejected one by one, the rest are accepted.",
                },
                "context": {"type": "object", "description": "for messages without one"},
                "writeKey": {"type": "string"},
                "sentAt": {"type": "string"},
            },
            "additionalProperties": True,
        }
    else:
        body = {
            **_MESSAGE,
            **_REQUIRED.get(kind, _REQUIRED[None]),
            "description": f"A {kind} message (its type is {kind}). {_MESSAGE['description']}",
        }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


router = APIRouter(tags=["collector"], dependencies=[Depends(_write_key_docs)])


def _route(kind: str | None) -> None:
    path = f"/v1/{kind or 'batch'}"
    summary = f"Collect a {kind} event" if kind else "Collect a batch of events"

    async def endpoint(request: Request) -> Response:
        return await collect(request, kind)

    endpoint.__name__ = f"collect_{kind or 'batch'}"
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        summary=summary,
        response_class=Response,
        responses=_responses(kind is not None),
        openapi_extra=_schema(kind),
    )


for _kind_name in (*EVENT_TYPES, None):
    _route(_kind_name)


@router.options("/v1/{path:path}", include_in_schema=False)
async def preflight(request: Request, path: str) -> Response:
    """CORS preflight: SDKs post from the shop's own origin."""
    asked = request.headers.get("access-control-request-headers")
    return Response(
        status_code=204,
        headers={
            **CORS,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": asked
            or "Authorization, Content-Type, Content-Encoding",
            "Access-Control-Max-Age": "86400",
        },
    )
