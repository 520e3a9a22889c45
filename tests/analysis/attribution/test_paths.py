"""``read_paths``: path tables of other tools, read exactly, with errors that name the line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wegweiser.analysis.attribution import Paths, _path_table, read_paths
from wegweiser.errors import InvalidInput, UnreadableSource


def _write(tmp_path, text: str, name: str = "paths.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _how(csv, **kw) -> str:
    """Which reader read the file (``arrow``, or ``text`` after Arrow gave up)."""
    columns = {"path": "path", "conversions": "conversions", "nulls": "nulls", "value": "value"}
    return _path_table.read_file(str(csv), delimiter=kw.get("delimiter", ","),
                                 columns=columns).read


def _same(a: Paths, b: Paths) -> None:
    assert a.labels == b.labels
    for field in ("offsets", "codes", "conversions", "nulls", "value"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert a.params["dropped_rows"] == b.params["dropped_rows"]


def test_a_table_as_other_tools_write_it(tmp_path):
    csv = _write(tmp_path, "\ufeffPath , Conversions,NULLS,value,other\n"
                 "a > b > a,2,1,19.5,x\n"
                 "\" b>c \",0,3,,y\n"
                 ",1,0,5,z\n"
                 "a >  > c,\"1\",0,-2.5,w\n")
    p = read_paths(csv)
    assert p.labels == ("a", "b", "c")
    assert [list(p.codes[p.offsets[i]:p.offsets[i + 1]]) for i in range(p.n_paths)] == [
        [0, 1, 0], [1, 2], [0, 2]]
    assert list(p.conversions) == [2, 0, 1]
    assert list(p.nulls) == [1, 3, 0]
    assert list(p.value) == [19.5, 0, -2.5]
    assert p.params["dropped_rows"] == 1
    assert p.params["conversions_without_touches"] == 1
    assert p.params["source"] == str(csv)
    _same(p, read_paths(pd.read_csv(csv, dtype=str, keep_default_na=False)))


def test_optional_columns_and_padded_numbers(tmp_path):
    p = read_paths(_write(tmp_path, "path;conversions\nx>y; 3 \ny;1e1\n"), delimiter=";")
    assert list(p.conversions) == [3, 10]
    assert list(p.nulls) == [0, 0]
    assert list(p.value) == [0, 0]
    p = read_paths(_write(tmp_path, "p\tc\tn\nx|y\t1\t2\n", "t.tsv"), sep="|", delimiter="\t",
                   path_column="P", conversions_column="C", nulls_column="N")
    assert p.labels == ("x", "y")
    assert list(p.nulls) == [2]


@pytest.mark.parametrize(("row", "message"), [
    ("b,-1,0,1", ":3: conversions must be a number >= 0, got '-1'; fix the row or drop it"),
    ("b,1,two,1", ":3: nulls must be a number >= 0, got 'two'; fix the row or drop it"),
    ("b,1,0,1.2.3", ":3: value must be a number, got '1.2.3'; fix the row or drop it"),
    ("b,nan,0,1", ":3: conversions must be a number >= 0, got 'nan'"),
    ("b,1,0,NA", ":3: value must be a number, got 'NA'"),
])
def test_a_bad_number_names_its_line(tmp_path, row, message):
    csv = _write(tmp_path, f"path,conversions,nulls,value\na,1,0,2\n{row}\nc,1,1,1\n")
    with pytest.raises(InvalidInput) as exc:
        read_paths(csv)
    assert str(exc.value) == f"{csv}{message}" or str(exc.value).startswith(f"{csv}{message}")


def test_unusable_files_and_arguments(tmp_path):
    with pytest.raises(UnreadableSource, match="no such file"):
        read_paths(tmp_path / "missing.csv")
    with pytest.raises(UnreadableSource, match="not a readable CSV file"):
        read_paths(_write(tmp_path, "path,conversions\nä,1\n", encoding="latin-1"))
    with pytest.raises(InvalidInput, match=r"no column 'conversions' \(columns: path, conv\)"):
        read_paths(_write(tmp_path, "path,conv\na,1\n"))
    with pytest.raises(InvalidInput, match="the path separator is empty"):
        read_paths(_write(tmp_path, "path,conversions\na,1\n"), sep="")


def _tables():
    name = st.sampled_from(["a", "b", "ch 1", "Ä", "x-y"])
    row = st.tuples(
        st.lists(name, max_size=4).map(lambda xs: " > ".join(xs)),
        st.integers(0, 5), st.integers(0, 5),
        st.one_of(st.just(""), st.floats(-1e6, 1e6, allow_nan=False).map(repr)),
    )
    return st.lists(row, min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(rows=_tables())
def test_the_fast_reader_reads_what_the_text_reader_reads(tmp_path_factory, rows):
    text = "path,conversions,nulls,value\n" + "".join(
        f"\"{p}\",{c},{n},{v}\n" for p, c, n, v in rows)
    csv = _write(tmp_path_factory.mktemp("p"), text)
    fast = read_paths(csv)
    assert _how(csv) == "arrow"
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    _same(fast, read_paths(frame))


def test_files_arrow_cannot_read_take_the_text_reader(tmp_path, monkeypatch):
    csv = _write(tmp_path, "path,conversions\n\"a\nb\",1\nc,2\n")  # a line break in a field
    assert read_paths(csv).labels == ("a\nb", "c")
    _same(read_paths(csv), read_paths(pd.read_csv(csv, dtype=str, keep_default_na=False)))
    short = _write(tmp_path, "path,conversions,value\na,1,2\nb,1\n", "short.csv")  # no value
    assert _how(short) == "text"
    assert list(read_paths(short).value) == [2, 0]
    padded = _write(tmp_path, "path,conversions\na, 2\nb,+3 \n", "padded.csv")
    assert list(read_paths(padded).conversions) == [2, 3]
    calls = []
    monkeypatch.setattr(_path_table, "_read_arrow", lambda *a: calls.append(a))
    assert _how(_write(tmp_path, "path,conversions\na,1\n")) == "text"
    assert calls
