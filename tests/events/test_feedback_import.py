"""Feedback files in: mapping, stitching, touchpoints, quarantine with line and reason."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import write
from wegweiser.errors import InvalidInput

SURVEY = """respondent,answered_at,nps,comment,about
u1,2026-03-02T10:00:00Z,3,"Die Zahlung auf dem Handy ist fehlgeschlagen.",checkout_payment
anon-7,2026-03-02T11:00:00Z,10,"Great service, fast delivery!",
u3,2026-03-02T12:00:00Z,11,Too high,
,2026-03-02T12:00:00Z,5,no id,
u4,not a date,5,bad time,
u5,2026-03-02T13:00:00Z,,,
u6,2026-03-02T13:00:00Z,x,,
"""
MAP = "user_id=respondent,timestamp=answered_at,score=nps,text=comment,touchpoint=about,kind='nps'"


def test_survey_csv_goes_in_and_bad_rows_to_quarantine(project, tmp_path):
    path = write(tmp_path / "survey.csv", SURVEY)
    s = project.import_feedback(path, mapping=MAP)
    assert (s.imported, s.quarantined) == (2, 5)
    reasons = {e["line"]: e["reason"] for e in s.errors}
    assert reasons[4] == "nps score 11 is outside 0-10"
    assert reasons[5].startswith("no person")
    assert "timestamp" in reasons[6]
    assert reasons[7] == "neither a score nor a text"
    assert reasons[8] == "score 'x' is not a number"
    again = project.import_feedback(path, mapping=MAP)
    assert again.imported == 0  # deduplicated
    events = project.events().to_pandas()
    props = events.loc[events.user_id == "u1", "properties"].iloc[0]
    props = json.loads(props) if isinstance(props, str) else props
    assert props == {
        "survey": "nps",
        "score": 3.0,
        "about_event": "checkout_payment",
        "comment": "Die Zahlung auf dem Handy ist fehlgeschlagen.",
    }


def test_an_answer_under_another_id_belongs_to_the_person(project, tmp_path):
    project.import_events(
        pd.DataFrame(
            {
                "message_id": ["a", "b", "c"],
                "type": ["track", "track", "identify"],
                "anonymous_id": ["anon-7", "anon-7", "anon-7"],
                "user_id": [None, None, "u2"],
                "event": ["product_view", "order_completed", None],
                "timestamp": [
                    "2026-03-01T10:00:00Z",
                    "2026-03-01T11:00:00Z",
                    "2026-03-01T12:00:00Z",
                ],
            }
        )
    )
    lines = [
        {
            "anonymous_id": "anon-7",
            "ts": "2026-03-02T11:00:00Z",
            "kind": "review",
            "rating": 2,
            "body": "Poor quality, the zip broke.",
            "site": "trustpilot",
        },
        {"anonymous_id": "anon-7", "ts": "2026-03-02T12:00:00Z", "kind": "ces", "score": 9},
    ]
    path = write(tmp_path / "reviews.jsonl", "\n".join(json.dumps(x) for x in lines))
    s = project.import_feedback(path, mapping="timestamp=ts,text=body,source=site")
    assert (s.imported, s.quarantined) == (1, 1)
    assert s.errors[0]["reason"] == "ces score 9 is outside 1-7"
    verb = project.analyse("verbatims", kind="review", topic="product quality").verbatims
    assert verb.person_id.tolist() == ["u2"]
    assert verb.touchpoint.tolist() == ["order_completed"]  # the last touchpoint before


def test_unknown_fields_and_formats_are_refused(project, tmp_path):
    path = write(tmp_path / "s.csv", SURVEY)
    with pytest.raises(InvalidInput, match="unknown feedback field"):
        project.import_feedback(path, mapping="comment=comment")
    pq = tmp_path / "x.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(pq)
    with pytest.raises(InvalidInput, match="CSV or JSON Lines"):
        project.import_feedback(pq)
