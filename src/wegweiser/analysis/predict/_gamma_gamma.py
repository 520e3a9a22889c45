"""Gamma-Gamma: the spend per purchase, by maximum likelihood (Fader & Hardie 2013 note).

A customer's purchases have values ``z ~ Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)``
across customers; the model reads the repeat buyers only, each with ``x`` repeat purchases
and their mean value ``m``. The likelihood of ``m`` given ``x`` (up to a constant) is
``Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q * m^(px-1) * x^(px) / (gamma + m x)^(px+q)``.

The expected spend per purchase of a customer is the weighted mean of the population mean
``p gamma / (q - 1)`` and their own mean ``m``, with weight ``px / (px + q - 1)`` on ``m``
(customers without repeat purchases get the population mean). It needs ``q > 1``.

>>> g = GammaGamma(p=6.25, q=3.74, gamma=15.44)
>>> round(float(g.population_mean()), 2)
35.22
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import special

from wegweiser.analysis.predict._btyd import Array, _compress, fit_params
from wegweiser.errors import InvalidInput

__all__ = ["MIN_BUYERS", "GammaGamma"]

MIN_BUYERS = 10  # repeat buyers with revenue the fit needs at least


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma spend model: ``p``, ``q``, ``gamma``."""

    p: float
    q: float
    gamma: float
    log_likelihood: float = float("nan")
    names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")
    title: ClassVar[str] = "Gamma-Gamma"

    @staticmethod
    def loglik(params: Array, x: Array, m: Array) -> Array:
        """Each repeat buyer's log-likelihood of their mean spend ``m`` over ``x`` purchases."""
        p, q, gamma = params
        px = p * x
        return np.asarray(
            special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
            + q * np.log(gamma) + (px - 1) * np.log(m) + px * np.log(x)
            - (px + q) * np.log(gamma + m * x),
            dtype=np.float64,
        )

    @classmethod
    def fit(cls, x: Array, m: Array) -> GammaGamma:
        """Maximum likelihood over repeat buyers: ``x`` > 0 purchases of mean value ``m`` > 0."""
        x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
        if len(x) < MIN_BUYERS:
            raise InvalidInput(
                "the Gamma-Gamma spend model needs repeat buyers with revenue: "
                f"found {len(x)}, it takes {MIN_BUYERS} or more"
            )
        if np.any(x <= 0) or np.any(~np.isfinite(m)) or np.any(m <= 0):
            raise InvalidInput("the Gamma-Gamma fit takes repeat buyers with a positive spend")
        (cx, cm), w = _compress(x, m)
        start = np.array([1.0, 1.0, max(float(np.mean(m)), 1e-3)])
        params, ll = fit_params(lambda p: float(w @ cls.loglik(p, cx, cm)),
                                start, cls.names, cls.title)
        return cls(float(params[0]), float(params[1]), float(params[2]), log_likelihood=ll)

    def params(self) -> dict[str, float]:
        return {n: float(getattr(self, n)) for n in self.names}

    def population_mean(self) -> float:
        """The mean spend per purchase across customers (NaN when ``q <= 1``)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("nan")

    def expected_spend(self, x: Array, m: Array) -> Array:
        """The expected spend per purchase of customers with ``x`` repeat purchases of mean
        ``m`` (the population mean for ``x == 0``)."""
        x = np.asarray(x, dtype=np.float64)
        m = np.nan_to_num(np.asarray(m, dtype=np.float64))
        weight = self.p * x / (self.p * x + self.q - 1)
        return np.asarray((1 - weight) * self.population_mean() + weight * m, dtype=np.float64)
