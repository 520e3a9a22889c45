"""Found by an attack on the importer (issue 12.6): one bad input quarantines its row or row
group, never the whole file, and never someone else's payload."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import write


def _event(i: int, **extra: object) -> dict[str, object]:
    return {"anonymousId": f"a{i}", "event": "view", "timestamp": "2026-01-01T00:00:00Z",
            "messageId": f"m{i}", **extra}


def test_batch_envelope_quarantines_each_bad_member_with_its_own_payload(project, tmp_path):
    batch = {"batch": [_event(1), {"event": "no ids", "timestamp": "2026-01-01"}, _event(2),
                       {"anonymousId": "x", "event": "e", "timestamp": "never"}, 7, "text"]}
    path = write(tmp_path / "e.jsonl", json.dumps(batch) + "\n" + json.dumps(_event(3)) + "\n")
    summary = project.import_events(path)
    assert summary.counts() == {"imported": 3, "duplicates": 0, "quarantined": 4}
    assert summary.rows == 7
    q = project.quarantine()
    assert len(q) == 4
    assert set(q["line"]) == {1}
    by_reason = {r.split(":")[0]: raw for r, raw in zip(q["reason"], q["raw"], strict=True)}
    assert json.loads(by_reason["missing ids"]) == batch["batch"][1]
    assert json.loads(by_reason["unparseable timestamp 'never' (use ISO-8601 or epoch "
                                "seconds/milliseconds)"]) == batch["batch"][3]
    assert sorted(raw for raw in q["raw"] if not raw.startswith("{")) == ['"text"', "7"]
    assert not any("m1" in raw or "m2" in raw for raw in q["raw"])  # good members stay out


def test_value_that_looks_like_another_dialect_does_not_change_the_file(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp,note\nu1,x,2026-01-01,a|'b'|c\n"
                                     "u2,y,2026-01-02,plain\n")
    summary = project.import_events(path)
    assert summary.counts() == {"imported": 2, "duplicates": 0, "quarantined": 0}
    notes = [json.loads(r[0])["note"] for r in project._engine.execute(
        "SELECT properties FROM events ORDER BY user_id").rows]
    assert notes == ["a|'b'|c", "plain"]


def test_one_unbalanced_quote_costs_one_line(project, tmp_path):
    path = write(tmp_path / "e.csv", 'user_id,event,timestamp,note\nu1,x,2026-01-01,"he said "hi\n'
                                     'u2,y,2026-01-02,"ok, fine"\nu3,z,2026-01-03,"also, fine"\n')
    summary = project.import_events(path)
    assert summary.counts() == {"imported": 2, "duplicates": 0, "quarantined": 1}
    assert "unbalanced quote" in summary.errors[0]["reason"]
    assert summary.errors[0]["line"] == 2
    notes = sorted(json.loads(r[0])["note"] for r in project._engine.execute(
        "SELECT properties FROM events").rows)
    assert notes == ["also, fine", "ok, fine"]


def test_csv_with_reserved_column_names(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp,_line,_raw\nu1,x,2026-01-01,7,r\n"
                                     "u2,x,2026-01-01,8,s\n")
    summary = project.import_events(path)
    assert summary.imported == 2
    props = json.loads(project._engine.scalar("SELECT properties FROM events WHERE user_id='u1'"))
    assert props == {"input_line": "7", "input_raw": "r"}
    assert any("input_line" in w for w in summary.warnings)


def test_a_10mb_field_costs_one_line(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp,note\nu1,x,2026-01-01,"
                 + "x" * 10_000_000 + "\nu2,y,2026-01-02,ok\n")
    summary = project.import_events(path)
    assert summary.counts() == {"imported": 1, "duplicates": 0, "quarantined": 1}
    assert summary.errors[0]["line"] == 2
    assert "line too long" in summary.errors[0]["reason"]


def test_lone_surrogate_and_deep_nesting_cost_one_line(project, tmp_path):
    deep = '{"anonymousId": "d", "event": "e", "timestamp": "2026-01-01", "properties": ' + (
        '{"a":' * 100_000) + "1" + "}" * 100_001
    lines = [json.dumps(_event(1)), '{"anonymousId": "s", "event": "\\ud800", "timestamp": '
             '"2026-01-01"}', deep, json.dumps(_event(2)), '{"revenue": ' + "1" * 5000 + "}"]
    summary = project.import_events(write(tmp_path / "e.jsonl", "\n".join(lines) + "\n"))
    assert summary.counts() == {"imported": 2, "duplicates": 0, "quarantined": 3}
    reasons = {e["line"]: e["reason"] for e in summary.errors}
    assert "lone surrogate" in reasons[2]
    assert "nested too deeply" in reasons[3]
    assert "4300 digits" in reasons[5]


def test_bom_keeps_the_first_event_and_gzip_works(project, tmp_path):
    text = json.dumps(_event(1)) + "\n" + json.dumps(_event(2)) + "\n"
    (tmp_path / "a.jsonl").write_bytes(b"\xef\xbb\xbf" + text.encode())
    with gzip.open(tmp_path / "b.jsonl.gz", "wt") as handle:
        handle.write(text.replace('"m', '"g'))
    with gzip.open(tmp_path / "c.csv.gz", "wt") as handle:
        handle.write("user_id,event,timestamp\nu1,x,2026-01-01\n")
    summary = project.import_events(
        [tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz", tmp_path / "c.csv.gz"]
    )
    assert summary.counts() == {"imported": 5, "duplicates": 0, "quarantined": 0}


def test_gzip_parquet_is_refused_up_front(project, tmp_path):
    import pytest

    import wegweiser

    path = tmp_path / "e.parquet.gz"
    path.write_bytes(gzip.compress(b"PAR1"))
    with pytest.raises(wegweiser.UnreadableSource, match="gzip-compressed Parquet"):
        project.import_events(path)


def test_a_corrupt_parquet_row_group_is_quarantined_and_the_rest_imported(project, tmp_path):
    n = 300
    table = pa.table({
        "anonymous_id": [f"a{i}" for i in range(n)],
        "event": ["view"] * n,
        "timestamp": [f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z" for i in range(n)],
        "blob": [f"{i:06d}" * 20 for i in range(n)],
    })
    path = tmp_path / "e.parquet"
    pq.write_table(table, path, row_group_size=100, compression="none", use_dictionary=False)
    meta = pq.ParquetFile(path).metadata
    group = meta.row_group(1)
    column = group.column(3)
    start = column.data_page_offset
    data = bytearray(path.read_bytes())
    data[start + 20: start + 60] = b"\xff" * 40  # the page header of row group 1's blob column
    path.write_bytes(bytes(data))
    summary = project.import_events(path)
    assert summary.imported == 200
    assert summary.quarantined == 1
    assert summary.errors[0]["line"] == 101
    assert "row group 1" in summary.errors[0]["reason"]
    assert project.stats()["events"] == 200


def test_latin1_jsonl_is_one_clear_error_naming_the_line(project, tmp_path):
    import pytest

    import wegweiser

    path = tmp_path / "e.jsonl"
    path.write_bytes((json.dumps(_event(1)) + "\n" + json.dumps(_event(2, name="Jürgen"),
                      ensure_ascii=False) + "\n").encode("latin-1"))
    with pytest.raises(wegweiser.UnreadableSource, match="line 2 is not valid UTF-8"):
        project.import_events(path)
    assert project.stats()["events"] == 0
    assert project.import_events(path, encoding="latin-1").imported == 2


def test_parquet_and_dataframe_with_reserved_column_names(project, tmp_path):
    table = pa.table({"user_id": ["u1", "u2"], "event": ["x", "x"],
                      "timestamp": ["2026-01-01", "2026-01-02"], "_line": [7, 8],
                      "_raw": ["a", "b"]})
    pq.write_table(table, tmp_path / "e.parquet")
    assert project.import_events(tmp_path / "e.parquet").imported == 2
    props = json.loads(project._engine.scalar("SELECT properties FROM events WHERE user_id='u1'"))
    assert props == {"input_line": 7, "input_raw": "a"}
    frame = table.to_pandas().assign(user_id=["u3", "u4"])
    assert project.import_events(frame).imported == 2


def test_a_folder_import_reads_gzip_files(project, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    with gzip.open(folder / "a.csv.gz", "wt") as handle:
        handle.write("user_id,event,timestamp\nu1,x,2026-01-01\n")
    (folder / "notes.md").write_text("not data")
    summary = project.import_events(folder)
    assert summary.imported == 1


def test_a_quote_that_never_closes_costs_only_its_line(project, tmp_path):
    text = ("user_id,event,timestamp,note\nu1,x,2026-01-01,a\nu2,y,2026-01-02,\"never closed\n"
            "u3,z,2026-01-03,\"ok, fine\"\nu4,z,2026-01-04,b,extra\nu5,z,2026-01-05,c\n")
    summary = project.import_events(write(tmp_path / "e.csv", text))
    assert summary.counts() == {"imported": 3, "duplicates": 0, "quarantined": 2}
    q = project.quarantine().set_index("line")
    assert sorted(q.index) == [3, 5]
    assert "unbalanced quote" in q.loc[3, "reason"]
    assert q.loc[3, "raw"] == 'u2,y,2026-01-02,"never closed'
    assert "wrong column count" in q.loc[5, "reason"]
    notes = dict(project._engine.execute(
        "SELECT user_id, properties->>'note' FROM events ORDER BY 1").rows)
    assert notes == {"u1": "a", "u3": "ok, fine", "u5": "c"}
    assert any("never closes" in w for w in summary.warnings)


def test_a_quote_open_to_the_end_of_the_file(project, tmp_path):
    text = "user_id,event,timestamp\nu1,x,2026-01-01\nu2,\"y,2026-01-02\n" + "".join(
        f"u{i},z,2026-01-03\n" for i in range(3, 7))
    summary = project.import_events(write(tmp_path / "e.csv", text))
    assert summary.counts() == {"imported": 5, "duplicates": 0, "quarantined": 1}
    assert summary.errors[0]["line"] == 3
    users = sorted(r[0] for r in project._engine.execute("SELECT user_id FROM events").rows)
    assert users == ["u1", "u3", "u4", "u5", "u6"]


def test_a_parquet_string_that_is_not_utf8_costs_its_row_group(project, tmp_path):
    n = 200
    table = pa.table({
        "anonymous_id": [f"a{i}" for i in range(n)],
        "event": ["view"] * n,
        "timestamp": ["2026-01-01T00:00:00Z"] * n,
        "note": [f"note-{i:04d}" for i in range(n)],
    })
    path = tmp_path / "e.parquet"
    pq.write_table(table, path, row_group_size=100, compression="none", use_dictionary=False)
    data = path.read_bytes().replace(b"note-0150", b"note-\xff150")
    path.write_bytes(data)
    summary = project.import_events(path)
    assert (summary.imported, summary.quarantined) == (100, 1)
    assert "row group 1" in summary.errors[0]["reason"]


def test_a_dataframe_column_of_mixed_types_is_a_clear_error(project):
    import pandas as pd
    import pytest

    import wegweiser

    frame = pd.DataFrame({"user_id": ["a", 1], "event": ["x", "y"],
                          "timestamp": ["2026-01-01", "2026-01-02"]})
    with pytest.raises(wegweiser.InvalidInput, match=r"column user_id.*astype"):
        project.import_events(frame)
    assert project.import_events(frame.astype({"user_id": str})).imported == 2
