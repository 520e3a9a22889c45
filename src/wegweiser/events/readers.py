"""Readers: turn a file, folder, glob or DataFrame into sources the normaliser can query.

A :class:`Source` is a relation in the engine with the input's own column names plus
``_line`` (1-based line or row number in the file), and the rows the reader itself had to
reject (a broken JSON line, a CSV line with the wrong number of columns, an unreadable
Parquet row group). CSV: :mod:`wegweiser.events.csv_reader`; JSON Lines:
:mod:`wegweiser.events.records`; text encodings and gzip: :mod:`wegweiser.events.textfiles`.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from wegweiser.errors import UnreadableSource
from wegweiser.events.csv_reader import RESERVED, read_csv
from wegweiser.events.records import (
    RECORD_COLUMNS,
    iter_json_lines,
    load_records,
    message_to_row,
    messages_of,
    read_jsonl,
    records_table,
)
from wegweiser.events.sources import (
    Rejected,
    Source,
    dropper,
    first_error_line,
    sql_string,
    temp_name,
)
from wegweiser.store.engine import is_engine_error, quote_identifier

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from wegweiser.events.options import ImportOptions
    from wegweiser.store.engine import Engine

__all__ = [
    "FORMATS",
    "RECORD_COLUMNS",
    "Rejected",
    "Source",
    "detect_format",
    "expand_paths",
    "iter_json_lines",
    "load_records",
    "message_to_row",
    "messages_of",
    "read_arrow",
    "read_csv",
    "read_jsonl",
    "read_parquet",
    "read_parquet_row_groups",
    "read_source",
    "records_table",
]

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def expand_paths(inputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files named directly, inside folders (recursively) or matched by globs, sorted."""
    paths: list[Path] = []
    for item in inputs:
        text = os.fspath(item)
        if any(ch in text for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matches:
                raise UnreadableSource(f"{text}: no files match this pattern", source=text)
            paths.extend(matches)
            continue
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _known(p))
            if not found:
                raise UnreadableSource(
                    f"{text}: folder holds no .csv, .jsonl, .json or .parquet files", source=text
                )
            paths.extend(found)
        elif path.is_file():
            paths.append(path)
        else:
            raise UnreadableSource(f"{text}: no such file or folder", source=text)
    return paths


def _known(path: Path) -> bool:
    """A file a folder import reads: a known suffix, also before ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in _SUFFIXES


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise UnreadableSource(
                f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}", source=str(path)
            )
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    suffixes = [s for s in suffixes if s != ".gz"]
    found = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise UnreadableSource(
            f"{path}: cannot tell the format from the name; pass --input-format "
            "csv|jsonl|parquet",
            source=str(path),
        )
    if gz and found == "parquet":
        raise UnreadableSource(
            f"{path}: gzip-compressed Parquet cannot be read; unzip it (Parquet compresses "
            "its own columns)", source=str(path),
        )
    return found


def read_parquet(engine: Engine, path: Path) -> Source:
    """A Parquet file as a view, read lazily batch by batch. When a batch meets a row group
    that cannot be decoded (a corrupt page), the importer reads the file again with
    :func:`read_parquet_row_groups`."""
    name = temp_name("src")
    scan = f"read_parquet({sql_string(path)}, file_row_number = true)"
    try:
        columns = [c for c in engine.columns_of(f"SELECT * FROM {scan}") if c != "file_row_number"]
        select = ", ".join(
            f"{quote_identifier(c)} AS {quote_identifier(_unreserved(c))}" for c in columns
        )
        engine.run(
            f"CREATE TEMP VIEW {name} AS SELECT {select}, file_row_number + 1 AS _line "
            f"FROM {scan}"
        )
        columns_out = engine.columns_of(f"SELECT * FROM {name}")
    except Exception as exc:
        engine.run(f"DROP VIEW IF EXISTS {name}")
        if not is_engine_error(exc):
            raise
        raise UnreadableSource(
            f"{path}: not a readable Parquet file ({first_error_line(exc)})", source=str(path)
        ) from None
    return Source(
        str(path), name, columns_out, cleanup=[dropper(engine, f"DROP VIEW IF EXISTS {name}")]
    )


def read_parquet_row_groups(engine: Engine, path: Path, error: BaseException) -> Source:
    """A Parquet file as a temp table, row group by row group (Arrow): a row group that
    cannot be read is rejected as a whole — the error and the rows it held as reason — and
    the others go in. ``error`` is what the fast path met."""
    return _read_row_groups(engine, path, temp_name("src"), error)


def _read_row_groups(engine: Engine, path: Path, name: str, first: BaseException) -> Source:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
    except Exception:  # not Parquet at all: the engine's error says why
        raise UnreadableSource(
            f"{path}: not a readable Parquet file ({first_error_line(first)})", source=str(path)
        ) from None
    rejected: list[Rejected] = []
    parts: list[pa.Table] = []
    start = 1
    for group in range(parquet.num_row_groups):
        n = parquet.metadata.row_group(group).num_rows
        try:
            table = parquet.read_row_group(group)
            table.validate(full=True)  # e.g. strings that are not UTF-8
        except Exception as exc:  # pyarrow raises several kinds for corrupt data
            rejected.append(Rejected(
                start, f"unreadable Parquet row group {group} (rows {start}-{start + n - 1}, "
                f"{n:,} rows lost): {first_error_line(exc)}", "",
            ))
        else:
            lines = pa.array(range(start, start + n), pa.int64())
            parts.append(table.append_column("_line", lines))
        start += n
    empty = schema.empty_table().append_column("_line", pa.array([], pa.int64()))
    whole = pa.concat_tables([empty, *parts])
    whole = whole.rename_columns(
        [_unreserved(c) for c in whole.column_names[:-1]] + ["_line"]
    )
    view = temp_name("arrow")
    engine.register(view, whole)
    try:
        engine.run(f"CREATE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        engine.unregister(view)
    return Source(
        str(path), name, engine.columns_of(f"SELECT * FROM {name}"), rejected,
        cleanup=[dropper(engine, f"DROP TABLE IF EXISTS {name}")],
        warnings=[f"{path}: {r.reason}" for r in rejected],
    )


def _unreserved(column: str) -> str:
    """An input column named like one the importer adds (``_line``) is kept as ``input_line``."""
    return f"input{column}" if column in RESERVED else column


def read_source(
    engine: Engine, path: Path, kind: str, mapping: Mapping[str, str], options: ImportOptions
) -> Source:
    """Read ``path`` in format ``kind`` (``mapping`` renames the keys of JSON records)."""
    if kind == "csv":
        return read_csv(engine, path, options)
    if kind == "parquet":
        return read_parquet(engine, path)
    return read_jsonl(engine, path, mapping, encoding=options.encoding)


def read_arrow(engine: Engine, table: pa.Table, *, source_name: str) -> Source:
    """An in-memory Arrow table (or a converted DataFrame); rows are numbered from 1."""
    table = table.rename_columns([_unreserved(c) for c in table.column_names])
    table = table.append_column("_line", pa.array(range(1, table.num_rows + 1), type=pa.int64()))
    name = temp_name("src")
    engine.register(name, table)
    columns = engine.columns_of(f"SELECT * FROM {name}")
    return Source(source_name, name, columns, cleanup=[lambda: engine.unregister(name)])
