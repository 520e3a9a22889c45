"""Read-only copies of the store, so that readers never hold the store a writer needs.

DuckDB lets one process write a file at a time, and a reader holds the same lock. The server
therefore answers queries from a *snapshot*: a checkpointed copy of the store file, made by
the writer (the collector's import process) while it holds the store, opened read-only by
any number of readers. Snapshots are numbered (``store-000042.duckdb`` in the snapshot
folder) and never change once written; a reader opens the newest and keeps it until it is
done. When one is written, all but it and the one before are deleted (a reader told the
name of the one before a moment ago still finds it); on POSIX systems an open file outlives
its name, so readers still on an older one are not disturbed.

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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wegweiser.store.engine import Engine

_NAME = re.compile(r"store-(\d{6,})\.duckdb")


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


def write_snapshot(engine: Engine, folder: Path) -> Snapshot:
    """Checkpoint ``engine``'s store and copy it as the next snapshot in ``folder``.

    The caller holds the store open for writing, so nobody changes it during the copy. The
    copy is written under a temporary name, flushed to disk and renamed, so a reader never
    sees half a file. Snapshots older than the one before are removed.
    """
    source = Path(engine.database)
    folder.mkdir(parents=True, exist_ok=True)
    engine.checkpoint()
    state = source.stat()
    newest = latest(folder)
    generation = (generation_of(newest) or 0) + 1 if newest is not None else 1
    target = folder / name_of(generation)
    for left in folder.glob("*.partial"):  # a writer killed during its copy
        left.unlink(missing_ok=True)
    partial = target.with_suffix(".partial")
    shutil.copyfile(source, partial)
    os.chmod(partial, 0o600)  # it holds the same personal data as the store
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    for old in snapshots(folder)[:-2]:
        with contextlib.suppress(OSError):
            old.unlink()
    return Snapshot(target, generation, state.st_mtime_ns, state.st_size)
