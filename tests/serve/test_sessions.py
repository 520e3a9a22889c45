"""Dashboard sessions kept on the server (issue 13 item 7: "the session cookie cannot be
marked Secure and stays valid after logout"), against a real ``wegweiser serve``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx

from tests.serve.conftest import PASSWORD, USER, auth_env, logged_in, set_server
from wegweiser.serve.app import SESSION_COOKIE
from wegweiser.serve.sessions import SESSIONS_FILE, SessionStore, sign, unsign

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.serve.conftest import LiveServer


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def test_the_old_cookie_is_worthless_after_logout(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(demo_project, **auth_env())
    with logged_in(server.url) as client:
        cookie = client.cookies[SESSION_COOKIE]
        assert client.get("/api/v1/analyses").status_code == 200
        token = _csrf(client.get("/", headers={"accept": "text/html"}).text)
        out = client.post("/logout", data={"csrf": token})
        assert out.status_code == 303
        assert SESSION_COOKIE not in client.cookies  # told to forget it
    with httpx.Client(base_url=server.url, timeout=60, cookies={SESSION_COOKIE: cookie}) as replay:
        api = replay.get("/api/v1/analyses")
        assert api.status_code == 401, "the cookie from before the log-out still reads data"
        page = replay.get("/")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")


def test_login_gets_a_new_session_id(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    """No session fixation: the id a visitor had before logging in is not the one after."""
    server = live_server(demo_project, **auth_env())
    with httpx.Client(base_url=server.url, timeout=60) as c:
        token = _csrf(c.get("/login").text)
        before = c.cookies[SESSION_COOKIE]
        done = c.post("/login", data={"csrf": token, "username": USER, "password": PASSWORD})
        assert done.status_code == 303
        after = c.cookies[SESSION_COOKIE]
        assert after != before
    with httpx.Client(base_url=server.url, timeout=60, cookies={SESSION_COOKIE: before}) as old:
        assert old.get("/api/v1/analyses").status_code == 401


def _set_cookie(response: httpx.Response) -> str:
    found = [v for v in response.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE)]
    assert found, response.headers
    return found[0]


def test_secure_cookie_behind_a_trusted_proxy(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    set_server(demo_project, trusted_proxies=["127.0.0.1"])
    server = live_server(demo_project, **auth_env())
    with httpx.Client(base_url=server.url, timeout=60) as c:
        plain = _set_cookie(c.get("/login"))
        assert "HttpOnly" in plain
        assert "SameSite=Lax" in plain
        assert "Secure" not in plain
    with httpx.Client(base_url=server.url, timeout=60, headers={"x-forwarded-proto": "https"}) as c:
        assert "; Secure" in _set_cookie(c.get("/login"))


def test_forwarded_proto_from_anyone_else_is_ignored(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    set_server(demo_project, trusted_proxies=["10.0.0.0/8"])
    server = live_server(demo_project, **auth_env())
    with httpx.Client(base_url=server.url, timeout=60, headers={"x-forwarded-proto": "https"}) as c:
        assert "Secure" not in _set_cookie(c.get("/login"))


def test_secure_cookies_always(demo_project: Path, live_server: Callable[..., LiveServer]) -> None:
    set_server(demo_project, secure_cookies="always")
    server = live_server(demo_project, **auth_env())
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert "; Secure" in _set_cookie(c.get("/login"))


def test_session_store_and_signature(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / SESSIONS_FILE)
    store.save("abc", {"user": "ana"})
    loaded = store.load("abc")
    assert loaded is not None
    assert loaded[0] == {"user": "ana"}
    store.forget("abc")
    assert store.load("abc") is None
    assert (tmp_path / SESSIONS_FILE).stat().st_mode & 0o077 == 0
    store.close()
    assert unsign(sign("abc", "k"), "k") == "abc"
    assert unsign(sign("abc", "k")[:-1] + "x", "k") is None
    assert unsign("no-dot", "k") is None
