"""The input of every attribution model: distinct paths with their counts.

A :class:`Paths` table holds, for each distinct path, its ordered touchpoints (as codes into
``labels``), how many journeys along it converted (``conversions``), how many did not
(``nulls``), the conversion value (``value``) and optionally, per touch, the whole days
between the touch and the conversion (``lags``; NaN where unknown). It is stored in a
compact, vectorisable form: ``codes`` is the flat array of all touches and ``offsets`` marks
where each path starts (``codes[offsets[i]:offsets[i + 1]]`` is path ``i``). Paths are never
empty: rows without touches are dropped on construction and counted in ``params``.

Build one from the store with :func:`wegweiser.analysis.attribution.journeys.load_paths`,
from a path table as other attribution tools write it with :func:`read_paths`
(``path`` like ``"a > b > c"``, ``conversions``, ``nulls``, optional ``value``), or from
Python lists with :meth:`Paths.from_lists`:

>>> p = Paths.from_lists([["a", "b"], ["b"]], conversions=[1, 0], nulls=[2, 3])
>>> p.labels, p.n_paths, p.total_conversions, p.n_journeys
(('a', 'b'), 2, 1.0, 6.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence

    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.int64]

#: Separator of ``touchpoint`` labels when attributing by campaign: ``"channel / campaign"``.
CAMPAIGN_SEP = " / "
#: Campaign shown for touches without a campaign.
NO_CAMPAIGN = "(none)"


@dataclass(frozen=True, eq=False)
class Paths:
    """Distinct paths with conversion and null counts (see the module docstring)."""

    labels: tuple[str, ...]
    offsets: IntArray
    codes: IntArray
    conversions: FloatArray
    nulls: FloatArray
    value: FloatArray
    lags: FloatArray | None = None
    #: what a label is: ``"channel"``, ``"campaign"`` (``channel / campaign``) or ``"path"``
    #: (labels read from a path table)
    by: str = "channel"
    params: dict[str, Any] = field(default_factory=dict)

    # -- sizes ---------------------------------------------------------------------------
    @property
    def n_paths(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_touches(self) -> int:
        return len(self.codes)

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    @property
    def lengths(self) -> IntArray:
        return np.diff(self.offsets)

    @property
    def path_of_touch(self) -> IntArray:
        """Index of the path of each touch (same length as ``codes``)."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths)

    @property
    def position(self) -> IntArray:
        """0-based position of each touch in its path."""
        return np.arange(self.n_touches, dtype=np.int64) - self.offsets[:-1][self.path_of_touch]

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    @property
    def n_journeys(self) -> float:
        return float(self.conversions.sum() + self.nulls.sum())

    # -- views ---------------------------------------------------------------------------
    def touchpoints(self) -> pd.DataFrame:
        """``touchpoint`` (label), ``channel``, ``campaign`` for every label."""
        return touchpoint_frame(self.labels, self.by)

    def to_frame(self, *, sep: str = " > ") -> pd.DataFrame:
        """One row per distinct path text: ``path``, ``conversions``, ``nulls``, ``value``,
        most journeys first (paths that differ only in their lags are added up)."""
        if self.n_paths == 0:
            return pd.DataFrame({"path": pd.Series([], dtype=object),
                                 "conversions": pd.Series([], dtype=float),
                                 "nulls": pd.Series([], dtype=float),
                                 "value": pd.Series([], dtype=float)})
        flat = pa.array(np.asarray(self.labels, dtype=object)[self.codes], type=pa.string())
        lists = pa.ListArray.from_arrays(pa.array(self.offsets, type=pa.int32()), flat)
        text = pc.binary_join(lists, sep).to_pandas()
        frame = pd.DataFrame({"path": text, "conversions": self.conversions,
                              "nulls": self.nulls, "value": self.value})
        out = frame.groupby("path", as_index=False, sort=False).sum()
        out["_n"] = out.conversions + out.nulls
        out = out.sort_values(["_n", "path"], ascending=[False, True], kind="stable")
        return out.drop(columns="_n").reset_index(drop=True)

    def with_counts(self, conversions: FloatArray, nulls: FloatArray, value: FloatArray) -> Paths:
        """The same paths with other counts (used by the bootstrap)."""
        return replace(self, conversions=conversions, nulls=nulls, value=value)

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_arrow(
        cls,
        touches: pa.Array | pa.ChunkedArray,
        *,
        conversions: Any,
        nulls: Any,
        value: Any = None,
        lags: pa.Array | pa.ChunkedArray | None = None,
        by: str = "channel",
        params: dict[str, Any] | None = None,
    ) -> Paths:
        """From an Arrow list<string> array of touches per path (and list<number> lags)."""
        if isinstance(touches, pa.ChunkedArray):
            touches = touches.combine_chunks() if touches.num_chunks else pa.array(
                [], type=pa.list_(pa.string()))
        if isinstance(lags, pa.ChunkedArray):
            lags = lags.combine_chunks() if lags.num_chunks else None
        n = len(touches)
        conv = _floats(conversions, n)
        null = _floats(nulls, n)
        val = _floats(value, n) if value is not None else np.zeros(n)
        lengths = pc.fill_null(pc.list_value_length(touches), 0).to_numpy(zero_copy_only=False)
        lengths = lengths.astype(np.int64)
        flat = pc.list_flatten(touches)
        if flat.null_count:
            flat = pc.fill_null(flat, "(none)")
        encoded = flat.dictionary_encode()
        dictionary = encoded.dictionary.to_pylist()
        order = np.argsort(np.asarray(dictionary, dtype=object)) if dictionary else np.array(
            [], dtype=np.int64)
        remap = np.empty(len(dictionary), dtype=np.int64)
        remap[order] = np.arange(len(dictionary), dtype=np.int64)
        codes = remap[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
        labels = tuple(str(dictionary[i]) for i in order)
        lag_flat: FloatArray | None = None
        if lags is not None:
            lag_lengths = pc.fill_null(pc.list_value_length(lags), 0).to_numpy(
                zero_copy_only=False)
            values = pc.list_flatten(lags).cast(pa.float64()).to_numpy(zero_copy_only=False)
            # rows without lags (null list) get NaN for each of their touches
            lag_flat = np.full(len(codes), np.nan)
            has = lag_lengths == lengths
            if has.any():
                starts = np.concatenate([[0], np.cumsum(lengths)])[:-1]
                lag_starts = np.concatenate([[0], np.cumsum(lag_lengths)])[:-1]
                rows = np.repeat(np.arange(n)[has], lengths[has])
                within = np.arange(len(rows)) - np.repeat(
                    np.concatenate([[0], np.cumsum(lengths[has])])[:-1], lengths[has])
                lag_flat[starts[rows] + within] = values[lag_starts[rows] + within]
        return cls._build(labels, lengths, codes, conv, null, val, lag_flat, by, params or {})

    @classmethod
    def from_lists(
        cls,
        touches: Sequence[Sequence[str]],
        *,
        conversions: Sequence[float],
        nulls: Sequence[float] | None = None,
        value: Sequence[float] | None = None,
        lags: Sequence[Sequence[float] | None] | None = None,
        by: str = "path",
    ) -> Paths:
        """From Python lists (mostly for tests and notebooks)."""
        n = len(touches)
        return cls.from_arrow(
            pa.array([list(t) for t in touches], type=pa.list_(pa.string())),
            conversions=list(conversions),
            nulls=[0.0] * n if nulls is None else list(nulls),
            value=None if value is None else list(value),
            lags=None if lags is None else pa.array(
                [None if x is None else [float(v) for v in x] for x in lags],
                type=pa.list_(pa.float64())),
            by=by,
        )

    @classmethod
    def _build(
        cls, labels: tuple[str, ...], lengths: IntArray, codes: IntArray, conv: FloatArray,
        null: FloatArray, val: FloatArray, lags: FloatArray | None, by: str,
        params: dict[str, Any],
    ) -> Paths:
        for name, arr in (("conversions", conv), ("nulls", null)):
            if len(arr) and (not np.isfinite(arr).all() or (arr < 0).any()):
                raise InvalidInput(f"path {name} must be finite numbers >= 0")
        if len(val) and not np.isfinite(val).all():
            raise InvalidInput("path values must be finite numbers")
        keep = (lengths > 0) & ((conv + null) > 0)
        dropped = int((~keep).sum())
        empty_conversions = float(conv[lengths == 0].sum())
        if dropped:
            touch_keep = np.repeat(keep, lengths)
            codes = codes[touch_keep]
            lags = None if lags is None else lags[touch_keep]
            lengths, conv, null, val = lengths[keep], conv[keep], null[keep], val[keep]
        # drop labels no kept path uses, so every label has touches
        used = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
        if len(used) != len(labels):
            remap = np.full(len(labels), -1, dtype=np.int64)
            remap[used] = np.arange(len(used), dtype=np.int64)
            codes = remap[codes]
            labels = tuple(labels[i] for i in used)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        params = {**params, "dropped_rows": dropped,
                  "conversions_without_touches": empty_conversions}
        return cls(labels, offsets, codes.astype(np.int64, copy=False),
                   conv.astype(np.float64, copy=False), null.astype(np.float64, copy=False),
                   val.astype(np.float64, copy=False), lags, by, params)


def _touches(paths: pa.ChunkedArray, sep: str) -> tuple[IntArray, tuple[str, ...], IntArray]:
    """Touches per path, the sorted labels and each touch's label code (-1: an empty name).

    Chunk by chunk as the reader gave them: the texts are split at ``sep`` and the pieces
    dictionary-encoded (one dictionary for all chunks: a few distinct names); only the
    dictionary is trimmed and sorted in Python, the codes are one gather per chunk.
    """
    from wegweiser.analysis.attribution._path_table import POOL

    pieces = pc.split_pattern(paths, sep, memory_pool=POOL)
    lengths = pc.list_value_length(pieces, memory_pool=POOL).to_numpy().astype(np.int64)
    encoded = pc.dictionary_encode(pc.list_flatten(pieces, memory_pool=POOL), memory_pool=POOL)
    # the distinct touch texts as they are, then trimmed: names that differ only in spaces
    # around them are one label, empty names ("a > > b", an empty path) are dropped
    trims = [pc.utf8_trim_whitespace(c.dictionary).to_pylist() for c in encoded.chunks]
    labels = tuple(sorted(set().union(*trims) - {""}))
    position = {label: i for i, label in enumerate(labels)}
    codes = np.empty(int(lengths.sum()), dtype=np.int64)
    at = 0
    for chunk, trimmed in zip(encoded.chunks, trims, strict=True):
        remap = np.array([position.get(t, -1) for t in trimmed], dtype=np.int64)
        indices = chunk.indices.to_numpy()
        np.take(remap, indices, out=codes[at:at + len(indices)])
        at += len(indices)
    return lengths, labels, codes


def _floats(values: Any, n: int) -> FloatArray:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        values = pc.fill_null(values.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False)
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(arr) != n:
        raise InvalidInput(f"expected {n} counts, got {len(arr)}")
    return np.nan_to_num(arr, nan=0.0)


def touchpoint_frame(labels: Sequence[str], by: str) -> pd.DataFrame:
    """``touchpoint``, ``channel``, ``campaign`` for labels (split ``channel / campaign``)."""
    if by == "campaign":
        parts = [label.partition(CAMPAIGN_SEP) for label in labels]
        channel = [p[0] for p in parts]
        campaign: list[str | None] = [p[2] if p[2] != NO_CAMPAIGN else None for p in parts]
    else:
        channel = list(labels)
        campaign = [None] * len(labels)
    return pd.DataFrame({"touchpoint": list(labels), "channel": channel,
                         "campaign": pd.Series(campaign, dtype=object)})


def read_paths(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    sep: str = ">",
    path_column: str = "path",
    conversions_column: str = "conversions",
    nulls_column: str = "nulls",
    value_column: str = "value",
    delimiter: str = ",",
) -> Paths:
    """A path table (CSV file or DataFrame) as other attribution tools use it.

    Columns: ``path`` (touchpoints joined by ``sep``; spaces around them are ignored),
    ``conversions``, optional ``nulls`` (journeys along the path that did not convert; 0 when
    the column is missing) and optional ``value`` (conversion value). Column names match
    case-insensitively. Rows whose path is empty are dropped and counted in ``params``.
    A bad count is an error naming its line (see :mod:`._path_table`: how files are read).
    """
    from wegweiser.analysis.attribution import _path_table

    columns = {"path": path_column, "conversions": conversions_column,
               "nulls": nulls_column, "value": value_column}
    name = "DataFrame" if isinstance(source, pd.DataFrame) else _path_table.fspath(source)
    if not sep:
        raise InvalidInput("the path separator is empty; pass e.g. --sep '>'")
    if isinstance(source, pd.DataFrame):
        table = _path_table.read_frame(source, name=name, columns=columns)
    else:
        table = _path_table.read_file(name, delimiter=delimiter, columns=columns)
    n = len(table.paths)
    lengths, labels, codes = _touches(table.paths, sep)
    empty = codes < 0
    if empty.any():
        rows = np.repeat(np.arange(n), lengths)
        lengths = np.bincount(rows[~empty], minlength=n).astype(np.int64)
        codes = codes[~empty]
    numbers = table.numbers
    return Paths._build(
        labels, lengths, codes, _floats(numbers["conversions"], n), _floats(numbers["nulls"], n),
        _floats(numbers["value"], n), None, "path", {"source": name, "sep": sep},
    )
