"""Personas over time: refit per period, keep ids by matching, migration, drift alerts.

The data's time range is cut into ``n_periods`` equal periods. In each, the persons with at
least ``min_events`` events in it get their features of that period, prepared with the
reference model's scaling so all periods share one space, and are clustered again with as
many personas as the previous period had (the first period: the reference personas present
in it). They are matched to the previous period's (the first period's to the reference personas as
seen in it) by the Hungarian method on centroid distances
(:func:`scipy.optimize.linear_sum_assignment`) and keep their ids.

Drift alerts per period (``drift``):

* ``new``: a refit with one persona more finds a group that is *stable* -- cluster-wise
  bootstrap stability (Hennig 2007: mean best Jaccard similarity over ``n_probe`` refits of
  resamples) of at least ``min_jaccard`` -- of at least ``min_share`` of the persons, and
  that had less than half that share in the first period: it gets a new id (the id of the
  nearest reference persona not seen in the first period, if any) and counts from then on.
  In a stationary population the extra group of such a refit is an arbitrary cut (Jaccard
  0.3-0.45 measured on the demo), a planted new group scores about 0.8;
* ``split``: the same stable extra group, with persons in the first period (an existing
  persona shows as two) -- but only when the group was *not* a stable group in the first
  period already (the same stability, on refits of the first period's resamples): a
  stable part that has been there all along is the population's structure, not a change
  -- and only when the part was found in two periods running: the stability of a
  stationary population's extra group wanders from period to period (0.25-0.77 over 11
  periods of the demo, with 4 or 8 probes alike; a planted new group 0.84-0.87), so one
  period over the bar is noise as often as not. A real split persists and is alerted one
  period later; ``new`` is alerted at once (a new group matters when it appears). Before
  these two checks a stationary 12-period demo raised one false ``split`` in 11 period
  changes (benchmarks/RESULTS.md);
* ``merge``: two personas' centroids came closer than a quarter of the smallest distance
  between the previous centroids;
* ``disappeared``: a persona's share fell below ``min_share``;
* ``share``: a persona's share moved by more than ``share_change`` (absolute).

Shares for these two alerts are measured with one yardstick: the persons of this period and
of the previous one, each assigned to the previous period's nearest centroid (a refit moves
the boundaries between personas a little; that is not a change of the population).

``migration``: persons active in two consecutive periods, by their persona in each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from wegweiser.analysis._persona_features import person_features
from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.result import to_frame
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

    import ibis.expr.types as ir
    from numpy.typing import NDArray

    from wegweiser.analysis._persona_model import PersonaModel

__all__ = ["OverTime", "match", "over_time"]


def match(
    previous: NDArray[np.float64], current: NDArray[np.float64], *, max_distance: float
) -> dict[int, int]:
    """Current row -> previous row, by minimal total distance; pairs farther than
    ``max_distance`` stay unmatched.

    >>> a = np.array([[0.0, 0.0], [5.0, 5.0]])
    >>> match(a, np.array([[5.1, 5.0], [9.0, 0.0], [0.1, 0.0]]), max_distance=1.0)
    {0: 1, 2: 0}
    """
    from scipy.optimize import linear_sum_assignment  # SciPy loads when personas are matched

    d = np.linalg.norm(current[:, None, :] - previous[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(d)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if d[r, c] <= max_distance}


def _gap(centroids: NDArray[np.float64]) -> float:
    if len(centroids) < 2:
        return 1.0
    d = np.linalg.norm(centroids[:, None, :] - centroids[None, :, :], axis=2)
    return float(d[np.triu_indices(len(centroids), 1)].min())


class OverTime:
    """The three tables of an over-time run (see the module docstring)."""

    def __init__(self, periods: pd.DataFrame, migration: pd.DataFrame, drift: pd.DataFrame) -> None:
        self.periods, self.migration, self.drift = periods, migration, drift


def over_time(
    journey: ir.Table,
    model: PersonaModel,
    *,
    n_periods: int = 4,
    ids: Sequence[int] | None = None,
    min_events: int = 5,
    share_change: float = 0.1,
    min_share: float = 0.03,
    min_jaccard: float = 0.75,
    n_probe: int = 4,
    after_phases: Sequence[str] = (),
) -> OverTime:
    """Refit ``model``'s settings per period and follow the personas (module docstring);
    ``ids`` are the ids of the model's personas (default 1..k)."""
    if not 2 <= n_periods <= 52:
        raise InvalidInput(f"periods must be between 2 and 52, got {n_periods}")
    us = epoch_us(journey.timestamp)
    bounds = to_frame(journey.aggregate(lo=us.min(), hi=us.max())).iloc[0]
    if pd.isna(bounds["lo"]):
        raise InvalidInput("no events: personas over time need a journey with events")
    lo, hi = int(bounds["lo"]), int(bounds["hi"]) + 1
    edges = [lo + (hi - lo) * i // n_periods for i in range(n_periods + 1)]
    state = _State(list(ids) if ids is not None else list(range(1, model.n_personas_ + 1)))
    names = model.feature_names_  # the same columns in every period: no look-ups
    channels = [c[8:] for c in names if c.startswith("channel:") and c != "channel:(other)"]
    phases = [c[6:] for c in names if c.startswith("phase:")]
    for i in range(n_periods):
        part = journey.filter((us >= edges[i]) & (us < edges[i + 1]))
        feats = to_frame(
            person_features(
                part,
                min_events=min_events,
                after_phases=after_phases,
                channels=channels,
                phases=phases,
            )
        )
        feats = feats.sort_values("person_id", kind="stable").reset_index(drop=True)
        for col in model.feature_names_:
            if col not in feats:
                feats[col] = 0.0
        feats = feats[["person_id", *model.feature_names_]]
        period = pd.Timestamp(edges[i], unit="us", tz="UTC").strftime("%Y-%m-%d")
        x = model.transform(feats)
        try:
            if state.centroids is None:
                _start(state, model, x)
            _period(
                state,
                model,
                feats,
                x,
                period,
                share_change=share_change,
                min_share=min_share,
                min_jaccard=min_jaccard,
                n_probe=n_probe,
            )
        except InvalidInput:
            state.drift.append(
                {
                    "period": period,
                    "alert": "too_few",
                    "persona": 0,
                    "other": 0,
                    "detail": f"{len(feats)} persons",
                }
            )
    periods = pd.DataFrame(state.rows, columns=["period", "persona", "persons", "share", "k"])
    migration = (
        pd.concat(state.migrations, ignore_index=True)
        if state.migrations
        else pd.DataFrame(columns=["period", "from_persona", "to_persona", "persons"])
    )
    migration = migration.sort_values(["period", "from_persona", "to_persona"]).reset_index(
        drop=True
    )
    drift = pd.DataFrame(state.drift, columns=["period", "alert", "persona", "other", "detail"])
    return OverTime(periods, migration, drift)


class _State:
    """What one period hands to the next."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.next_id = max(ids) + 1
        self.centroids: NDArray[np.float64] | None = None
        self.spare: dict[int, NDArray[np.float64]] = {}  # reference personas not yet seen
        self.splits: set[int] = set()  # personas whose split was alerted
        self.shares: dict[int, float] = {}
        self.first_x: NDArray[np.float64] | None = None  # the first period's persons
        self.first_feats: pd.DataFrame | None = None  # ... and their features
        self.steady: set[int] = set()  # personas with a stable part since the first period
        self.pending: int | None = None  # a persona whose split showed in the last period
        self.members: pd.Series[Any] | None = None
        self.rows: list[dict[str, Any]] = []
        self.drift: list[dict[str, Any]] = []
        self.migrations: list[pd.DataFrame] = []


def _start(state: _State, model: PersonaModel, x: NDArray[np.float64]) -> None:
    """The reference personas present in the first period -- those with at least a third of
    their overall share among its persons (nearest centroid) -- as seen in it; the others
    (groups that emerged later) wait in ``spare`` with their ids for when they are found."""
    labels = _nearest(x, model.centroids_)
    shares = np.bincount(labels, minlength=model.n_personas_) / max(len(labels), 1)
    overall = np.bincount(model.labels_ - 1, minlength=model.n_personas_) / len(model.labels_)
    seen = _means(x, labels, model.n_personas_)
    present = [i for i in range(model.n_personas_) if shares[i] >= overall[i] / 3]
    state.spare = {pid: seen[i] for i, pid in enumerate(state.ids) if i not in present}
    state.centroids = seen[present]
    state.ids = [state.ids[i] for i in present]


def _refit(model: PersonaModel, feats: pd.DataFrame, k: int, seed: int) -> PersonaModel:
    params = {**model.get_params(), "n_personas": k, "max_sample": 5_000, "random_state": seed}
    return type(model)(**params).fit(feats)


def _jaccard(
    model: PersonaModel,
    feats: pd.DataFrame,
    x: NDArray[np.float64],
    members: NDArray[np.bool_],
    k: int,
    n_probe: int,
) -> float:
    """Cluster-wise bootstrap stability (Hennig 2007): the mean over refits on bootstrap
    resamples of the best Jaccard similarity between ``members`` and a refit's cluster."""
    rng = np.random.default_rng(model.random_state)
    found = []
    for b in range(n_probe):
        draw = rng.integers(0, len(feats), len(feats))
        boot = feats.iloc[draw].assign(person_id=np.arange(len(draw)))
        fit = _refit(model, boot, k, b + 1)
        labels = _nearest(x, _centroids_in(model, fit))
        found.append(
            max(
                float((members & (labels == q)).sum() / max((members | (labels == q)).sum(), 1))
                for q in range(k)
            )
        )
    return float(np.mean(found))


def _period(
    state: _State,
    model: PersonaModel,
    feats: pd.DataFrame,
    x: NDArray[np.float64],
    period: str,
    *,
    share_change: float,
    min_share: float,
    min_jaccard: float,
    n_probe: int,
) -> None:
    prev = state.centroids
    assert prev is not None
    k = len(prev)
    labels = _nearest(x, _centroids_in(model, _refit(model, feats, k, 0)))
    cur = _means(x, labels, k)
    pairs = match(prev, cur, max_distance=np.inf)
    ids = [state.ids[pairs[j]] for j in range(k)]
    # probe one more persona (from the second period on: the first is the baseline): a
    # stable extra group that was (nearly) absent in the first period is new
    if state.first_x is not None:
        labels, cur, ids = _probe(
            state,
            model,
            feats,
            x,
            period,
            labels,
            cur,
            ids,
            min_share=min_share,
            min_jaccard=min_jaccard,
            n_probe=n_probe,
        )
    shares = np.bincount(labels, minlength=len(cur)) / max(len(labels), 1)
    gap = _gap(prev)
    for a in range(len(cur)):
        for b in range(a + 1, len(cur)):
            if np.linalg.norm(cur[a] - cur[b]) < 0.25 * gap:
                state.drift.append(
                    {
                        "period": period,
                        "alert": "merge",
                        "persona": ids[a],
                        "other": ids[b],
                        "detail": "centroids met",
                    }
                )
    # shares moved: this period's persons by the previous centroids against the previous
    # period's persons by the same centroids (a refit's moved boundaries are not a change)
    now = np.bincount(_nearest(x, prev), minlength=k) / max(len(x), 1)
    for j, pid in enumerate(state.ids):
        before_share = state.shares.get(pid)
        if before_share is None:
            continue
        if now[j] < min_share <= before_share:
            state.drift.append(
                {
                    "period": period,
                    "alert": "disappeared",
                    "persona": pid,
                    "other": 0,
                    "detail": f"{before_share:.3f} -> {now[j]:.3f}",
                }
            )
        elif abs(now[j] - before_share) > share_change:
            state.drift.append(
                {
                    "period": period,
                    "alert": "share",
                    "persona": pid,
                    "other": 0,
                    "detail": f"{before_share:.3f} -> {now[j]:.3f}",
                }
            )
    for j, pid in enumerate(ids):
        state.rows.append(
            {
                "period": period,
                "persona": pid,
                "persons": int((labels == j).sum()),
                "share": float(shares[j]),
                "k": len(cur),
            }
        )
    members = pd.Series([ids[j] for j in labels], index=feats["person_id"].to_numpy())
    if state.members is not None:
        both = state.members.index.intersection(members.index)
        moved = pd.DataFrame(
            {"from_persona": state.members[both].to_numpy(), "to_persona": members[both].to_numpy()}
        )
        counts = moved.value_counts().rename("persons").reset_index()
        counts.insert(0, "period", period)
        state.migrations.append(counts)
    state.centroids, state.ids, state.members = cur, ids, members
    if state.first_x is None:
        state.first_x, state.first_feats = x, feats
    own = np.bincount(_nearest(x, cur), minlength=len(cur)) / max(len(x), 1)
    state.shares = {pid: float(own[j]) for j, pid in enumerate(ids)}


def _probe(
    state: _State,
    model: PersonaModel,
    feats: pd.DataFrame,
    x: NDArray[np.float64],
    period: str,
    labels: NDArray[np.int64],
    cur: NDArray[np.float64],
    ids: list[int],
    *,
    min_share: float,
    min_jaccard: float,
    n_probe: int,
) -> tuple[NDArray[np.int64], NDArray[np.float64], list[int]]:
    """Refit with one persona more; alert ``new`` or ``split`` (module docstring) and, for a
    new group, return the refit's labels, centroids and ids instead of the given ones."""
    assert state.first_x is not None
    assert state.centroids is not None
    pending, state.pending = state.pending, None
    prev, k = state.centroids, len(state.centroids)
    labels1 = _nearest(x, _centroids_in(model, _refit(model, feats, k + 1, 0)))
    cur1 = _means(x, labels1, k + 1)
    pairs1 = match(prev, cur1, max_distance=np.inf)
    extra = next(j for j in range(k + 1) if j not in pairs1)
    share = float((labels1 == extra).mean())
    if (
        share < min_share
        or _jaccard(model, feats, x, labels1 == extra, k + 1, n_probe) < min_jaccard
    ):
        return labels, cur, ids
    before = float((_nearest(state.first_x, cur1) == extra).mean())
    if before < share / 2:
        labels, cur = labels1, cur1
        new_id = state.next_id
        if state.spare:  # the reference persona nearest to it, if one is unseen
            new_id = min(
                state.spare,
                key=lambda pid: float(np.linalg.norm(state.spare[pid] - cur1[extra])),
            )
            del state.spare[new_id]
        else:
            state.next_id += 1
        ids = [state.ids[pairs1[j]] if j in pairs1 else new_id for j in range(k + 1)]
        state.drift.append(
            {
                "period": period,
                "alert": "new",
                "persona": new_id,
                "other": 0,
                "detail": f"share {before:.3f} -> {share:.3f}",
            }
        )
    elif (
        near := state.ids[int(np.argmin(np.linalg.norm(prev - cur1[extra], axis=1)))]
    ) not in state.splits | state.steady and not _stable_at_first(
        state, model, cur1, extra, min_jaccard=min_jaccard, n_probe=n_probe
    ):  # said once per persona, and only when it showed in the last period too
        if near != pending:
            state.pending = near
            return labels, cur, ids
        state.splits.add(near)
        state.drift.append(
            {
                "period": period,
                "alert": "split",
                "persona": near,
                "other": 0,
                "detail": f"a stable part of share {share:.3f} (two periods running)",
            }
        )
    return labels, cur, ids


def _stable_at_first(
    state: _State,
    model: PersonaModel,
    cur1: NDArray[np.float64],
    extra: int,
    *,
    min_jaccard: float,
    n_probe: int,
) -> bool:
    """Whether the extra group of this period's refit (centroids ``cur1``) was a stable group
    in the first period already: its persons there (nearest centroid) are found again by
    refits of the first period's resamples with as many personas (the same cluster-wise
    stability as for this period). Such a part has been there all along -- the reference
    fit's number of personas did not separate it -- and is no change of the population; the
    persona is remembered in ``steady`` and not checked for a split again."""
    assert state.first_x is not None
    assert state.first_feats is not None
    assert state.centroids is not None
    members = _nearest(state.first_x, cur1) == extra
    near = state.ids[int(np.argmin(np.linalg.norm(state.centroids - cur1[extra], axis=1)))]
    if not members.any():
        return False
    if _jaccard(model, state.first_feats, state.first_x, members, len(cur1), n_probe) >= (
        min_jaccard
    ):
        state.steady.add(near)
        return True
    return False


def _centroids_in(reference: PersonaModel, fit: PersonaModel) -> NDArray[np.float64]:
    """``fit``'s centroids in the reference's space: the means of its members, prepared with
    the reference's scaling (each period is scaled by itself when it is fitted)."""
    centroids: NDArray[np.float64] = fit.centroids_ * fit.scale_[fit.used_] + fit.center_[fit.used_]
    out: NDArray[np.float64] = (centroids - reference.center_[reference.used_]) / (
        reference.scale_[reference.used_]
    )
    return out


def _means(x: NDArray[np.float64], labels: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    """Mean of each label's rows (a label without rows: far away, it matches nothing)."""
    return np.stack(
        [
            x[labels == j].mean(axis=0) if (labels == j).any() else np.full(x.shape[1], 1e9)
            for j in range(k)
        ]
    )


def _nearest(x: NDArray[np.float64], centroids: NDArray[np.float64]) -> NDArray[np.int64]:
    d = np.linalg.norm(x[:, None, :] - centroids[None, :, :], axis=2)
    out: NDArray[np.int64] = np.argmin(d, axis=1).astype(np.int64)
    return out
