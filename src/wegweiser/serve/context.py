"""What every request handler shares: the project folder, its settings, secrets and the store.

The server never keeps the store open. DuckDB lets one process write a file at a time, and
the CLI must keep working while the server runs, so each unit of work (a flush of collected
events, an API query, a dashboard page) opens the store, works and closes it again
(:meth:`ServerContext.store`). Opening costs ~30 ms; while the CLI holds the store, the
request waits up to ``server.store_wait_seconds`` and then answers 503.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wegweiser.config import Config
from wegweiser.errors import InvalidConfig
from wegweiser.project import Project
from wegweiser.serve.auth import KEY_HASH, is_hashed, key_id
from wegweiser.serve.watch import ConfigWatch

SECRET_FILE = ".wegweiser-secret"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Secrets:
    """Collector write keys, read-only API tokens and dashboard users (name -> hash)."""

    write_keys: frozenset[str] = frozenset()
    api_tokens: frozenset[str] = frozenset()
    users: Mapping[str, str] = field(default_factory=dict)
    plaintext: int = 0
    """Keys and tokens stored in plaintext in ``wegweiser.toml`` (``wegweiser keys hash``)."""


def _env_list(environ: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in environ.get(name, "").split(",") if item.strip()]


def load_secrets(config: Config, environ: Mapping[str, str] = os.environ) -> Secrets:
    """Secrets from ``[server]`` plus ``WEGWEISER_WRITE_KEYS``, ``WEGWEISER_API_TOKENS`` and
    ``WEGWEISER_USERS`` (comma-separated; users as ``name:hash``).

    >>> from wegweiser.config import default_config
    >>> env = {"WEGWEISER_USERS": "ana:scrypt$x", "WEGWEISER_API_TOKENS": "t1, t2"}
    >>> s = load_secrets(default_config(), env)
    >>> sorted(s.api_tokens), dict(s.users)
    (['t1', 't2'], {'ana': 'scrypt$x'})
    """
    users: dict[str, str] = {}
    for entry in [*config.server.users, *_env_list(environ, "WEGWEISER_USERS")]:
        name, sep, hashed = entry.partition(":")
        if not sep or not name.strip() or not hashed.strip():
            raise InvalidConfig(
                f"server.users entry {entry.split(':')[0]!r}... must be 'name:hash'; "
                "get the hash with `wegweiser hash-password`"
            )
        users[name.strip()] = hashed.strip()
    write_keys = {*config.server.write_keys, *_env_list(environ, "WEGWEISER_WRITE_KEYS")}
    api_tokens = {*config.server.api_tokens, *_env_list(environ, "WEGWEISER_API_TOKENS")}
    for name, entries in (("write_keys", write_keys), ("api_tokens", api_tokens)):
        for entry in entries:
            if is_hashed(entry) and not _HEX64.fullmatch(entry[len(KEY_HASH) :]):
                raise InvalidConfig(
                    f"server.{name} entry {entry[:14]}... is not a sha256$ hash of 64 hex "
                    "digits; add keys with `wegweiser keys add`"
                )
    if {key_id(k) for k in write_keys} & {key_id(t) for t in api_tokens}:
        raise InvalidConfig("a write key must not also be an API token; use separate values")
    plaintext = sum(
        not is_hashed(e) for e in [*config.server.write_keys, *config.server.api_tokens]
    )
    return Secrets(frozenset(write_keys), frozenset(api_tokens), users, plaintext)


def session_secret(project_dir: Path, environ: Mapping[str, str] = os.environ) -> str:
    """``WEGWEISER_SECRET_KEY``, else a random key kept in ``.wegweiser-secret`` (mode 600)
    so that log-ins survive a restart."""
    if environ.get("WEGWEISER_SECRET_KEY"):
        return environ["WEGWEISER_SECRET_KEY"]
    path = project_dir / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


class ServerContext:
    """Project folder, settings and secrets of one running server."""

    def __init__(self, project_dir: str | os.PathLike[str]) -> None:
        self.project_dir = Path(project_dir)
        self._watch = ConfigWatch(self.project_dir, load_secrets)
        self.session_secret = session_secret(self.project_dir)
        self._store_lock = threading.Lock()

    @property
    def config(self) -> Config:
        """The project's settings, read again when ``wegweiser.toml`` changes."""
        return self._watch.current()[0]

    @property
    def secrets(self) -> Secrets:
        """Keys, tokens and users, read again when ``wegweiser.toml`` changes: a key added
        with ``wegweiser keys add`` works, a revoked one stops working, without a restart."""
        found = self._watch.current()[1]
        assert isinstance(found, Secrets)
        return found

    @property
    def open_access(self) -> bool:
        """No dashboard users configured: the server listens on localhost only, unguarded.

        Once users were configured, the server never falls back to open access while it
        runs (removing the last user locks the dashboard instead of opening it)."""
        return not self._watch.had_users

    def reload_config(self) -> Config:
        return self._watch.reload()[0]

    @contextlib.contextmanager
    def store(self) -> Iterator[Project]:
        """The project with its store open, for one unit of work (one at a time per process).

        Raises :class:`~wegweiser.errors.StoreBusy` when another process holds the store
        longer than ``server.store_wait_seconds``.
        """
        with self._store_lock:
            project = Project(self.project_dir, wait_seconds=self.config.server.store_wait_seconds)
            try:
                yield project
            finally:
                project.close()
