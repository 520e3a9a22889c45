"""Simulated journeys with a planted uplift: does the readout's interval hold the truth, and
does a journey without effect stay free of false wins however often one looks?

Each run sends ``per_day`` entrants a day through a journey with a holdout share
``holdout``; a holdout person converts with ``base``, a treated one with ``base + lift``.
After every simulated day the readout is computed on everything so far -- the marketer
opening the dashboard daily -- with the functions the journey readout uses
(:func:`~wegweiser.analysis.experiments.readout.effect` and the always-valid
:func:`~wegweiser.analysis.experiments.sequential.sequential` interval, as
:func:`~wegweiser.orchestrate.readouts.journey_readout` gets them through the experiments
engine). Per run:

* ``covered`` -- the 95% interval at the last look holds the planted lift;
* ``covered_always`` -- it held it at *every* look;
* ``win`` -- at some look the interval lay above 0 (a declared win);
* ``naive_win`` -- the same with the fixed-horizon 95% interval, for contrast (peeking
  inflates its false wins).

>>> r = coverage(runs=5, days=3, per_day=200, seed=1)
>>> r.runs, 0 <= r.coverage <= 1
(5, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wegweiser.analysis.experiments import stats
from wegweiser.analysis.experiments.moments import Moments
from wegweiser.analysis.experiments.readout import effect
from wegweiser.analysis.experiments.sequential import sequential
from wegweiser.errors import InvalidInput

__all__ = ["Coverage", "coverage"]


@dataclass(frozen=True)
class Coverage:
    """Shares of runs (see the module docstring) and the planted ``lift``."""

    lift: float
    runs: int
    days: int
    per_day: int
    coverage: float
    coverage_always: float
    wins: float
    naive_wins: float


def coverage(*, lift: float = 0.02, base: float = 0.10, holdout: float = 0.2, runs: int = 200,
             days: int = 28, per_day: int = 500, alpha: float = 0.05, seed: int = 0,
             tuning: float = 10_000) -> Coverage:
    """Run ``runs`` simulated journeys and measure coverage and wins (module docstring)."""
    if not 0 < holdout < 1 or not 0 <= base <= 1 or not 0 <= base + lift <= 1:
        raise InvalidInput("need 0 < holdout < 1 and conversion rates base, base + lift in "
                           "[0, 1]")
    if runs < 1 or days < 1 or per_day < 2:
        raise InvalidInput("need runs >= 1, days >= 1 and per_day >= 2")
    rng = np.random.default_rng(seed)
    covered = covered_always = wins = naive = 0
    for _ in range(runs):
        n_hold = rng.binomial(per_day, holdout, size=days)
        n_treat = per_day - n_hold
        c_hold = np.cumsum(rng.binomial(n_hold, base))
        c_treat = np.cumsum(rng.binomial(n_treat, base + lift))
        n_hold, n_treat = np.cumsum(n_hold), np.cumsum(n_treat)
        always, won, naive_won, last = True, False, False, False
        for day in range(days):
            if min(n_hold[day], n_treat[day]) < 2:
                continue
            treated = Moments(int(n_treat[day]), float(c_treat[day]), float(c_treat[day]))
            held = Moments(int(n_hold[day]), float(c_hold[day]), float(c_hold[day]))
            eff = effect("proportion", treated, held, cuped=False)
            seq = sequential(eff.diff, eff.se**2, treated.n + held.n, alpha=alpha,
                             tuning=tuning)
            last = seq.low <= lift <= seq.high
            always = always and last
            won = won or seq.low > 0
            naive_won = naive_won or stats.fixed_horizon(eff, alpha=alpha).low > 0
        covered += last
        covered_always += always
        wins += won
        naive += naive_won
    return Coverage(lift, runs, days, per_day, covered / runs, covered_always / runs,
                    wins / runs, naive / runs)
