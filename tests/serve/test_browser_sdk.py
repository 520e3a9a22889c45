"""analytics.js (``@segment/analytics-next`` from npm) in Debian's chromium, sending to a
real ``wegweiser serve`` — offline: the bundle comes from a loopback web server (the shop),
the settings are passed in, and every request that leaves loopback is blocked and fails the
test. The page runs the snippet the settings page shows, so a wrong snippet fails here.

The shop and the collector are two origins (two ports), so the browser does real CORS
(analytics-next sends ``Authorization``: a preflight before each post).

The npm tarball is downloaded once (pinned version, checked against the registry's sha512)
into the user's cache folder (``$XDG_CACHE_HOME/wegweiser-tests``); it is never committed.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import html
import io
import json
import os
import re
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest

import wegweiser
from tests.serve.conftest import WRITE_KEY, auth_env, logged_in

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.serve.conftest import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("WEGWEISER_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed at /usr/bin/chromium (CI installs it)",
)

VERSION = "1.84.3"
TARBALL = f"https://registry.npmjs.org/@segment/analytics-next/-/analytics-next-{VERSION}.tgz"
INTEGRITY = (  # the registry's dist.integrity of VERSION
    "sha512-5l7cPBzScxhfJ0zdcKQI4daDvMIWWUk7hClT1xGRelnHUltIEoQ9w8+ZpFPoWJMpX8D7IA1nVAfJbpiKi3XaKw=="
)
BUNDLES = "assets/analytics-next/bundles"  # where the snippet expects the bundle


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wegweiser-tests"


def _checked(data: bytes) -> bool:
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    return f"sha512-{digest}" == INTEGRITY


@functools.cache
def analytics_next_umd() -> dict[str, bytes]:
    """The files of ``dist/umd`` of the pinned analytics-next tarball, by name."""
    cached = _cache() / f"analytics-next-{VERSION}.tgz"
    data = cached.read_bytes() if cached.is_file() else b""
    if not _checked(data):
        data = httpx.get(TARBALL, timeout=120, follow_redirects=True).raise_for_status().content
        assert _checked(data), f"{TARBALL} does not match its registry integrity {INTEGRITY}"
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            prefix = "package/dist/umd/"
            if member.isfile() and member.name.startswith(prefix) and member.name.endswith(".js"):
                handle = tar.extractfile(member)
                assert handle is not None
                files[member.name[len(prefix) :]] = handle.read()
    assert "index.js" in files
    return files


@contextlib.contextmanager
def shop(folder: Path) -> Iterator[str]:
    """A static web server on loopback serving ``folder``; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def settings_snippet(server: LiveServer) -> str:
    """The analytics.js snippet exactly as the settings page shows it."""
    with logged_in(server.url) as client:
        page = client.get("/settings", params={"lang": "en"})
    assert page.status_code == 200
    found = re.search(r'<pre[^>]*data-snippet="analytics-next"[^>]*>(.*?)</pre>', page.text, re.S)
    assert found is not None, "the settings page shows no analytics-next snippet"
    return html.unescape(found.group(1))


CALLS = """
async () => {
  const a = window.analytics;
  const done = [];
  done.push(await a.track("Product Viewed", {sku: "S1"}));
  done.push(await a.track("Added To Cart", {sku: "S1", price: 9.5}));
  done.push(await a.page("Shop", "Cart"));
  done.push(await a.identify("user-1", {email: "ana@example.com"}));
  done.push(await a.identify({plan: "pro"}));
  done.push(await a.group("acme", {name: "ACME"}));
  done.push(await a.alias("user-1b"));
  // a second instance that batches: four calls in one post to /v1/b
  const [batched] = await AnalyticsNext.AnalyticsBrowser.load({
    writeKey: WRITE_KEY,
    cdnSettings: {
      integrations: {"Segment.io": {apiKey: WRITE_KEY, apiHost: API_HOST, protocol: "http",
        deliveryStrategy: {strategy: "batching", config: {size: 4, timeout: 500}}}},
      metrics: {sampleRate: 0},
    },
  });
  done.push(await batched.track("Checkout Started"));
  done.push(await batched.page("Shop", "Checkout"));
  done.push(await batched.identify("user-1", {step: 2}));
  done.push(await batched.group("acme", {size: 3}));
  return done.map((ctx) => ctx.failedDelivery() ? String(ctx.failedDelivery().reason) : null);
}
"""


def _properties(project: Path, event: str) -> dict[str, Any]:
    with wegweiser.open_project(project) as p:
        text = p._engine.scalar(
            "SELECT properties::VARCHAR FROM events WHERE starts_with(message_id, 'ajs-next-') "
            "AND event = $e",
            {"e": event},
        )
    return dict(json.loads(text))


def _stored(project: Path) -> tuple[int, int, list[str]]:
    with wegweiser.open_project(project) as p:
        rows = p._engine.execute(
            "SELECT message_id, type FROM events WHERE starts_with(message_id, 'ajs-next-')"
        ).rows
    return len(rows), len({r[0] for r in rows}), sorted(r[1] for r in rows)


def _wait(check: Callable[[], bool], timeout: float = 30) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


@pytest.mark.slow
def test_analytics_next_in_chromium_stores_every_call(
    demo_project: Path, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """Issue 13, 1: 0 of 12 calls were stored (short paths, 405 without CORS)."""
    from playwright.sync_api import sync_playwright

    server = live_server(demo_project, **auth_env())
    collector = urlsplit(server.url)
    snippet = settings_snippet(server).replace("WRITE_KEY", WRITE_KEY)
    assert f'apiHost: "{collector.netloc}/v1"' in snippet
    site = tmp_path / "site"
    (site / BUNDLES).mkdir(parents=True)
    for name, data in analytics_next_umd().items():
        (site / BUNDLES / name).write_bytes(data)
    (site / "shop.html").write_text(
        "<!doctype html><html><head><title>Shop</title>\n"
        # chunks the bundle loads later come from the shop too, not from Segment's CDN
        "<script>window.analytics = {_cdn: location.origin + '/assets'};</script>\n"
        f"{snippet}\n</head><body><h1>Shop</h1></body></html>\n",
        encoding="utf-8",
    )
    left_loopback: list[str] = []
    with shop(site) as shop_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            context = browser.new_context()

            def only_loopback(route: Any) -> None:
                if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
                    route.continue_()
                else:
                    left_loopback.append(route.request.url)
                    route.abort()

            context.route("**/*", only_loopback)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{shop_url}/shop.html")
            page.wait_for_function("() => window.AnalyticsNext !== undefined")
            calls = CALLS.replace("WRITE_KEY", f'"{WRITE_KEY}"').replace(
                "API_HOST", f'"{collector.netloc}/v1"'
            )
            failed = page.evaluate(calls)
            assert failed == [None] * 11, failed
            assert errors == []
        finally:
            browser.close()
    assert left_loopback == []
    # 11 calls above and the snippet's own analytics.page()
    assert _wait(lambda: _stored(demo_project)[0] >= 12), _stored(demo_project)
    n, distinct, kinds = _stored(demo_project)
    assert n == distinct == 12
    assert kinds == sorted(
        ["track"] * 3 + ["page"] * 3 + ["identify"] * 3 + ["group"] * 2 + ["alias"]
    )
    # the SDK's own bookkeeping (_metadata) does not end up among the event's properties
    assert _properties(demo_project, "Added To Cart") == {"sku": "S1", "price": 9.5}
