"""The funnel's result tables from its unit rows, fetched in one query (internal).

:func:`fetch_units` runs the funnel's unit table (:mod:`wegweiser.analysis._funnel_units`)
as one query that returns only what the tables need, one small row per entered unit:
``entry_date`` (UTC day of the entry), ``n_reached``, ``n_distinct``, ``seconds``,
``gap_<k>`` (seconds from step k-1 to step k, NULL unless both were done) and ``value``
(the breakdown value). Its compiled SQL is memoised per funnel definition and journey
(:mod:`wegweiser.analysis._compiled`), so a repeated funnel pays no Ibis compile. Every
table of the result is then computed here from those rows with NumPy: counts, the same
linear-interpolation percentiles as the engine's ``quantile_cont``, histogram, entries per
day, steps reached, breakdown. No temporary table, no second pass over the journey.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from wegweiser.analysis._compiled import fetch
from wegweiser.analysis._funnel_units import unit_table
from wegweiser.analysis._names import check_event_names, event_names
from wegweiser.analysis._time import seconds_between

if TYPE_CHECKING:
    from collections.abc import Iterable

    import ibis.expr.types as ir

    from wegweiser.analysis._funnel_spec import Spec

QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}
# Histogram of the time to convert: [lower, upper) seconds (the last bin has no upper edge).
BINS: tuple[tuple[str, float, float], ...] = (
    ("<1m", 0, 60),
    ("1-5m", 60, 300),
    ("5-15m", 300, 900),
    ("15m-1h", 900, 3600),
    ("1-6h", 3600, 6 * 3600),
    ("6-24h", 6 * 3600, 86400),
    ("1-3d", 86400, 3 * 86400),
    ("3-7d", 3 * 86400, 7 * 86400),
    ("7-14d", 7 * 86400, 14 * 86400),
    ("14-30d", 14 * 86400, 30 * 86400),
    (">=30d", 30 * 86400, float("inf")),
)
BREAKDOWN_TABLE_COLUMNS = [
    "value",
    "step",
    "event",
    "label",
    "units",
    "conversion_from_start",
    "conversion_from_previous",
    "dropped",
]


def spec_key(spec: Spec) -> tuple[object, ...]:
    """Everything of ``spec`` that shapes the query, hashable (``where`` mappings and
    conditions by their text)."""
    return (
        repr(spec.steps),
        spec.mode,
        spec.window,
        spec.step_windows,
        spec.exclude,
        spec.by,
        spec.breakdown,
        spec.attribution,
        spec.entry,
    )


def check_names(journey: ir.Table, spec: Spec, present: Iterable[str] | None = None) -> None:
    """Every step and exclusion event occurs in the journey ("Did you mean …?");
    ``present``: the journey's event names when the caller has them (else one query)."""
    present = event_names(journey) if present is None else present
    for k, s in enumerate(spec.steps, 1):
        check_event_names(journey, [s.event], what=f"funnel step {k}", present=present)
    check_event_names(journey, spec.exclude, what="funnel exclusion", present=present)


def fetch_units(journey: ir.Table, spec: Spec, traits: ir.Table | None) -> pd.DataFrame:
    """One row per entered unit with the columns of the module docstring, after
    :func:`check_names`: on DuckDB by an ordered scan
    (:mod:`wegweiser.analysis._funnel_scan`, which sees the names its rows hold and queries
    the journey's names only when one is missing), elsewhere by SQL."""
    if journey.get_backend().name == "duckdb":
        from wegweiser.analysis._funnel_scan import scan_units

        return scan_units(journey, spec, traits)
    check_names(journey, spec)
    return sql_units(journey, spec, traits)


def sql_units(journey: ir.Table, spec: Spec, traits: ir.Table | None) -> pd.DataFrame:
    """:func:`fetch_units` by one SQL query (every engine)."""
    key = ("funnel", spec_key(spec), journey.op(), None if traits is None else traits.op())

    def build() -> ir.Table:
        units = unit_table(journey, spec, traits=traits)
        cols: dict[str, Any] = {
            "entry_date": units.entered_at.date(),
            "n_reached": units.n_reached,
            "n_distinct": units.n_distinct,
            "seconds": units.seconds,
        }
        for k in range(1, spec.n):
            cols[f"gap_{k}"] = seconds_between(units[f"done_{k - 1}"], units[f"done_{k}"])
        if spec.breakdown is not None:
            cols["value"] = units.value
        return units.select(**cols)

    frame: pd.DataFrame = fetch(key, build, journey.get_backend()).to_pandas()
    return frame


def quantile_cont(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of the non-NaN ``values`` by linear interpolation between the two
    nearest ranks (SQL ``percentile_cont``: position ``(n - 1) * q``); NaN when none."""
    v = np.sort(values[~np.isnan(values)])
    if not len(v):
        return float("nan")
    pos = (len(v) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    if lo == hi:
        return float(v[lo])
    low, high = float(v[lo]), float(v[hi])
    return low + (high - low) * (pos - lo)


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype="float64", na_value=np.nan)


def counts(n_reached: np.ndarray, n: int) -> list[int]:
    """Units per funnel row: row k counts the units with ``n_reached > k``."""
    return [int((n_reached > k).sum()) for k in range(n)]


def step_rows(units: list[int], spec: Spec) -> pd.DataFrame:
    rows = []
    for k, s in enumerate(spec.steps):
        prev = units[k - 1] if k else units[0]
        rows.append(
            {
                "step": k + 1,
                "event": s.event,
                "label": s.label,
                "units": units[k],
                "conversion_from_start": units[k] / units[0] if units[0] else float("nan"),
                "conversion_from_previous": units[k] / prev if prev else float("nan"),
                "dropped": prev - units[k],
            }
        )
    return pd.DataFrame(rows)


def overall(frame: pd.DataFrame, spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The steps table and the time-to-convert row."""
    reached = frame["n_reached"].to_numpy(dtype="int64")
    steps = step_rows(counts(reached, spec.n), spec)
    steps["median_seconds_from_previous"] = [float("nan")] + [
        quantile_cont(_floats(frame, f"gap_{k}"), 0.5) for k in range(1, spec.n)
    ]
    s = _floats(frame, "seconds")
    s = s[~np.isnan(s)]
    time = pd.DataFrame(
        [
            {
                "converted": len(s),
                "mean": math.fsum(s) / len(s) if len(s) else float("nan"),
                **{name: quantile_cont(s, q) for name, q in QUANTILES.items()},
                "min": float(s.min()) if len(s) else float("nan"),
                "max": float(s.max()) if len(s) else float("nan"),
            }
        ]
    )
    return steps, time


def histogram(frame: pd.DataFrame) -> pd.DataFrame:
    """Converted units by time-to-convert bin (share of the converted)."""
    s = _floats(frame, "seconds")
    s = s[~np.isnan(s)]
    uppers = np.array([hi for _, _, hi in BINS[:-1]])
    index = np.searchsorted(uppers, s, side="right")  # first bin with s < upper
    per_bin = np.bincount(index, minlength=len(BINS))
    total = int(per_bin.sum())
    return pd.DataFrame(
        [
            {
                "bin": name,
                "lower_seconds": float(lo),
                "upper_seconds": float(hi) if math.isfinite(hi) else float("nan"),
                "units": int(per_bin[i]),
                "share": per_bin[i] / total if total else float("nan"),
            }
            for i, (name, lo, hi) in enumerate(BINS)
        ]
    )


def by_entry_date(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Entered and converted units per UTC day of the entry."""
    converted = (frame["n_reached"].to_numpy(dtype="int64") == spec.n).astype("int64")
    days = pd.DataFrame({"date": frame["entry_date"], "entered": 1, "converted": converted})
    out = days.groupby("date", sort=True).sum().reset_index()
    out["entered"] = out["entered"].astype("int64")
    out["converted"] = out["converted"].astype("int64")
    out["rate"] = out["converted"] / out["entered"]
    return out


def reached(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Units by the number of distinct steps they did (1..n)."""
    distinct = frame["n_distinct"].to_numpy(dtype="int64")
    per = np.bincount(distinct, minlength=spec.n + 1)
    return pd.DataFrame(
        {
            "n_steps": list(range(1, spec.n + 1)),
            "units": [int(per[k]) for k in range(1, spec.n + 1)],
        }
    )


def breakdown(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """The steps table per breakdown value; values by units at step 1 (most first), then
    by value, the missing value last."""
    if spec.breakdown is None or frame.empty:
        return pd.DataFrame(columns=BREAKDOWN_TABLE_COLUMNS)
    groups = frame.groupby("value", dropna=False, sort=False)["n_reached"]
    rows = [(value, counts(part.to_numpy(dtype="int64"), spec.n)) for value, part in groups]
    rows.sort(key=lambda r: (-r[1][0], pd.isna(r[0]), "" if pd.isna(r[0]) else str(r[0])))
    parts = [step_rows(units, spec).assign(value=value) for value, units in rows]
    return pd.concat(parts, ignore_index=True)[BREAKDOWN_TABLE_COLUMNS]
