"""Every table of :func:`wegweiser.analysis.sessions.sessions` from one query (internal).

The per-session rows are aggregated five ways — overall, per person, per entry channel, per
entry device, per duration bin — and, when asked, the first ``limit`` rows themselves; all of
it is one ``UNION ALL`` over the per-session table, which DuckDB computes once (a CTE
referenced more than once is materialised) instead of caching it in a temporary table and
running five queries over it.

Means are exact: the query returns integer sums (events, bounces, converting sessions,
durations in microseconds) and counts, and the mean is the correctly rounded quotient taken
here. A parallel ``avg`` of doubles adds its parts in the order the threads finish, so its
last bit changed from run to run. Medians and the 90th percentile stay the engine's (order
statistics of the per-session values: no sum, the same on every run).

>>> exact_mean(3, 2), exact_mean(1, 3, scale=1_000_000), exact_mean(0, 0)
(1.5, 3.3333333333333335e-07, nan)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pyarrow as pa

#: the union's columns and types: each branch fills those it has, the others are NULL
COLUMNS: dict[str, str] = {
    "kind": "string",  # all | person | channel | device | bin | row
    "key": "string",  # channel, device, person_id of a row
    "n": "int64",  # sessions; persons for kind person; the session number of a row
    "bin": "int64",
    "persons": "int64",
    "events": "int64",  # sum, or a row's events
    "duration_us": "int64",  # sum, or a row's duration
    "bounces": "int64",
    "converting": "int64",  # sessions with a conversion, or a row's conversions
    "median_a": "float64",  # duration median; sessions per person median (kind person)
    "median_b": "float64",  # events per session median
    "p90": "float64",  # duration 90th percentile
    "start": "timestamp",
    "end": "timestamp",
    "channel": "string",
    "device": "string",
}


def exact_mean(total: int, count: int, *, scale: int = 1) -> float:
    """``total / (count * scale)`` correctly rounded (NaN for no ``count``)."""
    if not count:
        return math.nan
    return float(Fraction(int(total), int(count) * scale))


def stats_query(
    per_session: ir.Table,
    *,
    person: str,
    edges: tuple[int, ...],
    limit: int | None,
    stored: bool = False,
) -> ir.Table:
    """The union (see :data:`COLUMNS`) over ``per_session`` (``person`` — the column that
    identifies a person —, ``person_id``, ``session``, ``start``, ``end``, ``events``,
    ``channel``, ``device``, ``conversions``, ``duration_us``, ``duration_s``); rows only when
    ``limit`` is not 0 (None: all of them).

    ``stored``: ``per_session`` is the ``sessions`` roll-up
    (:func:`~wegweiser.analysis.sessions.stored_sessions`); the per-channel and per-device
    tables group by its ``channel_n``/``device_n`` (integers, one code per name) and sum its
    ``first_channel``/``first_device`` flags (one per person and name) for the distinct
    persons: the same figures as grouping by the names with a distinct count."""
    s = per_session
    counts = {
        "n": s.count(),
        "events": s.events.sum(),
        "duration_us": s.duration_us.sum(),
        "bounces": (s.events == 1).cast("int64").sum(),
        "converting": (s.conversions > 0).cast("int64").sum(),
    }
    medians = {"median_a": s.duration_s.median()}
    branches = [
        s.aggregate(
            kind=ibis.literal("all"),
            **counts,
            **medians,
            median_b=s.events.median(),
            p90=s.duration_s.quantile(0.9),
        ),
    ]
    for column in ("channel", "device"):
        if stored:
            by = s.group_by(s[f"{column}_n"]).agg(
                key=s[column].arbitrary(),
                kind=ibis.literal(column),
                **counts,
                persons=s[f"first_{column}"].sum(),
                **medians,
            )
        else:
            by = s.group_by(key=s[column]).agg(
                kind=ibis.literal(column), **counts, persons=s[person].nunique(), **medians
            )
        branches.append(by)
    bucket = ibis.cases(
        *[(s.duration_s < edge, i) for i, edge in enumerate(edges)], else_=len(edges)
    )
    branches.append(s.group_by(bin=bucket).agg(kind=ibis.literal("bin"), n=s.count()))
    per_person = s.group_by(s[person]).agg(sessions=s.count())
    branches.append(
        per_person.aggregate(
            kind=ibis.literal("person"),
            n=per_person.count(),
            median_a=per_person.sessions.median(),
        )
    )
    if limit != 0:
        rows = s.order_by("start", "person_id", "session")
        rows = rows if limit is None else rows.limit(limit)
        branches.append(
            rows.select(
                kind=ibis.literal("row"),
                key=rows.person_id,
                n=rows.session,
                events=rows.events,
                duration_us=rows.duration_us,
                converting=rows.conversions,
                start=rows.start,
                end=rows.end,
                channel=rows.channel,
                device=rows.device,
            )
        )
    typed = [_typed(b, s) for b in branches]
    return ibis.union(*typed, distinct=False)


def _typed(branch: ir.Table, s: ir.Table) -> ir.Table:
    """``branch`` with every union column, in order (NULL where it has none)."""
    out = {}
    for name, kind in COLUMNS.items():
        value = branch[name] if name in branch.columns else ibis.null()
        if kind == "timestamp":
            out[name] = value.cast(s.start.type())
        else:
            out[name] = value.cast(kind)
    return branch.select(**out)


def frames(
    table: pa.Table,
    *,
    edges: tuple[int, ...],
    labels: list[str],
    summary_columns: tuple[str, ...],
    session_columns: tuple[str, ...],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(summary, by_channel, by_device, durations, rows) from the union's result."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # DuckDB sums integers as HUGEINT (Arrow decimal) and Ibis drops a cast to the type it
    # already assumes: back to int64 here (a checked cast: an overflow raises)
    for name in (c for c, kind in COLUMNS.items() if kind == "int64"):
        at = table.schema.get_field_index(name)
        table = table.set_column(at, name, pc.cast(table[name], pa.int64()))
    is_row = pc.fill_null(pc.equal(table["kind"], "row"), False)
    # a few dozen rows: read as Python lists, split by kind (no pandas until the tables)
    small = table.filter(pc.invert(is_row)).to_pydict()
    of_kind: dict[str, list[int]] = {}
    for i, kind in enumerate(small["kind"]):
        of_kind.setdefault(kind, []).append(i)

    def part(kind: str) -> dict[str, list[Any]]:
        rows = of_kind.get(kind, [])
        return {name: [values[i] for i in rows] for name, values in small.items()}

    head, who = part("all"), part("person")
    sessions = int(head["n"][0]) if head["n"] else 0
    persons = int(who["n"][0]) if who["n"] else 0

    def of(column: str, where: dict[str, list[Any]] = head) -> float:
        value = where[column][0] if where[column] else None
        return math.nan if value is None else float(value)

    def total(column: str) -> int:
        value = head[column][0] if head[column] else None
        return 0 if value is None else int(value)

    values = {
        "sessions": sessions,
        "persons": persons,
        "sessions_per_person_mean": exact_mean(sessions, persons),
        "sessions_per_person_median": of("median_a", who),
        "duration_mean_s": exact_mean(total("duration_us"), sessions, scale=1_000_000),
        "duration_median_s": of("median_a"),
        "duration_p90_s": of("p90"),
        "events_per_session_mean": exact_mean(total("events"), sessions),
        "events_per_session_median": of("median_b"),
        "bounce_rate": exact_mean(total("bounces"), sessions),
        "conversion_rate": exact_mean(total("converting"), sessions),
    }
    counted = ("sessions", "persons")
    summary = pd.DataFrame({
        c: np.array([values[c]], dtype="int64" if c in counted else "float64")
        for c in summary_columns
    })
    by_channel = _by(part("channel"), "channel", sessions)
    by_device = _by(part("device"), "device", sessions)
    durations = _histogram(part("bin"), edges, labels)
    rows = _rows(table.filter(is_row), session_columns)
    return summary, by_channel, by_device, durations, rows


def _by(part: dict[str, list[Any]], key: str, sessions: int) -> pd.DataFrame:
    n = [int(v) for v in part["n"]]
    out = pd.DataFrame(
        {
            key: np.array(part["key"], dtype=object),
            "sessions": np.array(n, dtype="int64"),
            "share": np.array([v / sessions for v in n], dtype="float64"),
            "persons": np.array([int(v) for v in part["persons"]], dtype="int64"),
            "events_per_session": _means(part["events"], n),
            "duration_mean_s": _means(part["duration_us"], n, scale=1_000_000),
            "duration_median_s": np.array(part["median_a"], dtype="float64"),
            "bounce_rate": _means(part["bounces"], n),
            "conversion_rate": _means(part["converting"], n),
        }
    )
    out = out.sort_values(["sessions", key], ascending=[False, True], na_position="last")
    return out.reset_index(drop=True)


def _means(totals: list[Any], counts: list[int], *, scale: int = 1) -> np.ndarray:
    return np.array(
        [exact_mean(int(t), c, scale=scale) for t, c in zip(totals, counts, strict=True)],
        dtype="float64",
    )


def _histogram(
    part: dict[str, list[Any]], edges: tuple[int, ...], labels: list[str]
) -> pd.DataFrame:
    found = {int(b): int(n) for b, n in zip(part["bin"], part["n"], strict=True)}
    lowers = (0, *edges)
    uppers: tuple[float, ...] = (*edges, math.nan)
    frame = pd.DataFrame(
        {
            "bin": labels,
            "lower_s": [float(lo) for lo in lowers],
            "upper_s": list(uppers),
            "sessions": np.array([found.get(i, 0) for i in range(len(lowers))], dtype="int64"),
        }
    )
    total = int(frame["sessions"].sum())
    frame["share"] = frame["sessions"] / total if total else 0.0
    return frame


def _rows(part: pa.Table, columns: tuple[str, ...]) -> pd.DataFrame:
    """The per-session rows in Arrow until the end: a pandas round trip of timestamps goes
    through Python objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    part = part.sort_by(
        [
            ("start", "ascending", "at_end"),
            ("key", "ascending", "at_end"),
            ("n", "ascending", "at_end"),
        ]
    )
    person, session = part["key"], part["n"]
    out = {
        "person_id": person,
        "session": session,
        "session_id": pc.binary_join_element_wise(person, pc.cast(session, pa.string()), ":"),
        "start": part["start"],
        "end": part["end"],
        "duration_s": pc.divide(pc.cast(part["duration_us"], pa.float64()), 1e6),
        "events": part["events"],
        "channel": part["channel"],
        "device": part["device"],
        "conversions": part["converting"],
    }
    frame: pd.DataFrame = pa.table({c: out[c] for c in columns}).to_pandas()
    return frame
