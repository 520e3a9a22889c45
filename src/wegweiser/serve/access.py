"""Who may do what.

* Collector (``/v1/*``): a configured write key (HTTP Basic user, or ``writeKey`` in the body).
* Query API (``/api/v1/*``): a read-only API token (``Authorization: Bearer``) or a logged-in
  dashboard session. Write keys never read.
* Dashboard: a logged-in user (session cookie).

Without configured users the server is in *open access* mode: it refuses to listen on
anything but localhost, and pages and API need no log-in (a token, if sent, must be valid).

Each write key gets a :class:`TokenBucket` of events per second (``server.rate_limit_*``).
"""

from __future__ import annotations

import time

from fastapi import Request

from wegweiser.serve.auth import bearer_token, is_known
from wegweiser.serve.context import ServerContext
from wegweiser.serve.errors import ApiError


def context(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


def current_user(request: Request) -> str | None:
    """The logged-in user's name, or None (also when that user was removed from config)."""
    name = request.session.get("user")
    if isinstance(name, str) and name in context(request).secrets.users:
        return name
    return None


def require_reader(request: Request) -> None:
    """FastAPI dependency of the query API."""
    ctx = context(request)
    token = bearer_token(request.headers.get("authorization"))
    if token is not None:
        if is_known(token, ctx.secrets.api_tokens):
            return
        raise ApiError(
            401,
            "Unknown API token. Use a token from server.api_tokens / WEGWEISER_API_TOKENS "
            "(write keys cannot read).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if ctx.open_access or current_user(request) is not None:
        return
    raise ApiError(
        401,
        "Send `Authorization: Bearer <token>` with a read-only API token, or log in.",
        headers={"WWW-Authenticate": "Bearer"},
    )


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up.

    >>> b = TokenBucket(rate=10, burst=20, now=0.0)
    >>> b.take(20, now=0.0), b.take(5, now=0.0), b.take(5, now=0.5)
    (0.0, 0.5, 0.0)
    """

    def __init__(self, *, rate: float, burst: int, now: float | None = None) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic() if now is None else now

    def take(self, n: int, *, now: float | None = None) -> float:
        """Take ``n`` tokens; returns 0 on success, else the seconds to wait.

        A request larger than the burst passes when the bucket is full (and empties it
        below zero), so no request size is refused for ever.
        """
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        need = min(float(n), self.burst)
        if self.tokens >= need:
            self.tokens -= n
            return 0.0
        return (need - self.tokens) / self.rate
