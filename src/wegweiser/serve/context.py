"""What every request handler shares: the project folder, its settings, secrets and the store.

How the server, its import process and the CLI share the store file: DuckDB lets one
process write a file at a time (and a reader takes the same lock), and the CLI must keep
working while the server runs, so nobody keeps the store open.

* **Writers** open the store for one short unit of work and close it again: the
  collector's import process (one flush, at most a few seconds), the dashboard's write
  actions (quarantine replay/drop) through :meth:`ServerContext.store`, and the CLI. While
  another one holds it, a writer waits up to ``server.store_wait_seconds`` (the server's
  writers) or ``engine.lock_wait_seconds`` (the CLI), then gives up with
  :class:`~wegweiser.errors.StoreBusy` (503 with ``Retry-After``).
* **Readers** (every analysis of the API, every dashboard page) never open the store: they
  read a snapshot (:mod:`wegweiser.store.snapshot`), a read-only copy that the import
  process writes after an import, at most every ``server.snapshot_seconds``, and whenever
  the store or ``wegweiser.toml`` changed otherwise (the CLI imported, a write action ran).
  They run in the query pool (:mod:`wegweiser.serve._workers`) through
  :meth:`ServerContext.query`: a bounded number at a time, with a time limit. A long
  analysis therefore never keeps the importer (or the CLI) from the store.

Freshness: a reader sees the store as it was when the newest snapshot was written, i.e.
events collected up to ``server.flush_seconds`` + ``server.snapshot_seconds`` + the import
and copy time ago (``/healthz`` shows the snapshot's age). Right after the start an
analysis waits (up to ``FIRST_SNAPSHOT_SECONDS``) for the server's first snapshot rather
than read an old one or open the store. On ``engine.kind = "spark"`` the
events live outside the store, so readers open the store itself for each query, as writers
do (still in the pool, with its time limit).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wegweiser.config import CONFIG_FILE, Config
from wegweiser.errors import InvalidConfig, StoreBusy
from wegweiser.project import STORE_FILE, Project
from wegweiser.serve._workers import Job, QueryPool
from wegweiser.serve.auth import KEY_HASH, SCOPES, is_hashed, key_id, split_scope
from wegweiser.serve.watch import ConfigWatch

if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger("wegweiser.serve")

SECRET_FILE = ".wegweiser-secret"
SNAPSHOT_FOLDER = "snapshots"
#: how long an analysis right after the start waits for the server's first snapshot
FIRST_SNAPSHOT_SECONDS = 60.0
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
    roles: Mapping[str, str] = field(default_factory=dict)
    """User name -> role (``admin``, ``analyst``, ``viewer``); users without one are admin."""

    def role(self, user: str) -> str:
        return self.roles.get(user, "admin")


#: dashboard roles, weakest first
ROLES = ("viewer", "analyst", "admin")


def _env_list(environ: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in environ.get(name, "").split(",") if item.strip()]


def load_secrets(config: Config, environ: Mapping[str, str] = os.environ) -> Secrets:
    """Secrets from ``[server]`` plus ``WEGWEISER_WRITE_KEYS``, ``WEGWEISER_API_TOKENS`` and
    ``WEGWEISER_USERS`` (comma-separated; users as ``name:hash`` or ``name:role:hash``,
    tokens as ``token`` or ``scope:token``).

    >>> from wegweiser.config import default_config
    >>> env = {"WEGWEISER_USERS": "ana:scrypt$x,bo:viewer:scrypt$y",
    ...        "WEGWEISER_API_TOKENS": "t1, admin:t2"}
    >>> s = load_secrets(default_config(), env)
    >>> sorted(s.api_tokens), dict(s.users), s.role("ana"), s.role("bo")
    (['admin:t2', 't1'], {'ana': 'scrypt$x', 'bo': 'scrypt$y'}, 'admin', 'viewer')
    """
    users: dict[str, str] = {}
    roles: dict[str, str] = {}
    for entry in [*config.server.users, *_env_list(environ, "WEGWEISER_USERS")]:
        name, sep, hashed = entry.partition(":")
        role, colon, rest = hashed.partition(":")
        if colon:
            if role.strip() not in ROLES:
                import difflib

                close = difflib.get_close_matches(role.strip(), ROLES, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise InvalidConfig(
                    f"server.users entry {name.strip()!r} has the role {role.strip()!r}; "
                    f"roles are {', '.join(ROLES)}{hint}"
                )
            roles[name.strip()] = role.strip()
            hashed = rest
        if not sep or not name.strip() or not hashed.strip():
            raise InvalidConfig(
                f"server.users entry {entry.split(':')[0]!r}... must be 'name:hash' or "
                "'name:role:hash'; get the hash with `wegweiser hash-password`"
            )
        users[name.strip()] = hashed.strip()
    write_keys = {*config.server.write_keys, *_env_list(environ, "WEGWEISER_WRITE_KEYS")}
    api_tokens = {*config.server.api_tokens, *_env_list(environ, "WEGWEISER_API_TOKENS")}
    for name, entries in (("write_keys", write_keys), ("api_tokens", api_tokens)):
        for entry in entries:
            bare = split_scope(entry)[1]
            if name == "write_keys" and bare != entry:
                raise InvalidConfig(f"server.write_keys entry {entry[:14]}... has a scope "
                                    f"prefix; scopes ({', '.join(SCOPES)}) are for api_tokens")
            if is_hashed(bare) and not _HEX64.fullmatch(bare[len(KEY_HASH) :]):
                raise InvalidConfig(
                    f"server.{name} entry {entry[:14]}... is not a sha256$ hash of 64 hex "
                    "digits; add keys with `wegweiser keys add`"
                )
    if {key_id(k) for k in write_keys} & {key_id(t) for t in api_tokens}:
        raise InvalidConfig("a write key must not also be an API token; use separate values")
    plaintext = sum(
        not is_hashed(e) for e in [*config.server.write_keys, *config.server.api_tokens]
    )
    return Secrets(frozenset(write_keys), frozenset(api_tokens), users, plaintext, roles)


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
        server = self.config.server
        self.snapshots = self.project_dir / SNAPSHOT_FOLDER
        self.snapshot: SnapshotState | None = None
        self._snapshot_lock = threading.Lock()
        #: set once this server wrote a snapshot: readers never open the store itself
        self._first_snapshot = threading.Event()
        self.pool = QueryPool(
            server.query_workers,
            seconds=server.query_seconds,
            queue_seconds=server.query_queue_seconds,
        )

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
        """Read ``wegweiser.toml`` again (after the dashboard changed it) and write a new
        read snapshot, so that the next page shows the change; while another process holds
        the store the flusher writes it a moment later."""
        config = self._watch.reload()[0]
        try:
            with self.store():
                pass
        except StoreBusy:
            log.warning("settings saved; the store is busy, analyses follow them shortly")
        return config

    def query(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(project, *args, **kwargs)`` in the query pool, on the newest snapshot (see above).

        ``fn`` and its arguments travel to a worker process: ``fn`` must be a module-level
        function, the arguments and the result picklable. Raises
        :class:`~wegweiser.serve._workers.PoolBusy` (503),
        :class:`~wegweiser.serve._workers.QueryTimeout` (504) or ``fn``'s own error.
        """
        snapshot = None
        if self.config.engine.kind != "spark":
            if not self._first_snapshot.wait(FIRST_SNAPSHOT_SECONDS):
                raise StoreBusy(
                    "The server is still preparing the data for analyses (the store is busy); "
                    "retry in a few seconds."
                )
            current = self.snapshot
            assert current is not None
            snapshot = str(current.path)
        job = Job(
            str(self.project_dir), snapshot, self.config.server.store_wait_seconds, fn, args, kwargs
        )
        return self.pool.run(job)

    def source_state(self) -> tuple[int, int, int, bool]:
        """What changes when the store or the settings change: the store file's mtime and
        size, the config's mtime, and whether a write-ahead log is waiting."""
        store = self.project_dir / STORE_FILE
        config = self.project_dir / CONFIG_FILE
        st = store.stat() if store.exists() else None
        return (
            st.st_mtime_ns if st else 0,
            st.st_size if st else 0,
            config.stat().st_mtime_ns if config.exists() else 0,
            store.with_name(store.name + ".wal").exists(),
        )

    def set_snapshot(self, state: SnapshotState) -> None:
        """Readers use ``state`` from now on, unless a newer snapshot is known already
        (the import process and a write action may both have written one)."""
        with self._snapshot_lock:
            current = self.snapshot
            if current is None or state.path.name >= current.path.name:
                self.snapshot = state
            self._first_snapshot.set()

    def snapshot_status(self) -> dict[str, Any]:
        """The newest snapshot readers use: its age and whether the store changed since."""
        current = self.snapshot
        if current is None:
            return {"written": None, "age_seconds": None, "stale": self.snapshot_stale()}
        return {
            "written": datetime.fromtimestamp(current.written_at, UTC).isoformat(),
            "age_seconds": round(time.time() - current.written_at, 1),
            "stale": self.snapshot_stale(),
        }

    def snapshot_stale(self) -> bool:
        """True when the store or ``wegweiser.toml`` changed since the newest snapshot."""
        if self.config.engine.kind == "spark":
            return False
        current = self.snapshot
        if current is None:
            return True
        return current.source != self.source_state()

    @contextlib.contextmanager
    def store(self, *, refresh: bool = True) -> Iterator[Project]:
        """The project with its store open for writing, for one short unit of work (one at a
        time per process); readers use :meth:`query`.

        Raises :class:`~wegweiser.errors.StoreBusy` when another process holds the store
        longer than ``server.store_wait_seconds``. With ``refresh`` a new read snapshot is
        written (the store copied before it is closed, the copy's journey built after), so
        the next page shows what was changed.
        """
        with self._store_lock:
            project = Project(self.project_dir, wait_seconds=self.config.server.store_wait_seconds)
            copy = None
            try:
                yield project
                if refresh and self.config.engine.kind != "spark":
                    # what was changed is what the next page shows: a snapshot now
                    source = self.source_state()
                    copy = project.copy_store(self.snapshots)
            finally:
                project.close()
            if copy is not None:  # its journey is built without holding the store
                made = Project.publish_snapshot(self.project_dir, copy, self.snapshots)
                state = (made.source_mtime_ns, made.source_size, source[2], False)
                self.set_snapshot(SnapshotState(made.path, time.time(), state))


@dataclass(frozen=True)
class SnapshotState:
    """The newest snapshot: its file, when it was written, and the source state it copies
    (:meth:`ServerContext.source_state` at that moment)."""

    path: Path
    written_at: float
    source: tuple[int, int, int, bool]
