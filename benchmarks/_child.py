"""One measured step, run in its own process so that peak RSS is its own.

Prints one JSON line: {"seconds": ..., "cpu_seconds": ..., "rows": ..., "peak_rss_mib": ...}
(CPU: user + system of this process, all its threads). ``make N WORK``
writes the data instead (in its own process, so the measuring parent stays small: Linux
keeps a process's peak RSS across fork/exec).
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path

from _common import peak_rss_mib


def floor(kind: str, data: Path, work: Path) -> int:
    import duckdb

    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    reader = "read_parquet" if kind == "parquet" else "read_csv"
    con.execute(f"CREATE TABLE events AS SELECT * FROM {reader}(?)", [str(data)])
    rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.close()
    return int(rows)


def wegweiser_import(data: Path, work: Path) -> int:
    import wegweiser

    folder = work / "project"
    shutil.rmtree(folder, ignore_errors=True)
    with wegweiser.Project.init(folder) as project:
        summary = project.import_events(data)
        assert summary.quarantined == 0, summary.errors[:3]
        return summary.imported


def main() -> None:
    step, data, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if step == "make":
        from bench_import import make_data

        make_data(int(data.name), work)
        return
    started = time.perf_counter()
    cpu = _cpu()
    if step.startswith("floor-"):
        rows = floor(step.removeprefix("floor-"), data, work)
    else:
        rows = wegweiser_import(data, work)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": _cpu() - cpu,
                "rows": rows,
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
