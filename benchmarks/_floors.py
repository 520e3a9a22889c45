"""Bare-engine floors of the analytics benchmark (issue 19): hand-written DuckDB SQL and
ClickHouse's ``windowFunnel`` (embedded ``chdb``) on the same journey as Wegweiser.

Each floor computes what the matching Wegweiser op needs at the least, in one engine, with
no Python in between:

* ``funnel`` (DuckDB) — the funnel of ``_wegweiser_ops`` (ordered, every step-1 event starts
  an attempt, the unit's best attempt counts, window ``WINDOW_US``): step rows, running
  counts per person in one window pass, the greedy chain by one equality join per step,
  the best level per person; returns units per level. Wegweiser computes more per unit
  (entry time, step times, seconds, gaps, the entry day): the floor is the counts only.
* ``funnel`` (chdb) — ``windowFunnel(window)(timestamp, step conditions...)`` per person
  over the journey loaded into a ``Memory`` table from Parquet, then units per level. Its
  chain is ClickHouse's (ties at equal timestamps in its own order; Wegweiser orders them
  by ``message_id``), so its counts may differ by a few units.
* ``transitions`` — edges (count, persons, median seconds) and nodes (count, persons,
  starts, exits) of consecutive journey events per person, as two queries on the journey's
  precomputed ``next_event``/``next_timestamp`` (as Wegweiser reads them).
* ``sessions`` — the split at a 30-minute gap (lag, running sum) and the per-session
  summary (sessions, persons, mean and median duration, events per session).
"""

from __future__ import annotations

from typing import Any

WINDOW_US = 36_500 * 86_400 * 1_000_000  # the benchmark's 100-year window, in microseconds
GAP_US = 30 * 60 * 1_000_000


def _quote(names: list[str]) -> str:
    return ", ".join("'" + n.replace("'", "''") + "'" for n in names)


def duckdb_funnel_sql(steps: list[str], window_us: int = WINDOW_US) -> str:
    n = len(steps)
    flags = ", ".join(f"event = '{s}' AS m{k}" for k, s in enumerate(steps))
    running = ", ".join(f"sum(m{k}::INT) OVER w AS c{k}" for k in range(1, n))
    parts = [
        f"""WITH c AS (
  SELECT person_id AS u, seq, epoch_us("timestamp") AS t, {flags}
  FROM journey WHERE event IN ({_quote(steps)})
), r AS (
  SELECT *, {running} FROM c
  WINDOW w AS (PARTITION BY u ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)"""
    ]
    for k in range(1, n):
        nxt = f", c{k + 1} AS want" if k + 1 < n else ""
        parts.append(f", s{k} AS (SELECT u, c{k} AS i, t{nxt} FROM r WHERE m{k})")
    # chain: the entry's next step-1 row is step 1's row number c1 + 1, and so on
    select = ["a.u", "a.t AS t0"]
    joins = []
    prev_want = "a.c1 + 1"
    for k in range(1, n):
        select.append(f"s{k}.t AS t{k}")
        joins.append(f"LEFT JOIN s{k} ON s{k}.u = a.u AND s{k}.i = {prev_want}")
        prev_want = f"s{k}.want + 1"
    level = " + ".join(
        "coalesce("
        + " AND ".join(f"t{j} - t0 <= {window_us}" for j in range(1, k + 1))
        + ", FALSE)::INT"
        for k in range(1, n)
    )
    return (
        " ".join(parts)
        + f"""
, a AS (SELECT u, t, c1 FROM r WHERE m0)
, chain AS (SELECT {", ".join(select)} FROM a {" ".join(joins)})
SELECT level, count(*) AS units FROM (
  SELECT u, max(1 + {level}) AS level FROM chain GROUP BY u
) GROUP BY level ORDER BY level"""
    )


def chdb_funnel_sql(steps: list[str], window_us: int = WINDOW_US) -> str:
    conds = ", ".join(f"event = '{s}'" for s in steps)
    return f"""SELECT level, count() AS units FROM (
  SELECT person_id, windowFunnel({window_us})(t, {conds}) AS level
  FROM journey WHERE event IN ({_quote(steps)}) GROUP BY person_id
) WHERE level > 0 GROUP BY level ORDER BY level"""


TRANSITIONS_SQL = (
    """
SELECT event AS source, next_event AS target, count(*) AS count,
       count(DISTINCT person_id) AS persons,
       median((epoch_us(next_timestamp) - epoch_us("timestamp")) / 1e6) AS median_seconds
FROM journey WHERE next_event IS NOT NULL GROUP BY ALL""",
    """
SELECT event, count(*) AS count, count(DISTINCT person_id) AS persons,
       sum((seq = 0)::INT) AS starts, sum((next_event IS NULL)::INT) AS exits
FROM journey GROUP BY event""",
)

SESSIONS_SQL = f"""
WITH g AS (
  SELECT person_id, seq, epoch_us("timestamp") AS ts,
         coalesce(epoch_us("timestamp") - lag(epoch_us("timestamp")) OVER w > {GAP_US}, TRUE)
           AS starts
  FROM journey WINDOW w AS (PARTITION BY person_id ORDER BY seq)
), s AS (
  SELECT person_id, ts, sum(starts::INT) OVER (PARTITION BY person_id ORDER BY seq
         ROWS UNBOUNDED PRECEDING) AS session FROM g
), per AS (
  SELECT person_id, session, (max(ts) - min(ts)) / 1e6 AS seconds, count(*) AS events
  FROM s GROUP BY person_id, session
)
SELECT count(*) AS sessions, count(DISTINCT person_id) AS persons, avg(seconds) AS mean_s,
       median(seconds) AS median_s, avg(events) AS events_per_session FROM per"""


def duckdb_floor(con: Any, op: str, steps: list[str]) -> Any:
    """Run the DuckDB floor of ``op`` on ``con`` (a table ``journey``); a small result."""
    if op == "funnel":
        return con.sql(duckdb_funnel_sql(steps)).fetchall()
    if op == "transitions":
        return [con.sql(q).fetchall() for q in TRANSITIONS_SQL]
    if op in ("sessions", "sessions_stored"):
        return con.sql(SESSIONS_SQL).fetchall()
    raise SystemExit(f"no floor for {op!r}")


def chdb_floor(session: Any, steps: list[str]) -> list[tuple[int, int]]:
    """Units per level by ``windowFunnel`` on ``session`` (a table ``journey`` with ``t`` in
    microseconds, UInt64)."""
    table = session.query(chdb_funnel_sql(steps), "ArrowTable")
    return [(int(r["level"]), int(r["units"])) for r in table.to_pylist()]
