"""What every request passes first (an ASGI middleware, outside everything else).

1. **Trusted proxies.** From an address in ``server.trusted_proxies`` the ``X-Forwarded-For``
   (client address), ``X-Forwarded-Proto`` (``https``) and ``X-Forwarded-Host`` headers are
   believed; from anyone else they are ignored.
2. **Host allow-list** (DNS rebinding): a web page whose name an attacker points at
   127.0.0.1 reaches the server with its own name in ``Host``. Allowed are the loopback names,
   ``server.allowed_hosts``, and -- when that is empty and users are configured -- any name.
   Others get 400 ``host_not_allowed``.
3. **Same-origin changes**: a ``POST`` (any method but GET, HEAD, OPTIONS) to the query API
   or the dashboard whose ``Origin`` (or ``Referer``) names another site is refused with 403
   ``cross_site``. The collector (``/v1/*``) is exempt: browsers on customer sites post there.
4. **Body limits**: a body larger than ``server.max_request_bytes`` gets 413 (the collector
   checks its own, after unpacking), and a body not complete within
   ``server.body_timeout_seconds`` gets 408 and the connection is closed.

The headers themselves are timed by :mod:`wegweiser.serve.protocol`.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from wegweiser.serve.errors import error_body

if TYPE_CHECKING:
    from wegweiser.config import ServerConfig
    from wegweiser.serve.context import ServerContext

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
COLLECTOR_PREFIX = "/v1/"


def host_name(netloc: str) -> str:
    """The name of ``host[:port]`` in lower case, without port, brackets or final dot.

    >>> host_name("Example.COM.:8000"), host_name("[::1]:8000"), host_name("127.0.0.1")
    ('example.com', '::1', '127.0.0.1')
    """
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1:].partition("]")[0]
    if netloc.count(":") == 1:
        netloc = netloc.partition(":")[0]
    return netloc.rstrip(".")


def host_allowed(name: str, allowed: list[str], *, open_access: bool) -> bool:
    """Whether the host ``name`` (from :func:`host_name`) may be served.

    >>> host_allowed("localhost", [], open_access=True)
    True
    >>> host_allowed("evil.example", [], open_access=True)
    False
    >>> host_allowed("evil.example", [], open_access=False)
    True
    >>> host_allowed("shop.example.com", [".example.com"], open_access=False)
    True
    >>> host_allowed("example.com.evil", ["example.com"], open_access=False)
    False
    """
    if name in LOOPBACK_NAMES:
        return True
    if not allowed:
        return not open_access
    for entry in allowed:
        entry = entry.strip().lower().rstrip(".")
        if entry == "*" or entry == name:
            return True
        if entry.startswith(".") and (name == entry[1:] or name.endswith(entry)):
            return True
    return False


def is_trusted(address: str | None, proxies: list[str]) -> bool:
    """Whether ``address`` is one of ``proxies`` (addresses or networks).

    >>> is_trusted("10.1.2.3", ["10.0.0.0/8"]), is_trusted("10.1.2.3", ["127.0.0.1"])
    (True, False)
    """
    if not address or not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in proxies:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _json(status: int, code: str, message: str) -> tuple[dict[str, Any], bytes]:
    body = orjson.dumps(error_body(status, code, message))
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"cache-control", b"no-store"),
        ],
    }
    return start, body


async def respond(
    send: Send, status: int, code: str, message: str, *, scope: Scope | None = None
) -> None:
    """Answer with the error shape and close the connection; a dashboard page asked for
    by a browser gets the error page (``app.state.html_error``)."""
    if scope is not None and _wants_page(scope):
        from starlette.requests import Request

        request = Request(scope)
        response = scope["app"].state.html_error(request, status, code, message)
        response.headers["connection"] = "close"

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)
        return
    start, body = _json(status, code, message)
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _wants_page(scope: Scope) -> bool:
    app = scope.get("app")
    return (
        "text/html" in (_header(scope, b"accept") or "")
        and not scope.get("path", "").startswith(("/api", "/v1"))
        and getattr(getattr(app, "state", None), "html_error", None) is not None
    )


def apply_proxy_headers(scope: Scope, server: ServerConfig) -> str | None:
    """Take over the forwarded client, scheme and host from a trusted proxy; returns the
    host the request was meant for (``X-Forwarded-Host`` or ``Host``)."""
    host = _header(scope, b"host")
    client = scope.get("client")
    if not is_trusted(client[0] if client else None, server.trusted_proxies):
        return host
    forwarded_for = _header(scope, b"x-forwarded-for")
    if forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        # the last hop the trusted proxies did not add is the client
        while len(hops) > 1 and is_trusted(hops[-1], server.trusted_proxies):
            hops.pop()
        if hops:
            scope["client"] = (hops[-1], 0)
    proto = _header(scope, b"x-forwarded-proto")
    if proto:
        scope["scheme"] = "https" if proto.split(",")[0].strip().lower() == "https" else "http"
    forwarded_host = _header(scope, b"x-forwarded-host")
    return forwarded_host.split(",")[0].strip() if forwarded_host else host


def cross_site(scope: Scope, host: str | None, server: ServerConfig) -> str | None:
    """The foreign origin of a state-changing request, or None when it may pass."""
    if scope.get("method", "GET") in SAFE_METHODS:
        return None
    if scope.get("path", "").startswith(COLLECTOR_PREFIX):
        return None
    source = _header(scope, b"origin") or _header(scope, b"referer")
    if source is None:
        return None  # not a browser (browsers send Origin with every POST)
    if source == "null":
        return source
    netloc = urlsplit(source).netloc
    if host is not None and netloc.lower() == host.strip().lower():
        return None
    explicit = [h for h in server.allowed_hosts if h.strip() not in ("*", "")]
    if explicit and host_allowed(host_name(netloc), explicit, open_access=True):
        return None
    return source


class Guard:
    """The ASGI middleware of this module."""

    def __init__(self, app: ASGIApp, ctx: ServerContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = self.ctx.config.server
        host = apply_proxy_headers(scope, server)
        if host is not None and not host_allowed(
            host_name(host), server.allowed_hosts, open_access=self.ctx.open_access
        ):
            await respond(
                send,
                400,
                "host_not_allowed",
                f"This server does not answer to the host {host_name(host)!r}. If that is "
                "its name, add it to server.allowed_hosts in wegweiser.toml.",
            )
            return
        origin = cross_site(scope, host, server)
        if origin is not None:
            await respond(
                send,
                403,
                "cross_site",
                f"Requests from {origin} may not change anything here; use the dashboard "
                "itself (or an API client without an Origin header).",
                scope=scope,
            )
            return
        collector = scope.get("path", "").startswith(COLLECTOR_PREFIX)
        limit = None if collector else server.max_request_bytes
        length = _header(scope, b"content-length")
        if limit is not None and length is not None and length.isdigit() and int(length) > limit:
            await respond(send, 413, "payload_too_large", _too_big(limit))
            return
        await _Body(self.app, limit, server.body_timeout_seconds)(scope, receive, send)


def _too_big(limit: int) -> str:
    return (
        f"The request body is larger than server.max_request_bytes = {limit} bytes; "
        "send a smaller one."
    )


class _Body:
    """One request: its body counted against ``limit`` and read within ``seconds``; once
    the guard answered itself (408, 413), the app's own answer is dropped."""

    def __init__(self, app: ASGIApp, limit: int | None, seconds: float) -> None:
        self.app = app
        self.limit = limit
        self.seconds = seconds
        self.received = 0
        self.deadline: float | None = None
        self.answered = False
        self.started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.send = send
        self.deadline = asyncio.get_running_loop().time() + self.seconds

        async def guarded_receive() -> Message:
            if self.answered:
                return {"type": "http.disconnect"}
            if self.deadline is None:  # the body is complete: wait as long as it takes
                return await receive()
            remaining = self.deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0.001))
            except TimeoutError:
                await self._answer(
                    408,
                    "request_timeout",
                    f"The request body did not arrive within server.body_timeout_seconds = "
                    f"{self.seconds:g} s.",
                )
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.limit is not None and self.received > self.limit:
                    await self._answer(413, "payload_too_large", _too_big(self.limit))
                    return {"type": "http.disconnect"}
                if not message.get("more_body", False):
                    self.deadline = None
            return message

        async def guarded_send(message: Message) -> None:
            if self.answered:
                return
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        await self.app(scope, guarded_receive, guarded_send)

    async def _answer(self, status: int, code: str, message: str) -> None:
        if self.started or self.answered:
            self.answered = True
            return
        self.answered = True
        await respond(self.send, status, code, message)
