"""What the server's read snapshots cost (issue 13): the price of "readers never hold the
store".

The server's analyses read a checkpointed read-only copy of the store
(:mod:`wegweiser.store.snapshot`) that the import process writes after an import, at most
every ``server.snapshot_seconds``. On the demo with ``--persons`` persons (20,000 is ~1M
events; the project is cached in ``data/snapshot/``) this measures, in one process:

* ``write after import``: import a spool-sized batch of new events (``--batch`` events, as
  the collector's import does), then checkpoint and copy the store (the only part that
  holds it) and rebuild the journey in the copy;
* ``write unchanged``: the same with nothing new (checkpoint and copy only);
* ``open + stats``: open the snapshot read-only and ask for the store's stats, as a query
  worker does on a new snapshot;
* the store file's size (the disk a snapshot costs, twice while the previous one is kept).

Freshness: what analyses read is as old as ``flush_seconds`` + ``snapshot_seconds`` + the
import + ``write after import`` at most.

    python benchmarks/bench_snapshot.py [--persons 20000] [--batch 20000] [--record]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"


def project_for(persons: int) -> Path:
    from wegweiser import Project
    from wegweiser.events.demo import generate

    folder = HERE / "data" / "snapshot" / f"demo-{persons}"
    if not (folder / "wegweiser.duckdb").exists():
        shutil.rmtree(folder, ignore_errors=True)
        with Project.init(folder, name="Snapshot benchmark") as project:
            project.import_events(generate(persons, seed=5).events)
            project.journey()
    return folder


def new_events(n: int, run: int) -> object:
    import pyarrow as pa

    from wegweiser.events.demo import generate

    events = generate(max(50, n // 40), seed=100 + run, days=5).events.slice(0, n)
    ids = pa.array([f"snap-{run}-{i}" for i in range(len(events))])
    return events.set_column(events.schema.get_field_index("message_id"), "message_id", ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    from wegweiser import Project

    t0 = time.monotonic()
    folder = project_for(args.persons)
    print(f"project ready in {time.monotonic() - t0:.0f} s: {folder}", flush=True)
    snapshots = folder / "snapshots"
    after, unchanged, opened, held = [], [], [], []
    imported = 0
    for run in range(args.repeat):
        batch = new_events(args.batch, int(time.time()) * 10 + run)
        with Project(folder) as project:
            t = time.monotonic()
            imported += project.import_events(batch).imported
            t_import = time.monotonic() - t
            t = time.monotonic()
            copy = project.copy_store(snapshots)
            held.append(time.monotonic() - t)
            events = project.event_count()
        t = time.monotonic()
        made = Project.publish_snapshot(folder, copy, snapshots)
        after.append(held[-1] + time.monotonic() - t)
        with Project(folder) as project:
            t = time.monotonic()
            project.write_snapshot(snapshots)
            unchanged.append(time.monotonic() - t)
        t = time.monotonic()
        with Project(folder, snapshot=latest(snapshots)) as reader:
            reader.stats()
        opened.append(time.monotonic() - t)
        print(
            f"  run {run}: import {t_import:.1f} s, store held for the copy {held[-1]:.2f} s, "
            f"write after import {after[-1]:.2f} s, "
            f"unchanged {unchanged[-1]:.2f} s, open + stats {opened[-1]:.2f} s",
            flush=True,
        )
    size = made.path.stat().st_size / 2**20
    line = (
        f"{events:,} events: snapshot after importing {args.batch:,} events "
        f"{statistics.median(after):.2f} s (median of {args.repeat}; checkpoint and copy "
        f"{statistics.median(held):.2f} s holding the store, then the journey rebuilt in "
        f"the copy), unchanged {statistics.median(unchanged):.2f} s, open + stats "
        f"{statistics.median(opened):.2f} s; store file {size:,.0f} MiB"
    )
    print(line)
    if args.record:
        machine = (
            f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python "
            f"{platform.python_version()}"
        )
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(
                f"\n### Read snapshots — {datetime.date.today()}\nMachine: {machine}; "
                f"other work was running on it. Command: `python "
                f"{' '.join(sys.argv)}`.\n\n{line}.\n"
            )


def latest(folder: Path) -> Path:
    return sorted(folder.glob("store-*.duckdb"))[-1]


if __name__ == "__main__":
    main()
