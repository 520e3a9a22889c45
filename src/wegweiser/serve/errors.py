"""One error shape for every error the server answers with::

    {"error": {"status": 429, "code": "rate_limited", "message": "...", "details": [...]}}

``code`` is stable and machine-readable, ``message`` says what is wrong and what to do,
``details`` (optional) lists per-field or per-event problems.

A busy server answers 503 with ``Retry-After``: ``server_busy`` when every query worker
stayed busy for ``server.query_queue_seconds``, ``store_busy`` when another process held
the store longer than a write may wait. An analysis stopped by its time limit
(``server.query_seconds``) answers 504 ``query_timeout``, without ``Retry-After``: the same
request would be stopped again; ask for less or raise the limit. Dashboard pages (HTML requests
outside ``/api`` and ``/v1``) get the same content as a page when ``app.state.html_error``
is set. The collector's errors (``/v1/*``) also carry ``"success": false`` and ``code`` and
``message`` at the top level, where Segment's and RudderStack's SDKs look for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wegweiser.errors import (
    InvalidConfig,
    InvalidInput,
    ProjectError,
    StoreBusy,
    UnknownPerson,
    WegweiserError,
)
from wegweiser.serve._workers import PoolBusy, QueryTimeout

log = logging.getLogger("wegweiser.serve")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "store_busy",
    504: "query_timeout",
}

#: OpenAPI description of the error body, for ``responses=`` of routes.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}


class ApiError(Exception):
    """Raise in a handler to answer with the error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers

    def __reduce__(self) -> tuple[Any, ...]:
        # raised in a query worker process, it travels back pickled
        return (_api_error, (self.status, self.message, self.code, self.details, self.headers))


def _api_error(
    status: int,
    message: str,
    code: str,
    details: list[dict[str, Any]] | None,
    headers: dict[str, str] | None,
) -> ApiError:
    return ApiError(status, message, code=code, details=details, headers=headers)


def error_body(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


HtmlErrorRenderer = Callable[[Request, int, str, str], Response]


def _respond(request: Request, error: ApiError) -> Response:
    path = request.url.path
    wants_html = "text/html" in request.headers.get("accept", "")
    renderer: HtmlErrorRenderer | None = getattr(request.app.state, "html_error", None)
    if renderer is not None and wants_html and not path.startswith(("/api", "/v1")):
        response = renderer(request, error.status, error.code, error.message)
    else:
        body = error_body(error.status, error.code, error.message, error.details)
        if path.startswith("/v1/"):
            # Segment's and RudderStack's SDKs read these to tell a refusal (do not retry)
            # from a network failure (retry)
            body.update(success=False, code=error.code, message=error.message)
        response = JSONResponse(body, status_code=error.status)
    for key, value in (error.headers or {}).items():
        response.headers[key] = value
    return response


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _values_disagree(errors: Sequence[Any]) -> bool:
    """Whether every error is a body model's own check (a ``ValueError`` raised after its
    fields validated, reported at the body itself): the body matches the schema."""
    return bool(errors) and all(
        err.get("type") == "value_error" and tuple(err.get("loc", ())) == ("body",)
        for err in errors
    )


def install(app: FastAPI) -> None:
    """Route every error through :func:`error_body`."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _respond(request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "")
        if exc.status_code == 404 and message == "Not Found":
            message = f"There is nothing at {request.url.path}; see /api/docs for the API."
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        headers = dict(exc.headers) if exc.headers else None
        return _respond(request, ApiError(exc.status_code, message, headers=headers))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            {"location": _location(err.get("loc", ())), "message": str(err.get("msg", ""))}
            for err in exc.errors()
        ]
        first = details[0] if details else {"location": "request", "message": "invalid"}
        message = f"{first['location']}: {first['message']}"
        if len(details) > 1:
            message += f" (and {len(details) - 1} more problem(s), see details)"
        # 422: the request does not match its schema. A body that matches it but whose
        # values do not go together (a model's own check: min above max, overlapping
        # conditions) is a 400, as any other input the analysis refuses
        status = 400 if _values_disagree(exc.errors()) else 422
        return _respond(request, ApiError(status, message, details=details))

    async def wegweiser_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WegweiserError)
        if isinstance(exc, PoolBusy):
            error = ApiError(503, str(exc), code="server_busy", headers={"Retry-After": "5"})
        elif isinstance(exc, StoreBusy):
            error = ApiError(503, str(exc), headers={"Retry-After": "5"})
        elif isinstance(exc, QueryTimeout):
            error = ApiError(504, str(exc))
        elif isinstance(exc, UnknownPerson):
            error = ApiError(404, str(exc), code="unknown_person")
        elif isinstance(exc, InvalidInput | InvalidConfig):
            error = ApiError(400, str(exc))
        elif isinstance(exc, ProjectError):
            error = ApiError(500, str(exc), code="project_error")
        else:
            error = ApiError(400, str(exc))
        return _respond(request, error)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _respond(
            request,
            ApiError(500, f"Internal error ({type(exc).__name__}); the server log has details."),
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(WegweiserError, wegweiser_error)
    app.add_exception_handler(Exception, unexpected)
