"""Timestamps: compact dates, --timestamp-format, --epoch-unit, implausible spans (issue 12.1)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.conftest import write
from wegweiser.events import timestamps
from wegweiser.events.options import ImportOptions


def _times(project: wegweiser.Project) -> list[str]:
    return [
        r[0]
        for r in project._engine.execute(
            'SELECT CAST("timestamp" AS VARCHAR) FROM events ORDER BY "timestamp"'
        ).rows
    ]


def test_compact_dates_are_dates_not_epoch_seconds(project, tmp_path):
    path = write(
        tmp_path / "e.csv",
        "customer_id,event,date\nc1,purchase,19970101\nc2,purchase,19980630\n"
        "c3,purchase,19970230\n",
    )
    summary = project.import_events(path, mapping="timestamp=date")
    assert summary.imported == 2
    assert _times(project) == ["1997-01-01 00:00:00+00", "1998-06-30 00:00:00+00"]
    # 30 February is no date; as an epoch it would be 1970: say so, do not store it
    assert summary.quarantined == 1
    assert "19970230" in summary.errors[0]["reason"]


def test_compact_dates_in_a_numeric_column(project):
    frame = pd.DataFrame({"user_id": ["a", "b"], "event": ["x", "x"], "ts": [19970101, 19980630]})
    project.import_events(frame, mapping="timestamp=ts")
    assert _times(project) == ["1997-01-01 00:00:00+00", "1998-06-30 00:00:00+00"]


def test_timestamp_format(project, tmp_path):
    path = write(
        tmp_path / "e.csv",
        "user_id,event,when\nu1,x,01.02.2026 10:30\nu2,x,2026-02-01\n",
    )
    summary = project.import_events(
        path, mapping="timestamp=when", timestamp_format="%d.%m.%Y %H:%M"
    )
    assert summary.imported == 1
    assert _times(project) == ["2026-02-01 10:30:00+00"]
    assert summary.errors[0]["reason"] == (
        "timestamp '2026-02-01' does not match --timestamp-format '%d.%m.%Y %H:%M' or is no "
        "valid date or time"
    )
    impossible = write(tmp_path / "f.csv", "user_id,event,when\nu1,x,31.02.2026 10:00\n")
    reason = project.import_events(
        impossible, mapping="timestamp=when", timestamp_format="%d.%m.%Y %H:%M"
    ).errors[0]["reason"]
    assert reason.endswith("or is no valid date or time")


def test_day_month_dates_are_not_guessed_and_the_reason_names_both_formats(project, tmp_path):
    path = write(
        tmp_path / "e.csv",
        "user_id,event,timestamp\nu1,x,03.04.2026 17:32\nu2,x,04/03/2026\n"
        "u3,x,3-4-2026 17:32:05\nu4,x,soon\n",
    )
    summary = project.import_events(path)
    assert summary.imported == 0
    reasons = [e["reason"] for e in summary.errors]
    assert reasons[:3] == [
        f"unparseable timestamp {text!r} (day and month order is not guessed: pass "
        f"--timestamp-format {day!r} (day first) or {month!r} (month first))"
        for text, day, month in [
            ("03.04.2026 17:32", "%d.%m.%Y %H:%M", "%m.%d.%Y %H:%M"),
            ("04/03/2026", "%d/%m/%Y", "%m/%d/%Y"),
            ("3-4-2026 17:32:05", "%d-%m-%Y %H:%M:%S", "%m-%d-%Y %H:%M:%S"),
        ]
    ]
    assert reasons[3] == "unparseable timestamp 'soon' (use ISO-8601 or epoch seconds/milliseconds)"
    # with --epoch-unit the hint is the same
    other = write(tmp_path / "f.csv", "user_id,event,timestamp\nu1,x,03.04.2026\n")
    reason = project.import_events(other, epoch_unit="s").errors[0]["reason"]
    assert "'%d.%m.%Y' (day first) or '%m.%d.%Y' (month first)" in reason


def test_epoch_unit_is_taken_as_said(project, tmp_path):
    # said to be seconds, 1772359200000 is the year 58000; guessing by size would say 2026
    path = write(tmp_path / "e.csv", "user_id,event,ts\nu1,x,1772359200000\nu2,x,1772359200\n")
    summary = project.import_events(path, epoch_unit="s")
    assert summary.imported == 1
    assert "out of range" in summary.errors[0]["reason"]
    assert _times(project) == ["2026-03-01 10:00:00+00"]


def test_bad_epoch_unit_is_a_usage_error(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,ts\nu1,x,1\n")
    with pytest.raises(wegweiser.InvalidInput, match="s, ms or us"):
        project.import_events(path, epoch_unit="minutes")


def test_implausible_time_span_is_warned(project, tmp_path):
    rows = "".join(f"u{i},x,{1_000_000 + i}\n" for i in range(50))
    summary = project.import_events(write(tmp_path / "e.csv", "user_id,event,ts\n" + rows))
    assert any("1970" in w for w in summary.warnings), summary.warnings
    assert any("within" in w for w in summary.warnings), summary.warnings
    assert summary.as_dict(full=True)["warnings"] == summary.warnings


def test_plausible_span_gives_no_warning(project, tmp_path):
    rows = "".join(f"u{i},x,2026-01-{1 + i % 28:02d}\n" for i in range(50))
    summary = project.import_events(write(tmp_path / "e.csv", "user_id,event,ts\n" + rows))
    assert summary.warnings == []


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.dates(min_value=date(1971, 1, 1), max_value=date(2099, 12, 31)),
                     min_size=1, max_size=5, unique=True))
def test_every_compact_date_is_that_date(project, tmp_path, days):
    project._engine.run("DELETE FROM events")
    rows = "".join(f"u{i},x,{d:%Y%m%d}\n" for i, d in enumerate(days))
    summary = project.import_events(write(tmp_path / "d.csv", "user_id,event,ts\n" + rows))
    assert summary.imported == len(days)
    got = [r[0] for r in project._engine.execute(
        'SELECT CAST(CAST("timestamp" AS DATE) AS VARCHAR) FROM events ORDER BY user_id').rows]
    by_user = sorted((f"u{i}", d.isoformat()) for i, d in enumerate(days))
    assert got == [d for _, d in by_user]


def test_huge_numbers_with_a_timestamp_format_are_rejected_not_fatal(project):
    frame = pd.DataFrame({"user_id": ["a", "b"], "event": ["x", "x"],
                          "timestamp": [1e20, 19970101.0]})
    summary = project.import_events(frame, timestamp_format="%Y%m%d")
    assert (summary.imported, summary.quarantined) == (1, 1)
    assert "does not match --timestamp-format" in summary.errors[0]["reason"]


@pytest.mark.parametrize("epoch_unit", [None, "ms"])
def test_iso_text_skips_the_number_and_compact_date_checks_with_the_same_result(
    project, epoch_unit
):
    # the reading as it was before the shortcut for text with ':' or an inner '-'
    s = "trim(CAST(v AS VARCHAR))"
    epoch = timestamps._epoch(f"TRY_CAST({s} AS DOUBLE)", epoch_unit)
    number = f"regexp_full_match({s}, '-?[0-9]+(\\.[0-9]+)?')"
    compact = (
        f"WHEN {timestamps.is_compact_sql(s)} THEN {timestamps._compact(s)} "
        if epoch_unit is None
        else ""
    )
    before = f"CASE {compact}WHEN {number} THEN {epoch} ELSE TRY_CAST({s} AS TIMESTAMPTZ) END"
    now = timestamps.timestamp_sql("v", "VARCHAR", ImportOptions(epoch_unit=epoch_unit))
    values = [
        "2026-03-01", " 2026-03-01T10:00:00Z ", "2026-03-01 10:00:00+02:00", "-1",
        "-1772359200", "19970101", "20260301103000", "19970230", "1772359200",
        "1772359200123", "1772359200.5", "10:00", "2026/03/01 10:00", "-2026-03-01",
        "1-2-2026", "03.04.2026 17:32", "soon", "", "1e9", "--5", "2026-13-45",
    ]
    rows = project._engine.execute(
        f"SELECT v, {before} AS a, {now} AS b FROM (SELECT unnest($v) AS v)", {"v": values}
    ).rows
    assert [r for r in rows if r[1] != r[2] and not (r[1] is None and r[2] is None)] == []
    assert sum(r[2] is not None for r in rows) >= 8  # the readable ones are read
