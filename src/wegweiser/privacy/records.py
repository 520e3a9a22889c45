"""Erasure records: what was erased or exported, when and by whom — without personal data.

One JSON line per request in ``<project>/privacy/erasures.jsonl`` (mode 600, append-only):
``request_id``, ``kind`` (``erase``, ``anonymise``, ``export``, ``retention``), ``actor``
(the OS user on the command line, the logged-in user or token name on the server),
``status`` (``started``, then a second line ``done``), ``at``, the rows per kind
(``counts``) and ``subjects``: salted hashes of the ids (the suppression list's salt), so
that a later request about the same id can be matched to its record, but the record names
nobody. A ``started`` line without its ``done`` line is an erasure that did not finish (a
crash): run it again, it completes.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wegweiser.events.suppression import PRIVACY_FOLDER

if TYPE_CHECKING:
    from pathlib import Path

RECORDS_FILE = "erasures.jsonl"


def records_path(project_dir: Path) -> Path:
    return project_dir / PRIVACY_FOLDER / RECORDS_FILE


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def append(project_dir: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Append one record (``at`` set now) and sync it to disk; returns it."""
    path = records_path(project_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = {**record, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return line


def read(project_dir: Path) -> list[dict[str, Any]]:
    """Every record, oldest first."""
    path = records_path(project_dir)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def unfinished(project_dir: Path) -> list[dict[str, Any]]:
    """``started`` records without a ``done`` line (erasures a crash interrupted)."""
    rows = read(project_dir)
    done = {r["request_id"] for r in rows if r.get("status") == "done"}
    return [r for r in rows if r.get("status") == "started" and r["request_id"] not in done]
