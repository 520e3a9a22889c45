"""Engine.memory_limit: a block under another DuckDB buffer limit (imports use
``ingest.memory_limit``), the engine's own restored after it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

import wegweiser
from wegweiser.store.engine import Engine


def _limit(engine: Engine) -> str:
    return str(engine.scalar("SELECT current_setting('memory_limit')"))


def test_a_block_sets_the_limit_and_restores_the_one_before(tmp_path):
    with Engine(tmp_path / "s.duckdb", memory_limit="2GB") as engine:
        own = _limit(engine)
        with engine.memory_limit("300MB"):
            outer = _limit(engine)
            assert outer != own
            with engine.memory_limit("200MB"):
                assert _limit(engine) not in (own, outer)
            assert _limit(engine) == outer
        assert _limit(engine) == own
        with engine.memory_limit(None):
            assert _limit(engine) == own


def test_an_import_runs_under_the_ingest_limit(tmp_path):
    folder = tmp_path / "p"
    project = wegweiser.Project.init(folder)
    engine = project._engine
    own = _limit(engine)
    with engine.memory_limit(project.config.ingest.memory_limit):
        expected = _limit(engine)
    assert expected != own
    seen: list[str] = []
    rows = pa.table(
        {
            "message_id": ["a"],
            "anonymous_id": ["x"],
            "event": ["e"],
            "timestamp": ["2026-01-01T00:00:00Z"],
        }
    )
    path = tmp_path / "e.parquet"
    pq.write_table(rows, path)
    project.import_events(path, progress=lambda *_: seen.append(_limit(engine)))
    assert seen == [expected]
    assert _limit(engine) == own
    project.close()
