"""The columns of a path table file or DataFrame: path texts and counts (internal).

A file is read by Arrow's CSV reader with the count columns typed as numbers (multi-threaded,
no Python strings). Whatever that reader does not take as it is — a delimiter of more than
one character, a short row, a number it cannot parse or a
negative count, a missing column — is read again as text by pandas, exactly as before, so
the errors name the file's line (``paths.csv:7: nulls must be a number >= 0, got 'x'``).
Both readers give the same numbers for the same file (a test compares them).

Arrow's buffers here come from the system allocator (:data:`POOL`): its default pool
(mimalloc) takes fresh transparent huge pages for them, and the kernel zeroing those cost
more CPU than the reading itself (perf: ``clear_page_erms`` under mimalloc's free-list
extension; 1M paths: 0.8-1.2 s system CPU with mimalloc, 0.13-0.27 s with this pool).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wegweiser.errors import InvalidInput, UnreadableSource

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import NDArray

#: the count columns, in the order their errors are reported
NUMBERS = ("conversions", "nulls", "value")
#: the memory pool of the reading and splitting (see the module docstring)
POOL = pa.system_memory_pool()


@dataclass(frozen=True)
class PathTable:
    """``paths``: the path texts (``""`` where empty; Arrow's reader gives them in chunks, as
    it read them); ``numbers``: the counts as floats (0 where blank or the column is missing);
    ``read``: ``arrow``, ``text`` or ``frame``."""

    paths: pa.ChunkedArray
    numbers: dict[str, NDArray[np.float64]]
    read: str


def read_file(name: str, *, delimiter: str, columns: Mapping[str, str]) -> PathTable:
    """The table in the CSV file ``name``; ``columns`` maps ``path`` and :data:`NUMBERS` to
    the column names asked for (matched case-insensitively)."""
    fast = _read_arrow(name, delimiter, columns)
    if fast is not None:
        return fast
    try:
        frame = pd.read_csv(name, sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise UnreadableSource(f"{name}: not a readable CSV file ({exc})", source=name) from None
    return read_frame(frame, name=name, columns=columns, read="text")


def read_frame(frame: pd.DataFrame, *, name: str, columns: Mapping[str, str],
               read: str = "frame") -> PathTable:
    """The table in ``frame`` (values as text or numbers); a bad count names its line."""
    lookup = {str(c).strip().lower(): c for c in frame.columns}

    def column(wanted: str, *, required: bool) -> pd.Series | None:
        key = lookup.get(wanted.lower())
        if key is None:
            if required:
                raise InvalidInput(
                    f"{name}: no column {wanted!r} (columns: {', '.join(map(str, frame.columns))});"
                    " a path table needs path and conversions, optionally nulls and value"
                )
            return None
        return frame[key]

    path = column(columns["path"], required=True)
    assert path is not None
    numbers: dict[str, NDArray[np.float64]] = {}
    for label in NUMBERS:
        col = column(columns[label], required=label == "conversions")
        if col is None:
            numbers[label] = np.zeros(len(frame))
            continue
        parsed = pd.to_numeric(col.astype(str).str.strip().replace("", "0"), errors="coerce")
        bad = parsed.isna() | (parsed < 0 if label != "value" else parsed.isna())
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InvalidInput(
                f"{name}:{line}: {label} must be a number"
                + (" >= 0" if label != "value" else "")
                + f", got {col.iloc[line - 2]!r}; fix the row or drop it"
            )
        numbers[label] = parsed.to_numpy(dtype=np.float64)
    texts = path.fillna("").astype(str).to_numpy(dtype=object)
    return PathTable(pa.chunked_array([pa.array(texts, type=pa.string())]), numbers, read)


def _read_arrow(name: str, delimiter: str, columns: Mapping[str, str]) -> PathTable | None:
    """The table read by Arrow, or None when the text reader must read (and judge) it."""
    if len(delimiter) != 1:
        return None
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    try:
        with pacsv.open_csv(name, parse_options=parse,
                            read_options=pacsv.ReadOptions(block_size=1 << 16)) as head:
            header = head.schema.names
    except (pa.ArrowInvalid, OSError):
        return None
    lookup = {h.strip().lower(): h for h in header}
    if len(lookup) != len(header):  # names equal but for case or spaces: as pandas does
        return None
    found = {label: lookup.get(wanted.lower()) for label, wanted in columns.items()}
    if found["path"] is None or found["conversions"] is None:
        return None
    types: dict[str, Any] = {found["path"]: pa.string()}
    types.update({col: pa.float64() for label in NUMBERS if (col := found[label])})
    convert = pacsv.ConvertOptions(
        column_types=types, include_columns=list(types), null_values=[""],
        strings_can_be_null=False, quoted_strings_can_be_null=True,
    )
    try:
        table = pacsv.read_csv(name, parse_options=parse, convert_options=convert,
                               memory_pool=POOL)
    except (pa.ArrowInvalid, OSError):
        return None
    numbers: dict[str, NDArray[np.float64]] = {}
    for label in NUMBERS:
        col = found[label]
        if col is None:
            numbers[label] = np.zeros(table.num_rows)
            continue
        values = np.asarray(pc.fill_null(table[col], 0.0).to_numpy(), dtype=np.float64)
        if np.isnan(values).any() or (label != "value" and (values < 0).any()):
            return None
        numbers[label] = values
    paths = table[found["path"]]  # in chunks: no copy of the texts
    if paths.null_count:
        paths = pc.fill_null(paths, "", memory_pool=POOL)
    return PathTable(paths, numbers, "arrow")


def fspath(source: str | os.PathLike[str]) -> str:
    """``source`` as a path text; a missing file is :class:`UnreadableSource`."""
    name = os.fspath(source)
    if not os.path.isfile(name):
        raise UnreadableSource(f"{name}: no such file", source=name)
    return name
