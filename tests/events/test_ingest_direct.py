"""The direct path of a batch (ids all new and distinct: no staged copy) stores exactly what
the staged path stores: the same events, quarantine rows, counts and warnings."""

from __future__ import annotations

import pyarrow as pa
import pytest

import wegweiser
from tests.conftest import write
from wegweiser.events.ingest import may_go_direct
from wegweiser.events.normalize import plan_columns
from wegweiser.events.suppression import SuppressionList

CSV = """message_id,anonymous_id,user_id,event,timestamp,utm_source,utm_medium,revenue,sku,type
m1,a1,,product_view,2026-03-01T10:00:00+02:00,google,cpc,,X1,
m2,a1,u1,order_completed,1772359200,,,19.90,X1,
m3,a2,,page_view,not a time,,,,,
m4,a3,,signup,2026-03-02T10:00:00Z,newsletter,email,-5,,
m5,a3,,x,2026-03-02T10:00:00Z,,,,,nonsense
m6,a4,,too,many,columns,here,1,2,3,4
m7,,u9,order_completed,2026-03-03T11:00:00Z,,,197,03,
m8,a5,,page_view,2026-03-04T10:00:00Z,,,,,page
"""


def _imported(tmp_path, name: str, *, staged: bool, batch_rows: int):
    folder = tmp_path / name
    project = wegweiser.Project.init(folder)
    cfg = folder / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("batch_rows = 2000000", f"batch_rows = {batch_rows}"))
    project.close()
    if staged:  # an unrelated suppressed id: batches are staged to drop such rows
        listing = SuppressionList.load(folder)
        listing.add(["nobody-in-this-file"])
        listing.save(folder)
    project = wegweiser.Project(folder)
    summary = project.import_events(write(tmp_path / "e.csv", CSV))
    engine = project._engine
    stored = engine.execute(
        "SELECT * EXCLUDE (import_id, received_at) FROM events ORDER BY message_id"
    ).rows
    quarantined = engine.execute(
        "SELECT source, line, reason, raw, raw_format FROM quarantine ORDER BY line"
    ).rows
    direct = may_go_direct(engine, plan_columns({"message_id": "VARCHAR"}, {}))
    project.close()
    return summary, stored, quarantined, direct


@pytest.mark.parametrize("batch_rows", [4, 2_000_000])
def test_direct_and_staged_paths_store_the_same(tmp_path, batch_rows):
    fast, fast_rows, fast_bad, went_direct = _imported(
        tmp_path, "fast", staged=False, batch_rows=batch_rows
    )
    slow, slow_rows, slow_bad, staged_direct = _imported(
        tmp_path, "slow", staged=True, batch_rows=batch_rows
    )
    assert went_direct
    assert not staged_direct
    assert fast.counts() == slow.counts() == {"imported": 5, "duplicates": 0, "quarantined": 3}
    assert fast.rows == slow.rows == 8
    assert fast_rows == slow_rows
    assert [r[0] for r in fast_rows] == ["m1", "m2", "m4", "m7", "m8"]
    assert fast_bad == slow_bad
    assert [(r[1], r[2].split(":")[0].split(" (")[0]) for r in fast_bad] == [
        (4, "unparseable timestamp 'not a time'"),
        (6, "unknown type 'nonsense'"),
        (7, "wrong column count"),
    ]
    assert fast.errors == slow.errors
    assert fast.negative_revenue == slow.negative_revenue == 1
    assert fast.warnings == slow.warnings


def test_repeated_or_known_ids_take_the_staged_path(project):
    rows = pa.table(
        {
            "message_id": ["a", "b", "a"],
            "anonymous_id": ["x", "y", "z"],
            "event": ["e1", "e2", "e3"],
            "timestamp": ["2026-01-01T00:00:00Z"] * 3,
        }
    )
    first = project.import_events(rows)
    assert first.counts() == {"imported": 2, "duplicates": 1, "quarantined": 0}
    assert first.duplicate_sample[0]["first_line"] == 1
    again = project.import_events(rows.slice(1))
    assert again.counts() == {"imported": 0, "duplicates": 2, "quarantined": 0}
    assert {d["why"] for d in again.duplicate_sample} == {"already in the store (imported before)"}
    assert project._engine.scalar("SELECT count(*) FROM events") == 2
