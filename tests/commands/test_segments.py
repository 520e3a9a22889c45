"""``wegweiser segments`` end to end (subprocesses on a real project), and ``--segment``,
``--by-segment``, ``--where`` and the date range on an analysis command."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from tests.analysis.reference import frame_of, random_rows
from wegweiser.project import Project


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wegweiser.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def folder(tmp_path):
    rows = random_rows(4, n=150, persons=12, events=("a", "add_to_cart", "order_completed"))
    with Project.init(tmp_path / "p") as project:
        project.import_events(frame_of(rows))
    return str(tmp_path / "p"), rows


def test_segments_commands(folder, tmp_path):
    where, rows = folder
    ids = tmp_path / "vip.csv"
    ids.write_text("person_id\np03\np01\nnobody\n", encoding="utf-8")
    done = run("segments", "add", "vip", "--ids", str(ids), "-p", where)
    assert done.returncode == 0, done.stderr
    assert "2 members now" in done.stdout
    done = run("segments", "add", "pro", "--where", "property:plan=pro", "--where",
               "channel in email,direct", "--description", "Pro via email or direct", "-p", where)
    assert done.returncode == 0, done.stderr
    listed = json.loads(run("segments", "list", "-p", where, "-f", "json").stdout)
    assert [(s["name"], s["kind"]) for s in listed] == [("pro", "traits"), ("vip", "list")]
    exported = run("segments", "export", "vip", "-p", where).stdout
    assert list(csv.reader(io.StringIO(exported))) == [["person_id"], ["p01"], ["p03"]]
    expected = sorted({r.person for r in rows if r.properties["plan"] == "pro"
                       and r.channel in ("email", "direct")})
    exported = run("segments", "export", "pro", "-p", where).stdout.split()
    assert exported == ["person_id", *expected]
    split = run("conversion", "--by-segment", "vip,pro", "-p", where, "-f", "json")
    assert split.returncode == 0, split.stderr
    assert [r["segment"] for r in json.loads(split.stdout)] == ["vip", "pro"]
    assert [r["persons"] for r in json.loads(split.stdout)] == [2, len(expected)]
    bad = run("segments", "add", "x", "--where", "plan=pro", "-p", where)
    assert bad.returncode != 0
    assert "position 1" in bad.stderr
    assert run("segments", "delete", "vip", "-p", where).returncode == 0
    gone = run("kpis", "--segment", "vip", "-p", where)
    assert gone.returncode != 0
    assert "no segment 'vip'" in gone.stderr


def test_range_and_filter_flags(folder):
    where, rows = folder
    done = run("kpis", "-p", where, "--since", "2026-03-02", "--until", "2026-03-02",
               "--where", "device=mobile", "-f", "json")
    assert done.returncode == 0, done.stderr
    day = [r for r in rows if r.timestamp.date().isoformat() == "2026-03-02"
           and r.device == "mobile" and r.event == "order_completed"]
    assert json.loads(done.stdout)[0]["purchasers"] == len({r.person for r in day})
    bad = run("kpis", "-p", where, "--since", "2026-03-03", "--until", "2026-03-02")
    assert bad.returncode == 2
    assert "range is empty" in bad.stderr
