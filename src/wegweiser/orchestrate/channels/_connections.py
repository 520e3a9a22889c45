"""One open connection per worker thread (lanes send at once), all closable together."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

C = TypeVar("C")


class PerThread(Generic[C]):
    """``get()`` this thread's connection (``open_`` makes it on first use), ``drop()`` it
    after an error, ``close_all()`` every thread's (with ``close_``).

    >>> made = []
    >>> pool = PerThread(lambda: made.append(1) or len(made), close_=lambda c: None)
    >>> pool.get(), pool.get(), (pool.drop(), pool.get())[1]
    (1, 1, 2)
    """

    def __init__(self, open_: Callable[[], C], *, close_: Callable[[C], None]) -> None:
        self._open_one, self._close_one = open_, close_
        self._local = threading.local()
        self._open: set[C] = set()  # every thread's connection, for close_all()
        self._lock = threading.Lock()

    def get(self) -> C:
        conn: C | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open_one()
            self._local.conn = conn
            with self._lock:
                self._open.add(conn)
        return conn

    def drop(self) -> None:
        """Forget and close this thread's connection (the next ``get()`` opens a new one)."""
        conn: C | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                self._open.discard(conn)
            self._close_one(conn)

    def close_all(self) -> None:
        self._local.conn = None
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            self._close_one(conn)
