from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import wegweiser
from tests.conftest import write

CSV = """message_id,anonymous_id,user_id,event,timestamp,utm_source,utm_medium,revenue,sku
m1,a1,,product_view,2026-03-01T10:00:00+02:00,google,cpc,,X1
m2,a1,u1,order_completed,1772359200,,,19.90,X1
m3,a2,,page_view,1772359200123,,,,
"""


def events(project: wegweiser.Project, order: str = "message_id") -> pd.DataFrame:
    return project._engine.df(f"SELECT * FROM events ORDER BY {order}")


def test_csv_import_normalises_fields(project, tmp_path):
    summary = project.import_events(write(tmp_path / "e.csv", CSV))
    assert summary.counts() == {"imported": 3, "duplicates": 0, "quarantined": 0}
    df = events(project)
    ts = project._engine.execute(
        'SELECT message_id, CAST("timestamp" AS VARCHAR) FROM events ORDER BY 1'
    ).rows
    assert ts == [
        ("m1", "2026-03-01 08:00:00+00"),
        ("m2", "2026-03-01 10:00:00+00"),
        ("m3", "2026-03-01 10:00:00.123+00"),
    ]
    assert df["type"].tolist() == ["track"] * 3
    assert df["channel"].tolist() == ["paid_search", "direct", "direct"]
    assert df.loc[1, "revenue"] == pytest.approx(19.9)
    assert json.loads(df.loc[0, "properties"]) == {"sku": "X1"}  # unknown column kept


def test_jsonl_segment_messages_and_batch_envelope(project, tmp_path):
    lines = [
        {
            "type": "track",
            "event": "Product Viewed",
            "messageId": "s1",
            "anonymousId": "a9",
            "timestamp": "2026-03-02T09:00:00Z",
            "properties": {"price": 5},
            "context": {
                "campaign": {"source": "newsletter", "medium": "email", "name": "spring"},
                "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile",
                "locale": "de-DE",
                "page": {"referrer": "https://mail.example.com/"},
            },
            "channel": "web",
        },
        {
            "batch": [
                {
                    "type": "identify",
                    "messageId": "s2",
                    "anonymousId": "a9",
                    "userId": "u9",
                    "timestamp": "2026-03-02T09:01:00Z",
                    "traits": {"email": "x@example.com"},
                },
                {
                    "type": "page",
                    "messageId": "s3",
                    "userId": "u9",
                    "name": "Home",
                    "originalTimestamp": "2026-03-02T09:02:00Z",
                },
            ],
            "context": {"library": {"name": "analytics.js"}},
        },
    ]
    path = write(tmp_path / "e.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    assert project.import_events(path).counts() == {
        "imported": 3,
        "duplicates": 0,
        "quarantined": 0,
    }
    df = events(project).set_index("message_id")
    assert df.loc["s1", "channel"] == "email"
    assert df.loc["s1", "campaign"] == "spring"
    assert df.loc["s1", "device"] == "mobile"
    assert df.loc["s1", "country"] == "DE"
    assert df.loc["s1", "platform"] == "web"  # RudderStack's top-level channel is the platform
    assert df.loc["s2", "type"] == "identify"
    assert df.loc["s3", "event"] == "page_view"
    assert df.loc["s3", "name"] == "Home"
    assert json.loads(df.loc["s3", "context"]) == {"library": {"name": "analytics.js"}}
    assert project.person_of("a9") == project.person_of("u9") == "u9"


def test_parquet_with_native_types(project, tmp_path):
    table = pa.table(
        {
            "messageId": ["p1", "p2"],
            "userId": ["u1", "u2"],
            "event": ["order_completed", "product_view"],
            "timestamp": pa.array(
                [1_772_359_200_000_000, 1_772_359_260_000_000], pa.timestamp("us")
            ),
            "revenue": [10.5, None],
            "properties": pa.array([{"sku": "A"}, {"sku": "B"}]),
        }
    )
    pq.write_table(table, tmp_path / "e.parquet")
    assert project.import_events(tmp_path / "e.parquet").imported == 2
    df = events(project)
    assert json.loads(df.loc[0, "properties"]) == {"sku": "A"}
    assert str(df.loc[0, "timestamp"]) == "2026-03-01 10:00:00+00:00"


def test_folder_glob_and_mapping(project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "a.csv", "client_id,action,ts\nc1,product_view,2026-03-01T00:00:00Z\n")
    write(folder / "b.csv", "client_id,action,ts\nc2,product_view,2026-03-01T00:00:01Z\n")
    summary = project.import_events(folder, mapping="user_id=client_id,event=action,timestamp=ts")
    assert summary.imported == 2
    assert sorted(summary.sources) == sorted([str(folder / "a.csv"), str(folder / "b.csv")])
    summary = project.import_events(
        str(folder / "*.csv"),
        mapping={"user_id": "client_id", "event": "action", "timestamp": "ts"},
    )
    assert summary.counts() == {"imported": 0, "duplicates": 2, "quarantined": 0}


def test_dataframe_import_and_epoch_seconds(project):
    df = pd.DataFrame(
        {
            "anonymous_id": ["a", "b"],
            "event": ["x", "y"],
            "timestamp": [1_772_359_200, 1_772_359_200_000],
        }
    )
    assert project.import_events(df).imported == 2
    assert (
        project._engine.execute('SELECT count(DISTINCT "timestamp") FROM events').single_value()
        == 1
    )


def test_reimport_adds_nothing_and_dedups_within_batch(project, tmp_path):
    doubled = CSV + "m1,a1,,product_view,2026-03-01T10:00:00+02:00,google,cpc,,X1\n"
    path = write(tmp_path / "e.csv", doubled)
    assert project.import_events(path).counts() == {
        "imported": 3,
        "duplicates": 1,
        "quarantined": 0,
    }
    assert project.import_events(path).counts() == {
        "imported": 0,
        "duplicates": 4,
        "quarantined": 0,
    }
    assert project.stats()["events"] == 3


def test_rows_without_message_id_get_a_content_id(project, tmp_path):
    path = write(
        tmp_path / "e.csv", "anonymous_id,event,timestamp\na,x,2026-01-01\na,y,2026-01-01\n"
    )
    assert project.import_events(path).imported == 2
    assert project.import_events(path).duplicates == 2
    ids = events(project)["message_id"].tolist()
    assert all(i.startswith("d") and len(i) == 33 for i in ids)


BAD_CSV = """message_id,anonymous_id,user_id,type,event,timestamp,revenue,properties
g1,a1,,track,ok_event,2026-03-01T10:00:00Z,,
b1,,,track,no_ids,2026-03-01T10:00:00Z,,
b2,a2,,launch,bad_type,2026-03-01T10:00:00Z,,
b3,a3,,track,bad_time,yesterday,,
b4,a4,,track,bad_revenue,2026-03-01T10:00:00Z,ten euros,
b5,a5,,track,bad_props,2026-03-01T10:00:00Z,,[1
b6,a6,,track,too,many,columns,here,x
b7,null,undefined,track,blocked_ids,2026-03-01T10:00:00Z,,
b8,a8,,track,,2026-03-01T10:00:00Z,,
b9,a9,,track,no_time,,,
g2,a10,,track,ok_event,2026-03-01T10:00:01Z,,
"""


def test_each_bad_row_is_quarantined_with_reason_and_line(project, tmp_path):
    path = write(tmp_path / "bad.csv", BAD_CSV)
    summary = project.import_events(path)
    assert summary.counts() == {"imported": 2, "duplicates": 0, "quarantined": 9}
    q = project.quarantine().set_index("line")
    expected = {
        3: "missing ids",
        4: "unknown type 'launch'",
        5: "unparseable timestamp 'yesterday'",
        6: "revenue is not a number: 'ten euros'",
        7: "properties is not a JSON object",
        8: "wrong column count",
        9: "'undefined' is a blocked id value",
        10: "track event without an event name",
        11: "missing timestamp",
    }
    assert sorted(q.index) == sorted(expected)
    for line, reason in expected.items():
        assert reason in q.loc[line, "reason"], (line, q.loc[line, "reason"])
        assert q.loc[line, "source"] == str(path)
    assert json.loads(q.loc[5, "raw"])["timestamp"] == "yesterday"
    assert q.loc[8, "raw"] == "b6,a6,,track,too,many,columns,here,x"
    assert sorted(events(project)["message_id"]) == ["g1", "g2"]


def test_oversized_payload_and_broken_json_lines(project, tmp_path):
    big = {
        "anonymousId": "a",
        "event": "x",
        "timestamp": "2026-01-01T00:00:00Z",
        "properties": {"blob": "x" * 40_000},
    }
    ok = {"anonymousId": "b", "event": "y", "timestamp": "2026-01-01T00:00:00Z"}
    text = "\n".join([json.dumps(ok), "{broken", json.dumps(big), "[1, 2]", json.dumps(ok)])
    summary = project.import_events(write(tmp_path / "e.jsonl", text))
    assert summary.counts() == {"imported": 1, "duplicates": 1, "quarantined": 3}
    reasons = dict(zip(project.quarantine()["line"], project.quarantine()["reason"], strict=True))
    assert reasons[2].startswith("broken JSON")
    assert reasons[3].startswith("oversized payload: 400")
    assert "not a JSON object" in reasons[4]


def test_unreadable_files_give_one_clear_error(project, tmp_path):
    with pytest.raises(wegweiser.UnreadableSource, match="no such file"):
        project.import_events(tmp_path / "missing.csv")
    with pytest.raises(wegweiser.UnreadableSource, match="not a readable Parquet"):
        project.import_events(write(tmp_path / "x.parquet", "not parquet"))
    with pytest.raises(wegweiser.UnreadableSource, match="cannot tell the format"):
        project.import_events(write(tmp_path / "x.xlsx", "?"))
    with pytest.raises(wegweiser.UnreadableSource, match="no files match"):
        project.import_events(str(tmp_path / "*.nothing"))
    assert project.stats()["events"] == 0


def test_invalid_mapping_is_a_usage_error(project, tmp_path):
    with pytest.raises(wegweiser.InvalidInput, match="event_field=your_column"):
        project.import_events(write(tmp_path / "e.csv", CSV), mapping="user_id")
