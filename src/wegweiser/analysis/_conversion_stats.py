"""Small pandas/NumPy post-processing for :mod:`wegweiser.analysis.conversion`.

The engine returns counts of persons per (channel, converted, touchpoints); this module
turns them into exact means and quantiles without expanding them back into persons.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Quantiles reported in ``what_it_takes`` (name -> q).
QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}

MIX_COLUMNS = (
    "channel", "persons_exposed", "converters_exposed", "rate_exposed", "persons_unexposed",
    "converters_unexposed", "rate_unexposed", "rate_lift", "touchpoints_median_exposed",
    "touchpoints_median_unexposed", "touchpoints_mean_exposed", "touchpoints_mean_unexposed",
    "touchpoints_ratio", "sessions_mean_exposed", "sessions_mean_unexposed",
)


def weighted_quantile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` each repeated ``counts`` times, as ``numpy.quantile``
    (linear interpolation between order statistics) computes it; NaN when empty.

    >>> weighted_quantile(np.array([1, 2, 10]), np.array([2, 1, 1]), 0.5)
    1.5
    """
    keep = counts > 0
    values, counts = values[keep], counts[keep]
    n = int(counts.sum())
    if n == 0:
        return math.nan
    order = np.argsort(values, kind="stable")
    values, ends = values[order], np.cumsum(counts[order])
    h = (n - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)

    def at(i: int) -> float:
        return float(values[int(np.searchsorted(ends, i, side="right"))])

    low = at(lo)
    return low + (h - lo) * (at(hi) - low)


def _mean(values: np.ndarray, counts: np.ndarray) -> float:
    n = counts.sum()
    return float((values * counts).sum() / n) if n > 0 else math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def empty_takes(metrics: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"metric": m, "converters": 0, "mean": math.nan, **dict.fromkeys(QUANTILES, math.nan)}
         for m in metrics],
        columns=["metric", "converters", "mean", *QUANTILES],
    )


def touchpoint_histogram(counts: pd.DataFrame) -> pd.DataFrame:
    """Converters per number of touchpoints (``counts``: converted, touchpoints, persons)."""
    conv = counts[counts["converted"].astype(bool)]
    sums = conv.groupby("touchpoints")["persons"].sum().sort_index()
    frame = pd.DataFrame({
        "touchpoints": sums.index.to_numpy("int64"), "converters": sums.to_numpy("int64"),
    })
    total = int(frame["converters"].sum())
    frame["share"] = frame["converters"] / total if total else 0.0
    frame["cumulative_share"] = frame["share"].cumsum()
    return frame


def channel_mix(exposed: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Exposed vs unexposed persons per channel.

    ``exposed``: persons and summed sessions per (channel, converted, touchpoints) among
    persons exposed to the channel; ``counts``: the same over all persons, without channel.
    """
    conv_all = counts[counts["converted"].astype(bool)]
    all_tp = conv_all.groupby("touchpoints")[["persons", "sessions"]].sum()
    n_all = int(counts["persons"].sum())
    c_all = int(all_tp["persons"].sum())
    rows = []
    for channel, group in exposed.groupby("channel", sort=True):
        conv = group[group["converted"].astype(bool)]
        ex_tp = conv.groupby("touchpoints")[["persons", "sessions"]].sum()
        un_tp = all_tp.sub(ex_tp.reindex(all_tp.index, fill_value=0), fill_value=0)
        n_ex, c_ex = int(group["persons"].sum()), int(ex_tp["persons"].sum())
        n_un, c_un = n_all - n_ex, c_all - c_ex
        ex_v, ex_n = ex_tp.index.to_numpy(float), ex_tp["persons"].to_numpy(float)
        un_v, un_n = un_tp.index.to_numpy(float), un_tp["persons"].to_numpy(float)
        mean_ex, mean_un = _mean(ex_v, ex_n), _mean(un_v, un_n)
        rate_ex = c_ex / n_ex if n_ex else math.nan
        rate_un = c_un / n_un if n_un else math.nan
        rows.append({
            "channel": channel,
            "persons_exposed": n_ex, "converters_exposed": c_ex, "rate_exposed": rate_ex,
            "persons_unexposed": n_un, "converters_unexposed": c_un, "rate_unexposed": rate_un,
            "rate_lift": _ratio(rate_ex, rate_un),
            "touchpoints_median_exposed": weighted_quantile(ex_v, ex_n, 0.5),
            "touchpoints_median_unexposed": weighted_quantile(un_v, un_n, 0.5),
            "touchpoints_mean_exposed": mean_ex,
            "touchpoints_mean_unexposed": mean_un,
            "touchpoints_ratio": _ratio(mean_ex, mean_un),
            "sessions_mean_exposed": (
                float(ex_tp["sessions"].sum()) / c_ex if c_ex else math.nan
            ),
            "sessions_mean_unexposed": (
                float(un_tp["sessions"].sum()) / c_un if c_un else math.nan
            ),
        })
    frame = pd.DataFrame(rows, columns=list(MIX_COLUMNS))
    frame = frame.sort_values(["persons_exposed", "channel"], ascending=[False, True])
    return frame.reset_index(drop=True).astype({
        "persons_exposed": "int64", "converters_exposed": "int64",
        "persons_unexposed": "int64", "converters_unexposed": "int64",
    })
