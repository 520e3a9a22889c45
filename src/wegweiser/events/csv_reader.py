"""CSV (and other delimited text) with a header row, read without guessing the dialect.

The delimiter is ``--delimiter`` or, without it, the one of ``, ; TAB |`` the header line
holds most often (a ``.tsv`` file: tab); a header that holds several says so in a warning.
Quoting is RFC 4180 (``"``, doubled inside). DuckDB then reads the file with exactly these
settings (``auto_detect = false``): no sniffing, so one odd value (``a|'b'|c``) cannot
change how the whole file is read, and a line with an unbalanced quote, the wrong number of
columns or more than 2 MB is rejected on its own. ``whitespace`` splits lines on runs of
spaces and tabs (fixed-width exports), in Python.
"""

from __future__ import annotations

import csv
import os
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from wegweiser.errors import UnreadableSource
from wegweiser.events.csv_parts import split_csv
from wegweiser.events.options import ImportOptions
from wegweiser.events.sources import (
    Rejected,
    Source,
    dropper,
    first_error_line,
    sql_string,
)
from wegweiser.events.textfiles import (
    encoding_of,
    first_line,
    is_gzip,
    iter_lines,
    transcode,
)
from wegweiser.store.engine import is_engine_error

if TYPE_CHECKING:
    from collections.abc import Iterator

    from wegweiser.store.engine import Engine

CANDIDATES = (",", ";", "\t", "|")
#: A CSV file larger than this (bytes) is read part by part, each about this size, so an
#: import holds one part's text at a time (see :mod:`wegweiser.events.csv_parts`).
PART_BYTES = 256 * 2**20
RESERVED = ("_line", "_raw", "_row")
_SHOWN = {"\t": "tab", " ": "space"}
_REASONS = {
    "UNQUOTED VALUE": "unbalanced quote",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID ENCODING": "not valid text in this encoding",
}


def _shown(delim: str) -> str:
    return _SHOWN.get(delim, repr(delim))


def choose_delimiter(path: Path, header: str, given: str | None) -> tuple[str, list[str]]:
    """The delimiter and warnings about it (see the module docstring)."""
    if given is not None:
        return given, []
    if path.name.lower().removesuffix(".gz").endswith(".tsv"):
        return "\t", []
    counts = {c: _count_outside_quotes(header, c) for c in CANDIDATES}
    best = max(CANDIDATES, key=lambda c: counts[c])
    if counts[best] == 0:
        words = header.split()
        hint = " — columns separated by spaces? use --delimiter whitespace" if len(
            words) > 1 else " — wrong delimiter? use --delimiter"
        raise UnreadableSource(
            f"{path}: found 1 column {header[:80]!r}{hint}", source=str(path)
        )
    others = [c for c in CANDIDATES if c != best and counts[c]]
    warnings = []
    if others:
        also = ", ".join(_shown(c) for c in others)
        warnings.append(
            f"{path}: read as {_shown(best)}-separated ({counts[best]} in the header line, "
            f"which also holds {also}); pass --delimiter if that is wrong"
        )
    return best, warnings


def _count_outside_quotes(line: str, char: str) -> int:
    inside, n = False, 0
    for ch in line:
        if ch == '"':
            inside = not inside
        elif ch == char and not inside:
            n += 1
    return n


def header_names(header: str, delim: str) -> tuple[list[str], list[str]]:
    """Unique column names from the header line, and warnings about renamed ones."""
    if delim == "whitespace":
        raw = header.split()
    else:
        raw = next(csv.reader([header], delimiter=delim, quotechar='"'), [])
    names: list[str] = []
    warnings: list[str] = []
    for i, name in enumerate(raw, start=1):
        name = name.strip() or f"column{i}"
        if name in RESERVED:
            warnings.append(f"column {name!r} is named input{name} (the name is reserved)")
            name = f"input{name}"
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return names, warnings


def read_csv(engine: Engine, path: Path, options: ImportOptions | None = None) -> Source:
    """A CSV file with a header row as a :class:`Source` (rows and rejected lines)."""
    options = options or ImportOptions()
    encoding = encoding_of(path, options.encoding)
    header = first_line(path, encoding)
    if not header.strip():
        raise UnreadableSource(f"{path}: the first line is empty; a header row is needed",
                               source=str(path))
    delim, warnings = choose_delimiter(path, header, options.delimiter)
    names, renamed = header_names(header, delim)
    warnings += [f"{path}: {w}" for w in renamed]
    if len(names) == 1:
        raise UnreadableSource(
            f"{path}: found 1 column {names[0][:80]!r} with --delimiter {_shown(delim)} — wrong "
            "delimiter?", source=str(path)
        )
    if delim == "whitespace":
        source = _read_whitespace(engine, path, names, encoding)
    else:
        source = _read_delimited(engine, path, names, delim, encoding)
    source.warnings += warnings
    return source


def _read_delimited(
    engine: Engine, path: Path, names: list[str], delim: str, encoding: str
) -> Source:
    readable = path if encoding in ("utf-8", "utf-8-sig") else transcode(path, encoding)
    if not is_gzip(readable) and readable.stat().st_size > PART_BYTES:
        return _in_parts(engine, path, readable, names, delim)
    try:
        name, rejected, warnings = _read_part(engine, path, readable, names, delim)
    finally:
        if readable != path:
            readable.unlink(missing_ok=True)
    return Source(
        str(path), name, engine.columns_of(f"SELECT * FROM {name}"), rejected,
        cleanup=[lambda: engine.run(f"DROP TABLE IF EXISTS {name}")], warnings=warnings,
    )


def _in_parts(
    engine: Engine, path: Path, readable: Path, names: list[str], delim: str
) -> Source:
    """A large file as a source read part by part (see :mod:`.csv_parts`): one part's text
    is held at a time, not the whole file's."""
    columns = {**dict.fromkeys(names, "VARCHAR"), "_line": "BIGINT"}
    source = Source(str(path), "", columns, done=0.0)

    def parts() -> Iterator[Source]:
        for part, first, done in split_csv(readable, PART_BYTES):
            name, rejected, warnings = _read_part(engine, path, part, names, delim, first)
            source.warnings += warnings
            source.done = done
            yield Source(
                str(path), name, columns, rejected,
                cleanup=[dropper(engine, f"DROP TABLE IF EXISTS {name}")],
            )

    source.parts = parts
    if readable != path:
        source.cleanup.append(lambda: readable.unlink(missing_ok=True))
    return source


def _read_part(
    engine: Engine, path: Path, readable: Path, names: list[str], delim: str, first: int = 2
) -> tuple[str, list[Rejected], list[str]]:
    """Read ``readable`` into a temp table; returns it, the rejected lines and warnings.

    ``first``: the line of ``path`` that the first line after the header of ``readable``
    is (2 for the whole file; later for a part of it, see :mod:`.csv_parts`).
    A quote that never closes swallows the lines after it into one rejected "line"; those
    lines are read again on their own, so one stray quote costs its own line only.
    """
    name = f"_src_{uuid.uuid4().hex[:12]}"
    rej, scan = f"_rej_{name[5:]}", f"_scan_{name[5:]}"
    columns = "{" + ", ".join(f"{sql_string(n)}: 'VARCHAR'" for n in names) + "}"
    try:
        engine.run(
            f"CREATE TEMP TABLE {name} AS SELECT *, row_number() OVER () + {first - 1} AS _line "
            "FROM "
            f"read_csv({sql_string(readable)}, auto_detect = false, header = true, "
            f"delim = {sql_string(delim)}, quote = '\"', escape = '\"', columns = {columns}, "
            f"store_rejects = true, rejects_table = '{rej}', rejects_scan = '{scan}', "
            "strict_mode = true)"
        )
        rows = engine.execute(
            f"SELECT line, error_type, error_message, csv_line FROM {rej} ORDER BY line"
        ).rows
    except Exception as exc:
        engine.run(f"DROP TABLE IF EXISTS {name}")
        if is_engine_error(exc):
            raise UnreadableSource(
                f"{path}: not a readable CSV file ({first_error_line(exc)}); check "
                "--delimiter and --encoding", source=str(path)
            ) from None
        raise
    finally:
        engine.run(f"DROP TABLE IF EXISTS {rej}")
        engine.run(f"DROP TABLE IF EXISTS {scan}")
    try:
        rejected, spans, records = _rejections(path, rows, first)
        if rejected:
            _renumber(engine, name, records, [len(s) for s in spans], first)
        warnings: list[str] = []
        for reject, lines in zip(list(rejected), spans, strict=True):
            if len(lines) > 1:
                reject.raw = lines[0]
                more, said = _read_tail(engine, path, name, names, delim, reject.line, lines[1:])
                rejected += more
                warnings += said
    except BaseException:
        engine.run(f"DROP TABLE IF EXISTS {name}")
        raise
    rejected.sort(key=lambda r: r.line)
    return name, rejected, warnings


def _read_tail(
    engine: Engine, path: Path, into: str, names: list[str], delim: str, line: int,
    lines: list[str],
) -> tuple[list[Rejected], list[str]]:
    """Read the ``lines`` an unclosed quote on ``line`` swallowed; add their rows to ``into``."""
    fd, temp = tempfile.mkstemp(prefix="wegweiser-", suffix=".csv")
    tail = Path(temp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write("header\n" + "\n".join(lines) + "\n")
        # the tail's line 2 is the file's line + 1
        name, rejected, warnings = _read_part(engine, path, tail, names, delim, line + 1)
    finally:
        tail.unlink(missing_ok=True)
    engine.run(f"INSERT INTO {into} SELECT * FROM {name}")
    engine.run(f"DROP TABLE {name}")
    warnings.append(
        f"{path}: line {line} opens a quote that never closes; the {len(lines):,} lines after "
        "it were read on their own"
    )
    return rejected, warnings


def _rejections(
    path: Path, rows: list[tuple[object, ...]], first: int = 2
) -> tuple[list[Rejected], list[list[str]], list[int]]:
    """The rejected lines, the physical lines each one spans (a quote can span lines) and
    DuckDB's record numbers of them (``first``: see :func:`_read_part`)."""
    records: list[int] = []
    rejected: list[Rejected] = []
    spans: list[list[str]] = []
    extra = 0  # DuckDB counts a record spanning lines as one line
    for line, error_type, message, csv_line in rows:
        if records and int(str(line)) == records[-1]:
            continue  # another error of the same record
        number = int(str(line)) + extra + first - 2
        kind = str(error_type)
        if kind == "INVALID ENCODING":
            raise UnreadableSource(
                f"{path}: line {number} is not valid UTF-8 text; the file looks like another "
                "encoding — pass --encoding latin-1 (or cp1252, utf-16, ...)", source=str(path)
            )
        what = _REASONS.get(kind, "wrong column count: " + kind.lower().replace("_", " "))
        text = str(csv_line)
        lines = text.rstrip("\r\n").splitlines() if kind == "UNQUOTED VALUE" else [text]
        rejected.append(Rejected(number, f"{what} ({message})", text))
        spans.append(lines or [text])
        records.append(int(str(line)))
        extra += len(spans[-1]) - 1
    return rejected, spans, records


def _renumber(
    engine: Engine, name: str, records: list[int], spans: list[int], first: int
) -> None:
    # Good row k (1-based) was numbered k + first - 1, as if no line were rejected; the
    # j-th rejected record (DuckDB's record number r_j, 1-based j) comes before it when
    # k > r_j - 1 - j, adding the n_j physical lines it spans.
    engine.run(
        f"UPDATE {name} SET _line = _line + (SELECT coalesce(sum(r.n), 0) FROM "
        f"(SELECT unnest($records) AS l, unnest($spans) AS n, "
        f"generate_subscripts($records, 1) AS j) r "
        f"WHERE r.l - 1 - r.j < {name}._line - {first - 1})",
        {"records": records, "spans": spans},
    )


def _read_whitespace(
    engine: Engine, path: Path, names: list[str], encoding: str, *, chunk: int = 200_000
) -> Source:
    """Columns separated by runs of spaces/tabs; a line with another count is rejected."""
    name = f"_src_{uuid.uuid4().hex[:12]}"
    columns: list[list[str]] = [[] for _ in names]
    lines: list[int] = []
    rejected: list[Rejected] = []
    created = False

    def flush() -> None:
        nonlocal created
        table = pa.table(
            {**{n: pa.array(c, pa.string()) for n, c in zip(names, columns, strict=True)},
             "_line": pa.array(lines, pa.int64())}
        )
        view = f"_arrow_{uuid.uuid4().hex[:12]}"
        engine.register(view, table)
        try:
            engine.run(f"INSERT INTO {name} SELECT * FROM {view}" if created
                       else f"CREATE TEMP TABLE {name} AS SELECT * FROM {view}")
            created = True
        finally:
            engine.unregister(view)
        for column in columns:
            column.clear()
        lines.clear()

    try:
        for number, text in iter_lines(path, encoding):
            fields = text.split()
            if number == 1 or not fields:
                continue
            if len(fields) != len(names):
                rejected.append(Rejected(
                    number, f"wrong column count: {len(fields)} fields, the header has "
                    f"{len(names)}", text,
                ))
                continue
            lines.append(number)
            for column, value in zip(columns, fields, strict=True):
                column.append(value)
            if len(lines) >= chunk:
                flush()
        if lines or not created:
            flush()
    except BaseException:
        engine.run(f"DROP TABLE IF EXISTS {name}")
        raise
    return Source(
        str(path), name, engine.columns_of(f"SELECT * FROM {name}"), rejected,
        cleanup=[lambda: engine.run(f"DROP TABLE IF EXISTS {name}")],
    )
