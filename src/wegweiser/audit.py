"""The audit log: who did what, when, to whom -- append-only JSON lines.

One line per entry in ``.wegweiser-audit.jsonl`` in the project folder (mode 600)::

    {"at": "2026-12-06T19:20:00.123456Z", "actor": "ana", "action": "person_view",
     "target": "p-123", "surface": "dashboard", "detail": {}}

Why a file and not a table in the store or the journeys' state store: the log must be
writable while another process holds the DuckDB store (the CLI, an import, an erasure
that rewrites the store file), from every face (CLI, server, journeys worker) without
opening a database, and it must survive the store being rewritten or deleted. Each entry
is one ``write`` of one line to a file opened with ``O_APPEND``, so concurrent writers
never interleave within a line; nothing in Wegweiser rewrites or truncates it.

What an entry holds: the actor's name (a dashboard user, ``token:<id>`` for an API token,
``cli:<os user>`` for the command line), the action, the target (a person id, a journey,
an export's name) and a small ``detail`` mapping. No other personal data: an access log
must say *whose* data was viewed, so the target person id is kept; their events, traits,
e-mail address or search terms are not. :func:`record` refuses detail values that are not
short scalars to keep it that way.
"""

from __future__ import annotations

import fnmatch
import getpass
import os
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable

AUDIT_FILE = ".wegweiser-audit.jsonl"

#: The actions Wegweiser records (others, such as ``erase``, are added by the callers).
ACTIONS = (
    "login", "login_failed", "logout",
    "export", "person_view", "consent",
    "config_change",
    "journey_pause", "journey_resume", "journey_exit", "journey_run", "journey_change",
    "journey_settle",
    "token_admin", "access_denied", "quarantine_replay", "quarantine_drop",
    "erase", "anonymise",
)
SURFACES = ("cli", "api", "dashboard", "python", "worker")
_MAX_DETAIL = 200  # characters of one detail value
_lock = threading.Lock()


@dataclass(frozen=True)
class AuditEntry:
    at: str
    """UTC time, ISO 8601 with microseconds and ``Z``."""
    actor: str
    action: str
    target: str | None = None
    surface: str = "python"
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cli_actor() -> str:
    """The actor of a command-line action: ``cli:<operating system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _path(project_dir: str | os.PathLike[str]) -> Path:
    return Path(project_dir) / AUDIT_FILE


def _clean_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in (detail or {}).items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidInput(
                f"audit detail {key!r} must be a short scalar (text, number, true/false), "
                f"not {type(value).__name__}: the audit log keeps no personal data"
            )
        if isinstance(value, str) and len(value) > _MAX_DETAIL:
            value = value[:_MAX_DETAIL] + "…"
        clean[str(key)] = value
    return clean


def record(
    project_dir: str | os.PathLike[str],
    *,
    actor: str,
    action: str,
    target: str | None = None,
    surface: str = "python",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the project's audit log and return it.

    ``actor``: who (a user name, ``token:<id>``, ``cli:<user>``); ``action``: what (see
    :data:`ACTIONS`; other names are allowed, in ``snake_case``); ``target``: the person id,
    journey or export concerned; ``detail``: short scalars only (no personal data).

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = record(folder, actor="ana", action="person_view", target="p1", surface="api")
    >>> [(e.actor, e.action, e.target) for e in read(folder)]
    [('ana', 'person_view', 'p1')]
    """
    if not actor or not action or not action.replace("_", "").isalnum():
        raise InvalidInput(f"an audit entry needs an actor and a snake_case action, "
                           f"not actor={actor!r}, action={action!r}")
    if surface not in SURFACES:
        raise InvalidInput(f"unknown audit surface {surface!r}; use one of {', '.join(SURFACES)}")
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    entry = AuditEntry(
        at=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), actor=str(actor)[:_MAX_DETAIL],
        action=action, target=None if target is None else str(target)[:500],
        surface=surface, detail=_clean_detail(detail),
    )
    line = orjson.dumps(entry.to_dict()) + b"\n"
    path = _path(project_dir)
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return entry


def surface_of(actor: str) -> str:
    """The surface an actor name tells (``cli:<user>``, ``server:<user>`` for the API,
    ``dashboard:<user>``; else ``python``).

    >>> surface_of("server:ana"), surface_of("cli:root"), surface_of("notebook")
    ('api', 'cli', 'python')
    """
    kind = actor.partition(":")[0]
    return {"cli": "cli", "server": "api", "dashboard": "dashboard"}.get(kind, "python")


def redact(project_dir: str | os.PathLike[str], needles: Iterable[str], label: str) -> int:
    """Replace ``needles`` (an erased person's ids and addresses) wherever they stand in the
    audit log by ``label`` (the erasure's subject hash), so that the log keeps who did what
    when but no longer names the person; returns the entries changed. The file is
    rewritten and renamed over the old one (a reader sees the old or the new log)."""
    path = _path(project_dir)
    found = sorted({n for n in needles if n}, key=len, reverse=True)
    if not path.is_file() or not found:
        return 0
    changed = 0
    with _lock:
        lines = path.read_bytes().splitlines(keepends=True)
        out = []
        for line in lines:
            text = line.decode("utf-8")
            new = text
            for needle in found:
                new = new.replace(orjson.dumps(needle).decode()[1:-1], label)
            changed += new != text
            out.append(new.encode("utf-8"))
        if changed:
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"".join(out))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
    return changed


def _day(value: str | date | datetime | None, name: str) -> str | None:
    """A bound as the ISO text entries are compared with."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name}: {value!r} is not a date (YYYY-MM-DD) or an ISO time") from None
    if len(value) <= 10:
        return parsed.date().isoformat()
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_action(action: str) -> None:
    if any(c in action for c in "*?["):
        return
    if action not in ACTIONS:
        import difflib

        close = difflib.get_close_matches(action, ACTIONS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(ACTIONS)}"
        raise InvalidInput(f"unknown audit action {action!r}{hint} (patterns such as "
                           "'journey_*' are allowed)")


def read(
    project_dir: str | os.PathLike[str],
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Entries of the audit log, oldest first, filtered: ``actor`` and ``target`` exactly,
    ``action`` by name or pattern (``journey_*``), ``since`` (inclusive) and ``until``
    (exclusive; a date means the start of that day, UTC). ``limit`` keeps the newest."""
    if action:
        _check_action(action)
    low, high = _day(since, "since"), _day(until, "until")
    if limit is not None and limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")
    path = _path(project_dir)
    if not path.is_file():
        return []
    found: list[AuditEntry] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = orjson.loads(raw)
                entry = AuditEntry(**data)
            except (orjson.JSONDecodeError, TypeError):
                raise InvalidInput(f"{path.name} line {number} is not an audit entry; the log "
                                   "is append-only, has something else written to it?") from None
            if actor and entry.actor != actor:
                continue
            if target and entry.target != target:
                continue
            if action and not fnmatch.fnmatchcase(entry.action, action):
                continue
            if low is not None and entry.at < low:
                continue
            if high is not None and entry.at >= high:
                continue
            found.append(entry)
    return found[-limit:] if limit else found
