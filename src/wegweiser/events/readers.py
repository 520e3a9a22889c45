"""Readers: turn a file, folder, glob or DataFrame into sources the normaliser can query.

A :class:`Source` is a relation in the engine with the input's own column names plus
``_line`` (1-based line or row number in the file), and the rows the reader itself had to
reject (a broken JSON line, a CSV line with the wrong number of columns).
"""

from __future__ import annotations

import glob
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from wegweiser.errors import UnreadableSource
from wegweiser.events.schema import INPUT_COLUMNS, JSON_COLUMNS, MESSAGE_ONLY_KEYS, canonical_key
from wegweiser.store.engine import Engine, is_engine_error

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from wegweiser.events.options import ImportOptions

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


@dataclass
class Rejected:
    """A row a reader could not turn into columns."""

    line: int
    reason: str
    raw: str


@dataclass
class Source:
    """One readable input, registered in the engine as ``relation``."""

    name: str
    relation: str
    columns: dict[str, str]
    rejected: list[Rejected] = field(default_factory=list)
    #: True when the columns already carry canonical names and a ``_raw`` column.
    records: bool = False
    #: Undo what the reader created in the engine (temp tables, views, registrations).
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    #: What the reader guessed or doubted (a delimiter, an encoding), for the summary.
    warnings: list[str] = field(default_factory=list)

    def close(self) -> None:
        for undo in self.cleanup:
            undo()
        self.cleanup.clear()


def _dropper(engine: Engine, statement: str) -> Callable[[], None]:
    return lambda: engine.run(statement)


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
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
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


def detect_format(path: Path, fmt: str | None = None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise UnreadableSource(
                f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}", source=str(path)
            )
        return fmt
    suffixes = [s for s in path.suffixes if s != ".gz"]
    found = _SUFFIXES.get(suffixes[-1].lower()) if suffixes else None
    if found is None:
        raise UnreadableSource(
            f"{path}: cannot tell the format from the name; pass --format csv|jsonl|parquet",
            source=str(path),
        )
    return found


def _temp_name(prefix: str) -> str:
    return f"_{prefix}_{uuid.uuid4().hex[:12]}"


def read_parquet(engine: Engine, path: Path) -> Source:
    name = _temp_name("src")
    try:
        engine.run(
            f"CREATE TEMP VIEW {name} AS SELECT * EXCLUDE (file_row_number), "
            f"file_row_number + 1 AS _line "
            f"FROM read_parquet({_sql_string(path)}, file_row_number = true)"
        )
        columns = engine.columns_of(f"SELECT * FROM {name}")
    except Exception as exc:
        engine.run(f"DROP VIEW IF EXISTS {name}")
        if is_engine_error(exc):
            raise UnreadableSource(
                f"{path}: not a readable Parquet file ({_first_line(exc)})", source=str(path)
            ) from None
        raise
    return Source(
        str(path), name, columns, cleanup=[_dropper(engine, f"DROP VIEW IF EXISTS {name}")]
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _sql_string(value: object) -> str:
    """An SQL string literal (quotes doubled), for file paths in view definitions."""
    return "'" + str(value).replace("'", "''") + "'"


def read_csv(engine: Engine, path: Path) -> Source:
    """CSV with a header row. Lines with a wrong column count or broken quoting are rejected."""
    name = _temp_name("src")
    rej, scan = _temp_name("rej"), _temp_name("scan")
    try:
        engine.run(
            f"CREATE TEMP TABLE {name} AS SELECT *, row_number() OVER () + 1 AS _line FROM "
            f"read_csv({_sql_string(path)}, all_varchar = true, header = true, "
            f"store_rejects = true, rejects_table = '{rej}', rejects_scan = '{scan}', "
            "strict_mode = true)"
        )
        rejected_rows = engine.execute(
            f"SELECT line, error_type, error_message, csv_line FROM {rej} ORDER BY line"
        ).rows
    except Exception as exc:
        engine.run(f"DROP TABLE IF EXISTS {name}")
        if is_engine_error(exc):
            raise UnreadableSource(
                f"{path}: not a readable CSV file ({_first_line(exc)})", source=str(path)
            ) from None
        raise
    finally:
        engine.run(f"DROP TABLE IF EXISTS {rej}")
        engine.run(f"DROP TABLE IF EXISTS {scan}")
    rejected: list[Rejected] = []
    seen: set[int] = set()
    for line, error_type, message, csv_line in rejected_rows:
        if line in seen:
            continue
        seen.add(line)
        kind = str(error_type).lower().replace("_", " ")
        rejected.append(Rejected(int(line), f"wrong column count: {kind} ({message})", csv_line))
    if rejected:
        # Good row k (1-based) was numbered k + 1, as if no line were rejected; the j-th
        # rejected line r_j comes before it when k > r_j - 1 - j, adding one line each.
        engine.run(
            f"UPDATE {name} SET _line = _line + (SELECT count(*) FROM "
            f"(SELECT unnest($lines) AS l, generate_subscripts($lines, 1) AS j) r "
            f"WHERE r.l - 1 - r.j < {name}._line - 1)",
            {"lines": [r.line for r in rejected]},
        )
    columns = engine.columns_of(f"SELECT * FROM {name}")
    return Source(
        str(path),
        name,
        columns,
        rejected,
        cleanup=[_dropper(engine, f"DROP TABLE IF EXISTS {name}")],
    )


# -- records: JSON Lines, HTTP batches, quarantine replay ----------------------------------
RECORD_COLUMNS = (*INPUT_COLUMNS, "original_timestamp")


def message_to_row(message: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """One Segment/RudderStack message or flat record -> canonical columns as strings.

    ``mapping`` is target -> source key (``{"user_id": "client_id"}``). Nested values become
    JSON text; unknown top-level keys of a flat record go into ``properties``. A top-level
    ``channel`` in a message that has ``context`` (RudderStack sets it to web/ios/server...)
    is the sending platform, not the marketing channel.
    """
    renamed: dict[str, Any] = {}
    by_source = {src: target for target, src in mapping.items()}
    for key, value in message.items():
        target = by_source.get(key)
        renamed[target if target is not None else canonical_key(key)] = value
    if "context" in renamed and "channel" in renamed and "platform" not in renamed:
        renamed["platform"] = renamed.pop("channel")
    row: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in renamed.items():
        if key in RECORD_COLUMNS:
            row[key] = value
        elif key not in MESSAGE_ONLY_KEYS:
            extra[key] = value
    if extra:
        props = row.get("properties")
        if props is None:
            row["properties"] = extra
        elif isinstance(props, dict):
            row["properties"] = {**extra, **props}
    for key, value in row.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            row[key] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif key in JSON_COLUMNS:
            # a scalar where an object belongs: keep it as JSON so validation can say so
            row[key] = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            row[key] = str(value).lower()
        else:
            row[key] = str(value)
    return row


def records_table(rows: list[tuple[int, str, dict[str, Any]]], first_row: int = 1) -> pa.Table:
    """(line, raw text, canonical row) tuples -> an Arrow table of string columns, with
    ``_row`` numbering the rows from ``first_row`` (a line may hold several messages)."""
    columns: dict[str, list[Any]] = {c: [] for c in RECORD_COLUMNS}
    lines: list[int] = []
    raws: list[str] = []
    for line, raw, row in rows:
        lines.append(line)
        raws.append(raw)
        for c in RECORD_COLUMNS:
            columns[c].append(row.get(c))
    arrays = {c: pa.array(v, type=pa.string()) for c, v in columns.items()}
    arrays["_line"] = pa.array(lines, type=pa.int64())
    arrays["_raw"] = pa.array(raws, type=pa.string())
    arrays["_row"] = pa.array(range(first_row, first_row + len(lines)), type=pa.int64())
    return pa.table(arrays)


def iter_json_lines(path: Path) -> Iterator[tuple[int, str, Any | Rejected]]:
    """(line number, raw text, parsed value or Rejected) for each non-blank line."""
    try:
        handle = path.open("r", encoding="utf-8", errors="strict")
    except OSError as exc:
        raise UnreadableSource(f"{path}: cannot open ({exc.strerror})", source=str(path)) from None
    with handle:
        try:
            for number, text in enumerate(handle, start=1):
                stripped = text.strip()
                if not stripped:
                    continue
                try:
                    yield number, stripped, json.loads(stripped)
                except json.JSONDecodeError as exc:
                    yield (
                        number,
                        stripped,
                        Rejected(number, f"broken JSON: {exc.msg} at column {exc.colno}", stripped),
                    )
        except UnicodeDecodeError as exc:
            raise UnreadableSource(
                f"{path}: not UTF-8 text ({exc.reason})", source=str(path)
            ) from None


def messages_of(value: Any) -> list[Any]:
    """A line may hold one message or a Segment batch envelope ``{"batch": [...]}``."""
    if isinstance(value, dict) and isinstance(value.get("batch"), list):
        envelope_context = value.get("context")
        out = []
        for msg in value["batch"]:
            if isinstance(msg, dict) and envelope_context and "context" not in msg:
                msg = {**msg, "context": envelope_context}
            out.append(msg)
        return out
    return [value]


def load_records(
    engine: Engine,
    name: str,
    items: Iterable[tuple[int, str, Any]],
    mapping: Mapping[str, str],
    *,
    source_name: str,
    chunk: int = 200_000,
) -> Source:
    """Load (line, raw, message) items into a temp table ``name`` of canonical string columns."""
    rejected: list[Rejected] = []
    rows: list[tuple[int, str, dict[str, Any]]] = []
    created = False
    n_rows = 0

    def flush() -> None:
        nonlocal created, rows, n_rows
        table = records_table(rows, n_rows + 1)
        n_rows += len(rows)
        view = _temp_name("arrow")
        engine.register(view, table)
        try:
            if created:
                engine.run(f"INSERT INTO {name} SELECT * FROM {view}")
            else:
                engine.run(f"CREATE TEMP TABLE {name} AS SELECT * FROM {view}")
                created = True
        finally:
            engine.unregister(view)
        rows = []

    for line, raw, value in items:
        if isinstance(value, Rejected):
            rejected.append(value)
            continue
        for message in messages_of(value):
            if not isinstance(message, dict):
                rejected.append(
                    Rejected(line, f"not a JSON object but {type(message).__name__}", raw)
                )
                continue
            many = isinstance(value, dict) and "batch" in value
            raw_text = json.dumps(message, ensure_ascii=False) if many else raw
            rows.append((line, raw_text, message_to_row(message, mapping)))
        if len(rows) >= chunk:
            flush()
    if rows or not created:
        flush()
    columns = engine.columns_of(f"SELECT * FROM {name}")
    return Source(
        source_name,
        name,
        columns,
        rejected,
        records=True,
        cleanup=[_dropper(engine, f"DROP TABLE IF EXISTS {name}")],
    )


def read_jsonl(engine: Engine, path: Path, mapping: Mapping[str, str]) -> Source:
    return load_records(
        engine, _temp_name("src"), iter_json_lines(path), mapping, source_name=str(path)
    )


def read_source(
    engine: Engine, path: Path, kind: str, mapping: Mapping[str, str], options: ImportOptions
) -> Source:
    """Read ``path`` in format ``kind`` (``mapping`` renames the keys of JSON records)."""
    if kind == "csv":
        return read_csv(engine, path)
    if kind == "parquet":
        return read_parquet(engine, path)
    return read_jsonl(engine, path, mapping)


def read_arrow(engine: Engine, table: pa.Table, *, source_name: str) -> Source:
    """An in-memory Arrow table (or a converted DataFrame); rows are numbered from 1."""
    if "_line" in table.column_names:
        table = table.drop_columns(["_line"])
    table = table.append_column("_line", pa.array(range(1, table.num_rows + 1), type=pa.int64()))
    name = _temp_name("src")
    engine.register(name, table)
    columns = engine.columns_of(f"SELECT * FROM {name}")
    return Source(source_name, name, columns, cleanup=[lambda: engine.unregister(name)])
