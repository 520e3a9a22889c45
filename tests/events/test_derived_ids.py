"""Content-derived ids and revenue values (issue 12.2, 12.5, 12.6 NaN/inf)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import write

FIELDS = ("event", "user_id", "revenue", "currency", "campaign", "device", "country", "sku")


def test_two_purchases_same_day_different_amounts_are_two(project, tmp_path):
    path = write(
        tmp_path / "e.csv",
        "user_id,event,timestamp,revenue\nc1,purchase,1997-01-12,12.00\n"
        "c1,purchase,1997-01-12,77.00\nc1,purchase,1997-01-12,77.00\n",
    )
    summary = project.import_events(path)
    assert (summary.imported, summary.duplicates) == (2, 1)
    assert project._engine.scalar("SELECT sum(revenue) FROM events") == pytest.approx(89.0)
    # what was treated as a duplicate, for the summary and the report's data-quality section
    (sample,) = summary.duplicate_sample
    assert sample["line"] == 4
    assert sample["first_line"] == 3
    assert sample["revenue"] == pytest.approx(77.0)
    assert summary.as_dict(full=True)["duplicate_sample"] == summary.duplicate_sample
    assert summary.as_dict() == summary.counts()


def test_duplicate_sample_names_rows_already_stored(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp\nc1,view,2026-01-01\n")
    project.import_events(path)
    summary = project.import_events(path)
    assert summary.duplicates == 1
    assert summary.duplicate_sample[0]["first_line"] is None
    assert "already" in summary.duplicate_sample[0]["why"]


_text = st.one_of(st.none(), st.text(alphabet="ab,;\"'x\u00e9", max_size=3))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    base=st.fixed_dictionaries({f: _text for f in FIELDS}),
    field=st.sampled_from(FIELDS),
    other=_text,
)
def test_rows_differing_in_any_meaningful_field_never_collide(project, base, field, other):
    a = {**base, "event": base["event"] or "e", "user_id": base["user_id"] or "u"}
    b = {**a, field: other}
    if field in ("event", "user_id") and not other:
        b[field] = a[field] + "z"
    for row in (a, b):
        row["revenue"] = None if row["revenue"] is None else float(len(row["revenue"]))
    frame = pd.DataFrame([a, b]).assign(timestamp=pd.Timestamp("2026-01-01", tz="UTC"))
    project._engine.run("DELETE FROM events")
    summary = project.import_events(frame)
    differs = any(_norm(f, a[f]) != _norm(f, b[f]) for f in FIELDS)
    assert summary.imported == (2 if differs else 1), (a, b)


def _norm(name, value):
    """A field as the store keeps it: trimmed, empty is missing, some case-folded."""
    if value is None or name in ("sku", "revenue"):
        return value
    value = value.strip() or None
    if value is not None and name in ("currency", "country"):
        return value.upper()
    return value.lower() if value is not None and name == "device" else value


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "1e309"])
def test_non_finite_revenue_is_quarantined(project, tmp_path, value):
    path = write(
        tmp_path / "e.csv", f"user_id,event,timestamp,revenue\nu1,buy,2026-01-01,{value}\n"
        "u2,buy,2026-01-01,5\n",
    )
    summary = project.import_events(path)
    assert (summary.imported, summary.quarantined) == (1, 1)
    assert "not a finite number" in summary.errors[0]["reason"]
    assert project._engine.scalar("SELECT sum(revenue) FROM events") == 5


def test_non_finite_revenue_in_a_numeric_column(project):
    frame = pd.DataFrame(
        {"user_id": ["a", "b"], "event": ["buy", "buy"], "revenue": [float("nan"), 3.0],
         "timestamp": ["2026-01-01", "2026-01-01"]}
    )
    # a NaN in a float column is how pandas writes a missing value: not an error
    assert project.import_events(frame).imported == 2
    frame["revenue"] = [float("inf"), 3.0]
    summary = project.import_events(frame)
    assert summary.quarantined == 1


def test_negative_revenue_is_flagged(project, tmp_path):
    path = write(
        tmp_path / "e.csv",
        "user_id,event,timestamp,revenue\nu1,buy,2026-01-01,10\nu1,refund,2026-01-02,-10\n",
    )
    summary = project.import_events(path)
    assert summary.imported == 2
    assert summary.negative_revenue == 1
    assert any("negative revenue" in w and "refund" in w for w in summary.warnings)


def test_all_quarantined_is_visible(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp\nu1,x,never\nu2,x,never\n")
    summary = project.import_events(path)
    assert summary.quarantine_share == 1.0
    assert summary.rows == 2


def test_row_count_excludes_header(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp\nu1,x,2026-01-01\n")
    summary = project.import_events(path)
    assert summary.rows == 1
    assert project._engine.scalar("SELECT n_rows FROM imports") == 1



def test_duplicate_sample_and_warnings_are_kept_with_the_import(project, tmp_path):
    path = write(
        tmp_path / "e.csv",
        "user_id,event,timestamp,revenue\nc1,buy,2026-01-12,5\nc1,buy,2026-01-12,5\n"
        "c2,refund,2026-01-13,-5\n",
    )
    summary = project.import_events(path)
    details = json.loads(project.imports()["details"].iloc[0])
    assert details["duplicate_sample"] == json.loads(json.dumps(summary.duplicate_sample))
    assert details["duplicate_sample"][0]["line"] == 3
    assert details["negative_revenue"] == 1
    assert details["warnings"] == summary.warnings
