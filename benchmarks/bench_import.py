"""Import benchmark: N demo events from Parquet and from CSV, against bare DuckDB.

The demo generator makes 1M events (20k persons); they are replicated with suffixed ids
(message, anonymous and user ids) up to N rows, so the data keeps the demo's shape. Each
step runs in a fresh process: wall time, events/s and peak RSS. The floor is a bare DuckDB
``CREATE TABLE AS SELECT * FROM read_parquet(...)`` (resp. ``read_csv``) into a file
database: no validation, no dedup, no stitching.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def make_data(events: int, work: Path) -> tuple[Path, Path]:
    import duckdb

    from wegweiser.events.demo import generate

    parquet, csv = work / f"events-{events}.parquet", work / f"events-{events}.csv"
    if parquet.exists() and csv.exists():
        return parquet, csv
    base = generate(20_000, seed=1).events
    copies = -(-events // base.num_rows)
    con = duckdb.connect()
    con.register("base", base)
    con.execute(
        f"""CREATE TABLE big AS
        SELECT * REPLACE (
            message_id || '-' || k AS message_id,
            anonymous_id || '-' || k AS anonymous_id,
            user_id || '-' || k AS user_id)
        FROM base, range({copies}) r(k) LIMIT {events}"""
    )
    con.execute("COPY big TO ? (FORMAT parquet, ROW_GROUP_SIZE 122880)", [str(parquet)])
    con.execute("COPY big TO ? (FORMAT csv, HEADER)", [str(csv)])
    return parquet, csv


def measure(step: str, data: Path, work: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE / "_child.py"), step, str(data), str(work)],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["events_per_s"] = result["rows"] / result["seconds"]
    return result


def run(events: int, work: Path) -> list[dict[str, Any]]:
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(HERE / "_child.py"), "make", str(events), str(work)], check=True
    )
    parquet, csv = work / f"events-{events}.parquet", work / f"events-{events}.csv"
    rows = []
    for label, step, data in [
        ("floor: DuckDB read_parquet -> table", "floor-parquet", parquet),
        ("wegweiser import (Parquet)", "import", parquet),
        ("floor: DuckDB read_csv -> table", "floor-csv", csv),
        ("wegweiser import (CSV)", "import", csv),
    ]:
        r = measure(step, data, work)
        r["label"] = label
        rows.append(r)
        print(f"  {label:40s} {r['seconds']:7.2f} s  {r['events_per_s']:>12,.0f} ev/s  "
              f"peak RSS {r['peak_rss_mib']:,} MiB", flush=True)
    for kind in ("parquet", "csv"):
        fl = next(r for r in rows if r["label"].startswith("floor") and kind in r["label"].lower())
        wg = next(
            r for r in rows if r["label"].startswith("wegweiser") and kind in r["label"].lower()
        )
        wg["ratio_to_floor"] = wg["seconds"] / fl["seconds"]
        print(f"  {kind}: wegweiser takes {wg['ratio_to_floor']:.2f}x the bare DuckDB floor")
    return rows
