"""One collector request's intake, shared by the Segment-compatible collector
(:mod:`wegweiser.serve.collector`) and the survey webhook
(:mod:`wegweiser.serve.feedback_hook`): the body read within its size limit (gzip and
deflate unpacked), the write key, CORS headers, the server's stamps on a row, and answers
in the shape the SDKs parse."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from wegweiser.serve.auth import basic_user, is_known
from wegweiser.serve.errors import ApiError

if TYPE_CHECKING:
    from wegweiser.serve.context import ServerContext


def refuse(status: int, message: str, **kwargs: Any) -> ApiError:
    return ApiError(status, message, **kwargs)


def origin_allowed(request: Request, origin: str) -> bool:
    allowed = request.app.state.ctx.config.server.cors_origins
    return "*" in allowed or origin in allowed


def origin_refused(origin: str) -> str:
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


def too_big(limit: int) -> ApiError:
    return refuse(
        413,
        f"The request is larger than server.max_request_bytes = {limit} bytes; send fewer "
        "events per batch.",
    )


async def read_body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise too_big(limit)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise too_big(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise refuse(400, "The client went away before the body was complete.") from None
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise refuse(415, f"Content-Encoding {encoding!r} is not supported; use gzip or none.")
    unpack = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, told by the header
    try:
        data = unpack.decompress(body, limit + 1)
    except zlib.error as exc:
        raise refuse(400, f"The body is not valid {encoding} data ({exc}).") from None
    if len(data) > limit or unpack.unconsumed_tail:
        raise too_big(limit)
    if not unpack.eof:
        raise refuse(400, f"The {encoding} body is truncated.")
    return data


def write_key(request: Request, body: Any, ctx: ServerContext) -> str:
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
    raise refuse(401, message, headers={"WWW-Authenticate": 'Basic realm="wegweiser"'})


def stamp_row(row: dict[str, Any], kind: str | None, received: str, key_id: str) -> bool:
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


def json_answer(request: Request, content: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(content), status, cors_headers(request), media_type="application/json"
    )
