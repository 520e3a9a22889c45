"""The collector against the real server SDKs: Segment's ``segment-analytics-python`` and
RudderStack's ``rudder-sdk-python``, posting to a real ``wegweiser serve`` on loopback.

Every message is stored exactly once, also when the server is killed (SIGKILL) in the middle
of the stream and started again on the same port (the SDKs retry what was not answered; what
was stored but not answered comes again and is deduplicated on its messageId). A refusal
(401, 400) reaches the SDK as an ``APIError`` it does not retry.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

import wegweiser
from tests.serve.conftest import WRITE_KEY, auth_env, start_server

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.serve.conftest import LiveServer

segment_analytics = pytest.importorskip("segment.analytics")
rudder_analytics = pytest.importorskip("rudderstack.analytics")
from rudderstack.analytics.client import Client as RudderClient  # noqa: E402
from rudderstack.analytics.request import APIError as RudderError  # noqa: E402
from segment.analytics.client import Client as SegmentClient  # noqa: E402
from segment.analytics.request import APIError as SegmentError  # noqa: E402

MESSAGES = 300  # per SDK; the server is killed after a third of them


def _client(sdk: str, url: str, key: str = WRITE_KEY, **options: Any) -> Any:
    cls = SegmentClient if sdk == "segment" else RudderClient
    return cls(write_key=key, host=url, **options)


def _send(client: Any, marker: str, i: int) -> str:
    """Message ``i`` of a stream: track, page, identify, group and alias in turn."""
    anon, user, mid = f"{marker}-anon", f"{marker}-user", f"{marker}-{i}"
    kind = ("track", "page", "identify", "group", "alias")[i % 5]
    if kind == "track":
        client.track(
            user_id=None,
            event="Product Viewed",
            anonymous_id=anon,
            message_id=mid,
            properties={"n": i},
        )
    elif kind == "page":
        client.page(anonymous_id=anon, name="Home", message_id=mid, properties={"n": i})
    elif kind == "identify":
        client.identify(user_id=user, anonymous_id=anon, traits={"n": i}, message_id=mid)
    elif kind == "group":
        client.group(user_id=user, group_id="acme", traits={"n": i}, message_id=mid)
    else:
        client.alias(previous_id=anon, user_id=user, message_id=mid)
    return mid


def _stored(project: Path, marker: str) -> tuple[int, int]:
    """(rows, distinct message ids) of the stream ``marker`` in the store."""
    with wegweiser.open_project(project) as p:
        n, distinct = p._engine.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM events "
            "WHERE starts_with(message_id, $m)",
            {"m": marker + "-"},
        ).rows[0]
    return int(n), int(distinct)


def _wait(check: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


@pytest.mark.slow
def test_both_sdks_deliver_exactly_once_across_a_server_kill(
    demo_project: Path, tmp_path: Path
) -> None:
    first = start_server(demo_project, tmp_path / "server-1.log", **auth_env())
    url, port = first.url, int(first.url.rsplit(":", 1)[1])
    errors: list[Any] = []
    markers = {sdk: f"{sdk}-{uuid.uuid4().hex[:8]}" for sdk in ("segment", "rudder")}
    clients = {
        sdk: _client(sdk, url, on_error=lambda e, batch: errors.append(e), max_retries=12)
        for sdk in markers
    }
    second: LiveServer | None = None
    try:
        for i in range(MESSAGES):
            for sdk, client in clients.items():
                _send(client, markers[sdk], i)
            if i == MESSAGES // 3:
                time.sleep(0.3)  # some batches in flight
                first.kill()
            if i == MESSAGES // 2:
                second = start_server(
                    demo_project, tmp_path / "server-2.log", port=port, **auth_env()
                )
            time.sleep(0.002)
        for client in clients.values():
            client.flush()
            client.shutdown()
        assert errors == []
        assert second is not None
        for sdk, marker in markers.items():
            done = _wait(lambda m=marker: _stored(demo_project, m)[1] == MESSAGES)
            n, distinct = _stored(demo_project, marker)
            logging.getLogger(__name__).warning(
                "%s: %d messages sent, %d stored, %d duplicates",
                sdk,
                MESSAGES,
                distinct,
                n - distinct,
            )
            assert done, (sdk, n, distinct)
            assert n == distinct == MESSAGES, sdk
    finally:
        first.kill()
        if second is not None:
            second.stop()


@pytest.mark.parametrize("sdk", ["segment", "rudder"])
def test_a_refusal_reaches_the_sdk_and_is_not_retried(
    sdk: str, demo_project: Path, live_server
) -> None:
    """Issue 13, 7: RudderStack could not parse our errors and retried 400/401/413."""
    server = live_server(demo_project, **auth_env())
    errors: list[Any] = []
    client = _client(
        sdk,
        server.url,
        key="wk_not_a_key",
        on_error=lambda e, batch: errors.append(e),
        max_retries=3,
    )
    started = time.monotonic()
    client.track(user_id="u1", event="x")
    client.flush()
    client.shutdown()
    took = time.monotonic() - started
    expected = SegmentError if sdk == "segment" else RudderError
    assert len(errors) == 1
    [error] = errors
    assert isinstance(error, expected), repr(error)
    assert (error.status, error.code) == (401, "unauthorized")
    assert "Unknown write key" in error.message
    assert took < 5  # no backoff rounds
