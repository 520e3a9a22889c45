"""The audit log: append-only JSON lines, private, whole lines under concurrent writers, no
personal data beyond actor and target, clear errors for bad filters and a damaged file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from wegweiser import audit
from wegweiser.errors import InvalidInput


def test_entries_are_private_whole_lines_in_order(tmp_path):
    old = os.umask(0o022)
    try:
        audit.record(tmp_path, actor="ana", action="login", surface="dashboard")
    finally:
        os.umask(old)
    path = tmp_path / audit.AUDIT_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def write(n: int) -> None:
        audit.record(tmp_path, actor=f"t{n % 4}", action="person_view", target=f"p{n}",
                     detail={"n": n, "pad": "x" * 150})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(200)))
    # another process appends too
    code = ("from wegweiser import audit; import sys; "
            "[audit.record(sys.argv[1], actor='cli:x', action='export', target=str(i)) "
            "for i in range(50)]")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=120)
    entries = audit.read(tmp_path)
    assert len(entries) == 251
    assert sorted(int(e.target[1:]) for e in entries if e.action == "person_view") == list(
        range(200))
    assert len(audit.read(tmp_path, actor="t1")) == 50
    assert len(audit.read(tmp_path, target="p7")) == 1


def test_refuses_what_does_not_belong(tmp_path):
    with pytest.raises(InvalidInput, match="short scalar"):
        audit.record(tmp_path, actor="ana", action="export", detail={"rows": [1, 2]})
    with pytest.raises(InvalidInput, match="snake_case"):
        audit.record(tmp_path, actor="ana", action="drop table")
    with pytest.raises(InvalidInput, match="surface"):
        audit.record(tmp_path, actor="ana", action="export", surface="email")
    long = audit.record(tmp_path, actor="ana", action="export", detail={"q": "y" * 500})
    assert len(long.detail["q"]) <= 201
    with pytest.raises(InvalidInput, match="did you mean 'export'"):
        audit.read(tmp_path, action="exprot")
    with pytest.raises(InvalidInput, match="until"):
        audit.read(tmp_path, until="next week")
    with (tmp_path / audit.AUDIT_FILE).open("a") as handle:
        handle.write("not json\n")
    with pytest.raises(InvalidInput, match="line 2"):
        audit.read(tmp_path)
