"""The spool: group commit, rotation, recovery after a crash; importing segments."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import orjson
import pytest

from tests.events.collect.test_validate import CORPUS
from wegweiser import Project
from wegweiser.errors import ProjectError
from wegweiser.events.collect import spool as spool_module
from wegweiser.events.collect.spool import Spool
from wegweiser.events.collect.spool_reader import import_segment
from wegweiser.events.collect.validate import Validator, event_row
from wegweiser.serve._intake import stamp_row

if TYPE_CHECKING:
    from pathlib import Path

RECEIVED = "2026-05-04T10:11:13.000000+00:00"


def line(i: int) -> bytes:
    return orjson.dumps({"n": i}) + b"\n"


def test_group_commit_flushes_many_writes_at_once(tmp_path: Path, monkeypatch) -> None:
    flushes: list[int] = []
    real_sync = spool_module._sync

    def counting_sync(fd: int) -> None:
        flushes.append(fd)
        real_sync(fd)

    monkeypatch.setattr(spool_module, "_sync", counting_sync)
    spool = Spool(tmp_path / "spool")
    assert spool.open() == []

    async def main() -> None:
        await asyncio.gather(*(spool.write(line(i), 1) for i in range(200)))
        assert spool.pending() == (200, 1)
        await spool.rotate()
        await spool.close()

    asyncio.run(main())
    assert 1 <= len(flushes) < 200
    [segment] = spool.waiting()
    assert segment.path.suffix == ".jsonl"
    assert segment.lines == 200
    lines = segment.path.read_bytes().splitlines()
    assert sorted(orjson.loads(x)["n"] for x in lines) == list(range(200))
    assert segment.source_name == f"spool/{segment.id}.jsonl"


def test_segments_close_at_max_lines_and_rotate(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_lines=3)
    spool.open()

    async def main() -> None:
        for i in range(4):
            await spool.write(line(2 * i) + line(2 * i + 1), 2)
        await spool.rotate()
        await spool.rotate()  # nothing open: no empty segment
        await spool.close()

    asyncio.run(main())
    segments = spool.waiting()
    assert [s.lines for s in segments] == [2, 2, 2, 2]
    assert [s.id for s in segments] == sorted(s.id for s in segments)
    assert not list((tmp_path / "spool").glob("*.open"))


def test_open_recovers_what_a_killed_run_left(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    folder.mkdir()
    (folder / "20260504T101112000001Z.open").write_bytes(line(1) + line(2) + b'{"n": 3, "x')
    (folder / "20260504T101111000000Z.jsonl").write_bytes(line(0))
    (folder / "20260504T101113000000Z.open").write_bytes(b"")
    (folder / "notes.txt").write_text("not a segment")
    spool = Spool(folder)
    found = spool.open()
    assert [(s.id, s.lines) for s in found] == [
        ("20260504T101111000000Z", 1),
        ("20260504T101112000001Z", 2),
    ]
    assert (folder / "20260504T101112000001Z.jsonl").read_bytes() == line(1) + line(2)
    assert not (folder / "20260504T101113000000Z.open").exists()
    assert (folder / "notes.txt").exists()

    async def main() -> None:  # new segments sort after the recovered ones
        await spool.write(line(9), 1)
        await spool.close()

    asyncio.run(main())
    assert spool.waiting()[-1].id > "20260504T101112000001Z"
    assert spool.pending() == (4, 3)


def test_a_failed_write_leaves_no_half_line(tmp_path: Path, monkeypatch) -> None:
    spool = Spool(tmp_path / "spool")
    spool.open()
    real_write = os.write

    def failing_write(fd: int, data: bytes) -> int:
        if b"boom" in bytes(data):
            real_write(fd, bytes(data)[:5])
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    async def main() -> None:
        await spool.write(line(1), 1)
        monkeypatch.setattr(spool_module.os, "write", failing_write)
        with pytest.raises(OSError, match="No space"):
            await spool.write(b'{"boom": 1}\n', 1)
        monkeypatch.setattr(spool_module.os, "write", real_write)
        await spool.write(line(2), 1)
        await spool.close()

    asyncio.run(main())
    [segment] = spool.waiting()
    assert segment.path.read_bytes() == line(1) + line(2)
    assert segment.lines == 2


# -- importing segments ------------------------------------------------------------------
def spool_lines() -> tuple[bytes, list[str | None]]:
    """The conformance corpus as the collector spools it, plus its verdicts."""
    rows = []
    for _, message in CORPUS:
        row = event_row(message)
        rows.append(row)
    verdicts = Validator().check(rows)
    # what the collector adds; messages without a timestamp get the receive time
    for row in rows:
        stamp_row(row, None, RECEIVED, "wk:test")
    data = b"".join(orjson.dumps(r) + b"\n" for r in rows)
    return data + b"42\n" + b'"text"\n', verdicts


def test_segment_import_gives_the_validator_verdicts(tmp_path: Path) -> None:
    data, verdicts = spool_lines()
    path = tmp_path / "20260504T101112000000Z.jsonl"
    path.write_bytes(data)
    name = "spool/20260504T101112000000Z.jsonl"
    with Project.init(tmp_path / "project") as project:
        summary = import_segment(project._engine, project.config, path, source_name=name)
        assert summary is not None
        frame = project.quarantine(limit=None)
        reasons = dict(zip(frame["line"], frame["reason"], strict=True))
        assert set(frame["source"]) == {name}
        n = len(CORPUS)
        assert reasons.pop(n + 1) == "not a JSON object but int"
        assert reasons.pop(n + 2) == "not a JSON object but str"
        expected = {
            i + 1: v
            for i, v in enumerate(verdicts)
            # the collector's receive time fills a missing timestamp
            if v is not None and v != "missing timestamp"
        }
        assert reasons == expected
        raw = frame.loc[frame["line"] == n + 1, "raw"].item()
        assert raw == "42"
        events = project.stats()["events"]

        # a flush that committed but died before deleting the file: importing again adds nothing
        assert import_segment(project._engine, project.config, path, source_name=name) is None
        assert len(project.quarantine(limit=None)) == len(frame)
        assert project.stats()["events"] == events


def test_rudderstack_channel_is_the_platform_and_raw_replays(tmp_path: Path) -> None:
    message = {
        "type": "track",
        "event": "Product Viewed",
        "anonymousId": "rs-1",
        "channel": "web",
        "originalTimestamp": "2026-05-04T10:11:12.000Z",
        "context": {"campaign": {"source": "newsletter", "medium": "email"}},
        "properties": {"sku": "X"},
        "plan": "pro",
    }
    row = event_row(message)
    stamp_row(row, None, RECEIVED, "wk:test")
    bad = event_row({**message, "anonymousId": "null"})
    stamp_row(bad, None, RECEIVED, "wk:test")
    path = tmp_path / "seg.jsonl"
    path.write_bytes(orjson.dumps(row) + b"\n" + orjson.dumps(bad) + b"\n")
    with Project.init(tmp_path / "project") as project:
        summary = import_segment(project._engine, project.config, path, source_name="spool/x")
        assert summary is not None
        assert (summary.imported, summary.quarantined) == (1, 1)
        stored = project._engine.execute(
            "SELECT platform, channel, source, medium, properties->>'plan', "
            "CAST(received_at AS VARCHAR) FROM events"
        ).rows
        assert stored == [("web", "email", "newsletter", "email", "pro", "2026-05-04 10:11:13+00")]
        # the quarantined line replays through the normal path once the id is fixed
        project._engine.run("UPDATE quarantine SET raw = replace(raw, '\"null\"', '\"rs-2\"')")
        replayed, skipped = project.replay_quarantine()
        assert (replayed.imported, skipped) == (1, 0)


def test_one_server_per_spool_folder(tmp_path: Path) -> None:
    first = Spool(tmp_path / "spool")
    first.open()
    with pytest.raises(ProjectError, match="Another `wegweiser serve`"):
        Spool(tmp_path / "spool").open()
    asyncio.run(first.close())
    second = Spool(tmp_path / "spool")
    second.open()
    asyncio.run(second.close())


def test_import_process_answers_per_segment(tmp_path: Path) -> None:
    Project.init(tmp_path / "project").close()
    good = tmp_path / "good.jsonl"
    row = event_row({"type": "page", "anonymousId": "a", "messageId": "m1"})
    stamp_row(row, None, RECEIVED, "wk:test")
    good.write_bytes(orjson.dumps(row) + b"\n")
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b'{"type": "page", \n')
    job = {
        "project": str(tmp_path / "project"),
        "jobs": [[str(good), "spool/good.jsonl", 1], [str(broken), "spool/broken.jsonl", 1]],
        "wait": 5,
        "budget": 60,
    }
    result = subprocess.run(
        [sys.executable, "-m", "wegweiser.serve._importer"],
        input=json.dumps(job) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer = json.loads(result.stdout)
    assert answer["busy"] is None
    assert answer["done"][0] == ["spool/good.jsonl", 1, None]
    name, imported, error = answer["done"][1]
    assert (name, imported) == ("spool/broken.jsonl", 0)
    assert "JSON" in error
    with Project(tmp_path / "project") as project:
        assert project.stats()["events"] == 1
