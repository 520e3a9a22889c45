"""Log-in and log-out of dashboard users (``server.users`` / ``WEGWEISER_USERS``).

A successful log-in stores the user's name in the session (kept on the server,
:mod:`wegweiser.serve.sessions`, under a new session id) and gives it a new CSRF token; a
log-out forgets the session, so its cookie is worth nothing afterwards. Failed attempts
slow down further ones per user name and per client address (:mod:`..throttle`): too soon
is answered 429 with ``Retry-After`` at once, and passwords are checked off the request
threads.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wegweiser import audit
from wegweiser.serve.access import context, current_user
from wegweiser.serve.pages._web import check_csrf, render, safe_next
from wegweiser.serve.throttle import ADDRESS, USER, Throttle, averify_password

router = APIRouter(include_in_schema=False)

# a throw-away hash, verified for unknown users so that timing does not tell which exist
_DUMMY = (
    "scrypt$16384$8$1$00000000000000000000000000000000$"
    "0000000000000000000000000000000000000000000000000000000000000000"
)
throttle = Throttle()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    ctx = context(request)
    if ctx.open_access or current_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request,
        "login.html.j2",
        title_key="login.title",
        next=safe_next(next),
        username="",
        error=None,
    )


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    ctx = context(request)
    target = safe_next(next)
    if ctx.open_access:
        return RedirectResponse(target, status_code=303)
    username = username.strip()[:200]
    client = request.client.host if request.client else "unknown"
    keys = {f"user:{username}": USER, f"ip:{client}": ADDRESS}
    wait = throttle.retry_after(keys)
    if wait > 0:
        seconds = math.ceil(wait)
        response = render(
            request,
            "login.html.j2",
            status=429,
            title_key="login.title",
            next=target,
            username=username,
            error="login.throttled",
            error_values={"seconds": seconds},
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    throttle.failed(keys)  # counted before the check: parallel guesses count at once
    stored = ctx.secrets.users.get(username)
    ok = await averify_password(password, stored if stored is not None else _DUMMY)
    ok = ok and stored is not None
    if ok:
        throttle.succeeded(f"user:{username}", (f"ip:{client}",))
    audit.record(ctx.project_dir, actor=username or "(empty)",
                 action="login" if ok else "login_failed", surface="dashboard",
                 detail={"address": client} if not ok else None)
    if not ok:
        return render(
            request,
            "login.html.j2",
            status=401,
            title_key="login.title",
            next=target,
            username=username,
            error="login.failed",
        )
    request.session.clear()
    request.session["user"] = username
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    user = current_user(request)
    if user is not None:
        audit.record(context(request).project_dir, actor=user, action="logout",
                     surface="dashboard")
    request.session.clear()
    return RedirectResponse("/login" if not context(request).open_access else "/", status_code=303)
