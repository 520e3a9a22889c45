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
import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wegweiser.config import Config, load_config
from wegweiser.errors import InvalidConfig
from wegweiser.project import Project

SECRET_FILE = ".wegweiser-secret"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Secrets:
    """Collector write keys, read-only API tokens and dashboard users (name -> hash)."""

    write_keys: frozenset[str] = frozenset()
    api_tokens: frozenset[str] = frozenset()
    users: Mapping[str, str] = field(default_factory=dict)


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
    if write_keys & api_tokens:
        raise InvalidConfig("a write key must not also be an API token; use separate values")
    return Secrets(frozenset(write_keys), frozenset(api_tokens), users)


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
        self.config: Config = load_config(self.project_dir)
        self.secrets = load_secrets(self.config)
        self.session_secret = session_secret(self.project_dir)
        self._store_lock = threading.Lock()

    @property
    def open_access(self) -> bool:
        """No dashboard users configured: the server listens on localhost only, unguarded."""
        return not self.secrets.users

    def reload_config(self) -> Config:
        self.config = load_config(self.project_dir)
        return self.config

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
