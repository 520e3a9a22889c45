"""Bulk work without the cyclic garbage collector's interruptions.

CPython starts a collection every 700 new container objects (dicts, lists, tuples, dataclass
instances), whether or not they can ever form a cycle, and a full one whenever the objects
that survived grew by a quarter. An import batch touching 100k persons builds about a
million of them (their snapshots, the columns read from the engine, the rows for the state
store) that all stay alive until the batch is done: the collector walks them, and the
modules loaded before (Ibis, DuckDB, pandas), again and again for nothing (measured: 28% of
the CPU of entry evaluation). Their memory is given back by reference counting when the
batch ends; cycles left meanwhile wait for the next automatic collection after it.

The same workaround as Mercurial's ``util.nogc``, but safe for overlapping use by several
threads of a worker: the collector is enabled again when the last of them leaves, and only
if it was enabled when the first came in.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

_lock = threading.Lock()
_inside = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic cyclic garbage collection while the block runs (nested and threaded
    use is fine).

    >>> with paused_gc():
    ...     gc.isenabled()
    False
    """
    global _inside, _was_enabled
    with _lock:
        if _inside == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _was_enabled:
                gc.enable()
