"""Read-only copies of the store, so that readers never hold the store a writer needs.

DuckDB lets one process write a file at a time, and a reader holds the same lock. The server
therefore answers queries from a *snapshot*: a checkpointed copy of the store file, made by
the writer (the collector's import process) while it holds the store, opened read-only by
any number of readers. Snapshots are numbered (``store-000042.duckdb`` in the snapshot
folder) and never change once written; a reader opens the newest and keeps it until it is
done. When one is written, all but it and the one before are deleted (a reader told the
name of the one before a moment ago still finds it); on POSIX systems an open file outlives
its name, so readers still on an older one are not disturbed. A privacy erasure sets a
*fence* (:func:`set_fence`): a copy made before it is never published, since it holds what
the erasure removed.

>>> name_of(42)
'store-000042.duckdb'
>>> generation_of(Path('snapshots/store-000042.duckdb'))
42
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wegweiser.errors import StoreBusy

if TYPE_CHECKING:
    from wegweiser.store.engine import Engine

_NAME = re.compile(r"store-(\d{6,})\.duckdb")
#: copies of a store older than the time in this file are never published (an erasure
#: rewrote the store after they were made: they hold what it erased)
FENCE_FILE = ".fence"
#: a temporary copy this old belongs to a writer that was killed
STALE_PARTIAL_SECONDS = 3600.0


@dataclass(frozen=True)
class Snapshot:
    """A written snapshot and the state of the store it was copied from."""

    path: Path
    generation: int
    source_mtime_ns: int
    source_size: int


def name_of(generation: int) -> str:
    return f"store-{generation:06d}.duckdb"


def generation_of(path: Path) -> int | None:
    match = _NAME.fullmatch(path.name)
    return int(match.group(1)) if match else None


def snapshots(folder: Path) -> list[Path]:
    """The snapshots in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    found = [(g, p) for p in folder.iterdir() if (g := generation_of(p)) is not None]
    return [p for _, p in sorted(found)]


def latest(folder: Path) -> Path | None:
    """The newest snapshot in ``folder``, or None."""
    found = snapshots(folder)
    return found[-1] if found else None


def copy_store(engine: Engine, folder: Path) -> Snapshot:
    """Checkpoint ``engine``'s store and copy it into ``folder`` under a temporary name
    (``generation`` 0 until :func:`publish`). The caller holds the store open for writing,
    so nobody changes it during the copy; this is all that needs the store (a plain file
    copy, ~0.3 s per 100 MiB)."""
    source = Path(engine.database)
    folder.mkdir(parents=True, exist_ok=True)
    engine.checkpoint()
    state = source.stat()
    for left in folder.glob("*.partial"):  # of a writer killed during its work
        with contextlib.suppress(OSError):
            if time.time() - left.stat().st_mtime > STALE_PARTIAL_SECONDS:
                left.unlink()
    partial = folder / f"copy-{os.getpid()}-{time.monotonic_ns()}.partial"
    shutil.copyfile(source, partial)
    os.chmod(partial, 0o600)  # it holds the same personal data as the store
    return Snapshot(partial, 0, state.st_mtime_ns, state.st_size)


def set_fence(folder: Path) -> None:
    """From now on, refuse to publish copies of the store as it was before (see
    :data:`FENCE_FILE`); nothing without a snapshot folder."""
    if not folder.is_dir():
        return
    newest = latest(folder)
    generation = max(generation_of(newest) or 0 if newest else 0, _fence(folder)[1])
    tmp = folder / (FENCE_FILE + ".tmp")
    tmp.write_text(f"{time.time_ns()} {generation}", encoding="utf-8")
    os.replace(tmp, folder / FENCE_FILE)


def _fence(folder: Path) -> tuple[int | None, int]:
    """(fence time in ns or None, the newest generation when it was set): numbers go on
    from there even when the erasure deleted every snapshot, so that a reader never
    mistakes a new snapshot for an old one of the same name."""
    try:
        when, generation = (folder / FENCE_FILE).read_text(encoding="utf-8").split()
        return int(when), int(generation)
    except (OSError, ValueError):
        return None, 0


def fence_of(folder: Path) -> int | None:
    return _fence(folder)[0]


def publish(copy: Snapshot, folder: Path) -> Snapshot:
    """Make ``copy`` (of :func:`copy_store`, finished: no connection open on it) the next
    snapshot: flushed to disk, then linked under the next free number, so a reader never
    sees half a file and two writers never take the same number. Snapshots older than the
    one before are removed."""
    fence, floor = _fence(folder)
    if fence is not None and copy.source_mtime_ns < fence:
        copy.path.unlink(missing_ok=True)
        raise StoreBusy(
            "The store was rewritten (a privacy erasure) after this copy of it was made; "
            "the copy is dropped and a new snapshot follows."
        )
    with open(copy.path, "rb+") as handle:
        os.fsync(handle.fileno())
    while True:
        newest = latest(folder)
        generation = max(generation_of(newest) or 0 if newest is not None else 0, floor) + 1
        target = folder / name_of(generation)
        try:
            os.link(copy.path, target)
        except FileExistsError:
            continue  # another writer took this number a moment ago
        break
    copy.path.unlink()
    for old in snapshots(folder)[:-2]:
        with contextlib.suppress(OSError):
            old.unlink()
    return Snapshot(target, generation, copy.source_mtime_ns, copy.source_size)
