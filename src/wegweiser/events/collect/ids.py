"""Message ids for collected events that came without one, so that what the collector
accepts is stored exactly once: never lost, never doubled by a client's retry.

The store derives the id of a row without ``message_id`` from every field that carries
meaning (``d`` + MD5, :mod:`wegweiser.events.normalize`): a retry of the same event dedups,
as a re-imported file does. Two things break that rule at the collector, and this module
mends both:

* **Copies inside one request.** A batch with the same id-less event twice (two clicks in
  the same millisecond) would collapse into one row, though both were answered "accepted".
  :func:`assign_ids` leaves the first copy to the store's rule and gives the *k*-th further
  copy the id ``c`` + SHA-256 of (write key fingerprint, the row, *k*) — the same on every
  retry of that request.
* **No timestamp.** A message without ``timestamp``/``originalTimestamp`` gets the receive
  time, which differs on each retry, and with it the derived id. :class:`FirstSeen`
  remembers when the server first received each request body (per write key, ignoring
  ``sentAt``, which SDKs renew on every attempt) for ``server.retry_window_seconds``, on
  disk beside the spool; a repeat within that window — also after a restart — gets the
  first receive time, hence the same ids.

Limits (documented in the guide): identical id-less, timestamp-less requests from the same
key within the window are taken for retries and stored once; messages with a
``messageId`` are never touched by either rule.

>>> rows = [{"type": "track", "event": "tap", "user_id": "u1", "timestamp": "t"}] * 3
>>> [r.get("message_id") for r in assign_ids([dict(r) for r in rows], key_id="wk:1")]
[None, 'c2932246008815aac9bb11f0d32621c24', 'c52b0ee2edecd840135faa71224b95bb4']
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["FirstSeen", "assign_ids", "request_digest"]

_sync = getattr(os, "fdatasync", os.fsync)

#: Row fields that differ between a request and its retry without changing the event.
_VOLATILE = ("received_at", "sent_at")


def _identity(row: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {k: v for k, v in row.items() if k not in _VOLATILE}, option=orjson.OPT_SORT_KEYS
    )


def assign_ids(rows: list[dict[str, Any]], *, key_id: str) -> list[dict[str, Any]]:
    """Give the second and later copies of an id-less row in one request an id of their own
    (in place; returns ``rows``). Rows with a ``message_id`` are left alone."""
    seen: dict[bytes, int] = {}
    for row in rows:
        if row.get("message_id") is not None:
            continue
        identity = _identity(row)
        copy = seen.get(identity, 0)
        seen[identity] = copy + 1
        if copy:
            digest = hashlib.sha256(b"\0".join((key_id.encode(), identity, b"%d" % copy)))
            row["message_id"] = "c" + digest.hexdigest()[:32]
    return rows


def request_digest(body: Any, *, key_id: str) -> str:
    """What identifies a request and its retries: the write key and the body without
    ``sentAt`` (top level and per message), key order ignored."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "sentAt"}
        batch = body.get("batch")
        if isinstance(batch, list):
            body["batch"] = [
                {k: v for k, v in m.items() if k != "sentAt"} if isinstance(m, dict) else m
                for m in batch
            ]
    data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(key_id.encode() + b"\0" + data).hexdigest()


class FirstSeen:
    """When each request digest was first received, for ``window`` seconds (at most
    ``limit`` digests; the oldest are forgotten first).

    With :meth:`open`, the digests are also kept in a file (one line each, flushed to disk
    before the request is answered), so a retry after a server restart is still known.
    """

    def __init__(
        self,
        window: float,
        *,
        limit: int = 200_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.window = window
        self.limit = limit
        self._clock = clock
        self._seen: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._path: Path | None = None
        self._fd: int | None = None
        self._lines = 0
        self._lock = threading.Lock()  # record() runs in worker threads

    def received(self, digest: str, now: str) -> tuple[str, bool]:
        """The receive time to use for a request — ``now``, or the first receive time of the
        same request within the window — and whether the request is new (then call
        :meth:`record` before answering it)."""
        tick = self._clock()
        seen = self._seen
        while seen and tick - next(iter(seen.values()))[0] > self.window:
            seen.popitem(last=False)
        found = seen.get(digest)
        if found is not None:
            return found[1], False
        while len(seen) >= self.limit:
            seen.popitem(last=False)
        seen[digest] = (tick, now)
        return now, True

    # -- on disk -----------------------------------------------------------------------------
    def open(self, path: Path) -> None:
        """Load the digests of ``path`` still within the window and keep appending there."""
        self._path = path
        tick = self._clock()
        if path.is_file():
            for line in path.read_text(encoding="ascii", errors="replace").splitlines():
                parts = line.split(" ")
                if len(parts) != 3:
                    continue  # a line cut off by a crash: never acknowledged
                digest, when, received = parts
                with contextlib.suppress(ValueError):
                    if tick - float(when) <= self.window:
                        self._seen[digest] = (float(when), received)
        with self._lock:
            self._rewrite()

    def record(self, digest: str, received: str) -> None:
        """Append ``digest`` to the file and flush it to disk (blocking: run it in a thread)."""
        with self._lock:
            if self._fd is None:
                return
            os.write(self._fd, f"{digest} {self._clock()!r} {received}\n".encode("ascii"))
            _sync(self._fd)
            self._lines += 1
            if self._lines > 2 * max(len(self._seen), 1000):
                self._rewrite()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _rewrite(self) -> None:
        """Write the remembered digests to a new file that replaces the old one."""
        assert self._path is not None
        self._close()
        tmp = self._path.with_suffix(".tmp")
        kept = list(self._seen.items())  # one C call: no event-loop change in between
        lines = "".join(f"{d} {w!r} {r}\n" for d, (w, r) in kept)
        tmp.write_text(lines, encoding="ascii")
        fd = os.open(tmp, os.O_WRONLY | os.O_APPEND)
        _sync(fd)
        os.replace(tmp, self._path)
        self._fd = fd
        self._lines = len(self._seen)
