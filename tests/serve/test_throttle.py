"""Log-in throttling (issue 13 item 7: "60 failed logins hold the worker threads; an
unrelated API call took 4 s"), against a real ``wegweiser serve``."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpx

from tests.serve.conftest import API_TOKEN, PASSWORD, USER, auth_env
from wegweiser.serve.app import SESSION_COOKIE
from wegweiser.serve.throttle import ADDRESS, Backoff, Throttle
from wegweiser.serve.throttle import USER as PER_USER

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.serve.conftest import LiveServer

ATTEMPTS = 60
BOUND_SECONDS = 1.5  # an unrelated API call during the attack (it took 4 s before)


def test_failed_logins_do_not_hold_the_server(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(demo_project, **auth_env())
    with httpx.Client(base_url=server.url, timeout=60) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        cookie = c.cookies[SESSION_COOKIE]

    attacker = httpx.Client(
        base_url=server.url,
        timeout=60,
        cookies={SESSION_COOKIE: cookie},
        limits=httpx.Limits(max_connections=ATTEMPTS),
    )
    reader = httpx.Client(
        base_url=server.url, timeout=60, headers={"authorization": f"Bearer {API_TOKEN}"}
    )

    def guess(k: int) -> httpx.Response:
        return attacker.post(
            "/login", data={"csrf": token.group(1), "username": USER, "password": f"wrong-{k}"}
        )

    def api_call() -> float:
        started = time.monotonic()
        assert reader.get("/api/v1/analyses").status_code == 200
        return time.monotonic() - started

    with attacker, reader:
        api_call()  # warm
        quiet = min(api_call() for _ in range(3))
        with ThreadPoolExecutor(ATTEMPTS) as pool:
            attack = [pool.submit(guess, k) for k in range(ATTEMPTS)]
            time.sleep(0.05)
            latencies = [api_call() for _ in range(5)]
            answers = [f.result() for f in attack]
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {401, 429}, codes
    throttled = [r for r in answers if r.status_code == 429]
    # free attempts, then one per growing pause (1, 2, 4 s ...) while the attack lasts
    assert codes.count(401) <= PER_USER.free + 4, codes
    assert all(int(r.headers["retry-after"]) >= 1 for r in throttled)
    assert "Too many failed log-ins" in throttled[0].text
    print(
        f"API call quiet {quiet:.3f} s; during {ATTEMPTS} parallel failed log-ins: "
        f"{', '.join(f'{x:.3f}' for x in latencies)} s"
    )
    assert max(latencies) < BOUND_SECONDS, latencies
    # the user gets in with the right password once the pause is over
    with httpx.Client(base_url=server.url, timeout=60, cookies={SESSION_COOKIE: cookie}) as c:
        form = {"csrf": token.group(1), "username": USER, "password": PASSWORD}
        right = c.post("/login", data=form)
        if right.status_code == 429:
            time.sleep(int(right.headers["retry-after"]))
            right = c.post("/login", data=form)
        assert right.status_code == 303, right.text


def test_backoff_per_user_and_address() -> None:
    t = Throttle()
    ana = {"user:ana": PER_USER, "ip:1.2.3.4": ADDRESS}
    for _ in range(PER_USER.free):
        assert t.retry_after(ana, now=10.0) == 0
        t.failed(ana, now=10.0)
    assert t.retry_after(ana, now=10.0) == 1.0
    assert t.retry_after(ana, now=11.0) == 0
    # another user from the same address is not slowed down yet ...
    ben = {"user:ben": PER_USER, "ip:1.2.3.4": ADDRESS}
    assert t.retry_after(ben, now=10.0) == 0
    # ... until the address has failed often enough
    for k in range(ADDRESS.free):
        t.failed({f"user:u{k}": PER_USER, "ip:1.2.3.4": ADDRESS}, now=20.0)
    assert t.retry_after(ben, now=20.0) > 0
    # failures are forgotten after a while, and a success clears the user
    assert t.retry_after(ana, now=20.0 + PER_USER.forget + 1) == 0
    t.succeeded("user:ana")
    assert t.retry_after({"user:ana": PER_USER}, now=12.0) == 0


def test_backoff_is_capped() -> None:
    assert Backoff(free=1, base=1.0, cap=5.0).wait(100) == 5.0
