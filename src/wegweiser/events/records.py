"""Records: JSON Lines files, HTTP batches and quarantine replays as canonical columns.

A record source holds the ``events`` input columns as text, ``_line`` (the file line),
``_row`` (one per message: a ``{"batch": [...]}`` line holds several) and ``_raw`` (the
message as it came, kept as the quarantine payload).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from wegweiser.events.sources import Rejected, Source, dropper, temp_name
from wegweiser.events.textfiles import encoding_of, iter_lines
from wegweiser.store.schema import INPUT_COLUMNS, JSON_COLUMNS, MESSAGE_ONLY_KEYS, canonical_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

    from wegweiser.store.engine import Engine

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


def iter_json_lines(
    path: Path, encoding: str | None = None
) -> Iterator[tuple[int, str, Any | Rejected]]:
    """(line number, raw text, parsed value or Rejected) for each non-blank line.

    gzip files are read decompressed; a byte-order mark is no part of the first line. A line
    that is not JSON, nested too deeply or holding a lone surrogate (``"\\ud800"``, which
    no UTF-8 text can store) is rejected on its own.
    """
    for number, text in iter_lines(path, encoding_of(path, encoding)):
        stripped = text.strip()
        if stripped:
            yield number, stripped, _parse_line(number, stripped)


def _parse_line(number: int, text: str) -> Any | Rejected:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejected(number, f"broken JSON: {exc.msg} at column {exc.colno}", text)
    except RecursionError:
        return Rejected(number, "JSON nested too deeply", text)
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        return Rejected(number, f"unreadable JSON: {exc}", text)
    if "\\u" in text and _has_surrogate(value):
        return Rejected(
            number, "a JSON string holds a lone surrogate (\\ud800-\\udfff): not valid Unicode",
            text,
        )
    return value


def _has_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except RecursionError:
        return False
    return False


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
        view = temp_name("arrow")
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
        many = isinstance(value, dict) and isinstance(value.get("batch"), list)
        for message in messages_of(value):
            # each member of a batch envelope is its own row, with its own raw payload
            raw_text = json.dumps(message, ensure_ascii=False) if many else raw
            if not isinstance(message, dict):
                rejected.append(
                    Rejected(line, f"not a JSON object but {type(message).__name__}", raw_text)
                )
                continue
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
        cleanup=[dropper(engine, f"DROP TABLE IF EXISTS {name}")],
    )


def read_jsonl(
    engine: Engine, path: Path, mapping: Mapping[str, str], *, encoding: str | None = None
) -> Source:
    return load_records(
        engine, temp_name("src"), iter_json_lines(path, encoding), mapping, source_name=str(path)
    )


