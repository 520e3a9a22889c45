"""Erasure on the Spark engine (one case): the event Parquet files holding the person are
rewritten without them — only those files —, no file of the project holds their ids or
address afterwards, and Spark reads everyone else's events as before."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.engines.conftest import SPARK
from tests.privacy.seed import ANA_EMAIL, ANA_EVENTS, ANA_IDS, OTHERS, ana_and_others, scan
from tests.privacy.seed import seed_spool as spool_with_ana
from wegweiser.privacy import erase_person, export_person
from wegweiser.project import Project

pytestmark = pytest.mark.spark


def test_erasure_rewrites_only_the_parquet_files_that_hold_her(tmp_path, spark_ready):
    folder = tmp_path / "p"
    rows = ana_and_others()
    hers = rows["message_id"].isin([f"m{i:03d}" for i in range(ANA_EVENTS)])
    # the others a day later: their own Parquet file (one per day and import)
    later = pd.to_datetime(rows.loc[~hers, "timestamp"]) + pd.Timedelta(days=1)
    rows.loc[~hers, "timestamp"] = later.map(lambda t: t.isoformat())
    with Project.init(folder, engine=SPARK) as project:
        project.import_events(rows)
        spool_with_ana(folder)
        files = sorted((folder / "events").glob("*/*.parquet"))
        assert len(files) >= 2
        before = {f: f.stat().st_ino for f in files}
        theirs = {f for f in files if set(pq.read_table(f)["message_id"].to_pylist())
                  & {f"m{i:03d}" for i in range(ANA_EVENTS)}}
        assert len(export_person(project, ANA_EMAIL, actor="t", journey=False)
                   .tables["events"]) == ANA_EVENTS
        summary = erase_person(project, ANA_IDS[1], actor="t")
        assert summary.counts["events"] == ANA_EVENTS
        assert summary.counts["parquet_files"] == len(theirs)
        # Spark reads what is left: the others' ten events, their persons intact
        assert project.event_count() == 10
        assert project.person_of(OTHERS[0]) is not None
    for f, inode in before.items():
        if f not in theirs:
            assert f.stat().st_ino == inode  # untouched
    assert scan(folder) == []
