"""Where one import spends its time: every SQL statement the engine runs, timed.

Imports FILE into a fresh project and prints wall and CPU seconds (user + system of this
process, all threads) of the whole import and of the slowest statements, and peak RSS.
``--ingest-memory-limit`` overrides ``ingest.memory_limit`` of the project's config.

    python benchmarks/profile_import.py benchmarks/data/events-1000000.parquet
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--ingest-memory-limit", default=None)
    args = parser.parse_args()

    import wegweiser
    from wegweiser.store import engine as store_engine

    stats: list[tuple[float, float, str]] = []

    def timed(method: Any) -> Any:
        def wrapper(self: Any, sql: str, params: Any = None) -> Any:
            wall, cpu = time.perf_counter(), _cpu()
            try:
                return method(self, sql, params)
            finally:
                stats.append((time.perf_counter() - wall, _cpu() - cpu, " ".join(sql.split())))

        return wrapper

    for name in ("execute", "run", "arrow"):
        setattr(store_engine.Engine, name, timed(getattr(store_engine.Engine, name)))
    folder = Path(tempfile.mkdtemp(prefix="wegweiser-profile-"))
    try:
        wegweiser.Project.init(folder).close()
        if args.ingest_memory_limit:
            cfg = folder / "wegweiser.toml"
            cfg.write_text(
                cfg.read_text().replace(
                    'memory_limit = "512MB"', f'memory_limit = "{args.ingest_memory_limit}"'
                )
            )
        with wegweiser.Project(folder) as project:
            stats.clear()
            wall, cpu = time.perf_counter(), _cpu()
            summary = project.import_events(args.file)
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"import: {wall:.2f} s wall, {cpu:.2f} s CPU, {summary.imported:,} imported, "
        f"{summary.quarantined:,} quarantined; peak RSS {peak:,} MiB"
    )
    for w, c, sql in sorted(stats, key=lambda s: -s[1])[: args.top]:
        print(f"{w:8.2f} s wall {c:7.2f} s CPU  {sql[:140]}")


if __name__ == "__main__":
    main()
