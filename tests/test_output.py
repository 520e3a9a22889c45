"""Terminal tables a person can read: percentages, durations, whole numbers, fitting 80
columns (issue: numbers wrapped inside their digits)."""

from __future__ import annotations

import io
import re

import pandas as pd
from rich.console import Console

from wegweiser._output import Format, duration_text, print_frame, print_mapping, readable


def _printed(frame: pd.DataFrame, width: int = 80) -> str:
    buffer = io.StringIO()
    print_frame(readable(frame), Format.table, console=Console(file=buffer, width=width))
    return buffer.getvalue()


def test_shares_durations_and_times_read_like_a_person_writes_them():
    frame = pd.DataFrame({
        "channel": ["email", "direct"], "conversion_rate": [0.1234, float("nan")],
        "duration_median_s": [183_600.0, 42.0],
        "start": pd.to_datetime(["2026-10-01 10:00:00.123456", "2026-10-02 11:30:00.5"]),
        "label": ["email", "direct"],
    })
    out = readable(frame)
    assert out["conversion_rate"].tolist() == ["12.3%", "n/a"]
    assert out["duration_median_s"].tolist() == ["2d 3h", "42s"]
    assert out["start"].tolist() == ["2026-10-01 10:00:00", "2026-10-02 11:30:00"]
    assert "label" not in out.columns  # the same as channel: nothing to read there


def test_wide_tables_keep_numbers_whole_and_name_the_columns_left_out():
    frame = pd.DataFrame({f"a_rather_long_column_{k}": [123456789 + k, 987654321]
                          for k in range(8)})
    text = _printed(frame)
    assert all(len(line) <= 80 for line in text.splitlines())
    numbers = re.findall(r"\d[\d,]*\d", text)
    assert "987,654,321" in numbers
    assert set(numbers) <= {"987,654,321", *(f"{123456789 + k:,}" for k in range(8))}
    assert "more columns (a_rather_long_column_" in text
    assert "--format csv" in text
    assert "more column" not in _printed(frame, width=400)


def test_duration_text():
    assert [duration_text(s) for s in (0, 0.4, 59, 61, 3600, 90_061)] == [
        "0s", "0.4s", "59s", "1m 1s", "1h", "1d 1h"]


def test_values_in_brackets_are_printed_not_read_as_markup():
    frame = pd.DataFrame({"reason": ["timestamp '[yesterday]'"], "note": ["[bold]x"]})
    text = _printed(frame)
    assert "'[yesterday]'" in text
    assert "[bold]x" in text
    buffer = io.StringIO()
    print_mapping({"[key]": "[value]"}, Format.table, console=Console(file=buffer, width=80))
    assert "[key]" in buffer.getvalue()
    assert "[value]" in buffer.getvalue()


def test_at_80_columns_long_texts_wrap_before_any_column_is_left_out():
    frame = pd.DataFrame({
        "quarantine_id": [1, 22], "line": [2, 1_234_567],
        "reason": ["unparseable timestamp 'not-a-date' (use ISO-8601 or epoch seconds)",
                   "missing ids: neither anonymous_id nor user_id is set"],
        "source": ["/home/someone/exports/2026/december/events-2026-12-export-final.csv"] * 2,
        "raw": ['{"anonymous_id":"a","event":"view","timestamp":"not-a-date"}'] * 2,
    })
    text = _printed(frame)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "more column" not in text
    header = "".join(line for line in text.splitlines()[:4])
    for name in ("quarantine", "line", "reason", "source", "raw"):
        assert name in header
    assert "1,234,567" in text  # numbers stay whole
    cells = [line.split("│") for line in text.splitlines() if line.startswith("│")]
    reasons = " ".join(" ".join(c[3].split()) for c in cells)  # read down the column
    assert "missing ids: neither anonymous_id nor user_id is set" in reasons
    sources = "".join(c[4].strip() for c in cells)
    assert sources.count("events-2026-12-export-final.csv") == 2  # folded, nothing lost
