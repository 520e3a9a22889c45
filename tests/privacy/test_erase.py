"""Erasing a person: no byte of them in any file of the project afterwards, everyone else
unchanged, crash-safe, suppressed afterwards; anonymising; batches; the erasure record."""

from __future__ import annotations

import json
import os
import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.analysis.test_person import components, random_log
from tests.privacy.seed import (
    ANA_EMAIL,
    ANA_EVENTS,
    ANA_IDS,
    NEEDLES,
    OTHERS,
    ana_and_others,
    scan,
    seeded_project,
)
from wegweiser import audit
from wegweiser.orchestrate.privacy import export_state
from wegweiser.privacy import (
    anonymise_person,
    erase_batch,
    erase_person,
    erasure_records,
    export_person,
    read_ids,
)


def _rows(project: wegweiser.Project) -> pd.DataFrame:
    return project.events().to_pyarrow().to_pandas().sort_values("message_id").reset_index(
        drop=True)


@pytest.mark.slow
def test_after_erasure_no_file_of_the_project_holds_her(tmp_path):
    folder = tmp_path / "proj"
    with seeded_project(folder, tmp_path) as project:
        # the audit log named her: a view of her page, and Bob's view stays as it was
        audit.record(folder, actor="ana-admin", action="person_view", target=ANA_IDS[0])
        audit.record(folder, actor="ana-admin", action="person_view", target=OTHERS[0])
        assert {n for _, n in scan(folder)} == {n.lower() for n in NEEDLES} | set(NEEDLES)
        before = _rows(project)
        summary = erase_person(project, ANA_EMAIL, actor="tester")
        assert summary.counts["audit_entries"] == 1
        assert summary.counts["scores"] == 1
        assert summary.counts["recommendations"] == 2
        assert summary.counts["events"] == ANA_EVENTS
        assert summary.counts["quarantine"] == 1
        assert summary.counts["spool_lines"] == 2
        assert summary.counts["journey_state.wj_ledger"] == 1
        assert summary.counts["text_readings"] == 1
        assert summary.counts["snapshots"] >= 1
        after = _rows(project)
        # everyone else's events are byte-for-byte what they were
        others = before[~before["message_id"].isin([f"m{i:03d}" for i in range(ANA_EVENTS)])]
        pd.testing.assert_frame_equal(after, others.reset_index(drop=True))
        assert project.person_of(OTHERS[0]) is not None
        assert project.stats()["quarantined"] == 1
    assert scan(folder) == []
    views = [e for e in audit.read(folder) if e.action == "person_view"]
    assert [e.target for e in views][1] == OTHERS[0]
    assert views[0].target.startswith("erased:")
    assert [e.action for e in audit.read(folder)][-1] == "erase"
    # the others are still there, in the same files
    assert scan(folder, (OTHERS[0],))
    assert (folder / "spool").is_dir()
    state = export_state(folder, [OTHERS[0]], [OTHERS[0]])
    assert all(len(rows) == 1 for rows in state.values())
    assert b"fine shop" not in (folder / "wegweiser-texts.sqlite").read_bytes()  # hashed


def test_a_crash_during_the_rewrite_leaves_the_old_store_and_a_rerun_completes(
    tmp_path, monkeypatch
):
    folder = tmp_path / "proj"
    with wegweiser.Project.init(folder) as project:
        project.import_events(ana_and_others())
        real = os.replace

        def crash(src, dst):
            if str(src).endswith(".rewrite"):
                raise OSError("power cut")
            return real(src, dst)

        monkeypatch.setattr(os, "replace", crash)
        with pytest.raises(OSError, match="power cut"):
            erase_person(project, ANA_IDS[0], actor="tester")
        monkeypatch.setattr(os, "replace", real)
    # the store is whole (the old file: rows deleted, bytes still there) and opens
    with wegweiser.open_project(folder) as project:
        assert project.event_count() == 10
        assert erasure_records(folder)[-1]["status"] == "started"
        again = erase_person(project, ANA_IDS[0], actor="tester")
        assert again.counts["events"] == 0
    assert scan(folder) == []
    assert erasure_records(folder)[-1]["status"] == "done"


def test_suppressed_ids_are_not_imported_again(tmp_path):
    with wegweiser.Project.init(tmp_path / "proj") as project:
        project.import_events(ana_and_others())
        erase_person(project, ANA_IDS[1], actor="tester")
        summary = project.import_events(ana_and_others())
        assert summary.suppressed == ANA_EVENTS
        assert summary.imported == 0
        assert summary.duplicates == 10
        assert project.event_count() == 10
        # a new event of any of her ids or her address is dropped too
        fresh = pd.DataFrame([
            {"message_id": "n1", "type": "track", "event": "x", "anonymous_id": ANA_IDS[2],
             "timestamp": "2026-04-01T00:00:00Z"},
            {"message_id": "n2", "type": "identify", "user_id": "new-id",
             "traits": json.dumps({"email": " ana.secret@example.ORG"}),
             "timestamp": "2026-04-01T00:00:00Z"},
            {"message_id": "n3", "type": "track", "event": "x", "user_id": "dora",
             "timestamp": "2026-04-01T00:00:00Z"},
        ])
        summary = project.import_events(fresh)
        assert (summary.suppressed, summary.imported) == (2, 1)
        listing = project.suppression()
        listing.remove([ANA_IDS[2]])
        listing.save()
        assert project.import_events(fresh).imported == 1  # n1 now; n2 still suppressed


def test_anonymise_keeps_the_aggregate_and_drops_the_link(tmp_path):
    folder = tmp_path / "proj"
    with wegweiser.Project.init(folder) as project:
        project.import_events(ana_and_others())
        before = project.stats()
        revenue = float(project.events().revenue.sum().to_pyarrow().as_py())
        summary = anonymise_person(project, ANA_IDS[0], actor="tester")
        assert summary.counts["events"] == ANA_EVENTS
        after = project.stats()
        assert after["events"] == before["events"]
        assert float(project.events().revenue.sum().to_pyarrow().as_py()) == revenue
        rows = _rows(project)
        mine = rows[rows["user_id"].fillna("").str.startswith("anon-")
                    | rows["anonymous_id"].fillna("").str.startswith("anon-")]
        assert len(mine) == ANA_EVENTS
        assert mine["traits"].isna().all()
        assert mine["context"].isna().all()
        pseudonyms = set(mine["user_id"].dropna()) | set(mine["anonymous_id"].dropna())
        assert len(pseudonyms) == 1  # one person still, under one random id
        assert not set(mine["message_id"]) & {f"m{i:03d}" for i in range(ANA_EVENTS)}
        # the import of her original rows is not suppressed (she is no one now)
        assert project.suppression().matches({"user_id": ANA_IDS[0]}) is False
    assert scan(folder) == []


def test_a_batch_from_a_csv(tmp_path):
    ids = tmp_path / "ids.csv"
    ids.write_text(f"email,note\n{ANA_EMAIL},x\n{ANA_IDS[1]},dup\n{OTHERS[1]},y\n",
                   encoding="utf-8")
    assert read_ids(ids) == [ANA_EMAIL, ANA_IDS[1], OTHERS[1]]
    with wegweiser.Project.init(tmp_path / "proj") as project:
        project.import_events(ana_and_others())
        done = erase_batch(project, read_ids(ids), actor="tester")
        assert [s.counts["events"] for s in done] == [ANA_EVENTS, 5]  # Ana once
        assert project.event_count() == 5
    kinds = [(r["kind"], r["status"]) for r in erasure_records(tmp_path / "proj")]
    assert kinds == [("erase", "started"), ("erase", "done")] * 2


@pytest.mark.slow
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 1_000))
@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_erasure_removes_exactly_one_person(tmp_path_factory, seed, pick):
    raw = random_log(seed, persons=5, n=60)
    stitched = components(raw)
    any_id = sorted(stitched)[pick % len(stitched)]
    theirs = stitched[any_id]
    folder = tmp_path_factory.mktemp("prop") / "p"
    with wegweiser.Project.init(folder) as project:
        project.import_events(raw)
        before = _rows(project)
        others = {i for i in stitched if i not in theirs}
        exports = {i: export_person(project, i, actor="t", journey=False, record=False)
                   .tables["events"] for i in sorted(others)[:3]}
        erase_person(project, random.Random(seed).choice(sorted(theirs)), actor="t")
        after = _rows(project)
        mine = before["anonymous_id"].isin(theirs) | before["user_id"].isin(theirs)
        pd.testing.assert_frame_equal(after, before[~mine].reset_index(drop=True))
        for i, frame in exports.items():
            again = export_person(project, i, actor="t", journey=False, record=False)
            pd.testing.assert_frame_equal(again.tables["events"], frame)
    # an id that is part of someone else's ("u00" of "a-u00-1", a device never linked to
    # u00) cannot be told apart by a byte scan; every other id and address of theirs can
    mails = {f"{u}@example.org" for u in theirs if not u.startswith("a-")}
    needles = {i for i in theirs if not any(i in o for o in others)} | mails
    assert needles
    assert scan(folder, tuple(sorted(needles))) == []
