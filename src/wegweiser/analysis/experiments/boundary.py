"""The sequential boundary over time: the conversion readout as it looked each evening.

From ``(variant, exposed_day, converted_day, persons)`` counts
(:func:`~wegweiser.analysis.experiments.metrics.conversion_by_day`) the conversion metric is
replayed at the end of every day ``d`` since the first exposure: persons exposed by then,
of them those whose first conversion in the window came by then. Each look gets the
difference in conversion rate (variant - control), its fixed-horizon interval and its
always-valid interval (:mod:`~wegweiser.analysis.experiments.sequential`), so a chart shows
the interval narrowing and whether it ever left zero. The fixed-horizon interval is the one
that, peeked at daily, crosses zero by chance; the always-valid one is safe to watch.

>>> import pandas as pd
>>> counts = pd.DataFrame({"variant": ["control", "b"], "exposed_day": [0, 0],
...                        "converted_day": [1.0, None], "persons": [40, 40]})
>>> boundary(counts, control="control").loc[:, ["day", "control_persons", "variant_persons"]
... ].values.tolist()
[[0, 40, 40], [1, 40, 40]]
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from wegweiser.analysis.experiments import stats
from wegweiser.analysis.experiments.moments import Moments
from wegweiser.analysis.experiments.sequential import sequential

BOUNDARY_COLUMNS = (
    "date",
    "day",
    "variant",
    "control_persons",
    "variant_persons",
    "diff",
    "ci_low",
    "ci_high",
    "seq_low",
    "seq_high",
)
_EPOCH = dt.date(1970, 1, 1)


def _cumulative(counts: pd.DataFrame, variant: str, days: np.ndarray) -> tuple[np.ndarray, ...]:
    part = counts[counts["variant"] == variant]
    exposed = part.groupby("exposed_day")["persons"].sum()
    converted = part.dropna(subset=["converted_day"]).groupby("converted_day")["persons"].sum()
    n = np.array([exposed[exposed.index <= d].sum() for d in days], dtype="int64")
    k = np.array([converted[converted.index <= d].sum() for d in days], dtype="int64")
    return n, k


def boundary(
    counts: pd.DataFrame, *, control: str, alpha: float = 0.05, tuning: float = 10_000
) -> pd.DataFrame:
    """One row per day and variant (columns :data:`BOUNDARY_COLUMNS`; ``day`` counts from
    the first exposure, ``date`` is that day, UTC)."""
    if counts.empty:
        return pd.DataFrame({c: [] for c in BOUNDARY_COLUMNS})
    first = int(counts["exposed_day"].min())
    last = int(
        max(
            counts["exposed_day"].max(),
            counts["converted_day"].max(skipna=True)
            if counts["converted_day"].notna().any()
            else first,
        )
    )
    days = np.arange(first, last + 1)
    nc, kc = _cumulative(counts, control, days)
    rows = []
    for variant in sorted(set(counts["variant"]) - {control}):
        nv, kv = _cumulative(counts, variant, days)
        for i, d in enumerate(days):
            row: dict[str, object] = {
                "date": _EPOCH + dt.timedelta(days=int(d)),
                "day": int(d - first),
                "variant": variant,
                "control_persons": int(nc[i]),
                "variant_persons": int(nv[i]),
            }
            if nc[i] >= 2 and nv[i] >= 2:
                c = Moments(int(nc[i]), float(kc[i]), float(kc[i]))
                v = Moments(int(nv[i]), float(kv[i]), float(kv[i]))
                eff = stats.proportions(v, c)
                fixed = stats.fixed_horizon(eff, alpha=alpha)
                seq = sequential(eff.diff, eff.se**2, c.n + v.n, alpha=alpha, tuning=tuning)
                row.update(
                    diff=eff.diff,
                    ci_low=fixed.low,
                    ci_high=fixed.high,
                    seq_low=seq.low,
                    seq_high=seq.high,
                )
            rows.append(row)
    frame = pd.DataFrame(rows)
    for col in BOUNDARY_COLUMNS:
        if col not in frame.columns:
            frame[col] = math.nan
    return frame[list(BOUNDARY_COLUMNS)]
