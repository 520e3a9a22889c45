"""Before a test: power and the minimum detectable effect; after it: many tests at once.

* :func:`mde` -- the smallest true effect a test of ``n`` persons per arm detects with
  probability ``power`` at level ``alpha`` (two-sided), from statsmodels' power solvers:
  ``NormalIndPower`` on Cohen's h for a conversion rate (arcsine-transformed, so the answer is
  exact on the rate scale), ``TTestIndPower`` on Cohen's d for a mean (``sd`` given).
* :func:`persons_needed` -- the persons per arm for a given effect, the other way round.
* :func:`adjust` -- multiple-testing correction across variants x metrics with statsmodels'
  ``multipletests`` (Holm by default: controls the family-wise error, uniformly more
  powerful than Bonferroni).

With more than two variants each is compared with control: the plan splits ``alpha``
Bonferroni-style over those comparisons so the plan is not optimistic.

>>> round(mde(0.05, 10_000, alpha=0.05, power=0.8).relative, 3)
0.18
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence

CORRECTIONS = ("holm", "bonferroni", "fdr_bh", "none")


@dataclass(frozen=True)
class Mde:
    """``absolute`` (variant - control) and ``relative`` (absolute / baseline) MDE."""

    absolute: float
    relative: float


def _solve(solver: Any, **given: float) -> float:
    """statsmodels' ``solve_power`` for the one missing value; a failed or non-finite
    solution is refused rather than shown (extreme alpha, power or effect sizes)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = float(solver.solve_power(**given))
    except (ValueError, ArithmeticError, RuntimeError, Warning) as exc:
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InvalidInput(
            f"the power equation has no solution for {given}: {why}; use a "
            "usual alpha (0.01-0.1), power (0.5-0.99) and effect size"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(
            f"the power equation has no finite solution for {given}; use a "
            "usual alpha (0.01-0.1), power (0.5-0.99) and effect size"
        )
    return value


def _check(baseline: float, sd: float | None, alpha: float, power: float) -> None:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InvalidInput(f"alpha and power must lie between 0 and 1, got {alpha}, {power}")
    if sd is None and not 0 < baseline < 1:
        raise InvalidInput(
            f"a conversion-rate baseline must lie between 0 and 1, got "
            f"{baseline}; for a mean metric give its standard deviation (sd)"
        )
    if sd is not None and sd <= 0:
        raise InvalidInput(f"the standard deviation must be positive, got {sd}")


def mde(
    baseline: float,
    n_per_arm: float,
    *,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    comparisons: int = 1,
) -> Mde:
    """Minimum detectable effect (increase) with ``n_per_arm`` persons in each arm."""
    _check(baseline, sd, alpha, power)
    if n_per_arm < 2:
        return Mde(math.inf, math.inf)
    a = alpha / max(comparisons, 1)
    if sd is not None:
        d = _solve(TTestIndPower(), nobs1=n_per_arm, alpha=a, power=power, ratio=1.0)
        return Mde(d * sd, d * sd / baseline if baseline else math.inf)
    h = _solve(NormalIndPower(), nobs1=n_per_arm, alpha=a, power=power, ratio=1.0)
    top = 2 * math.asin(math.sqrt(baseline)) + h
    if top >= math.pi:
        return Mde(math.inf, math.inf)
    rate = math.sin(top / 2) ** 2
    return Mde(rate - baseline, (rate - baseline) / baseline)


def persons_needed(
    baseline: float,
    effect: float,
    *,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    comparisons: int = 1,
) -> int:
    """Persons per arm to detect an absolute ``effect`` (see :func:`mde`)."""
    _check(baseline, sd, alpha, power)
    if effect <= 0:
        raise InvalidInput(f"the effect to detect must be positive, got {effect}")
    a = alpha / max(comparisons, 1)
    if sd is not None:
        n = _solve(TTestIndPower(), effect_size=effect / sd, alpha=a, power=power)
    else:
        if not 0 < baseline + effect < 1:
            raise InvalidInput(
                f"baseline + effect must stay a rate below 1, got {baseline + effect}"
            )
        h = float(proportion_effectsize(baseline + effect, baseline))
        n = _solve(NormalIndPower(), effect_size=h, alpha=a, power=power)
    return math.ceil(n)


def adjust(
    p_values: Sequence[float],
    *,
    method: str = "holm",
    alpha: float = 0.05,
) -> list[float]:
    """Adjusted p-values (NaN stays NaN and is left out of the family)."""
    if method not in CORRECTIONS:
        raise InvalidInput(f"correction must be one of {', '.join(CORRECTIONS)}, got {method!r}")
    p = np.asarray(p_values, dtype="float64")
    out = p.copy()
    ok = ~np.isnan(p)
    if method != "none" and ok.any():
        out[ok] = multipletests(p[ok], alpha=alpha, method=method)[1]
    return [float(v) for v in out]
