"""Exporting a person: 100% of the seeded rows, found by any of their ids; JSON and CSV."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest

from tests.privacy.seed import ANA_EMAIL, ANA_EVENTS, ANA_IDS, ANA_STATE, seeded_project
from wegweiser.errors import UnknownPerson
from wegweiser.privacy import erasure_records, export_person


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    with seeded_project(root / "proj", root) as project:
        yield project


@pytest.mark.parametrize("query", [ANA_IDS[0], ANA_IDS[2], ANA_EMAIL.upper()])
def test_export_holds_every_seeded_row_whichever_id_names_her(seeded, query):
    got = export_person(seeded, query, actor="tester", journey=query == ANA_IDS[0])
    tables = got.tables
    assert len(tables["events"]) == ANA_EVENTS
    assert set(tables["events"]["message_id"]) == {f"m{i:03d}" for i in range(ANA_EVENTS)}
    assert set(tables["identities"]["id"]) == set(ANA_IDS)
    assert tables["scores"]["score"].tolist() == [0.7]  # hers, not Bob's
    assert tables["recommendations"]["item"].tolist() == ["shears", "gloves"]
    assert len(tables["identity_links"]) == 2
    assert len(tables["quarantine"]) == 1
    assert ANA_IDS[0] in tables["quarantine"]["raw"].iloc[0]
    assert list(tables["feedback"]["event"]) == ["survey_answered"]
    for name, n in ANA_STATE.items():
        assert len(tables[name]) == n, name
    assert set(got.scope.emails) == {ANA_EMAIL.lower()}
    if query == ANA_IDS[0]:
        assert tables["journey_summary"]["person_id"].iloc[0] == seeded.person_of(ANA_IDS[0])
        assert len(tables["journey_conversions"]) == 1


def test_json_and_csv_hold_the_same_rows(seeded):
    got = export_person(seeded, ANA_IDS[1], actor="tester", journey=False)
    doc = json.loads(got.to_json())
    assert doc["counts"] == got.counts()
    assert len(doc["tables"]["events"]) == ANA_EVENTS
    with zipfile.ZipFile(io.BytesIO(got.to_zip())) as archive:
        names = set(archive.namelist())
        assert {"person.json", "events.csv", "quarantine.csv", "wj_ledger.csv"} <= names
        events = pd.read_csv(archive.open("events.csv"))
    assert sorted(events["message_id"]) == sorted(got.tables["events"]["message_id"])


def test_an_export_is_recorded_without_personal_data(seeded):
    export_person(seeded, ANA_IDS[0], actor="ops-anna", journey=False)
    last = erasure_records(seeded.path)[-1]
    assert last["kind"] == "export"
    assert last["actor"] == "ops-anna"
    text = json.dumps(last)
    assert not any(i in text for i in ANA_IDS)
    assert "secret" not in text.lower()
    assert len(last["subjects"]) >= 4


def test_nobody_is_an_error(seeded):
    with pytest.raises(UnknownPerson, match="nothing is stored about 'nobody-x'"):
        export_person(seeded, "nobody-x", actor="tester")
