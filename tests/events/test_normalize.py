"""The normaliser's typed path (Parquet/Arrow timestamps read by a cast, no text per row)
gives the same rows and the same reasons as the text path (CSV, JSON) for the same values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from wegweiser.config import Config
from wegweiser.events.normalize import plan_columns, staging_sql

if TYPE_CHECKING:
    from pathlib import Path

_TIMES = st.one_of(
    st.none(),
    st.datetimes(datetime(1960, 1, 1), datetime(2150, 1, 1)).map(lambda d: d.replace(tzinfo=UTC)),
)
_JSON = st.sampled_from(
    [
        None,
        "",
        "not json",
        "[1, 2]",
        '{"utm_content": "c1", "url": "https://x.example/?utm_term=t%201"}',
        '{"revenue": 3.5, "currency": "eur"}',
        '{"a": 1}',
    ]
)
_ROW = st.fixed_dictionaries(
    {
        "message_id": st.sampled_from([None, "", " m1 ", "m2", "m3"]),
        "type": st.sampled_from([None, "track", "page", "alias", "nonsense", " Identify "]),
        "event": st.sampled_from([None, "", "order_completed", " view "]),
        "anonymous_id": st.sampled_from([None, "", "0", "a1", " a2 "]),
        "user_id": st.sampled_from([None, "u1", "guest"]),
        "timestamp": _TIMES,
        "revenue": st.sampled_from([None, 1.5, -2.0, float("nan"), float("inf")]),
        "properties": _JSON,
        "context": _JSON,
    }
)


def _tables(rows: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table]:
    """The rows with a typed timestamp column and with ISO-8601 text."""
    lines = pa.array(range(1, len(rows) + 1), pa.int64())
    text = {
        k: pa.array([r[k] for r in rows], pa.string())
        for k in rows[0]
        if k not in ("timestamp", "revenue")
    }
    revenue = pa.array([r["revenue"] for r in rows], pa.float64())
    typed = pa.table(
        {
            **text,
            "revenue": revenue,
            "_line": lines,
            "timestamp": pa.array([r["timestamp"] for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )
    iso = pa.table(
        {
            **text,
            "revenue": revenue,
            "_line": lines,
            "timestamp": pa.array(
                [r["timestamp"].isoformat() if r["timestamp"] else None for r in rows], pa.string()
            ),
        }
    )
    return typed, iso


def _staged(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[tuple[Any, ...]]:
    con.register("src", table)
    try:
        columns = {
            name: str(typ) for name, typ, *_ in con.execute("DESCRIBE SELECT * FROM src").fetchall()
        }
        sql, params = staging_sql("src", plan_columns(columns, {}), Config())
        return con.execute(
            f"SELECT * EXCLUDE (received_at) FROM ({sql}) ORDER BY _line", params
        ).fetchall()
    finally:
        con.unregister("src")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, min_size=1, max_size=40))
def test_typed_and_text_timestamps_stage_the_same_rows_and_reasons(rows):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    typed, iso = _tables(rows)
    a, b = _staged(con, typed), _staged(con, iso)
    assert a == b  # every event column, _line, _row and _error (the reasons)
    con.close()


def test_typed_timestamp_reasons(tmp_path):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    base = {
        "message_id": "m",
        "type": "track",
        "event": "e",
        "anonymous_id": "a",
        "user_id": None,
        "revenue": None,
        "properties": None,
        "context": None,
    }
    rows = [
        {**base, "timestamp": None},
        {**base, "timestamp": datetime(1969, 12, 31, tzinfo=UTC)},
        {**base, "timestamp": datetime(2026, 3, 1, tzinfo=UTC)},
    ]
    typed, _ = _tables(rows)
    errors = [r[-1] for r in _staged(con, typed)]
    assert errors == ["missing timestamp", "timestamp out of range: 1969-12-31 00:00:00+00", None]


def _store(project: wegweiser.Project) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    engine = project._engine
    events = engine.execute(
        "SELECT * EXCLUDE (received_at, import_id) FROM events ORDER BY message_id"
    ).rows
    quarantine = engine.execute(
        "SELECT line, reason, raw FROM quarantine WHERE NOT ends_with(source, 'before.parquet') "
        "ORDER BY line"
    ).rows
    return events, quarantine


def test_parquet_and_csv_of_the_same_rows_give_the_same_store(tmp_path: Path):
    """End to end: typed Parquet (fast path) and CSV text (slow path), good and bad rows,
    a repeat within the file and rows already in the store."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    rows = [
        {
            "message_id": f"m{i % 40}",
            "type": "track" if i % 7 else "nonsense",
            "event": "view" if i % 11 else None,
            "anonymous_id": f"a{i % 5}",
            "user_id": "u1" if i % 3 == 0 else None,
            "timestamp": None if i == 13 else start + timedelta(minutes=i),
            "revenue": float(i) if i % 4 == 0 else None,
            "properties": json.dumps({"utm_content": f"c{i % 2}"}) if i % 2 else None,
            "context": "[1]" if i == 17 else None,
        }
        for i in range(60)
    ]
    typed, iso = _tables(rows)
    typed, iso = typed.drop_columns(["_line"]), iso.drop_columns(["_line"])
    pq.write_table(typed, tmp_path / "e.parquet")
    pacsv.write_csv(iso, tmp_path / "e.csv")
    earlier = pa.table({k: typed.column(k).slice(0, 10) for k in typed.column_names})
    pq.write_table(earlier, tmp_path / "before.parquet")
    stores = []
    for name in ("e.parquet", "e.csv"):
        with wegweiser.Project.init(tmp_path / name.replace(".", "_")) as project:
            project.import_events(tmp_path / "before.parquet")
            summary = project.import_events(tmp_path / name)
            stores.append((_store(project), summary.counts()))
    (events_a, quarantine_a), counts_a = stores[0]
    (events_b, quarantine_b), counts_b = stores[1]
    assert counts_a == counts_b
    assert counts_a["quarantined"] > 0
    assert counts_a["duplicates"] > 0
    assert events_a == events_b
    # the CSV's line 1 is its header: row k of the Parquet file is line k + 1
    assert [(line + 1, why) for line, why, _ in quarantine_a] == [q[:2] for q in quarantine_b]


_KEY_ROW = st.fixed_dictionaries(
    {
        "message_id": st.sampled_from(["m1", "m2", None]),
        "type": st.sampled_from([None, "track", " Page ", "screen", "bogus"]),
        "event": st.sampled_from([None, "", " view ", "store_visit", "Order"]),
        "medium": st.sampled_from([None, "", "CPC ", "cpc", "E-Mail", "\u00a0organic"]),
        "source": st.sampled_from([None, " Google", "google", "facebook", "\u2003"]),
        "referrer": st.sampled_from(
            [None, "", "https://www.Google.de/x?q=1", "bing.com/a", "android-app://x/", " t.co "]
        ),
        "platform": st.sampled_from([None, "Web", " pos "]),
        "channel": st.sampled_from([None, "", " Paid Search "]),
        "properties": st.sampled_from([None, '{"utm_source": "news"}', "[1]"]),
    }
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_KEY_ROW, min_size=1, max_size=40))
def test_channel_keys_of_distinct_inputs_are_those_of_every_row(rows):
    """The channel keys query normalises the distinct key inputs (not every row): the set of
    keys is the one the full normalising query gives, row by row."""
    con = duckdb.connect()
    table = pa.table(
        {
            **{k: pa.array([r[k] for r in rows], pa.string()) for k in rows[0]},
            "_line": pa.array(range(1, len(rows) + 1), pa.int64()),
        }
    )
    con.register("src", table)
    columns = {n: str(t) for n, t, *_ in con.execute("DESCRIBE SELECT * FROM src").fetchall()}
    plan = plan_columns(columns, {})
    keys_sql, keys_params = staging_sql("src", plan, Config(), channel_keys=True)
    assert "SELECT DISTINCT" in keys_sql  # the input has medium, source and referrer
    full_sql, full_params = staging_sql("src", plan, Config())
    cols = "medium, source, referrer_host, event, platform, channel"
    keys = con.execute(f"SELECT DISTINCT * FROM ({keys_sql})", keys_params).fetchall()
    every_row = con.execute(f"SELECT DISTINCT {cols} FROM ({full_sql})", full_params).fetchall()
    assert sorted(keys, key=repr) == sorted(every_row, key=repr)
    con.close()


def test_only_the_json_paths_of_missing_columns_are_extracted():
    """``properties`` is parsed per row for the fallbacks of the fields the input lacks only:
    with source, medium, campaign, referrer, revenue and currency columns, only the URL and
    the ``utm_content``/``utm_term`` paths remain."""
    names = ["message_id", "anonymous_id", "timestamp", "event", "source", "medium",
             "campaign", "referrer", "revenue", "currency", "device", "country", "properties"]
    sql, _ = staging_sql("src", plan_columns(dict.fromkeys(names, "VARCHAR"), {}), Config())
    assert "['$.url', '$.utm_content', '$.utm_term']" in sql
    for path in ("$.revenue", "$.utm_source", "$.referrer", "$.currency"):
        assert f"'{path}'" not in sql
