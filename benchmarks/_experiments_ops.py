"""The experiments benchmark's steps, one per process (main venv).

``python _experiments_ops.py make N OUT`` writes a synthetic journey of N events as
Parquet: N/20 persons, events spread uniformly over 90 days, 2% of them conversions
(``order_completed`` with a gamma-distributed revenue); 60% of the persons get one
``experiment_viewed`` event (``experiment_id`` ``bench``, ``variation_id`` control or
treatment, 50/50) at a random time in the second half; the treatment's revenue is 10%
higher. Seeded.

``python _experiments_ops.py readout DATA [--repeat 3]`` loads DATA into an in-memory DuckDB
table through Ibis (as a project's materialised journey), then runs the full readout of
``bench`` (:func:`wegweiser.analysis.experiments.analysis.experiment`: assignments,
per-person metrics and covariates, per-variant sums, statistics, the boundary chart) once
cold and ``--repeat`` times warm; prints one JSON line with the median wall time and the
median CPU time (user + system of all threads: on a busy machine the wall time says more
about the neighbours than about the readout).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from _common import peak_rss_mib


def make(n: int, out: Path) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(2026)
    persons = max(n // 20, 2)
    exposed = rng.random(persons) < 0.6
    n_exp = int(exposed.sum())
    n_other = n - n_exp
    t0 = np.datetime64("2026-08-01T00:00:00", "us").astype("int64")
    span = 90 * 86_400_000_000
    who = rng.integers(0, persons, n_other)
    when = t0 + rng.integers(0, span, n_other)
    conv = rng.random(n_other) < 0.02
    treat = rng.random(persons) < 0.5
    revenue = np.where(conv, rng.gamma(2.0, 40.0, n_other) * np.where(treat[who], 1.1, 1.0), np.nan)
    ids = np.flatnonzero(exposed)
    e_when = t0 + span // 2 + rng.integers(0, span // 2, n_exp)
    props_exp = np.where(
        treat[ids],
        '{"experiment_id": "bench", "variation_id": "treatment"}',
        '{"experiment_id": "bench", "variation_id": "control"}',
    )
    person = np.concatenate([who, ids])
    table = pa.table(
        {
            "person_id": pa.array(np.char.add("p", person.astype(str))),
            "timestamp": pa.array(np.concatenate([when, e_when])).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "event": pa.array(
                np.concatenate(
                    [
                        np.where(conv, "order_completed", "product_view"),
                        np.full(n_exp, "experiment_viewed"),
                    ]
                )
            ),
            "properties": pa.array(np.concatenate([np.full(n_other, "{}"), props_exp])),
            "revenue": pa.array(
                np.concatenate([revenue, np.full(n_exp, np.nan)]),
                mask=np.isnan(np.concatenate([revenue, np.full(n_exp, np.nan)])),
            ),
            "is_conversion": pa.array(np.concatenate([conv, np.zeros(n_exp, bool)])),
        }
    )
    pq.write_table(table, out)
    print(json.dumps({"events": n, "persons": persons, "exposed": n_exp}))


def readout(data: Path, repeat: int) -> None:
    import ibis
    import pyarrow.parquet as pq

    from wegweiser.analysis.experiments.analysis import experiment

    meta = pq.read_metadata(data)
    con = ibis.duckdb.connect()
    journey = con.create_table("journey", con.read_parquet(data))
    persons = journey.person_id.nunique().to_pyarrow().as_py()

    def cpu() -> float:
        use = resource.getrusage(resource.RUSAGE_SELF)
        return use.ru_utime + use.ru_stime

    def once() -> tuple[float, int, float]:
        started, used = time.perf_counter(), cpu()
        r = experiment(journey, name="bench")
        return time.perf_counter() - started, int(r.variants["persons"].sum()), cpu() - used

    cold, exposed, _ = once()
    runs = [once() for _ in range(repeat)]
    warm = [r[0] for r in runs]
    print(
        json.dumps(
            {
                "events": meta.num_rows,
                "persons": persons,
                "exposed": exposed,
                "cold_seconds": cold,
                "seconds": statistics.median(warm),
                "cpu_seconds": statistics.median(r[2] for r in runs),
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="op", required=True)
    m = sub.add_parser("make")
    m.add_argument("n", type=int)
    m.add_argument("out", type=Path)
    r = sub.add_parser("readout")
    r.add_argument("data", type=Path)
    r.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.op == "make":
        make(args.n, args.out)
    else:
        readout(args.data, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
