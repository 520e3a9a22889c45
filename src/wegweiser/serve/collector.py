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

from wegweiser.events.collect.ids import FirstSeen, assign_ids, request_digest
from wegweiser.events.collect.spool import SPOOL_FOLDER, Segment, Spool
from wegweiser.events.collect.validate import Validator, event_row, type_error
from wegweiser.serve import _collector_schema as _schema
from wegweiser.serve._importer import ImportDied, ImportProcess
from wegweiser.serve.access import TokenBucket
from wegweiser.serve.auth import basic_user, is_known
from wegweiser.serve.context import ServerContext, SnapshotState
from wegweiser.serve.errors import ApiError
from wegweiser.store.schema import EVENT_TYPES

log = logging.getLogger("wegweiser.serve")

_FAILED_ATTEMPTS = 3
FIRST_SEEN_FILE = "first-seen.log"  # in the spool folder: requests seen (ids.FirstSeen)
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
        self.first_seen = FirstSeen(config.server.retry_window_seconds)
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
    await asyncio.to_thread(collector.first_seen.open, collector.spool.folder / FIRST_SEEN_FILE)
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
    collector.first_seen.close()
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
    return ApiError(status, message, **kwargs)


def _origin_allowed(request: Request, origin: str) -> bool:
    allowed = request.app.state.ctx.config.server.cors_origins
    return "*" in allowed or origin in allowed


def _origin_refused(origin: str) -> str:
    return (
        f"Pages on {origin} may not send events here; add the origin to "
        "server.cors_origins in wegweiser.toml."
    )


def cors_headers(request: Request) -> dict[str, str]:
    """The CORS headers of a collector answer: ``*`` when ``server.cors_origins`` allows
    every site, else the request's origin if it is listed (nothing otherwise)."""
    headers = {"Access-Control-Expose-Headers": "Retry-After"}
    allowed = request.app.state.ctx.config.server.cors_origins
    origin = request.headers.get("origin")
    if "*" in allowed:
        headers["Access-Control-Allow-Origin"] = "*"
    elif origin is not None and origin in allowed:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
    return headers


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
            "`wegweiser keys add --kind write` (no restart needed)."
        )
    elif key is None:
        message = (
            "Send the write key as the HTTP Basic user name (empty password), as Segment and "
            "RudderStack SDKs do, or as writeKey in the body."
        )
    else:
        message = "Unknown write key; use one of server.write_keys / WEGWEISER_WRITE_KEYS."
    raise _error(401, message, headers={"WWW-Authenticate": 'Basic realm="wegweiser"'})


def _stamp_row(row: dict[str, Any], kind: str | None, received: str, key_id: str) -> bool:
    """What the server adds to a canonical row before it is checked and spooled; True when
    the row has no timestamp of its own (it gets the receive time)."""
    if kind is not None:
        row["type"] = kind
    for name in ("timestamp", "original_timestamp"):
        value = row.get(name)
        if value is not None and not value.strip(" "):
            del row[name]
    row["received_at"] = received
    row["write_key"] = key_id
    if "timestamp" in row or "original_timestamp" in row:
        return False
    row["timestamp"] = received
    return True


def _json(request: Request, content: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(content), status, cors_headers(request), media_type="application/json"
    )


async def collect(request: Request, kind: str | None) -> Response:
    """Handle one collector request; ``kind`` is the endpoint's type (None for a batch)."""
    collector: Collector | None = getattr(request.app.state, "collector", None)
    if collector is None:
        raise _error(503, "The collector is not running.", code="collector_stopped")
    ctx = collector.ctx
    origin = request.headers.get("origin")
    if origin is not None and not _origin_allowed(request, origin):
        raise _error(403, _origin_refused(origin), code="origin_not_allowed")
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
        problem = type_error({k: body[k] for k in ("context", "sentAt", "writeKey") if k in body})
        if problem is not None:
            raise _error(400, f"The batch's {problem}; nothing was accepted.", code="invalid_type")
    else:
        items, envelope = [body], None
    for index, item in enumerate(items):
        problem = type_error(item) if isinstance(item, dict) else None
        if problem is not None:
            which = f"Message {index}" if kind is None else "The message"
            raise _error(400, f"{which}: {problem}; nothing was accepted.", code="invalid_type")
    if not items:
        return _json(request, {"success": True, "accepted": 0, "rejected": []})
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
    where: list[int] = []  # index of each row in items
    untimed: list[dict[str, Any]] = []
    errors: dict[int, str] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[index] = f"not a JSON object but {type(item).__name__}"
            continue
        if envelope and "context" not in item:
            item = {**item, "context": envelope}
        row = event_row(item)
        if _stamp_row(row, kind, received, key_id):
            untimed.append(row)
        rows.append(row)
        where.append(index)
    try:
        lines, sizes, new = _lines(collector, body, items, rows, where, untimed, received, key_id)
    except (TypeError, RecursionError):  # orjson writes at most 254 levels of nesting
        raise _error(
            400,
            "A message nests JSON too deeply to be stored (more than 254 levels); nothing "
            "was accepted.",
        ) from None
    for index, reason in zip(where, collector.validator.check(rows, sizes=sizes), strict=True):
        if reason is not None:
            errors[index] = reason
    lines.append(b"")
    try:
        if new is not None:  # a retry after a restart must find it
            await asyncio.to_thread(collector.first_seen.record, new, received)
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
    return _json(
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
    summary = f"Collect a {kind} event" if kind else "Collect a batch of events"

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
    if origin is not None and not _origin_allowed(request, origin):
        raise ApiError(403, _origin_refused(origin), code="origin_not_allowed")
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
