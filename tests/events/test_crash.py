"""A process killed in the middle of an import leaves the store as it was before that batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import wegweiser

CHILD = textwrap.dedent(
    """
    import sys, time
    import wegweiser
    from wegweiser.events import ingest

    original = ingest.update_identities
    calls = 0

    def update_then_hang(*args, **kwargs):
        global calls
        original(*args, **kwargs)
        calls += 1
        if calls == 2:  # events of the second file are inserted, not yet committed
            print("IN-TRANSACTION", flush=True)
            time.sleep(120)

    ingest.update_identities = update_then_hang
    project = wegweiser.open_project(sys.argv[1])
    project.import_events(sys.argv[2:])
    print("FINISHED", flush=True)
    """
)


def _frame(prefix: str, n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "message_id": [f"{prefix}{i}" for i in range(n)],
        "anonymous_id": [f"{prefix}-dev{i % 50}" for i in range(n)],
        "user_id": [f"{prefix}-user{i % 20}" if i % 3 == 0 else None for i in range(n)],
        "event": "product_view",
        "timestamp": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(range(n), unit="s"),
    })


@pytest.mark.slow
def test_kill_mid_import_leaves_store_unchanged_and_reimport_completes(tmp_path):
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    _frame("a", 3_000).to_parquet(first)
    _frame("b", 5_000).to_parquet(second)
    with wegweiser.Project.init(tmp_path / "p"):
        pass

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "p"), str(first), str(second)],
        stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == "IN-TRANSACTION"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    with wegweiser.open_project(tmp_path / "p") as project:
        stats = project.stats()
        assert stats["events"] == 3_000  # the first file, nothing of the second
        ids = project._engine.execute(
            "SELECT count(*) FROM identities WHERE id LIKE 'b%'").single_value()
        assert ids == 0
        assert project._engine.execute("SELECT count(*) FROM imports").single_value() == 1

        summary = project.import_events([first, second])
        assert summary.counts() == {"imported": 5_000, "duplicates": 3_000, "quarantined": 0}
        assert project._engine.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM events").rows[0] == (8_000, 8_000)
        after_crash = project._engine.execute("SELECT * FROM identities ORDER BY id").rows

    with wegweiser.Project.init(tmp_path / "clean") as clean:
        clean.import_events([first, second])
        assert clean._engine.execute("SELECT * FROM identities ORDER BY id").rows == after_crash
