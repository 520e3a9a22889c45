"""The collector's durable buffer: append-only segment files in ``<project>/spool/``.

Each collected event is one line of JSON in the current segment (``<id>.open``). Requests
are answered only after their lines are on disk: :meth:`Spool.write` queues the lines and
waits; one writer thread appends everything queued so far and calls ``fsync`` once for the
whole group (group commit), so many concurrent requests share one disk flush. A server killed
right after answering loses nothing.

:meth:`Spool.rotate` closes the current segment (renamed to ``<id>.jsonl``); closed segments
wait in :attr:`Spool.closed` until the flusher has imported them into the store and calls
:meth:`Spool.remove`. A segment also closes by itself when it reaches ``max_lines`` lines, so
each one fits in a single import transaction. On start, segments a previous run left behind
are closed (a partly written last line, never acknowledged, is cut off) and imported first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wegweiser.errors import ProjectError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["SPOOL_FOLDER", "Segment", "Spool"]

SPOOL_FOLDER = "spool"
OPEN_SUFFIX = ".open"
CLOSED_SUFFIX = ".jsonl"
LOCK_FILE = ".lock"
_sync = getattr(os, "fdatasync", os.fsync)


@dataclass
class Segment:
    """One spool file: its id (sortable by creation time), path and number of lines."""

    id: str
    path: Path
    lines: int = 0
    size: int = 0

    @property
    def source_name(self) -> str:
        """How the store names this segment (``imports.source``, ``quarantine.source``)."""
        return f"{SPOOL_FOLDER}/{self.id}{CLOSED_SUFFIX}"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cut_partial_line(path: Path) -> tuple[int, int]:
    """Truncate ``path`` after its last newline; returns (lines, bytes) kept."""
    chunk = 1 << 20
    with path.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        end = size
        while end > 0:  # find the last newline, reading backwards
            start = max(0, end - chunk)
            handle.seek(start)
            found = handle.read(end - start).rfind(b"\n")
            if found >= 0:
                end = start + found + 1
                break
            end = start
        if end != size:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
        handle.seek(0)
        lines = 0
        while block := handle.read(chunk):
            lines += block.count(b"\n")
        return lines, end


class Spool:
    """Segments in ``folder``; :meth:`open` first, then :meth:`write` from the event loop."""

    def __init__(self, folder: Path, *, max_lines: int = 200_000) -> None:
        self.folder = folder
        self.max_lines = max_lines
        self.closed: list[Segment] = []
        self.current: Segment | None = None
        self._fd: int | None = None
        self._last_id = ""
        self._lock = threading.Lock()  # guards closed/current between loop and writer thread
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool-writer")
        self._queue: list[tuple[bytes, int, asyncio.Future[None]]] = []
        self._busy = False
        self._lock_fd: int | None = None

    # -- start and stop --------------------------------------------------------------------
    def open(self) -> list[Segment]:
        """Create the folder and close what a previous run left; returns those segments.

        Raises :class:`~wegweiser.errors.ProjectError` while another server collects into
        the same folder.
        """
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._hold_lock()
        found: list[Segment] = []
        for path in sorted(self.folder.iterdir()):
            if path.suffix not in (OPEN_SUFFIX, CLOSED_SUFFIX) or not path.is_file():
                continue
            lines, size = _cut_partial_line(path)
            target = path.with_suffix(CLOSED_SUFFIX)
            if path.suffix == OPEN_SUFFIX:
                path.rename(target)
            if lines == 0:
                target.unlink()
                continue
            found.append(Segment(target.stem, target, lines, size))
            self._last_id = max(self._last_id, target.stem)
        _fsync_dir(self.folder)
        with self._lock:
            self.closed.extend(found)
        return found

    async def close(self) -> None:
        """Close the current segment and stop the writer thread."""
        await self.rotate()
        self._executor.shutdown(wait=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def _hold_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: no guard against a second server
            return
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ProjectError(
                f"Another `wegweiser serve` is collecting into {self.folder}; stop it first "
                "(one server per project)."
            ) from None
        self._lock_fd = fd

    # -- writing -----------------------------------------------------------------------------
    async def write(self, data: bytes, lines: int) -> None:
        """Append ``data`` (``lines`` whole lines) and return once it is on disk."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((data, lines, future))
        if not self._busy:
            self._commit_queued()
        await future

    def _commit_queued(self) -> None:
        group, self._queue = self._queue, []
        self._busy = True
        loop = asyncio.get_running_loop()
        data = b"".join(item[0] for item in group)
        lines = sum(item[1] for item in group)
        done = loop.run_in_executor(self._executor, self._append, data, lines)

        def settle(task: asyncio.Future[None]) -> None:
            error = task.exception()
            for _, _, future in group:
                if future.done():
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)
            self._busy = False
            if self._queue:
                self._commit_queued()

        done.add_done_callback(settle)

    def _new_id(self) -> str:
        new = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        if new <= self._last_id:  # the clock went back or two in one microsecond
            new = self._last_id[:-1] + "a" + "Z"
        self._last_id = new
        return new

    def _append(self, data: bytes, lines: int) -> None:
        """Writer thread: append one group and flush it to disk."""
        segment = self.current
        if segment is not None and segment.lines and segment.lines + lines > self.max_lines:
            self._close_current()
            segment = None
        if segment is None or self._fd is None:
            seg_id = self._new_id()
            path = self.folder / f"{seg_id}{OPEN_SUFFIX}"
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            _fsync_dir(self.folder)
            segment = Segment(seg_id, path)
            with self._lock:
                self.current = segment
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
            _sync(self._fd)
        except OSError:
            # never leave half a group in the file: later groups would follow a broken line
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, segment.size)
            raise
        with self._lock:
            segment.lines += lines
            segment.size += len(data)
        if segment.lines >= self.max_lines:
            self._close_current()

    def _close_current(self) -> Segment | None:
        """Writer thread: close and rename the current segment, if it has lines."""
        segment = self.current
        if segment is None or self._fd is None:
            return None
        os.close(self._fd)
        self._fd = None
        target = segment.path.with_suffix(CLOSED_SUFFIX)
        segment.path.rename(target)
        _fsync_dir(self.folder)
        segment.path = target
        with self._lock:
            self.current = None
            self.closed.append(segment)
        return segment

    async def rotate(self) -> None:
        """Close the current segment (after the writes in progress) so it can be imported."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_current)

    # -- after import ------------------------------------------------------------------------
    def remove(self, segment: Segment) -> None:
        """Delete an imported segment."""
        segment.path.unlink(missing_ok=True)
        with self._lock:
            if segment in self.closed:
                self.closed.remove(segment)

    def set_aside(self, segment: Segment, folder: str = "failed") -> Path:
        """Move a segment that cannot be imported out of the way (kept, never deleted)."""
        target_dir = self.folder / folder
        target_dir.mkdir(exist_ok=True)
        target = target_dir / segment.path.name
        segment.path.rename(target)
        with self._lock:
            if segment in self.closed:
                self.closed.remove(segment)
        return target

    def pending(self) -> tuple[int, int]:
        """(events, segments) on disk and not yet in the store."""
        with self._lock:
            segments = [*self.closed, *([self.current] if self.current else [])]
            return sum(s.lines for s in segments), len(segments)

    def waiting(self) -> list[Segment]:
        """The closed segments, oldest first."""
        with self._lock:
            return sorted(self.closed, key=lambda s: s.id)
