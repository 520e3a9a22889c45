"""Dashboard sessions, kept on the server.

The cookie (``wegweiser_session``) holds only a random session id, signed with the
server's secret key; what the session holds (the user, the CSRF token, flash messages)
stays in ``.wegweiser-sessions`` (SQLite, mode 600) in the project folder. So the server
can forget a session: after a log-out the old cookie is worth nothing, and a log-in gets a
new id (no session fixation). Sessions last ``MAX_AGE`` seconds after their last use.

The cookie is ``HttpOnly``, ``SameSite=Lax`` and -- with ``server.secure_cookies`` ``auto``
-- ``Secure`` when the request came over TLS (directly or via a trusted proxy, see
:mod:`wegweiser.serve.guard`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from wegweiser.serve.context import ServerContext
    from wegweiser.serve.guard import ASGIApp, Message, Receive, Scope, Send

SESSIONS_FILE = ".wegweiser-sessions"
MAX_AGE = 14 * 24 * 3600
ANONYMOUS_MAX_AGE = 3600  # a session nobody logged in to (CSRF token, language) is kept 1 h
_REFRESH = 24 * 3600  # a session's expiry is moved on at most once a day


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 600 unless it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class SessionStore:
    """Session id -> data, with an expiry; one SQLite file (its journal gets its mode)."""

    def __init__(self, path: Path, *, max_age: int = MAX_AGE) -> None:
        self.path = path
        self.max_age = max_age
        private_file(path)
        self._lock = threading.Lock()
        self._saves = 0
        self._db = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=10
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, "
            "data BLOB NOT NULL, expires REAL NOT NULL)"
        )
        self._db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))

    def load(self, sid: str) -> tuple[dict[str, Any], float] | None:
        """The data and expiry of a live session, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT data, expires FROM sessions WHERE id = ?", (sid,)
            ).fetchone()
        if row is None or row[1] < time.time():
            return None
        data = orjson.loads(row[0])
        return (data, float(row[1])) if isinstance(data, dict) else None

    def save(self, sid: str, data: dict[str, Any]) -> float:
        now = time.time()
        expires = now + (self.max_age if data.get("user") else ANONYMOUS_MAX_AGE)
        with self._lock:
            self._saves += 1
            if self._saves % 500 == 0:
                self._db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            self._db.execute(
                "INSERT INTO sessions (id, data, expires) VALUES (?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET data = excluded.data, expires = excluded.expires",
                (sid, orjson.dumps(data), expires),
            )
        return expires

    def forget(self, sid: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE id = ?", (sid,))

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM sessions").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def sign(sid: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), sid.encode(), hashlib.sha256).digest()
    return f"{sid}.{base64.urlsafe_b64encode(mac[:18]).decode()}"


def unsign(value: str, secret: str) -> str | None:
    """The session id of a cookie value, or None when its signature is wrong.

    >>> unsign(sign("abc", "k"), "k"), unsign(sign("abc", "k"), "other")
    ('abc', None)
    """
    sid, _, _ = value.rpartition(".")
    if not sid or not hmac.compare_digest(sign(sid, secret), value):
        return None
    return sid


class Sessions:
    """The ASGI middleware: ``scope["session"]`` is the session's data (a dict)."""

    def __init__(self, app: ASGIApp, ctx: ServerContext, *, cookie: str) -> None:
        self.app = app
        self.ctx = ctx
        self.cookie = cookie
        self.store = SessionStore(ctx.project_dir / SESSIONS_FILE)

    def _cookie_value(self, scope: Scope) -> str | None:
        for key, value in scope.get("headers", ()):
            if key == b"cookie":
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:  # a malformed Cookie header is no session
                    return None
                if self.cookie in jar:
                    return jar[self.cookie].value
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        secret = self.ctx.session_secret
        raw = self._cookie_value(scope)
        sid = unsign(raw, secret) if raw else None
        loaded = self.store.load(sid) if sid else None
        before: dict[str, Any] = loaded[0] if loaded else {}
        expires = loaded[1] if loaded else 0.0
        if loaded is None:
            sid = None
        scope["session"] = dict(before)
        old = orjson.dumps(before, option=orjson.OPT_SORT_KEYS)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                header = self._after(scope, sid, before, old, expires)
                if header is not None:
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (b"set-cookie", header)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _after(
        self, scope: Scope, sid: str | None, before: dict[str, Any], old: bytes, expires: float
    ) -> bytes | None:
        """Save, rotate or forget the session; the Set-Cookie value, if any."""
        data = scope["session"]
        if not data:
            if sid is None:
                return None
            self.store.forget(sid)  # log-out (or emptied): the id is worth nothing now
            return self._header(scope, "", max_age=0)
        changed = orjson.dumps(data, option=orjson.OPT_SORT_KEYS) != old
        if sid is not None and data.get("user") != before.get("user"):
            self.store.forget(sid)  # a log-in: never keep an id from before it
            sid = None
        if sid is None:
            sid = secrets.token_urlsafe(32)
        elif not changed and (
            not data.get("user") or expires - time.time() > self.store.max_age - _REFRESH
        ):
            return None
        expires = self.store.save(sid, data)
        return self._header(
            scope, sign(sid, self.ctx.session_secret), max_age=max(1, round(expires - time.time()))
        )

    def _header(self, scope: Scope, value: str, *, max_age: int) -> bytes:
        mode = self.ctx.config.server.secure_cookies
        secure = mode == "always" or (mode == "auto" and scope.get("scheme") == "https")
        parts = [
            f"{self.cookie}={value}",
            "Path=/",
            f"Max-Age={max_age}",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if secure:
            parts.append("Secure")
        return "; ".join(parts).encode("latin-1")
