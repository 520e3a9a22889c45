"""Who may do what.

* Collector (``/v1/*``): a configured write key (HTTP Basic user, or ``writeKey`` in the body).
* Query API (``/api/v1/*``): an API token (``Authorization: Bearer``) or a logged-in
  dashboard session. Write keys never read.
* Dashboard: a logged-in user (session cookie).

What a caller may do is one of four permissions, checked by the dependency
:func:`require` on every route and page:

==========  ===================================================  ======================
permission  what                                                 who
==========  ===================================================  ======================
view        dashboards, analyses, aggregate API answers          every role and scope
personal    a person's page and API, search, identities,         admin; analyst with
            quarantined rows, the send ledger, downloads         ``server.analyst_personal_data``;
                                                                 tokens read, write, admin
edit        segments, annotations, fixes, consent changes        admin, analyst; tokens
                                                                 write, admin
admin       settings, quarantine replay/drop, journeys,          admin; tokens admin
            erasure, the audit log
==========  ===================================================  ======================

Users have a role (``server.users`` entries ``name:role:hash``; without one: ``admin``, as
every user was before roles), API tokens a scope (``server.api_tokens`` entries
``scope:token``; without one: ``read``, as before). Open access (no users configured, the
server on localhost only) acts as admin.

Without configured users the server is in *open access* mode: it refuses to listen on
anything but localhost, and pages and API need no log-in (a token, if sent, must be valid).

Each write key gets a :class:`TokenBucket` of events per second (``server.rate_limit_*``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import Request

from wegweiser import audit
from wegweiser.serve.auth import bearer_token, key_id, match, split_scope
from wegweiser.serve.context import ServerContext
from wegweiser.serve.errors import ApiError

Permission = Literal["view", "personal", "edit", "admin"]
PERMISSIONS: tuple[Permission, ...] = ("view", "personal", "edit", "admin")

#: what each token scope and user role may do (``analyst`` gains ``personal`` with the
#: setting ``server.analyst_personal_data``)
GRANTS: dict[tuple[str, str], frozenset[str]] = {
    ("token", "read"): frozenset({"view", "personal"}),
    ("token", "write"): frozenset({"view", "personal", "edit"}),
    ("token", "admin"): frozenset(PERMISSIONS),
    ("user", "viewer"): frozenset({"view"}),
    ("user", "analyst"): frozenset({"view", "edit"}),
    ("user", "admin"): frozenset(PERMISSIONS),
    ("open", "admin"): frozenset(PERMISSIONS),
}

_WHAT = {
    "view": "see the dashboards",
    "personal": "see personal data (a person's page or API, searches, identities, "
                "quarantined rows, the send ledger, downloads)",
    "edit": "change segments, annotations, fixes or consent",
    "admin": "change settings, quarantine, journeys or erasures, or read the audit log",
}


class LoginRequired(Exception):
    """Nobody is logged in, and users are configured; ``next`` is where to go back to."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class Principal:
    """Who sends a request: a dashboard user, an API token or (open access) the local user."""

    name: str
    """The actor of the audit log: the user's name, ``token:<id>`` or ``local``."""
    kind: Literal["user", "token", "open"]
    role: str
    """The user's role or the token's scope."""

    def may(self, permission: str, *, analyst_personal_data: bool = False) -> bool:
        """Whether this principal has ``permission``.

        >>> Principal("bo", "user", "viewer").may("personal")
        False
        >>> Principal("al", "user", "analyst").may("personal", analyst_personal_data=True)
        True
        """
        granted = GRANTS.get((self.kind, self.role), frozenset())
        if (permission == "personal" and self.kind == "user" and self.role == "analyst"
                and analyst_personal_data):
            return True
        return permission in granted


def surface(request: Request) -> str:
    return "api" if request.url.path.startswith("/api") else "dashboard"


def principal(request: Request) -> Principal | None:
    """Who sends ``request`` (None: nobody logged in and no token). An unknown token is
    refused with 401; on the API a token counts before a session."""
    ctx = context(request)
    token = bearer_token(request.headers.get("authorization"))
    if token is not None and surface(request) == "api":
        entry = match(token, ctx.secrets.api_tokens)
        if entry is None:
            raise ApiError(
                401,
                "Unknown API token. Use a token from server.api_tokens / WEGWEISER_API_TOKENS "
                "(write keys cannot read).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return Principal(f"token:{key_id(entry)}", "token", split_scope(entry)[0])
    user = current_user(request)
    if user is not None:
        return Principal(user, "user", ctx.secrets.role(user))
    if ctx.open_access:
        return Principal("local", "open", "admin")
    return None


def check(request: Request, permission: Permission) -> Principal:
    """The request's principal if it has ``permission``; else 401 (nobody) or 403 in the
    error shape (a page gets the 403 page), and an ``access_denied`` audit entry."""
    ctx = context(request)
    who = principal(request)
    if who is None:
        if surface(request) == "dashboard":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target)
        raise ApiError(
            401,
            "Send `Authorization: Bearer <token>` with an API token, or log in.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if who.may(permission, analyst_personal_data=ctx.config.server.analyst_personal_data):
        if permission == "admin" and who.kind == "token":
            audit.record(ctx.project_dir, actor=who.name, action="token_admin",
                         target=request.url.path, surface="api",
                         detail={"method": request.method})
        return who
    audit.record(ctx.project_dir, actor=who.name, action="access_denied",
                 target=request.url.path, surface=surface(request),
                 detail={"method": request.method, "needs": permission, "role": who.role})
    if who.kind == "token":
        code = "read_only_token" if who.role == "read" else "forbidden_scope"
        raise ApiError(403, f"This API token has the scope {who.role!r}, which may not "
                            f"{_WHAT[permission]}; use a token with more scope "
                            "(`wegweiser keys add --kind api --scope ...`).", code=code)
    raise ApiError(403, f"The user {who.name!r} has the role {who.role!r}, which may not "
                        f"{_WHAT[permission]}; an admin can change roles in server.users.",
                   code="forbidden_role")


def allowed(request: Request, permission: Permission) -> bool:
    """Whether the request's principal has ``permission`` -- for what a page shows (a
    button, a column), not for what it does: that is :func:`require`'s. Nothing is
    recorded or raised."""
    who = principal(request)
    personal = context(request).config.server.analyst_personal_data
    return who is not None and who.may(permission, analyst_personal_data=personal)


def actor(request: Request, action: str, *, target: str | None = None,
          detail: dict[str, object] | None = None) -> None:
    """Record ``action`` of the request's principal in the audit log."""
    who = principal(request)
    audit.record(context(request).project_dir, actor=who.name if who else "anonymous",
                 action=action, target=target, surface=surface(request),
                 detail=dict(detail) if detail else None)


def require(permission: Permission) -> Callable[[Request], Principal]:
    """FastAPI dependency of every route and page: the caller must have ``permission``
    (``view``, ``personal``, ``edit``, ``admin``); returns the :class:`Principal`.

    ``@router.post(..., dependencies=[Depends(require("admin"))])`` or as a parameter
    ``who: Annotated[Principal, Depends(require("admin"))]`` for the audit log's actor.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; use one of {PERMISSIONS}")

    def dependency(request: Request) -> Principal:
        return check(request, permission)

    dependency.__name__ = f"require_{permission}"
    return dependency


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
    """FastAPI dependency of the query API's aggregate answers (``require("view")``)."""
    check(request, "view")


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
