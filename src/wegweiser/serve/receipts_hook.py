"""Delivery receipts: ``POST /v1/receipts`` takes an email or SMS provider's delivery and
bounce notifications and settles the send ledger (:mod:`wegweiser.orchestrate.receipts`).

Authenticated like the collector: the write key as HTTP Basic user name (empty password),
which providers' webhook settings take as ``https://wk_…:@host/v1/receipts``, or
``writeKey`` in the body. The body is one receipt (an object), a list of them, or
``{"receipts": [...]}``; each receipt ``{"message_id" | "key", "status": "delivered" |
"bounced" | "failed", "at", "reason"}``. The answer lists every receipt: ``applied`` (index,
ledger key, state before and after, ``repeat`` for one applied before) and ``rejected``
(index and what is wrong: an unknown message, a bad field, a receipt that contradicts the
ledger). A receipt never makes a send; the same receipt twice changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from wegweiser.serve import _collector_schema as schema
from wegweiser.serve._intake import json_answer, read_body, refuse, write_key

router = APIRouter(tags=["collector"])

MAX_RECEIPTS = 10_000
"""Receipts in one request at most (providers post one or a few at a time)."""

_RECEIPT = {
    "type": "object",
    "properties": {
        "message_id": {"type": "string", "description": "The email's Message-ID."},
        "key": {"type": "string", "description": "The ledger key (SMS/push: the "
                "Idempotency-Key the provider got)."},
        "status": {"enum": ["delivered", "bounced", "failed"]},
        "at": {"type": ["string", "number"], "description": "ISO time with a zone, or "
               "epoch seconds (default: when it is received)."},
        "reason": {"type": "string", "description": "The provider's reason (a bounce)."},
    },
    "required": ["status"],
    "additionalProperties": False,
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "description": "One receipt, a list of them, or {\"receipts\": [...]}.",
            "oneOf": [_RECEIPT, {"type": "array", "items": _RECEIPT},
                      {"type": "object", "properties": {"receipts": {
                          "type": "array", "items": _RECEIPT}}, "required": ["receipts"]}],
        }}},
    }
}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every receipt answered: applied (with the ledger state before and "
        "after) or rejected (with the reason); nothing else happened.",
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {
                "success": {"type": "boolean"},
                "applied": {"type": "array", "items": {"type": "object", "properties": {
                    "index": {"type": "integer"}, "key": {"type": "string"},
                    "status": {"type": "string"}, "before": {"type": "string"},
                    "after": {"type": "string"}, "repeat": {"type": "boolean"}}}},
                "rejected": {"type": "array", "items": {"type": "object", "properties": {
                    "index": {"type": "integer"}, "error": {"type": "string"}}}},
                "n_applied": {"type": "integer"}, "n_rejected": {"type": "integer"},
                "n_changed": {"type": "integer"},
            },
        }}},
    },
    400: schema._error("The body is not JSON or not receipts (nothing applied)."),
    401: schema._error("Missing or unknown write key."),
    413: schema._error("Larger than server.max_request_bytes (after gzip)."),
}


def _items(body: Any) -> list[Any]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and "receipts" in body:
        items = body["receipts"]
        if not isinstance(items, list):
            raise refuse(400, '"receipts" must be a list of receipts, e.g. {"receipts": '
                              '[{"key": "...", "status": "delivered"}]}.')
        return items
    if isinstance(body, dict):
        return [{k: v for k, v in body.items() if k != "writeKey"}]
    raise refuse(400, "The body must be a receipt (a JSON object), a list of receipts or "
                      '{"receipts": [...]}.')


def _apply(project_dir: Any, items: list[Any]) -> dict[str, Any]:
    from wegweiser.orchestrate.assembly import state_target
    from wegweiser.orchestrate.receipts import apply
    from wegweiser.orchestrate.state import open_state

    with open_state(state_target(project_dir), project_dir=project_dir) as store:
        return apply(store, items, now=time.time()).to_dict()


@router.post(
    "/v1/receipts",
    summary="Delivery receipts: settle the send ledger",
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_BODY,
)
async def receipts_hook(request: Request) -> Response:
    ctx = request.app.state.ctx
    raw = await read_body(request, ctx.config.server.max_request_bytes)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise refuse(400, f"The body is not valid JSON: {exc}.") from None
    write_key(request, body if isinstance(body, dict) else None, ctx)
    items = _items(body)
    if len(items) > MAX_RECEIPTS:
        raise refuse(400, f"{len(items):,} receipts in one request; send at most "
                          f"{MAX_RECEIPTS:,} at a time.")
    answer = await run_in_threadpool(_apply, ctx.project_dir, items)
    return json_answer(request, {"success": True, **answer})
