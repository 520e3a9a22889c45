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
* ``phases`` / ``phases_transitions`` — the phase analysis (all six tables / the one view
  ``transitions``) from the journey's ``phase`` column: the episodes (a window over each
  person's phase events ordered by time, phase rank, ``seq``; the starts of runs; a second
  window for the next start), then per table one aggregate: open episodes per phase
  (current), +1/-1 per phase and week (over time), moves (count, distinct persons),
  dwell (count, median, mean, p90 of closed, open count and median), the per-person kinds
  (non-linear), the long open episodes (stuck); plus the persons and the latest time. For
  all six tables the episodes are a temporary table read six times; for one view they are
  a CTE of its one query. ``phases_stored`` reads the same aggregates from an episodes
  table made beforehand (the floor of reading Wegweiser's stored ``phase_episodes``).
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


def _rank(names: list[str], column: str) -> str:
    cases = " ".join(f"WHEN '{n.replace(chr(39), chr(39) * 2)}' THEN {i}"
                     for i, n in enumerate(names))
    return f"CASE {column} {cases} END"


def phase_episodes_sql(names: list[str], columns: str = "*") -> str:
    """The episodes of the phase analysis from a table ``journey`` (with ``phase`` and
    ``person_n``): ``p``, ``person_id``, ``phase``, ``r`` (rank), ``start_us``, ``end_us``,
    ``open``, ``next_phase``, ``next_r``."""
    return f"""
WITH m AS (
  SELECT person_n AS p, person_id, seq, epoch_us("timestamp") AS t, phase,
         {_rank(names, "phase")} AS r
  FROM journey WHERE phase IS NOT NULL
), o AS (
  SELECT *, lag(phase) OVER w AS prev, row_number() OVER w AS rn FROM m
  WINDOW w AS (PARTITION BY p ORDER BY t, r, seq)
), s AS (
  SELECT p, person_id, phase, r, t, lead(t) OVER w2 AS next_t,
         lead(phase) OVER w2 AS next_phase, lead(r) OVER w2 AS next_r
  FROM o WHERE prev IS NULL OR prev <> phase
  WINDOW w2 AS (PARTITION BY p ORDER BY rn)
), last AS (SELECT person_n AS p, max(epoch_us("timestamp")) AS last_t FROM journey GROUP BY 1)
SELECT {columns} FROM (
  SELECT s.p, s.person_id, s.phase, s.r, s.t AS start_us,
         coalesce(s.next_t, last.last_t) AS end_us, s.next_t IS NULL AS open,
         s.next_phase, s.next_r
  FROM s JOIN last USING (p))"""


PHASE_HEAD_SQL = 'SELECT count(DISTINCT person_n), max(epoch_us("timestamp")) FROM journey'


def phase_table_sql(table: str, episodes: str, as_of_us: int, stuck_days: float = 30) -> str:
    """The aggregate behind one phase table over ``episodes`` (a table name or a
    parenthesised query)."""
    hours = "(end_us - start_us) / 3.6e9"
    if table == "current":
        return f"SELECT phase, count(*) FROM {episodes} WHERE open GROUP BY phase"
    if table == "transitions":
        return (f"SELECT phase, next_phase, count(*), count(DISTINCT p) FROM {episodes} "
                "WHERE next_phase IS NOT NULL GROUP BY ALL")
    if table == "dwell":
        return f"""SELECT phase, count(*) FILTER (NOT open), median({hours}) FILTER (NOT open),
  avg({hours}) FILTER (NOT open), quantile_cont({hours}, 0.9) FILTER (NOT open),
  count(*) FILTER (open), median(({as_of_us} - start_us) / 3.6e9) FILTER (open)
FROM {episodes} GROUP BY phase"""
    if table == "over_time":
        week = "(d - (d + 3) % 7)"
        return f"""SELECT phase, {week} AS week, sum(n) FROM (
  SELECT phase, floor(start_us / 86400e6) AS d, 1 AS n FROM {episodes}
  UNION ALL SELECT phase, floor(end_us / 86400e6), -1 FROM {episodes} WHERE NOT open
) GROUP BY ALL"""
    if table == "nonlinear":
        return f"""SELECT count(*), sum((n >= 2)::INT), sum(back), sum((n > k)::INT), sum(skip),
  sum(greatest(back, (n > k)::INT, skip)) FROM (
  SELECT p, count(*) AS n, count(DISTINCT r) AS k, max((next_r < r)::INT) AS back,
         max((next_r > r + 1)::INT) AS skip FROM {episodes} GROUP BY p)"""
    if table == "stuck":
        cutoff = as_of_us - round(stuck_days * 86_400e6)
        return f"""SELECT person_id, phase, start_us, ({as_of_us} - start_us) / 86400e6 AS days
FROM {episodes} WHERE open AND start_us < {cutoff} ORDER BY days DESC, person_id"""
    raise SystemExit(f"no phase table {table!r}")


PHASE_TABLES = ("current", "over_time", "transitions", "dwell", "nonlinear", "stuck")


def phases_floor(con: Any, names: list[str], tables: tuple[str, ...], *,
                 stored: str | None = None) -> list[Any]:
    """The phase tables ``tables`` by hand-written SQL on ``con`` (a table ``journey``):
    from the journey (several tables: the episodes as a temporary table; one: a CTE), or
    from the episodes table ``stored``."""
    persons, as_of_us = con.sql(PHASE_HEAD_SQL).fetchall()[0]
    out: list[Any] = [persons]
    if stored is not None:
        episodes = stored
    elif len(tables) > 1:
        con.execute("CREATE OR REPLACE TEMP TABLE floor_episodes AS "
                    + phase_episodes_sql(names))
        episodes = "floor_episodes"
    else:
        episodes = "(" + phase_episodes_sql(names) + ")"
    for table in tables:
        out.append(con.sql(phase_table_sql(table, episodes, as_of_us)).fetchall())
    if stored is None and len(tables) > 1:
        con.execute("DROP TABLE floor_episodes")
    return out
