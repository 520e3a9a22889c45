"""Slowing down password guessing without slowing down the server.

Failed log-ins are counted per user name and per client address. After ``free`` failures
within ``forget`` seconds, the next attempt must wait ``base * 2**(n - free)`` seconds (at
most ``cap``); an attempt that comes sooner is refused at once with 429 and
``Retry-After``, before any password is checked. Nothing sleeps: no thread is held by a
guesser. Password hashes (scrypt, ~50 ms of CPU each) are checked in a thread pool of their
own with at most :data:`HASH_THREADS` at a time, so log-ins never take the threads that
pages and API calls run in.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import anyio
import anyio.to_thread

from wegweiser.serve.auth import verify_password

HASH_THREADS = 2


@dataclass(frozen=True)
class Backoff:
    """How many failures are free and how the wait grows after them."""

    free: int
    base: float = 1.0
    cap: float = 300.0
    forget: float = 900.0

    def wait(self, failures: int) -> float:
        """Seconds to wait after ``failures`` recent failures.

        >>> b = Backoff(free=3, base=1.0, cap=10.0)
        >>> [b.wait(n) for n in range(1, 9)]
        [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
        """
        if failures < self.free:
            return 0.0
        return float(min(self.cap, self.base * 2 ** (failures - self.free)))


USER = Backoff(free=5, base=1.0, cap=60.0)
ADDRESS = Backoff(free=20, base=1.0, cap=300.0)


class Throttle:
    """Failures per key (``user:<name>``, ``ip:<address>``) and when they may try again."""

    def __init__(self, *, limit: int = 100_000) -> None:
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self.limit = limit

    def retry_after(self, keys: dict[str, Backoff], *, now: float | None = None) -> float:
        """Seconds until an attempt for these keys may be made (0: now).

        >>> t = Throttle()
        >>> for _ in range(5): t.failed({"user:ana": USER}, now=100.0)
        >>> t.retry_after({"user:ana": USER}, now=100.5)
        0.5
        >>> t.retry_after({"user:ben": USER}, now=100.5)
        0.0
        """
        now = time.monotonic() if now is None else now
        longest = 0.0
        with self._lock:
            for key, backoff in keys.items():
                count, last = self._failures.get(key, (0, now))
                if now - last > backoff.forget:
                    continue
                longest = max(longest, last + backoff.wait(count) - now)
        return longest

    def failed(self, keys: dict[str, Backoff], *, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) >= self.limit:
                self._failures = {k: v for k, v in self._failures.items() if now - v[1] < 900}
            for key, backoff in keys.items():
                count, last = self._failures.get(key, (0, now))
                if now - last > backoff.forget:
                    count = 0
                self._failures[key] = (count + 1, now)

    def succeeded(self, user_key: str, others: tuple[str, ...] = ()) -> None:
        """A log-in worked: the user's failures are forgotten, and the attempt counted in
        advance is taken back from ``others`` (the address: many colleagues behind one
        address who log in successfully never slow each other down).

        >>> t = Throttle()
        >>> for _ in range(30):
        ...     t.failed({"user:ana": USER, "ip:1": ADDRESS}, now=1.0)
        ...     t.succeeded("user:ana", ("ip:1",))
        >>> t.retry_after({"user:ana": USER, "ip:1": ADDRESS}, now=1.0)
        0.0
        """
        with self._lock:
            self._failures.pop(user_key, None)
            for key in others:
                count, last = self._failures.get(key, (0, 0.0))
                if count <= 1:
                    self._failures.pop(key, None)
                else:
                    self._failures[key] = (count - 1, last)


_hashing = anyio.CapacityLimiter(HASH_THREADS)


async def averify_password(password: str, encoded: str) -> bool:
    """:func:`~wegweiser.serve.auth.verify_password` in the log-in threads (at most
    :data:`HASH_THREADS` at once; the event loop and the request threads stay free)."""
    return await anyio.to_thread.run_sync(verify_password, password, encoded, limiter=_hashing)
