"""Survey webhook: ``POST /v1/feedback/<source>`` takes a survey tool's answers as feedback.

A survey tool posts one answer (a JSON object) or several (a JSON list) with the collector's
write key (HTTP Basic user name, or ``writeKey`` in the body). ``[feedback.webhooks.<source>]``
maps the feedback fields of :mod:`wegweiser.events.feedback_import` to keys of the payload
(``answers.nps`` for nested keys; a quoted value is a constant); ``source`` defaults to the
webhook's name. Each answer becomes the same feedback event a file import makes and goes the
collector's way: validated, spooled, imported by the background importer (an event the
store would refuse reaches the quarantine). An answer the mapping cannot read (no person,
no kind, a score outside its scale) is not stored: the answer lists it under ``rejected``
with its reason, for the survey tool to see.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from wegweiser.events.collect.messages import event_row
from wegweiser.events.feedback_import import feedback_message
from wegweiser.events.options import split_mapping
from wegweiser.serve import _collector_schema as schema
from wegweiser.serve._intake import json_answer, read_body, refuse, stamp_row, write_key

router = APIRouter(tags=["collector"])


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a": {"b": 1}, "a.b": 1}``: nested keys by dotted path."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}{key}"
            out[path] = item
            out.update(flatten(item, path + "."))
    return out


_RESPONSES: dict[int | str, dict[str, Any]] = {
    **schema.responses(False),
    404: schema._error("No [feedback.webhooks.<source>] for this source."),
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "description": "One answer (an object) or several (a list), as the "
                    "survey tool sends them; read through [feedback.webhooks.<source>].",
                    "type": ["object", "array"],
                    "items": {"type": "object"},
                }
            }
        },
    }
}


@router.post(
    "/v1/feedback/{source}",
    summary="Survey webhook: answers as feedback events",
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_BODY,
)
async def feedback_hook(source: str, request: Request) -> Response:
    collector = getattr(request.app.state, "collector", None)
    if collector is None:
        raise refuse(503, "The collector is not running.", code="collector_stopped")
    ctx = collector.ctx
    hooks = ctx.config.feedback.webhooks
    if source not in hooks:
        close = difflib.get_close_matches(source, list(hooks), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise refuse(
            404,
            f"No survey webhook {source!r}: add [feedback.webhooks.{source}] to "
            f"wegweiser.toml (feedback field = key in the payload).{hint}",
        )
    raw = await read_body(request, ctx.config.server.max_request_bytes)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise refuse(400, f"The body is not valid JSON: {exc}.") from None
    key = write_key(request, body if isinstance(body, dict) else None, ctx)
    items = body if isinstance(body, list) else [body]
    bad = next((i for i, item in enumerate(items) if not isinstance(item, dict)), None)
    if bad is not None:
        raise refuse(
            400, f"Answer {bad} is not a JSON object; send an object or a list of objects."
        )
    wait = collector.bucket(key).take(max(len(items), 1))
    if wait > 0:
        raise refuse(
            429,
            f"Rate limit reached; retry in {wait:.1f} s.",
            headers={"Retry-After": str(max(1, int(wait) + 1))},
        )
    columns, constants = split_mapping(hooks[source])
    constants = {"source": source, **constants}
    received = datetime.now(UTC).isoformat(timespec="microseconds")
    key_id = collector.fingerprint(key)
    rows: list[dict[str, Any]] = []
    lines: list[bytes] = []
    errors: dict[int, str] = {}
    for index, item in enumerate(items):
        fields = flatten(item)
        message = feedback_message(fields, columns, constants, ctx.config)
        if isinstance(message, str):
            errors[index] = message
            continue
        row = event_row(message)
        stamp_row(row, None, received, key_id)
        rows.append(row)
        lines.append(orjson.dumps(row))
    checked = collector.validator.check(rows, sizes=[len(orjson.dumps(r)) for r in rows])
    good = [i for i in range(len(items)) if i not in errors]
    for index, reason in zip(good, checked, strict=True):
        if reason is not None:
            errors[index] = reason
    if lines:
        lines.append(b"")
        await collector.spool.write(b"\n".join(lines), len(lines) - 1)
    collector.accepted += len(items) - len(errors)
    collector.rejected += len(errors)
    collector.importer.warm()
    rejected = [{"index": i, "error": e} for i, e in sorted(errors.items())]
    return json_answer(
        request, {"success": True, "accepted": len(items) - len(errors), "rejected": rejected}
    )
