"""Always-valid inference: a normal-mixture confidence sequence that survives daily peeking.

A fixed-horizon interval is valid once, at the planned sample size; looked at every day and
stopped at the first "significant" day, a 5% test rejects a true null far more often (the
simulation in ``benchmarks/bench_experiments.py`` measures it). A *confidence sequence*
holds at every look at once: ``P(the true effect is outside the interval at any look) <=
alpha``.

This module implements the two-sided normal-mixture boundary of Howard, Ramdas, McAuliffe
and Sekhon (2021), "Time-uniform, nonparametric, nonasymptotic confidence sequences",
*Annals of Statistics* 49(2), eq. (14) -- the same boundary as the mixture sequential
probability ratio test (mSPRT) of Johari, Koomen, Pekelis and Walsh (2017/2022), "Always
Valid Inference: Continuous Monitoring of A/B Tests", *Operations Research* 70(3), sec. 4.
For an estimate ``d`` of the effect with variance ``V`` (shrinking as data arrive) and the
mixing variance ``tau^2`` of the normal mixture over alternatives:

* the mixture likelihood ratio is ``L = sqrt(V / (V + tau^2)) exp(tau^2 d^2 / (2 V (V +
  tau^2)))``; the always-valid p-value is the running minimum of ``min(1, 1/L)``;
* the confidence sequence is ``d -/+ sqrt(V (V + tau^2) / tau^2 * (log((V + tau^2) / V) +
  2 log(1/alpha)))``.

``tau^2`` is fixed up front by the ``tuning`` sample size ``N*`` at which the boundary is
tightest (Howard et al., sec. 3.5; GrowthBook uses the same tuning): ``tau^2 = s^2 rho^2``
with ``rho^2 = (-2 log alpha + log(-2 log alpha + 1)) / N*`` and ``s^2 = V n`` the
per-person variance of the difference. Using the estimated variance makes the guarantee
asymptotic (Waudby-Smith et al. 2023, "Time-uniform central limit theory"), which the A/A
simulations check at the sizes a readout shows.

>>> half_width(1.0, tau2=1.0, alpha=0.05) > 1.96  # wider than the fixed-horizon interval
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wegweiser.errors import InvalidInput

__all__ = ["Sequential", "half_width", "mixture_p_value", "rho2", "sequential", "tau2"]


def rho2(alpha: float, tuning: float) -> float:
    """Howard et al.'s mixing parameter for a boundary tightest near ``tuning`` persons."""
    if not 0 < alpha < 1 or tuning <= 0:
        raise InvalidInput(f"need 0 < alpha < 1 and tuning > 0, got {alpha}, {tuning}")
    la = -2 * math.log(alpha)
    return (la + math.log(la + 1)) / tuning


def tau2(var_estimate: float, n: int, *, alpha: float, tuning: float) -> float:
    """The mixing variance for an estimate of variance ``var_estimate`` from ``n`` persons."""
    return var_estimate * n * rho2(alpha, tuning)


def half_width(var_estimate: float, *, tau2: float, alpha: float) -> float:
    """Half-width of the confidence sequence at an estimate of variance ``var_estimate``."""
    v = var_estimate
    if v <= 0 or tau2 <= 0:
        return 0.0 if v <= 0 else math.inf
    return math.sqrt(v * (v + tau2) / tau2 * (math.log((v + tau2) / v) + 2 * math.log(1 / alpha)))


def mixture_p_value(diff: float, var_estimate: float, *, tau2: float) -> float:
    """``min(1, 1/L)`` for the mixture likelihood ratio ``L`` at one look."""
    v = var_estimate
    if v <= 0:
        return 1.0 if diff == 0 else 0.0
    log_l = 0.5 * math.log(v / (v + tau2)) + tau2 * diff**2 / (2 * v * (v + tau2))
    return 1.0 if log_l <= 0 else math.exp(-log_l)


@dataclass(frozen=True)
class Sequential:
    """The always-valid interval of the difference at one look and its p-value (not yet
    the running minimum over looks: :func:`wegweiser.analysis.experiments.readout` keeps
    that when it has the history)."""

    low: float
    high: float
    p_value: float


def sequential(
    diff: float, var_estimate: float, n: int, *, alpha: float = 0.05, tuning: float = 10_000
) -> Sequential:
    """The confidence sequence and mSPRT p-value of ``diff`` (variance ``var_estimate``,
    from ``n`` persons in all arms) at one look."""
    t2 = tau2(var_estimate, n, alpha=alpha, tuning=tuning)
    w = half_width(var_estimate, tau2=t2, alpha=alpha)
    return Sequential(diff - w, diff + w, mixture_p_value(diff, var_estimate, tau2=t2))
