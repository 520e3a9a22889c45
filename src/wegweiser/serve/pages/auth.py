"""Log-in and log-out of dashboard users (``server.users`` / ``WEGWEISER_USERS``).

A successful log-in stores the user's name in the signed session cookie
(``request.session["user"]``) and gives the session a new CSRF token. Failed attempts are
answered after a short, growing pause, per user name, to slow down password guessing.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wegweiser.serve.access import context, current_user
from wegweiser.serve.auth import verify_password
from wegweiser.serve.pages._web import check_csrf, render, safe_next

router = APIRouter(include_in_schema=False)

# a throw-away hash, verified for unknown users so that timing does not tell which exist
_DUMMY = ("scrypt$16384$8$1$00000000000000000000000000000000$"
          "0000000000000000000000000000000000000000000000000000000000000000")
_failures: dict[str, tuple[int, float]] = {}
_lock = threading.Lock()


def _pause(username: str) -> None:
    """Wait 0.25 s per recent failure of ``username`` (at most 3 s; forgotten after 15 min)."""
    now = time.monotonic()
    with _lock:
        count, since = _failures.get(username, (0, now))
        if now - since > 900:
            count = 0
    if count:
        time.sleep(min(3.0, 0.25 * count))


def _record(username: str, *, ok: bool) -> None:
    with _lock:
        if ok:
            _failures.pop(username, None)
        else:
            count, _ = _failures.get(username, (0, 0.0))
            _failures[username] = (count + 1, time.monotonic())
            if len(_failures) > 10_000:
                _failures.clear()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    ctx = context(request)
    if ctx.open_access or current_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html.j2", title_key="login.title", next=safe_next(next),
                  username="", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
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
    _pause(username)
    stored = ctx.secrets.users.get(username)
    ok = verify_password(password, stored if stored is not None else _DUMMY) and stored is not None
    _record(username, ok=ok)
    if not ok:
        return render(request, "login.html.j2", status=401, title_key="login.title",
                      next=target, username=username, error="login.failed")
    request.session.clear()
    request.session["user"] = username
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login" if not context(request).open_access else "/",
                            status_code=303)
