"""A/A simulations of the readout: how often does it call a winner when there is none?

Each run draws two arms from the same distribution, ``per_day`` persons per arm and day, and
looks at the cumulative sums after every day, as a marketer opening the dashboard daily
would. At each look the production code (:func:`~wegweiser.analysis.experiments.readout.
effect`, :func:`~wegweiser.analysis.experiments.stats.fixed_horizon`,
:func:`~wegweiser.analysis.experiments.sequential.sequential`) decides:

* ``naive`` -- the fixed-horizon test at 5%, peeked at daily: a false positive when it is
  significant at *any* look;
* ``sequential`` -- the always-valid interval excludes 0 at any look;
* ``coverage`` -- the fixed-horizon interval at the last look holds the true effect (0).

Metrics: ``proportion`` (conversion, rate ``p``), ``mean`` (revenue per person: gamma
spend of the 30% who buy, with a pre-period covariate correlated with it) and ``ratio``
(revenue per order: Poisson orders of a person-level order value, with the same persons'
orders and revenue before exposure; with ``cuped`` read out by
:func:`~wegweiser.analysis.experiments.ratio_cuped.ratio_cuped`). Per-person values are
drawn and summed per day, so the statistics see exactly what the engine would hand them.

>>> r = simulate("proportion", runs=20, days=5, per_day=50, seed=1)
>>> r.runs, 0 <= r.sequential <= r.naive <= 1
(20, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from wegweiser.analysis.experiments import stats
from wegweiser.analysis.experiments.moments import Moments
from wegweiser.analysis.experiments.ratio_cuped import RatioMoments, ratio_cuped
from wegweiser.analysis.experiments.readout import effect
from wegweiser.analysis.experiments.sequential import sequential
from wegweiser.errors import InvalidInput

Kind = Literal["proportion", "mean", "ratio"]


@dataclass(frozen=True)
class Simulated:
    """Shares of runs: ``naive``/``sequential`` false positives over all looks,
    ``coverage`` of the fixed-horizon interval at the last look, ``final`` fixed-horizon
    false positives at the last look only."""

    kind: str
    cuped: bool
    runs: int
    days: int
    per_day: int
    naive: float
    sequential: float
    coverage: float
    final: float


def _draw(
    kind: Kind,
    rng: np.random.Generator,
    size: tuple[int, ...],
) -> tuple[np.ndarray, ...]:
    """(y, x) per person: the metric and its covariate (proportion, mean); for a ratio
    (y, x, u, v): revenue and orders after and before exposure."""
    if kind == "proportion":
        had = rng.random(size) < 0.2
        bought = rng.random(size) < np.where(had, 0.25, 0.07)
        return bought.astype("float64"), had.astype("float64")
    if kind == "mean":
        base = rng.gamma(2.0, 30.0, size)
        pre = base * (rng.random(size) < 0.4)
        y = (base * rng.lognormal(0.0, 0.3, size)) * (rng.random(size) < 0.3)
        return y, pre
    taste = rng.gamma(3.0, 15.0, size)  # the person's usual order value
    orders = rng.poisson(1.5, size).astype("float64") + 1.0
    pre_orders = rng.poisson(1.5, size).astype("float64")
    revenue = orders * taste * rng.lognormal(0.0, 0.3, size)
    pre_revenue = pre_orders * taste * rng.lognormal(0.0, 0.3, size)
    return revenue, orders, pre_revenue, pre_orders


def _sums(*columns: np.ndarray) -> np.ndarray:
    """Per run and day (last axis): n, then for (y, x) s_y, s_yy, s_x, s_xx, s_xy (the
    layout of :class:`Moments`); for more columns their sums and all sums of products."""
    n = np.full(columns[0].shape[:-1], columns[0].shape[-1], dtype="float64")
    if len(columns) == 2:
        y, x = columns
        return np.stack(
            [n, y.sum(-1), (y * y).sum(-1), x.sum(-1), (x * x).sum(-1), (x * y).sum(-1)],
            axis=-1,
        )
    m = np.stack(columns, axis=-1)  # (..., persons, k)
    ss = np.einsum("...pi,...pj->...ij", m, m)
    return np.concatenate([n[..., None], m.sum(-2), ss.reshape(*ss.shape[:-2], -1)], axis=-1)


def _arm(row: np.ndarray, kind: Kind, cuped: bool) -> Moments | RatioMoments:
    """The moments of one arm at one look from its :func:`_sums` row."""
    if kind != "ratio":
        return Moments(int(row[0]), *map(float, row[1:]))
    ratio = RatioMoments.from_arrays(int(row[0]), row[1:5], row[5:].reshape(4, 4))
    if cuped:
        return ratio
    s, ss = ratio.s, ratio.ss
    return Moments(ratio.n, float(s[0]), float(ss[0, 0]), float(s[1]), float(ss[1, 1]),
                   float(ss[0, 1]))


def simulate(
    kind: Kind,
    *,
    runs: int = 1000,
    days: int = 60,
    per_day: int = 100,
    alpha: float = 0.05,
    cuped: bool = False,
    tuning: float = 10_000,
    seed: int = 0,
    chunk: int = 250,
) -> Simulated:
    """A/A runs of ``kind`` (see the module docstring)."""
    if runs < 1 or days < 1 or per_day < 2:
        raise InvalidInput(
            f"need runs >= 1, days >= 1, per_day >= 2; got {runs}, {days}, {per_day}"
        )
    rng = np.random.default_rng(seed)
    naive = seq = covered = final = 0
    for start in range(0, runs, chunk):
        r = min(chunk, runs - start)
        arms = []
        for _ in range(2):
            arms.append(np.cumsum(_sums(*_draw(kind, rng, (r, days, per_day))), axis=1))
        for i in range(r):
            hit_naive = hit_seq = False
            for d in range(days):
                a, b = (_arm(arm[i, d], kind, cuped) for arm in arms)
                if isinstance(a, RatioMoments) and isinstance(b, RatioMoments):
                    eff = ratio_cuped(b, a)
                    fixed = stats.fixed_horizon(eff, alpha=alpha)
                else:
                    assert isinstance(a, Moments)
                    assert isinstance(b, Moments)
                    eff = effect(kind, b, a, cuped=cuped)
                    fixed = (
                        stats.proportions_fixed(b, a, alpha=alpha)
                        if kind == "proportion" and not cuped
                        else stats.fixed_horizon(eff, alpha=alpha)
                    )
                s = sequential(eff.diff, eff.se**2, a.n + b.n, alpha=alpha, tuning=tuning)
                hit_naive = hit_naive or fixed.p_value < alpha
                hit_seq = hit_seq or s.low > 0 or s.high < 0
            naive += hit_naive
            seq += hit_seq
            covered += fixed.low <= 0 <= fixed.high
            final += fixed.p_value < alpha
    return Simulated(
        kind, cuped, runs, days, per_day, naive / runs, seq / runs, covered / runs, final / runs
    )
