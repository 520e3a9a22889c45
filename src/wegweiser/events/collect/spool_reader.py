"""Read a collector spool segment into the normal import path.

A segment (see :mod:`wegweiser.events.collect.spool`) holds one JSON object per line: a
message as :func:`wegweiser.events.collect.messages.event_row` made it (canonical keys,
scalars as text, unknown keys already moved into ``properties``), plus ``received_at`` and
the sending ``write_key``'s fingerprint. DuckDB reads the file itself, one JSON parse per
line, into the canonical string columns with ``_line`` and ``_raw`` (the line, kept as the
quarantine payload), so :func:`~wegweiser.events.ingest.ingest_source` validates,
deduplicates, derives channels, stitches identities and quarantines exactly as for an
imported file. Lines that are not JSON objects are quarantined as such.

Importing a segment twice adds nothing: the importer records each segment in ``imports``
(``source`` = ``spool/<id>.jsonl``, ``kind`` = ``collector``) in the same transaction as its
events, and :func:`import_segment` skips segments found there (also undone ones:
``wegweiser imports undo`` works for the collector's batches as for files).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from wegweiser.events.ingest import ImportSummary, ingest_source
from wegweiser.events.readers import RECORD_COLUMNS, Rejected, Source
from wegweiser.store.schema import JSON_COLUMNS

if TYPE_CHECKING:
    from pathlib import Path

    from wegweiser.config import Config
    from wegweiser.store.engine import Engine

__all__ = ["import_segment", "read_segment"]

_STRINGS = [c for c in RECORD_COLUMNS if c not in JSON_COLUMNS]
_PYTHON_TYPE = {
    "ARRAY": "list",
    "VARCHAR": "str",
    "BIGINT": "int",
    "UBIGINT": "int",
    "DOUBLE": "float",
    "BOOLEAN": "bool",
    "NULL": "NoneType",
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_segment(engine: Engine, path: Path, *, source_name: str) -> Source:
    """The segment at ``path`` as a :class:`~wegweiser.events.readers.Source` of records."""
    name = f"_spool_{uuid.uuid4().hex[:12]}"
    paths = ", ".join(_literal(f"$.{c}") for c in _STRINGS)
    json_paths = ", ".join(_literal(f"$.{c}") for c in JSON_COLUMNS)
    columns = [f"s[{i}] AS {c}" for i, c in enumerate(_STRINGS, start=1)]
    columns += [
        f"nullif(CAST(j[{i}] AS VARCHAR), 'null') AS {c}"
        for i, c in enumerate(JSON_COLUMNS, start=1)
    ]
    engine.run(
        f"CREATE TEMP TABLE {name} AS SELECT {', '.join(columns)}, _line, _raw FROM ("
        f"SELECT ordinality AS _line, CAST(json AS VARCHAR) AS _raw, "
        f"json_extract_string(json, [{paths}]) AS s, json_extract(json, [{json_paths}]) AS j "
        f"FROM read_ndjson_objects({_literal(str(path))}) WITH ORDINALITY)"
    )
    # the collector writes objects; anything else (a batch item that was not) is rejected
    others = f"FROM {name} WHERE NOT starts_with(_raw, '{{')"
    rejected = [
        Rejected(int(line), f"not a JSON object but {_PYTHON_TYPE.get(kind, kind)}", raw)
        for line, raw, kind in engine.execute(
            f"SELECT _line, _raw, json_type(_raw) {others} ORDER BY _line"
        ).rows
    ]
    if rejected:
        engine.run(f"DELETE {others}")
    return Source(
        source_name,
        name,
        engine.columns_of(f"SELECT * FROM {name}"),
        rejected,
        records=True,
        cleanup=[lambda: engine.run(f"DROP TABLE IF EXISTS {name}")],
    )


def import_segment(
    engine: Engine, config: Config, path: Path, *, source_name: str, lines: int | None = None
) -> ImportSummary | None:
    """Import one segment as one import (``kind`` ``collector`` in the history); None if the
    store holds it already (a flush interrupted between committing and deleting the file, or
    a segment whose import was undone). A segment is one transaction however large, so
    ``lines`` is not needed any more (kept for callers)."""
    del lines
    if engine.scalar(
        "SELECT count(*) FROM imports WHERE source = $source", {"source": source_name}
    ):
        return None
    source = read_segment(engine, path, source_name=source_name)
    try:
        return ingest_source(engine, config, source, {}, kind="collector")
    finally:
        source.close()
