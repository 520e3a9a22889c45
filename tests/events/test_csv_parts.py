"""A large CSV file is read part by part (bounded memory) and stores exactly what reading it
whole stores: the same events, quarantined lines (numbers, reasons, raw text) and warnings;
a failure in a later part leaves nothing behind."""

from __future__ import annotations

import pytest

import wegweiser
from tests.conftest import write
from wegweiser.errors import UnreadableSource
from wegweiser.events import csv_reader
from wegweiser.events.csv_parts import split_csv
from wegweiser.events.csv_reader import read_csv

ROWS = [
    "message_id,user_id,event,timestamp,note",
    'm1,u1,view,2026-03-01T10:00:00Z,"a, quoted, no newline"',
    "m2,u1,buy,2026-03-01T11:00:00Z,plain",
    "m3,u2,view,not a time,x",
    "m4,u2,view,2026-03-02T10:00:00Z,too,many",
    'm5,u3,view,2026-03-02T11:00:00Z,"never closed',
    'm6,u3,buy,2026-03-03T10:00:00Z,"fine ""quoted"""',
    "m7,u4,view,2026-03-04T10:00:00Z,y",
    "m2,u1,buy,2026-03-01T11:00:00Z,plain",
    "m8,,view,2026-03-05T10:00:00Z,z",
    'm9,u5,view,2026-03-06T10:00:00Z,"last\nmulti"',
]
CSV = "\n".join(ROWS) + "\n"


@pytest.mark.parametrize(
    "text",
    [CSV, CSV.replace("\n", "\r\n"), CSV.rstrip("\n"), 'a,b\n1,"x\n\n\ny"\n2,z\n"'],
)
def test_parts_cut_at_record_boundaries_and_keep_every_byte(tmp_path, text):
    path = tmp_path / "e.csv"
    path.write_bytes(text.encode())
    header, _, body = text.encode().partition(b"\n")
    for size in (1, 7, 40, 10_000):
        parts = [(p.read_bytes(), first) for p, first, _ in split_csv(path, size, tmp_path)]
        assert all(p.startswith(header + b"\n") for p, _ in parts)
        bodies = [p[len(header) + 1 :] for p, _ in parts]
        assert b"".join(bodies) == body  # nothing lost, nothing doubled
        line = 2
        for chunk, (_, first) in zip(bodies, parts, strict=True):
            assert first == line
            assert chunk.count(b'"') % 2 == 0 or chunk is bodies[-1]  # quotes stay whole
            line += chunk.count(b"\n")
    assert list(tmp_path.glob("wegweiser-part-*")) == []  # each part is removed after use


def _import(tmp_path, name: str, part_bytes: int, monkeypatch) -> tuple:
    monkeypatch.setattr(csv_reader, "PART_BYTES", part_bytes)
    folder = tmp_path / name
    project = wegweiser.Project.init(folder)
    cfg = folder / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("batch_rows = 2000000", "batch_rows = 2"))
    project.close()
    with wegweiser.Project(folder) as project:
        seen: list[tuple[int, int]] = []
        summary = project.import_events(
            write(tmp_path / "e.csv", CSV),
            progress=lambda _n, done, total: seen.append((done, total)),
        )
        engine = project._engine
        stored = engine.execute(
            "SELECT * EXCLUDE (import_id, received_at) FROM events ORDER BY message_id"
        ).rows
        bad = engine.execute("SELECT line, reason, raw FROM quarantine ORDER BY line").rows
    return summary, stored, bad, seen


def test_a_file_read_in_parts_stores_what_it_stores_read_whole(tmp_path, monkeypatch):
    whole, whole_rows, whole_bad, _ = _import(tmp_path, "whole", 10**9, monkeypatch)
    parts, part_rows, part_bad, seen = _import(tmp_path, "parts", 60, monkeypatch)
    assert read_csv_in_parts(tmp_path / "e.csv", monkeypatch, 60)
    assert part_rows == whole_rows
    assert [r[0] for r in part_rows] == ["m1", "m2", "m6", "m7", "m9"]
    assert part_bad == whole_bad
    assert [(line, reason.split(" (")[0].split(":")[0]) for line, reason, _ in part_bad] == [
        (4, "unparseable timestamp 'not a time'"),
        (5, "wrong column count"),
        (6, "unbalanced quote"),
        (10, "missing ids"),
    ]
    assert parts.counts() == whole.counts() == {"imported": 5, "duplicates": 1, "quarantined": 4}
    assert parts.rows == whole.rows == 10
    assert parts.errors == whole.errors
    assert parts.warnings == whole.warnings
    assert len(seen) > 3  # progress: per batch
    assert seen[-1] == (10, 10)  # ends at the total


def read_csv_in_parts(path, monkeypatch, size: int) -> bool:
    """Whether ``read_csv`` hands over this file in parts at ``size`` bytes per part."""
    monkeypatch.setattr(csv_reader, "PART_BYTES", size)
    with wegweiser.Project.init(path.parent / "probe") as project:
        source = read_csv(project._engine, path)
        try:
            return source.parts is not None
        finally:
            source.close()


def test_a_bad_later_part_leaves_no_events_and_no_part_files(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_reader, "PART_BYTES", 40)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    lines = [f"m{i},u{i},view,2026-03-01T10:00:00Z" for i in range(1, 30)]
    path = tmp_path / "e.csv"
    text = "message_id,user_id,event,timestamp\n" + "\n".join(lines) + "\n"
    path.write_bytes(text.encode() + b"m99,u99,caf\xe9,2026-03-01T10:00:00Z\n")
    with wegweiser.Project.init(tmp_path / "p") as project:
        with pytest.raises(UnreadableSource, match="line 31 is not valid UTF-8"):
            project.import_events(path)
        engine = project._engine
        assert engine.scalar("SELECT count(*) FROM events") == 0
        assert engine.scalar("SELECT count(*) FROM imports") == 0
        assert (
            engine.scalar(
                "SELECT count(*) FROM duckdb_tables() WHERE starts_with(table_name, '_src_')"
            )
            == 0
        )
    assert list(tmp_path.glob("wegweiser-part-*")) == []
