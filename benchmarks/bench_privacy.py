"""Privacy requests at scale (issue 23): erasing one person from an N-event store.

The store holds N demo events (the demo's 20k persons replicated with suffixed ids, as the
import benchmark does; built once and cached in ``data/privacy/``). Each run copies the
project to a scratch folder and measures, in this process:

* ``export``: :func:`wegweiser.privacy.export_person` of one person (without the person
  page's journey tables);
* ``erase``: :func:`wegweiser.privacy.erase_person` of the same person — the rows deleted,
  identities rebuilt, the store file rewritten (``COPY FROM DATABASE``), the snapshot and
  spool steps (empty here) included;
* a byte scan of the rewritten store for the person's ids and address (must find none).

Wall and CPU seconds (this process; DuckDB's threads count as CPU time) and the store's
size before and after. Target: erase ≤ 60 s at 10M events.

    python benchmarks/bench_privacy.py [--events 1000000] [--runs 1] [--record]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"


def project_for(events: int, work: Path) -> Path:
    """The cached project with ``events`` demo events (imported once)."""
    from bench_import import make_data

    from wegweiser import Project

    folder = work / "privacy" / f"store-{events}"
    if not (folder / "wegweiser.duckdb").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        parquet, _ = make_data(events, work)
        with Project.init(folder, name="Privacy benchmark") as project:
            project.import_events(parquet)
    return folder


def person_of(folder: Path) -> str:
    """A user id of a person with many events (the heaviest case the demo has)."""
    import ibis

    from wegweiser import open_project

    with open_project(folder) as project:
        events = project.events()
        users = events.filter(events.user_id.notnull())
        top = (users.group_by("user_id").agg(n=users.count())
               .order_by([ibis.desc("n"), "user_id"]).limit(1).to_pyarrow())
    return str(top["user_id"][0])


def _scan(path: Path, needles: list[str]) -> int:
    data = path.read_bytes()
    return sum(data.count(n.encode()) for n in needles)


def run_once(folder: Path, scratch: Path, any_id: str) -> dict[str, Any]:
    from wegweiser import open_project
    from wegweiser.privacy import erase_person, export_person

    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(folder, scratch)
    size_before = (scratch / "wegweiser.duckdb").stat().st_size
    with open_project(scratch) as project:
        w, c = time.perf_counter(), time.process_time()
        exported = export_person(project, any_id, actor="bench", journey=False)
        export_s, export_cpu = time.perf_counter() - w, time.process_time() - c
        w, c = time.perf_counter(), time.process_time()
        summary = erase_person(project, any_id, actor="bench")
        erase_s, erase_cpu = time.perf_counter() - w, time.process_time() - c
    store = scratch / "wegweiser.duckdb"
    needles = [i for i in exported.scope.ids if len(i) > 6] + list(exported.scope.emails)
    return {
        "events_erased": summary.counts.get("events", 0),
        "export_s": export_s, "export_cpu_s": export_cpu,
        "erase_s": erase_s, "erase_cpu_s": erase_cpu,
        "size_before_mib": size_before / 2**20, "size_after_mib": store.stat().st_size / 2**20,
        "hits_after": _scan(store, needles), "needles": len(needles),
    }


def machine() -> str:
    import os

    import psutil

    mem = psutil.virtual_memory().total / 2**30
    return (f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
            f"Python {platform.python_version()}, {platform.system()}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--privacy-events", type=int, default=1_000_000,
                        help="events in the store of the erasure benchmark; 0 skips it")
    parser.add_argument("--privacy-runs", type=int, default=1)


def main_from_args(args: argparse.Namespace, where: str) -> None:
    if not args.privacy_events:
        return
    work = Path(args.work)
    w, c = time.perf_counter(), time.process_time()
    folder = project_for(args.privacy_events, work)
    build = time.perf_counter() - w, time.process_time() - c
    any_id = person_of(folder)
    print(f"erasure of one person ({any_id}) from {args.privacy_events:,} events "
          f"(store ready in {build[0]:.1f} s)")
    rows = []
    for run in range(args.privacy_runs):
        row = run_once(folder, work / "privacy" / "scratch", any_id)
        rows.append(row)
        print(f"  run {run + 1}: export {row['export_s']:.2f} s (cpu {row['export_cpu_s']:.2f}), "
              f"erase {row['erase_s']:.2f} s (cpu {row['erase_cpu_s']:.2f}), "
              f"{row['events_erased']} events, store {row['size_before_mib']:.0f} -> "
              f"{row['size_after_mib']:.0f} MiB, id bytes left: {row['hits_after']}")
    shutil.rmtree(work / "privacy" / "scratch", ignore_errors=True)
    if args.record:
        lines = [
            f"\n### Privacy: erase one person, {args.privacy_events:,} events — "
            f"{datetime.date.today()}",
            f"Machine: {where}. Command: `python benchmarks/run.py --events 0 "
            f"--analytics-sizes none --attribution-sizes none "
            f"--privacy-events {args.privacy_events}`.\n",
            "| run | events erased | export s (cpu) | erase s (cpu) | store MiB before / "
            "after | id bytes left |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for i, r in enumerate(rows, 1):
            lines.append(
                f"| {i} | {r['events_erased']} | {r['export_s']:.2f} ({r['export_cpu_s']:.2f})"
                f" | {r['erase_s']:.2f} ({r['erase_cpu_s']:.2f}) | {r['size_before_mib']:.0f}"
                f" / {r['size_after_mib']:.0f} | {r['hits_after']} |")
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def tree_measures(args: argparse.Namespace) -> list[dict[str, Any]]:
    """For ``run.py --before``: export and erasure of one person as measures (one tree per
    process, its own store under ``args.work``)."""
    if not args.privacy_events:
        return []
    import wegweiser.privacy  # noqa: F401  (a tree without it fails here, before the store)

    work = Path(args.work)
    folder = project_for(args.privacy_events, work)
    any_id = person_of(folder)
    out = []
    size = f"{args.privacy_events:,} events"
    for _ in range(args.privacy_runs):
        row = run_once(folder, work / "privacy" / "scratch", any_id)
        print(f"  export {row['export_s']:.2f} s (cpu {row['export_cpu_s']:.2f}), erase "
              f"{row['erase_s']:.2f} s (cpu {row['erase_cpu_s']:.2f}), "
              f"{row['events_erased']} events, id bytes left: {row['hits_after']}", flush=True)
        if row["hits_after"]:
            raise SystemExit(f"{row['hits_after']} bytes of the erased person's ids are left")
        out += [{"measure": "export one person", "size": size, "wall": row["export_s"],
                 "cpu": row["export_cpu_s"]},
                {"measure": "erase one person", "size": size, "wall": row["erase_s"],
                 "cpu": row["erase_cpu_s"]}]
    shutil.rmtree(work / "privacy" / "scratch", ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=HERE / "data")
    parser.add_argument("--record", action="store_true")
    add_arguments(parser)
    args = parser.parse_args()
    main_from_args(args, machine())


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
