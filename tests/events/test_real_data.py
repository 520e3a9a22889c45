"""Data no one here wrote (issue 12): the CDNOW transactions in the ``Lifetimes`` 0.11.3
wheel and retentioneering 5.2.4's ``ecom`` clickstream, read from the wheels at test time
(downloaded with pip into pytest's cache, never committed), imported with the documented
options through the CLI, and checked against counts made here in plain Python.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys

import pytest

import wegweiser
from tests.wheels import wheel_member

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wegweiser.cli", *args],
                          capture_output=True, text=True, timeout=600)


def test_cdnow_transactions(wheel_dir, tmp_path):
    data = wheel_member(wheel_dir, "Lifetimes", "0.11.3", "lifetimes/datasets/CDNOW_master.txt")
    path = tmp_path / "CDNOW_master.txt"
    path.write_bytes(data)  # as shipped: a header, columns separated by runs of spaces, CRLF
    rows = [line.split() for line in data.decode().splitlines()[1:] if line.strip()]
    distinct = {tuple(r) for r in rows}
    customers = {r[0] for r in rows}
    assert len(customers) == 23_570

    project = tmp_path / "shop"
    wegweiser.Project.init(project).close()
    res = cli("import", str(path), "-p", str(project), "--json", "--delimiter", "whitespace",
              "--map", "user_id=customer_id,timestamp=date,revenue=dollar_value,event='purchase'")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["rows"] == len(rows)  # the header is no row
    assert summary["quarantined"] == 0
    assert summary["imported"] == len(distinct)  # rows identical in every field are one
    assert summary["duplicates"] == len(rows) - len(distinct)
    # the default conversion events are not 'purchase': the import names the setting
    assert summary["warnings"] == [
        "none of the conversion events (order_completed, store_purchase) occurs in the data, "
        "so conversions, revenue and attribution are 0: set conversion_events in "
        'wegweiser.toml, e.g. conversion_events = ["purchase"]']
    with wegweiser.open_project(project) as shop:
        stats = shop.stats()
        assert stats["persons"] == len(customers)
        assert (stats["first_event"][:10], stats["last_event"][:10]) == (
            "1997-01-01", "1998-06-30")
        revenue = shop._engine.scalar("SELECT sum(revenue) FROM events")
        assert revenue == pytest.approx(sum(float(r[3]) for r in distinct))
        per_day = shop._engine.scalar(
            'SELECT count(DISTINCT CAST("timestamp" AS DATE)) FROM events')
        assert per_day == len({r[1] for r in rows})


def test_retentioneering_ecom(wheel_dir, tmp_path):
    data = wheel_member(wheel_dir, "retentioneering", "5.2.4",
                        "retentioneering/datasets/ecom.csv.gz")
    path = tmp_path / "ecom.csv.gz"
    path.write_bytes(data)  # as shipped in the package, gzip-compressed
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(data).decode())))
    distinct = {tuple(r.values()) for r in rows}

    project = tmp_path / "shop"
    wegweiser.Project.init(project).close()
    res = cli("import", str(path), "-p", str(project), "--json")
    assert res.returncode == 0, res.stderr
    first = json.loads(res.stdout)
    assert (first["rows"], first["imported"], first["quarantined"]) == (
        len(rows), len(distinct), 0)
    # a corrected mapping replaces the first import instead of doubling the data
    res = cli("import", str(path), "-p", str(project), "--json", "--replace",
              "--map", "channel=acquisition_channel")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["replaced"] == first["import_ids"]
    with wegweiser.open_project(project) as shop:
        stats = shop.stats()
        assert stats["events"] == len(distinct)
        assert stats["persons"] == len({r["user_id"] for r in rows})
        assert stats["first_event"][:19] == min(r["timestamp"] for r in rows)
        assert stats["last_event"][:19] == max(r["timestamp"] for r in rows)
        channels = {c for (c,) in shop._engine.execute("SELECT DISTINCT channel FROM events").rows}
        assert channels == {r["acquisition_channel"] for r in rows}
