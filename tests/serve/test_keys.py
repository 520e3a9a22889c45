"""``wegweiser keys add|list|revoke|hash`` and keys taken up by a running server without a
restart (issue 13 item 7: "write keys and API tokens are stored in plaintext; new keys only
work after a restart"; issue 20 item 8)."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.serve.conftest import set_server
from wegweiser.config import load_config
from wegweiser.serve.auth import hash_key, is_known, key_id

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.serve.conftest import LiveServer


def keys(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", "keys", *args, "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _event(n: int) -> dict[str, object]:
    return {"type": "track", "event": "keys_test", "userId": "u1", "messageId": f"keys-{n}"}


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_keys_are_stored_hashed_and_work_without_a_restart(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    server = live_server(demo_project)  # started without any key
    made = keys(demo_project, "add", "--kind", "write")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("wk_")
    assert "only time" in made.stderr
    text = (demo_project / "wegweiser.toml").read_text(encoding="utf-8")
    assert key not in text
    assert hash_key(key) in text
    assert (demo_project / "wegweiser.toml").stat().st_mode & 0o077 == 0
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert _eventually(
            lambda: c.post("/v1/track", json=_event(1), auth=(key, "")).status_code == 200
        ), "a key added while the server runs is not taken up"
        token = keys(demo_project, "add", "--kind", "api").stdout.strip()
        bearer = {"authorization": f"Bearer {token}"}
        assert _eventually(lambda: c.get("/api/v1/stats", headers=bearer).status_code == 200)
        listed = keys(demo_project, "list")
        assert key_id(key) in listed.stdout
        assert key_id(token) in listed.stdout
        assert key not in listed.stdout
        revoked = keys(demo_project, "revoke", key_id(key)[:8])
        assert revoked.returncode == 0, revoked.stderr
        assert _eventually(
            lambda: c.post("/v1/track", json=_event(2), auth=(key, "")).status_code == 401
        ), "a revoked key still works"
        assert keys(demo_project, "revoke", key).returncode != 0  # gone already
        assert c.get("/api/v1/stats", headers=bearer).status_code == 200


def test_plaintext_keys_still_work_and_can_be_hashed(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    set_server(demo_project, write_keys=["wk_old_plain_key"])
    server = live_server(demo_project)
    assert "Deprecated: 1 key(s) stored in plaintext" in server.output()
    assert "PLAINTEXT" in keys(demo_project, "list").stdout
    auth = ("wk_old_plain_key", "")
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert c.post("/v1/track", json=_event(3), auth=auth).status_code == 200
        hashed = keys(demo_project, "hash")
        assert hashed.returncode == 0, hashed.stderr
        assert "Hashed 1 key(s)." in hashed.stdout
        assert load_config(demo_project).server.write_keys == [hash_key("wk_old_plain_key")]
        time.sleep(0.2)
        assert c.post("/v1/track", json=_event(4), auth=auth).status_code == 200
    assert "PLAINTEXT" not in keys(demo_project, "list").stdout


def test_a_broken_edit_keeps_the_last_good_keys(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    set_server(demo_project, write_keys=[hash_key("wk_good")])
    server = live_server(demo_project)
    path = demo_project / "wegweiser.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[server\n", encoding="utf-8")
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert c.post("/v1/track", json=_event(5), auth=("wk_good", "")).status_code == 200
        assert c.get("/healthz").status_code == 200


def test_users_removed_at_run_time_do_not_open_the_server(
    demo_project: Path, live_server: Callable[..., LiveServer]
) -> None:
    from tests.serve.conftest import auth_env

    env = auth_env()
    users = [env.pop("WEGWEISER_USERS")]
    set_server(demo_project, users=users)
    server = live_server(demo_project, **env)
    with httpx.Client(base_url=server.url, timeout=30) as c:
        assert c.get("/api/v1/stats").status_code == 401
        set_server(demo_project, users=[])
        time.sleep(0.1)
        assert c.get("/api/v1/stats").status_code == 401  # locked, not open


def test_hashed_entries_are_checked() -> None:
    assert is_known("wk_a", [hash_key("wk_a")])
    assert not is_known("wk_b", [hash_key("wk_a"), "wk_c"])
    assert not is_known("", [""])


@pytest.mark.parametrize("entry", ["sha256$abc", "sha256$" + "g" * 64])
def test_a_malformed_hash_is_a_config_error(tmp_path: Path, entry: str) -> None:
    from wegweiser.config import default_config
    from wegweiser.errors import InvalidConfig
    from wegweiser.serve.context import load_secrets

    config = default_config().model_copy(
        update={"server": default_config().server.model_copy(update={"write_keys": [entry]})}
    )
    with pytest.raises(InvalidConfig, match="sha256"):
        load_secrets(config, {})
