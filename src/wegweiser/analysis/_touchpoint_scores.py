"""Relevance, fulfilment, expectation and the importance-performance map per touchpoint, and
the magic moments (internal; definitions in :mod:`wegweiser.analysis.touchpoints`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from wegweiser.analysis._touchpoint_effects import Effect, att

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from wegweiser.analysis.touchpoint_catalogue import Touchpoint

#: the categorical covariates (of the person's first event) and how many values each keeps
CATEGORIES = {"device": 6, "platform": 6, "country": 12}
#: the entry channels (of the first event) kept as covariates of a touchpoint
ENTRIES = 8
#: a magic moment's adjusted ratio is at least this
MIN_RATIO = 1.1
#: the count thresholds searched for magic moments: (at least k experiences, window)
GRID = ((1, "first_week"), (2, "first_week"), (2, "before_decision"), (3, "before_decision"))
QUADRANTS = ("concentrate here", "keep up the good work", "low priority", "possible overkill")

RELEVANCE = [
    "touchpoint", "rule", "controlled", "persons", "conversion_exposed",
    "conversion_unexposed", "naive_ratio", "ratio", "ratio_low", "ratio_high",
    "naive_difference", "difference", "difference_low", "difference_high", "credit",
    "satisfaction", "sentiment", "feedback", "friction", "performance", "benchmark",
    "benchmark_gap", "importance", "importance_source", "quadrant",
]
MAGIC = [
    "touchpoint", "threshold", "persons", "ratio", "ratio_low", "ratio_high", "difference",
    "difference_low", "difference_high", "looks", "performance", "magic",
]
MAP = ["persona", "touchpoint", "importance", "performance", "quadrant", "persons"]


def covariates(frame: pd.DataFrame, *, drop_channels: frozenset[str] = frozenset(),
               powers: tuple[float, ...] = (0.5,)) -> NDArray[np.float64]:
    """The design matrix: one-hot first device, platform, country (the most frequent values)
    and the ``powers`` (default: the square root) of each channel's share among the events
    before the decision, the channels in ``drop_channels`` left out (they are the exposure
    itself)."""
    parts = []
    for col, keep in CATEGORIES.items():
        parts.extend(_one_hot(frame[col], keep))
    chans = [c for c in frame.columns if c.startswith("ch:") and c[3:] not in drop_channels]
    if chans:
        counts = frame[chans].to_numpy(float)
        total = counts.sum(axis=1, keepdims=True)
        shares = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
        for power in powers:
            parts.extend(np.power(shares, power).T)
    if not parts:
        return np.zeros((len(frame), 1))
    return np.column_stack(parts)


def touchpoint_covariates(frame: pd.DataFrame, i: int, *,
                          drop_channels: frozenset[str] = frozenset()) -> NDArray[np.float64]:
    """The design matrix of touchpoint ``i``, everything observed before the cut (the first
    experience of it; :func:`~wegweiser.analysis._touchpoint_persons.person_frame`): one-hot
    first device, platform, country and entry channel, one-hot highest phase reached before,
    and the square-root shares of the channels among the events before the cut (those in
    ``drop_channels`` left out: they are the exposure).

    The number of earlier sessions (``sess<i>``) is not adjusted for: for a touchpoint met in
    the first session every exposed person has 0, so the models can only extrapolate from
    the unexposed, whose count at the cut depends on how long their first session was --
    longer with another touchpoint in it (a video before the newsletter), which is itself an
    effect on buying. On tests/analysis/touchpoint_sim.py it pulled the newsletter (planted
    1.0x) to 0.66-0.89 with intervals excluding 1 and the video (1.5x) to 1.36 (seeds 0-2,
    6,000 persons); without it 0.80-1.02 and 1.43-1.61, every video interval holding 1.5.
    On the demo shop it changed nothing (benchmarks/RESULTS.md)."""
    parts = []
    for col, keep in (*CATEGORIES.items(), (f"entry{i}", ENTRIES)):
        parts.extend(_one_hot(frame[col], keep))
    parts.extend(_one_hot(frame[f"ph{i}"], 12))
    chans = [c for c in frame.columns
             if c.startswith(f"c{i}:") and c[len(f"c{i}:"):] not in drop_channels]
    if chans:
        counts = frame[chans].to_numpy(float)
        total = counts.sum(axis=1, keepdims=True)
        shares = np.sqrt(np.divide(counts, total, out=np.zeros_like(counts), where=total > 0))
        parts.extend(shares.T)
    # nothing varies (a tiny journey): one constant column, the models keep their intercept
    return np.column_stack(parts or [np.zeros(len(frame))])


def _one_hot(values: pd.Series, keep: int) -> list[NDArray[np.float64]]:
    """Indicators of the ``keep`` most frequent values, the most frequent one left out."""
    top = values.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    return [(values == value).to_numpy(float) for value in top.index[:keep][1:]]


def _effect_row(effect: Effect) -> dict[str, Any]:
    return {
        "persons": effect.exposed,
        "conversion_exposed": effect.rate_exposed,
        "conversion_unexposed": effect.rate_unexposed,
        "naive_ratio": effect.naive_ratio,
        "ratio": effect.ratio,
        "ratio_low": effect.ratio_low,
        "ratio_high": effect.ratio_high,
        "naive_difference": effect.naive_difference,
        "difference": effect.difference,
        "difference_low": effect.difference_low,
        "difference_high": effect.difference_high,
    }


def relevance(
    frame: pd.DataFrame, touchpoints: Sequence[Touchpoint], *, resamples: int, seed: int,
    level: float = 0.95,
) -> tuple[pd.DataFrame, list[Effect]]:
    """Per touchpoint: the adjusted effect of experiencing it before the decision (the
    table and the effects)."""
    y = frame["converted"].to_numpy(bool)
    rows, effects = [], []
    for i, t in enumerate(touchpoints):
        x = touchpoint_covariates(frame, i, drop_channels=t.channels)
        exposed = frame[f"n{i}"].to_numpy() >= 1
        effect = att(x, exposed, y, resamples=resamples, seed=seed + i, level=level)
        effects.append(effect)
        rows.append({"touchpoint": t.name, "rule": t.rule, "controlled": t.controlled,
                     **_effect_row(effect)})
    return pd.DataFrame(rows, columns=RELEVANCE[:14]), effects


def fulfilment(frame: pd.DataFrame, touchpoints: Sequence[Touchpoint],
               feedback: pd.DataFrame) -> pd.DataFrame:
    """Per touchpoint: ``friction`` (share of its persons with a friction flag),
    ``satisfaction`` and ``sentiment`` (0..1) of the ``feedback`` about it (columns
    ``touchpoint``, ``satisfaction``, ``sentiment``), and ``performance``: the mean of
    the satisfaction (where there is feedback) and 1 - friction."""
    rows = []
    for i, t in enumerate(touchpoints):
        exposed = frame[f"n{i}"] >= 1
        friction = float(frame.loc[exposed, f"f{i}"].mean()) if exposed.any() else np.nan
        about = feedback[feedback["touchpoint"] == t.name]
        sat = float(about["satisfaction"].mean()) if about["satisfaction"].notna().any() else np.nan
        sent = float(about["sentiment"].mean()) if about["sentiment"].notna().any() else np.nan
        parts = [v for v in (sat, 1 - friction) if v == v]
        rows.append({"touchpoint": t.name, "friction": friction, "satisfaction": sat,
                     "sentiment": sent, "feedback": int(about["satisfaction"].notna().sum()),
                     "performance": float(np.mean(parts)) if parts else np.nan})
    return pd.DataFrame(rows, columns=["touchpoint", "friction", "satisfaction", "sentiment",
                                       "feedback", "performance"])


def importance(rel: pd.DataFrame, touchpoints: Sequence[Touchpoint]) -> pd.DataFrame:
    """Stated importance (1-5 as 0..1) where given, else derived: the touchpoint's positive
    adjusted difference relative to the largest one (0 when none is positive)."""
    gain = rel["difference"].clip(lower=0).fillna(0.0)
    top = float(gain.max()) if len(gain) else 0.0
    derived = gain / top if top > 0 else gain * 0.0
    stated = pd.Series([t.importance for t in touchpoints], index=rel.index, dtype=float)
    out = pd.DataFrame({"touchpoint": rel["touchpoint"]})
    out["importance"] = ((stated - 1) / 4).where(stated.notna(), derived)
    out["importance_source"] = np.where(stated.notna(), "stated", "derived")
    return out


def quadrants(imp: pd.Series, perf: pd.Series) -> pd.Series:
    """Martilla & James: the crosshair is the mean importance and mean performance."""
    ok = imp.notna() & perf.notna()
    if not ok.any():
        return pd.Series(pd.NA, index=imp.index, dtype="object")
    hi_i = imp >= imp[ok].mean()
    hi_p = perf >= perf[ok].mean()
    label = np.select([hi_i & ~hi_p, hi_i & hi_p, ~hi_i & ~hi_p], QUADRANTS[:3], QUADRANTS[3])
    return pd.Series(label, index=imp.index, dtype="object").where(ok, pd.NA)


def magic_moments(
    frame: pd.DataFrame, touchpoints: Sequence[Touchpoint], rel: pd.DataFrame, *,
    candidates: int, resamples: int, seed: int,
) -> pd.DataFrame:
    """The thresholds of :data:`GRID` for the ``candidates`` touchpoints with the largest
    adjusted difference; intervals at the Bonferroni level 1 - 0.05 / looks."""
    order = rel.sort_values(["difference", "touchpoint"], ascending=[False, True],
                            na_position="last")
    picked = [int(i) for i in order.index[:candidates] if rel.loc[i, "persons"] > 0]
    looks = len(picked) * len(GRID)
    if not looks:
        return pd.DataFrame(columns=MAGIC)
    level = 1 - 0.05 / looks
    y = frame["converted"].to_numpy(bool)
    perf_mean = rel["performance"].mean()
    rows = []
    for i in picked:
        t = touchpoints[i]
        x = touchpoint_covariates(frame, i, drop_channels=t.channels)
        for k, window in GRID:
            counts = frame[f"n7_{i}" if window == "first_week" else f"n{i}"].to_numpy()
            effect = att(x, counts >= k, y, resamples=resamples, seed=seed + 1000 + i,
                         level=level)
            perf = float(rel["performance"].iloc[i])
            magic = bool(effect.difference_low > 0 and effect.ratio >= MIN_RATIO
                         and perf == perf and perf >= perf_mean)
            rows.append({"touchpoint": t.name, "threshold": _threshold(k, window),
                         "persons": effect.exposed, "ratio": effect.ratio,
                         "ratio_low": effect.ratio_low, "ratio_high": effect.ratio_high,
                         "difference": effect.difference,
                         "difference_low": effect.difference_low,
                         "difference_high": effect.difference_high, "looks": looks,
                         "performance": perf, "magic": magic})
    out = pd.DataFrame(rows, columns=MAGIC)
    return out.sort_values(["magic", "difference_low", "touchpoint"],
                           ascending=[False, False, True], na_position="last",
                           kind="stable").reset_index(drop=True)


def _threshold(k: int, window: str) -> str:
    where = "in the first 7 days" if window == "first_week" else "before the decision"
    return f">= {k} {where}"
