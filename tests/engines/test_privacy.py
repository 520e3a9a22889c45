"""Erasure, anonymisation and retention on the Spark engine: the event Parquet files
holding the person (or the old events) are rewritten without them — only those files for an
erasure —, no file of the project holds their ids or address afterwards (a byte scan, and
every value of every Parquet file read back), and Spark reads what is left as before."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.engines.conftest import SPARK
from tests.privacy.seed import (
    ANA_EMAIL,
    ANA_EVENTS,
    ANA_IDS,
    BASE,
    OTHERS,
    ana_and_others,
    scan,
)
from tests.privacy.seed import seed_spool as spool_with_ana
from wegweiser.analysis.result import to_value
from wegweiser.privacy import anonymise_person, apply_retention, erase_person, export_person
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


def _parquet(folder) -> pd.DataFrame:
    """Every row of every event Parquet file of the project, read back from the files."""
    files = sorted((folder / "events").glob("*/*.parquet"))
    assert files
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def test_anonymise_and_retention_rewrite_the_parquet_files(tmp_path, spark_ready):
    """Anonymise keeps Ana's events (totals unchanged) under one pseudonym with nothing
    left that names her; then a retention policy of 10 days deletes the older events from
    the files. Both checked on the files themselves, not through Spark."""
    folder = tmp_path / "p"
    with Project.init(folder, engine=SPARK) as project:
        project.import_events(ana_and_others())
        revenue = float(to_value(project.events().revenue.sum()))
        summary = anonymise_person(project, ANA_IDS[0], actor="t")
        assert summary.counts["events"] == ANA_EVENTS
        assert project.event_count() == 20
        assert float(to_value(project.events().revenue.sum())) == revenue
    assert scan(folder) == []  # no id, address or text of hers in any byte of the project
    rows = _parquet(folder)
    assert len(rows) == 20
    text = [str(v).lower() for v in rows.to_numpy().ravel()]
    assert not [v for v in text for n in (*ANA_IDS, "ana.secret", "zebracorn") if n in v]
    ids = rows["user_id"].fillna(rows["anonymous_id"])
    pseudonyms = {i for i in ids if str(i).startswith("anon-")}
    assert len(pseudonyms) == 1
    assert (ids == next(iter(pseudonyms))).sum() == ANA_EVENTS

    with (folder / "wegweiser.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[retention]\nevents_days = 10\n")
    # hourly events from BASE: those before BASE + 12 h go (12 rows), as on DuckDB
    now = BASE.replace(hour=BASE.hour + 12).replace(day=BASE.day + 10)
    with Project(folder) as project:
        done = apply_retention(project, actor="t", now=now)
        assert done.cutoff is not None
        assert done.events == 12
        assert project.event_count() == 8
        assert project.person_of(OTHERS[1]) is not None
    left = _parquet(folder)
    assert len(left) == 8
    assert (pd.to_datetime(left["timestamp"], utc=True) >= done.cutoff).all()
