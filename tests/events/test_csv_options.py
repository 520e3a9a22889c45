"""Options real files need (issue 12.4): delimiter, whitespace, decimal comma, constants,
encoding; a header that became one column; no dialect guessing."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wegweiser
from tests.conftest import write


def _rows(project: wegweiser.Project, cols: str = "user_id, event, revenue") -> list[tuple]:
    return project._engine.execute(f'SELECT {cols} FROM events ORDER BY "timestamp", 1').rows


def test_semicolon_decimal_comma_and_a_constant_event(project, tmp_path):
    path = write(
        tmp_path / "orders.csv",
        "Kunde;Datum;Betrag\nk1;01.03.2026;1.234,50\nk2;02.03.2026;-12,00\n",
    )
    summary = project.import_events(
        path,
        mapping="user_id=Kunde,timestamp=Datum,revenue=Betrag,event='purchase'",
        delimiter=";", decimal=",", timestamp_format="%d.%m.%Y",
    )
    assert (summary.imported, summary.rows) == (2, 2)
    assert _rows(project) == [("k1", "purchase", 1234.5), ("k2", "purchase", -12.0)]
    assert summary.negative_revenue == 1
    # the constant is no column: nothing of it lands in properties
    props = project._engine.scalar("SELECT any_value(properties) FROM events")
    assert props is None


def test_a_decimal_comma_read_without_decimal_option_says_which_option(project, tmp_path):
    path = write(
        tmp_path / "orders.csv",
        "user_id;event;timestamp;revenue\nk1;buy;2026-03-01;1.234,50\nk2;buy;2026-03-02;zwölf\n"
        "k3;buy;2026-03-03;12.50\n",
    )
    summary = project.import_events(path)
    assert summary.imported == 1
    assert [e["reason"] for e in summary.errors] == [
        "revenue is not a number: '1.234,50' (a decimal comma? pass --decimal ,)",
        "revenue is not a number: 'zwölf'",
    ]


def test_columns_named_in_another_language_are_named_in_a_warning(project, tmp_path):
    path = write(
        tmp_path / "export.csv",
        "Kundennummer;Ereignis;Zeitpunkt\nk1;Kauf;2026-03-01\nk2;Kauf;2026-03-02\n",
    )
    summary = project.import_events(path)
    assert summary.quarantined == 2
    assert summary.warnings == [
        f"no column of {path} was read as user_id/anonymous_id, timestamp, event; its "
        "columns Kundennummer, Ereignis, Zeitpunkt went to properties — name them, e.g. "
        "--map user_id=COLUMN,timestamp=COLUMN,event=COLUMN"
    ]
    summary = project.import_events(
        path, mapping="user_id=Kundennummer,timestamp=Zeitpunkt,event=Ereignis", replace=True
    )
    assert (summary.imported, summary.warnings) == (2, [])
    # a constant counts as given; a type column may say identify or alias
    other = write(tmp_path / "o.csv", "user_id,timestamp,note\nu1,2026-03-01,x\n")
    assert project.import_events(other, mapping="event='buy'").warnings == []


def test_constant_with_double_quotes_overrides_a_column(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp\nu1,view,2026-01-01\n")
    project.import_events(path, mapping='event="purchase"')
    assert _rows(project, "event") == [("purchase",)]


def test_whitespace_delimiter_reads_fixed_width_exports(project, tmp_path):
    path = write(
        tmp_path / "cdnow.txt",
        " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n"
        " 00002 19970112  1   12.00\r\n 00002 19970112  5   77.00\r\n 00003 19970102 2\r\n",
    )
    summary = project.import_events(
        path, mapping="user_id=customer_id,timestamp=date,revenue=dollar_value,event='purchase'",
        delimiter="whitespace",
    )
    assert (summary.imported, summary.quarantined, summary.rows) == (3, 1, 4)
    assert "wrong column count" in summary.errors[0]["reason"]
    assert summary.errors[0]["line"] == 5
    assert _rows(project, "user_id, revenue") == [
        ("00001", 11.77), ("00002", 12.0), ("00002", 77.0)
    ]


def test_a_header_that_becomes_one_column_says_so(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id event timestamp\nu1 x 2026-01-01\n")
    with pytest.raises(wegweiser.UnreadableSource, match=r"found 1 column 'user_id event "
                       r"timestamp'.*--delimiter whitespace"):
        project.import_events(path)
    path = write(tmp_path / "f.csv", "user_id;event;timestamp\nu1;x;2026-01-01\n")
    with pytest.raises(wegweiser.UnreadableSource, match=r"found 1 column.*wrong delimiter"):
        project.import_events(path, delimiter=",")
    assert project.stats()["events"] == 0


def test_doubtful_delimiter_is_warned(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp,a;b\nu1,x,2026-01-01,1\n")
    summary = project.import_events(path)
    assert summary.imported == 1
    assert any("also holds ';'" in w for w in summary.warnings), summary.warnings


def test_latin1_is_one_clear_error_or_read_with_encoding(project, tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes("user_id,event,timestamp\nJürgen,kauf,2026-01-01\nu2,x,2026-01-02\n"
                     .encode("latin-1"))
    with pytest.raises(wegweiser.UnreadableSource, match=r"not valid UTF-8.*--encoding latin-1"):
        project.import_events(path)
    assert project.stats()["events"] == 0
    assert project.quarantine().empty
    assert project.import_events(path, encoding="latin-1").imported == 2
    assert project.person_of("Jürgen") == "Jürgen"


def test_utf16_with_bom_and_utf8_bom_are_read(project, tmp_path):
    text = "user_id,event,timestamp\nZoë,x,2026-01-01\n"
    (tmp_path / "a.csv").write_bytes(text.encode("utf-16"))
    (tmp_path / "b.csv").write_bytes(b"\xef\xbb\xbf" + text.replace("Zoë", "Ann").encode())
    assert project.import_events([tmp_path / "a.csv", tmp_path / "b.csv"]).imported == 2
    assert sorted(r[0] for r in _rows(project, "user_id")) == ["Ann", "Zoë"]


def test_unknown_encoding_is_a_usage_error(project, tmp_path):
    path = write(tmp_path / "e.csv", "user_id,event,timestamp\nu,x,2026-01-01\n")
    with pytest.raises(wegweiser.InvalidInput, match="not a known encoding"):
        project.import_events(path, encoding="klingon")


def test_options_are_kept_in_the_history(project, tmp_path):
    path = write(tmp_path / "e.csv", "u;e;t\nu1;x;01.02.2026\n")
    project.import_events(path, mapping="user_id=u,event=e,timestamp=t", delimiter=";",
                          timestamp_format="%d.%m.%Y")
    options = json.loads(project._engine.scalar("SELECT options FROM imports"))
    assert options["delimiter"] == ";"
    assert options["timestamp_format"] == "%d.%m.%Y"
    assert options["map"] == {"user_id": "u", "event": "e", "timestamp": "t"}


def test_utf16_without_bom_is_named(project, tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes("user_id,event,timestamp\nu1,x,2026-01-01\n".encode("utf-16-le"))
    with pytest.raises(wegweiser.UnreadableSource, match="--encoding utf-16-le"):
        project.import_events(path)
    assert project.import_events(path, encoding="utf-16-le").imported == 1


_odd = st.text(alphabet="ab ,;|'\"\t\n\\", max_size=8)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notes=st.lists(_odd, min_size=1, max_size=8), delimiter=st.sampled_from([",", ";", "\t"]))
def test_any_valid_csv_reads_back_exactly(project, tmp_path, notes, delimiter):
    """Whatever the values hold (quotes, delimiters, line breaks), a file written by a CSV
    writer is read back value for value: no dialect is guessed from the data."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["user_id", "event", "timestamp", "note"])
    for i, note in enumerate(notes):
        writer.writerow([f"u{i}", "x", "2026-01-01", note])
    path = tmp_path / "odd.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    project._engine.run("DELETE FROM events")
    summary = project.import_events(path)
    assert summary.counts() == {"imported": len(notes), "duplicates": 0, "quarantined": 0}
    got = dict(project._engine.execute(
        "SELECT user_id, properties->>'note' FROM events").rows)
    assert got == {f"u{i}": (note or None) for i, note in enumerate(notes)}
