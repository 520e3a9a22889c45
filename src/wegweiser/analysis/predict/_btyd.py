"""BG/NBD and Pareto/NBD: repeat purchases while a customer is "alive", by maximum likelihood.

Both models read one row per customer of the calibration period: ``x`` repeat purchases
(purchase days after the first), ``t_x`` the time from the first to the last purchase and
``T`` the time from the first purchase to the end of the calibration period (one unit: days
or weeks). Purchases follow a Poisson process with rate ``lambda ~ Gamma(r, alpha)``.

* **BG/NBD** (Fader, Hardie & Lee 2005): after each purchase the customer drops out with
  probability ``p ~ Beta(a, b)``.
* **Pareto/NBD** (Schmittlein, Morrison & Colombo 1987; Fader & Hardie 2005 note): the
  lifetime is exponential with rate ``mu ~ Gamma(s, beta)``.

The log-likelihoods are written in log space (``gammaln``, ``betaln``, ``logaddexp``); the
Pareto/NBD one takes the Gauss hypergeometric function with its argument in ``[0, 1)``
whichever of ``alpha``, ``beta`` is larger (the two forms are the same function, Pfaff's
transformation), so ``alpha == beta`` needs no special case. Parameters are fitted on their
logarithms (all are positive, kept within 1e-6 .. 1e6) with SciPy's Nelder-Mead, then
polished by L-BFGS-B; equal rows are fitted once with their count as a weight.

>>> m = BgNbd.fit(np.array([0, 1, 2, 0]), np.array([0.0, 3.0, 5.0, 0.0]),
...               np.array([6.0, 6.0, 6.0, 2.0]))
>>> bool(m.p_alive(np.array([0]), np.array([0.0]), np.array([6.0]))[0] == 1.0)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from wegweiser.errors import InvalidInput

Array = NDArray[np.float64]

__all__ = ["BgNbd", "ParetoNbd", "at_boundary", "fit_params"]


LOG_BOUND = float(np.log(1e6))  # parameters are fitted within 1e-6 .. 1e6


def at_boundary(params: dict[str, float]) -> list[str]:
    """The parameters a fit drove towards 0 or infinity (below 1e-5 or above 1e5; the fit
    stops at 1e-6 and 1e6): the data cannot tell them, e.g. too few repeat buyers, or no
    one seems to drop out."""
    return [k for k, v in params.items() if not 1e-5 <= v <= 1e5]


def fit_params(
    loglik: object, start: Array, names: tuple[str, ...], what: str
) -> tuple[Array, float]:
    """Maximise ``loglik(params) -> float`` over positive ``params`` (fitted on logs);
    the parameters and the maximal log-likelihood. Refuses a fit that does not converge."""
    func = loglik  # a callable of the parameters

    def negative(logs: Array) -> float:
        with np.errstate(all="ignore"):
            value = float(func(np.exp(logs)))  # type: ignore[operator]
        return -value if np.isfinite(value) else 1e300

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    first = optimize.minimize(negative, np.log(start), method="Nelder-Mead", bounds=bounds,
                              options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-6})
    best = optimize.minimize(negative, first.x, method="L-BFGS-B", bounds=bounds,
                             options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 2000})
    chosen = best if best.fun <= first.fun else first
    if not np.isfinite(chosen.fun) or chosen.fun >= 1e300:
        raise InvalidInput(
            f"the {what} fit found no finite likelihood (parameters {', '.join(names)}): "
            "too few customers or too few repeat purchases for this model"
        )
    return np.exp(chosen.x), -float(chosen.fun)


def _compress(*columns: Array) -> tuple[list[Array], Array]:
    """The distinct rows of ``columns`` and how often each occurs."""
    stacked = np.column_stack(columns)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(np.float64)


def _check(x: Array, t_x: Array, T: Array) -> None:
    if len(x) == 0:
        raise InvalidInput("no customers to fit: no purchases in the calibration period")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T + 1e-9) or np.any(T < 0):
        raise InvalidInput("a customer summary needs 0 <= recency <= T")
    if np.any((x == 0) & (t_x != 0)):
        raise InvalidInput("a customer without repeat purchases must have recency 0")


@dataclass(frozen=True)
class BgNbd:
    """A fitted BG/NBD model: ``r``, ``alpha`` (purchase rates), ``a``, ``b`` (dropout)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    title: ClassVar[str] = "BG/NBD"

    @staticmethod
    def loglik(params: Array, x: Array, t_x: Array, T: Array) -> Array:
        """Each customer's log-likelihood (Fader, Hardie & Lee 2005, eq. 6)."""
        r, alpha, a, b = params
        head = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
                + special.betaln(a, b + x) - special.betaln(a, b))
        stay = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            drop = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                            - (r + x) * np.log(alpha + t_x), -np.inf)
        return np.asarray(head + np.logaddexp(stay, drop), dtype=np.float64)

    @classmethod
    def fit(cls, x: Array, t_x: Array, T: Array) -> BgNbd:
        """Maximum likelihood over the customers ``(x, t_x, T)``."""
        x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
        _check(x, t_x, T)
        (cx, ct, cT), w = _compress(x, t_x, T)
        params, ll = fit_params(lambda p: float(w @ cls.loglik(p, cx, ct, cT)),
                                np.ones(4), cls.names, cls.title)
        a, b, c, d = (float(v) for v in params)
        return cls(a, b, c, d, log_likelihood=ll)

    def params(self) -> dict[str, float]:
        return {n: float(getattr(self, n)) for n in self.names}

    def p_alive(self, x: Array, t_x: Array, T: Array) -> Array:
        """P(still a customer at T | x, t_x, T); 1 for customers without repeat purchases."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = (np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
        return np.where(x > 0, special.expit(-log_odds), 1.0)

    def expected(self, t: float | Array, x: Array, t_x: Array, T: Array) -> Array:
        """Expected purchases in ``(T, T + t]`` given ``x, t_x, T`` (eq. 10)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        t = np.asarray(t, dtype=np.float64)
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        value = (a + b + x - 1) / (a - 1) * (1 - ratio * hyp)
        alive = self.p_alive(x, t_x, T)
        return np.asarray(np.where(alive > 0, value * alive, 0.0), dtype=np.float64)

    def expected_new(self, t: float | Array) -> Array:
        """Expected repeat purchases in ``(0, t]`` of a new customer (eq. 9)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        t = np.asarray(t, dtype=np.float64)
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp),
                          dtype=np.float64)

    def count_probabilities(self, t: Array, upto: int) -> Array:
        """P(X(t) = x) of a new customer for x = 0..upto-1 (rows: ``t``), eq. 8."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        t = np.asarray(t, dtype=np.float64)[:, None]
        xs = np.arange(upto, dtype=np.float64)[None, :]
        log_nb = (special.gammaln(r + xs) - special.gammaln(r) - special.gammaln(xs + 1)
                  + r * np.log(alpha / (alpha + t)) + special.xlogy(xs, t / (alpha + t)))
        first = np.exp(special.betaln(a, b + xs) - special.betaln(a, b) + log_nb)
        below = np.cumsum(np.exp(log_nb), axis=1) - np.exp(log_nb)  # sum over j < x
        with np.errstate(all="ignore"):
            weight = np.exp(special.betaln(a + 1, b + xs - 1) - special.betaln(a, b))
            second = np.where(xs > 0, weight * (1 - below), 0.0)
        return np.asarray(first + second, dtype=np.float64)


def _log_hyp_term(a: Array, b_hi: Array, b_lo: Array, c: Array, alpha: float, beta: float,
                  t: Array) -> Array:
    """log of 2F1(a, b; c; z) / (m + t)^a with m = max(alpha, beta), z = |alpha-beta|/(m+t),
    and b = ``b_hi`` when alpha >= beta, else ``b_lo`` (the Pareto/NBD integrals)."""
    if alpha >= beta:
        z, b, m = (alpha - beta) / (alpha + t), b_hi, alpha
    else:
        z, b, m = (beta - alpha) / (beta + t), b_lo, beta
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.log(special.hyp2f1(a, b, c, z)) - a * np.log(m + t),
                          dtype=np.float64)


@dataclass(frozen=True)
class ParetoNbd:
    """A fitted Pareto/NBD model: ``r``, ``alpha`` (purchase rates), ``s``, ``beta``
    (lifetimes)."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float = float("nan")
    names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    title: ClassVar[str] = "Pareto/NBD"

    @staticmethod
    def _log_a0(params: Array, x: Array, t_x: Array, T: Array) -> Array:
        r, alpha, s, beta = params
        n = r + s + x
        hi = _log_hyp_term(n, s + 1, r + x, n + 1, alpha, beta, t_x)
        lo = _log_hyp_term(n, s + 1, r + x, n + 1, alpha, beta, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(hi + np.log1p(-np.exp(np.minimum(lo - hi, 0.0))),
                              dtype=np.float64)

    @classmethod
    def loglik(cls, params: Array, x: Array, t_x: Array, T: Array) -> Array:
        """Each customer's log-likelihood (Fader & Hardie 2005 note, eq. 22)."""
        r, alpha, s, beta = params
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        gone = np.log(s) - np.log(r + s + x) + cls._log_a0(params, x, t_x, T)
        return np.asarray(head + np.logaddexp(alive, gone), dtype=np.float64)

    @classmethod
    def fit(cls, x: Array, t_x: Array, T: Array) -> ParetoNbd:
        """Maximum likelihood over the customers ``(x, t_x, T)``."""
        x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
        _check(x, t_x, T)
        (cx, ct, cT), w = _compress(x, t_x, T)
        params, ll = fit_params(lambda p: float(w @ cls.loglik(p, cx, ct, cT)),
                                np.ones(4), cls.names, cls.title)
        a, b, c, d = (float(v) for v in params)
        return cls(a, b, c, d, log_likelihood=ll)

    def params(self) -> dict[str, float]:
        return {n: float(getattr(self, n)) for n in self.names}

    def p_alive(self, x: Array, t_x: Array, T: Array) -> Array:
        """P(still a customer at T | x, t_x, T) (eq. 18 of the note)."""
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        p = np.array([r, alpha, s, beta])
        log_odds = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T)
                    + s * np.log(beta + T) + self._log_a0(p, x, t_x, T))
        return np.asarray(special.expit(-log_odds), dtype=np.float64)

    def expected_new(self, t: float | Array) -> Array:
        """Expected repeat purchases in ``(0, t]`` of a new customer (Fader & Hardie 2005
        note, eq. 27): ``r beta / (alpha (s - 1)) (1 - (beta / (beta + t))^(s - 1))``, its
        limit ``r beta / alpha log(1 + t / beta)`` at ``s = 1``."""
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        log_ratio = np.log1p(np.asarray(t, dtype=np.float64) / beta)
        if abs(s - 1) < 1e-8:
            return np.asarray(r * beta / alpha * log_ratio, dtype=np.float64)
        return np.asarray(r * beta / (alpha * (s - 1)) * -np.expm1(-(s - 1) * log_ratio),
                          dtype=np.float64)

    def count_probabilities(self, t: Array, upto: int) -> Array:
        """P(X(t) = x) of a new customer for x = 0..upto-1 (rows: ``t``; Fader & Hardie,
        "Deriving an expression for P(X(t) = x) under the Pareto/NBD model", 2006, eq. 14):
        alive throughout (a negative binomial count) plus dropped out at some time before
        ``t``; the second part is ``B(r+x, s+1) / B(r, s) alpha^r beta^s`` times the
        difference of a Gauss hypergeometric term and a finite sum of them."""
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        t = np.asarray(t, dtype=np.float64)[:, None]
        out = np.empty((t.shape[0], upto), dtype=np.float64)
        m = max(alpha, beta)
        gap = abs(alpha - beta)
        rs = r + s
        for x in range(upto):
            b = s + 1 if alpha >= beta else r + x
            c = rs + x + 1
            alive = np.exp(special.gammaln(r + x) - special.gammaln(r) - special.gammaln(x + 1)
                           + r * np.log(alpha / (alpha + t)) + special.xlogy(x, t / (alpha + t))
                           + s * np.log(beta / (beta + t)))
            # both terms scaled by m^(r+s): first 2F1(r+s, b; c; gap/m), then the sum
            bracket = np.full_like(t, float(special.hyp2f1(rs, b, c, gap / m)))
            for i in range(x + 1):
                bracket -= np.exp(special.gammaln(rs + i) - special.gammaln(rs)
                                  - special.gammaln(i + 1) + special.xlogy(i, t)
                                  + rs * np.log(m) - (rs + i) * np.log(m + t)
                                  + np.log(special.hyp2f1(rs + i, b, c, gap / (m + t))))
            scale = np.exp(r * np.log(alpha) + s * np.log(beta) - rs * np.log(m)
                           + special.betaln(r + x, s + 1) - special.betaln(r, s))
            out[:, x] = (alive + scale * np.maximum(bracket, 0.0))[:, 0]
        return out

    def expected(self, t: float | Array, x: Array, t_x: Array, T: Array) -> Array:
        """Expected purchases in ``(T, T + t]`` given ``x, t_x, T``."""
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        t = np.asarray(t, dtype=np.float64)
        rate = (r + x) / (alpha + T)
        log_ratio = np.log(beta + T + t) - np.log(beta + T)
        if abs(s - 1) < 1e-8:
            span = (beta + T) * log_ratio
        else:
            span = (beta + T) / (s - 1) * -np.expm1(-(s - 1) * log_ratio)
        return np.asarray(rate * span * self.p_alive(x, t_x, T), dtype=np.float64)
