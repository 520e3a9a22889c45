"""Per-variant aggregates of a metric: everything the statistics need, nothing per person.

A readout of ten million events leaves the engine as one row per variant: ``n`` (persons),
``s_y``/``s_yy`` (sum and sum of squares of the metric), and, when present, the same for a
second column ``x`` -- the pre-exposure covariate of CUPED, or the denominator of a ratio
metric -- with the cross-product ``s_xy``. :class:`Moments` holds one such row and derives
means, variances and covariances (sample, ``ddof=1``) from it.

>>> m = Moments.of([1.0, 2.0, 3.0], [0.0, 1.0, 1.0])
>>> m.n, m.mean_y, m.var_y, round(m.cov_xy, 4)
(3, 2.0, 1.0, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class Moments:
    """Sums over the persons of one variant (see the module docstring)."""

    n: int
    s_y: float
    s_yy: float
    s_x: float = 0.0
    s_xx: float = 0.0
    s_xy: float = 0.0

    def __post_init__(self) -> None:
        if self.n < 0 or not all(
            np.isfinite(v) for v in (self.s_y, self.s_yy, self.s_x, self.s_xx, self.s_xy)
        ):
            raise InvalidInput(f"moments need n >= 0 and finite sums, got {self}")
        if self.s_yy < 0 or self.s_xx < 0:
            raise InvalidInput(f"sums of squares cannot be negative, got {self}")

    @classmethod
    def of(
        cls,
        y: Sequence[float] | np.ndarray,
        x: Sequence[float] | np.ndarray | None = None,
    ) -> Moments:
        """The moments of raw arrays (tests and small data; readouts use engine sums)."""
        ya = np.asarray(y, dtype="float64")
        xa = np.zeros_like(ya) if x is None else np.asarray(x, dtype="float64")
        if xa.shape != ya.shape:
            raise InvalidInput(f"y and x differ in length: {ya.shape} vs {xa.shape}")
        return cls(
            int(ya.size),
            float(ya.sum()),
            float((ya * ya).sum()),
            float(xa.sum()),
            float((xa * xa).sum()),
            float((xa * ya).sum()),
        )

    def __add__(self, other: Moments) -> Moments:
        return Moments(
            self.n + other.n,
            self.s_y + other.s_y,
            self.s_yy + other.s_yy,
            self.s_x + other.s_x,
            self.s_xx + other.s_xx,
            self.s_xy + other.s_xy,
        )

    @property
    def mean_y(self) -> float:
        return self.s_y / self.n if self.n else float("nan")

    @property
    def mean_x(self) -> float:
        return self.s_x / self.n if self.n else float("nan")

    def _co(self, s_ab: float, s_a: float, s_b: float) -> float:
        if self.n < 2:
            return float("nan")
        return (s_ab - s_a * s_b / self.n) / (self.n - 1)

    @property
    def var_y(self) -> float:
        return max(self._co(self.s_yy, self.s_y, self.s_y), 0.0)

    @property
    def var_x(self) -> float:
        return max(self._co(self.s_xx, self.s_x, self.s_x), 0.0)

    @property
    def cov_xy(self) -> float:
        return self._co(self.s_xy, self.s_x, self.s_y)
