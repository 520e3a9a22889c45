"""The project's files beside the store that can hold a person (internal).

* the collector's spool (``spool/*.jsonl`` closed segments, ``*.open`` the one being
  written): each line that names one of the person's ids (as a JSON string) or e-mail
  address is cut, the segment written anew beside it and renamed over it. The open segment
  of a running server is left to it: with the ids on the suppression list, the importer
  drops those lines when it imports the segment, and deletes the segment afterwards;
* the read snapshots of the store (``snapshots/store-*.duckdb``): deleted (the server
  writes a new one from the rewritten store); a fence keeps copies made before the erasure
  from being published afterwards (:func:`wegweiser.store.snapshot.set_fence`);
* the cache of feedback readings (``wegweiser-texts.sqlite``): the readings of the
  person's feedback texts are deleted and the file vacuumed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

SPOOL_FOLDER = "spool"
SNAPSHOT_FOLDER = "snapshots"
TEXT_CACHE_FILE = "wegweiser-texts.sqlite"
#: a copy of the store older than this belongs to a writer that died
PARTIAL_SECONDS = 120.0


def _spool_busy(folder: Path) -> bool:
    """Whether a running server holds the spool (its lock file)."""
    lock = folder / ".lock"
    if not lock.is_file():
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _named(line: bytes, ids: list[bytes], emails: list[bytes]) -> bool:
    return any(i in line for i in ids) or (bool(emails) and any(e in line.lower()
                                                                for e in emails))


def scrub_spool(project_dir: Path, ids: Iterable[str], emails: Iterable[str]) -> dict[str, int]:
    """Cut the person's lines from the spool segments; ``lines`` cut, ``segments``
    rewritten, ``skipped`` (the open segment of a running server)."""
    folder = project_dir / SPOOL_FOLDER
    counts = {"lines": 0, "segments": 0, "skipped": 0}
    if not folder.is_dir():
        return counts
    quoted = [b'"' + i.encode() + b'"' for i in ids]
    addresses = [b'"' + e.lower().encode() + b'"' for e in emails]
    busy = _spool_busy(folder)
    for path in sorted([*folder.glob("*.jsonl"), *folder.glob("*.open")]):
        data = path.read_bytes()
        if not any(q in data for q in quoted) and not (
            addresses and any(a in data.lower() for a in addresses)
        ):
            continue
        if busy and path.suffix == ".open":
            counts["skipped"] += 1
            continue
        lines = data.split(b"\n")
        kept = [line for line in lines if not _named(line, quoted, addresses)]
        counts["lines"] += len(lines) - len(kept)
        tmp = path.with_name(path.name + ".rewrite")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(b"\n".join(kept))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        counts["segments"] += 1
    return counts


def fence_snapshots(project_dir: Path) -> None:
    """Before the store changes: no copy of the store made until now gets published."""
    from wegweiser.store.snapshot import set_fence

    set_fence(project_dir / SNAPSHOT_FOLDER)


def drop_snapshots(project_dir: Path) -> int:
    """Delete the server's read snapshots (copies of the store) and copies left by a
    writer that died (a copy in the making is refused by the fence); returns how many."""
    folder = project_dir / SNAPSHOT_FOLDER
    n = 0
    if folder.is_dir():
        stale = [p for p in folder.glob("*.partial")
                 if time.time() - p.stat().st_mtime > PARTIAL_SECONDS]
        for path in [*folder.glob("*.duckdb*"), *stale]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                n += 1
    return n


def forget_texts(project_dir: Path, texts: Iterable[str]) -> int:
    """Delete the cached readings of ``texts``; returns how many rows went."""
    path = project_dir / TEXT_CACHE_FILE
    wanted = [t for t in texts if t]
    if not path.is_file() or not wanted:
        return 0
    from wegweiser.feedback import TextCache

    cache = TextCache(path)
    try:
        return cache.forget(wanted)
    finally:
        cache.close()
