"""The import's duplicate check against a stored project: CPU of the import and of its parts.

Copies the project folder STORE to SCRATCH (the original stays as it was), imports FILE into
the copy and prints one JSON line: wall and CPU seconds of the import (user + system of this
process, all threads), the CPU of the store look-ups of the batches' ids (``lookups``, one
per batch that asked), of the inserts into ``events`` (a staged batch's exact anti-join
runs inside its insert), of the batches' own id checks (present, distinct), and of keeping the
key table (``store/event_keys.py``). Run it with ``PYTHONPATH`` set to another ``src/`` to
measure that tree (an older tree has no key table: its ``keys_cpu`` is 0).

    python benchmarks/profile_dedup.py /tmp/store10m new-1000000.parquet /tmp/scratch
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    store, data, scratch = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(store, scratch)
    import wegweiser
    from wegweiser.store import engine as store_engine

    stats: list[tuple[float, str]] = []

    def timed(method: Any) -> Any:
        def wrapper(self: Any, sql: str, params: Any = None) -> Any:
            cpu = _cpu()
            try:
                return method(self, sql, params)
            finally:
                stats.append((_cpu() - cpu, " ".join(sql.split())))

        return wrapper

    for name in ("execute", "run"):
        setattr(store_engine.Engine, name, timed(getattr(store_engine.Engine, name)))
    try:
        with wegweiser.Project(scratch) as project:
            stats.clear()
            wall, cpu = time.perf_counter(), _cpu()
            summary = project.import_events(data)
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
            stored = project._engine.scalar("SELECT count(*) FROM events")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    lookup = ("FROM event_keys WHERE h IN", "FROM events WHERE message_id IN (SELECT id")
    own = ("count(DISTINCT id)", "count(DISTINCT h)", "CREATE TEMP TABLE _keys_")
    lookups = [round(t, 3) for t, q in stats if any(s in q for s in lookup)]
    print(
        json.dumps(
            {
                "imported": summary.imported,
                "stored": stored,
                "wall": round(wall, 2),
                "cpu": round(cpu, 2),
                "insert_cpu": round(
                    sum(t for t, q in stats if q.startswith("INSERT INTO events")), 3
                ),
                "lookups": lookups,
                "lookup_cpu": round(sum(lookups), 3),
                "batch_ids_cpu": round(sum(t for t, q in stats if any(s in q for s in own)), 3),
                "keys_cpu": round(
                    sum(
                        t
                        for t, q in stats
                        if q.startswith(("INSERT INTO event_keys", "DELETE FROM event_keys"))
                        or "event_keys_state" in q
                    ),
                    3,
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
