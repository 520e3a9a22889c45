"""Rule-based attribution models: each converting path's credit is split by a fixed rule.

Every rule gives each touch of a path a weight; the weights of a path add up to 1 and the
path's conversions and value are shared in that proportion. Non-converting paths get
nothing (they carry no conversion). Touches are ordered as in the path (``seq`` order).

* :class:`FirstTouch` — all to the first touch; :class:`LastTouch` — all to the last.
* :class:`LastNonDirect` — all to the last touch whose channel is not in ``direct``
  (default ``("direct",)``; with ``by="campaign"`` the label's channel part is compared);
  a path of only direct touches credits its last touch.
* :class:`Linear` — equal shares.
* :class:`TimeDecay` — weight ``2 ** (-lag / half_life)``, normalised per path. ``lag`` is
  the whole days from the touch to the conversion when the paths carry them (paths from the
  store do), otherwise the number of touches after it (paths read from a path table), so
  ``half_life`` is in days, or in touches for path tables.
* :class:`PositionBased` — ``first`` to the first touch, ``last`` to the last, the rest
  split equally among the touches between (default 40/20/40). One touch gets all; two
  touches share in the ratio ``first : last``. :class:`JCurve` is 20/20/60 (first/middle/
  last), :class:`InverseJ` 60/20/20.
* :class:`CustomWeights` — ``weights[i]`` is the raw weight of the i-th touch counted from
  the conversion (``align="end"``: ``weights[0]`` is the last touch) or from the start
  (``align="start"``); touches further away get ``weights[-1]``; raw weights are normalised
  per path (all zero: equal shares).

>>> from wegweiser.analysis.attribution.paths import Paths
>>> paths = Paths.from_lists([["a", "b", "c"]], conversions=[10])
>>> credits = PositionBased().fit(paths).credits_
>>> dict(zip(credits.touchpoint, credits.conversions.round(6)))
{'a': 4.0, 'c': 4.0, 'b': 2.0}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from wegweiser.analysis.attribution._base import AttributionModel, Scores, credits_from_weights
from wegweiser.analysis.attribution.paths import CAMPAIGN_SEP
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from wegweiser.analysis.attribution.paths import Paths


class _RuleModel(AttributionModel):
    """A model whose credits are ``weights`` per touch; subclasses define ``_weights``."""

    def _weights(self, paths: Paths, pos: NDArray[np.int64], from_end: NDArray[np.int64],
                 length: NDArray[np.int64]) -> NDArray[np.float64]:
        raise NotImplementedError

    def _prepare(self, paths: Paths) -> Any:
        path_of = paths.path_of_touch
        pos = paths.position
        length = paths.lengths[path_of]
        weights = self._weights(paths, pos, length - 1 - pos, length)
        return paths.codes, path_of, weights.astype(np.float64), paths.n_labels

    def _score(
        self, prepared: Any, conversions: NDArray[np.float64], nulls: NDArray[np.float64],
        value: NDArray[np.float64], *, rng: np.random.Generator, main: bool,
    ) -> Scores:
        codes, path_of, weights, n_labels = prepared
        return credits_from_weights(codes, path_of, weights, n_labels, conversions, value)


def _floats(flags: NDArray[np.bool_]) -> NDArray[np.float64]:
    return np.asarray(flags, dtype=np.float64)


def _normalise(raw: NDArray[np.float64], paths: Paths) -> NDArray[np.float64]:
    if paths.n_touches == 0:
        return raw
    sums = np.add.reduceat(raw, paths.offsets[:-1])
    path_of = paths.path_of_touch
    total = sums[path_of]
    equal = 1.0 / paths.lengths[path_of]
    return np.where(total > 0, raw / np.where(total > 0, total, 1.0), equal)


class FirstTouch(_RuleModel):
    """All credit to the first touch of each path."""

    name = "first_touch"

    def _weights(self, paths: Paths, pos: NDArray[np.int64], from_end: NDArray[np.int64],
                 length: NDArray[np.int64]) -> NDArray[np.float64]:
        return _floats(pos == 0)


class LastTouch(_RuleModel):
    """All credit to the last touch of each path."""

    name = "last_touch"

    def _weights(self, paths: Paths, pos: NDArray[np.int64], from_end: NDArray[np.int64],
                 length: NDArray[np.int64]) -> NDArray[np.float64]:
        return _floats(from_end == 0)


class LastNonDirect(_RuleModel):
    """All credit to the last touch that is not direct (only direct touches: the last)."""

    name = "last_non_direct"

    def __init__(
        self, *, direct: tuple[str, ...] = ("direct",), n_bootstrap: int = 0,
        confidence: float = 0.95, random_state: int | None = None,
    ) -> None:
        super().__init__(n_bootstrap=n_bootstrap, confidence=confidence,
                         random_state=random_state)
        self.direct = direct

    def _weights(self, paths: Paths, pos: NDArray[np.int64], from_end: NDArray[np.int64],
                 length: NDArray[np.int64]) -> NDArray[np.float64]:
        direct = set(self.direct)
        is_direct = np.array(
            [label.partition(CAMPAIGN_SEP)[0] in direct if paths.by == "campaign"
             else label in direct for label in paths.labels], dtype=bool)
        if paths.n_touches == 0:
            return np.zeros(0)
        non_direct = ~is_direct[paths.codes]
        key = np.where(non_direct, pos, -1)
        best = np.maximum.reduceat(key, paths.offsets[:-1])
        best = np.where(best < 0, paths.lengths - 1, best)
        return _floats(pos == best[paths.path_of_touch])


class Linear(_RuleModel):
    """Equal credit to every touch of a path."""

    name = "linear"

    def _weights(self, paths: Paths, pos: NDArray[np.int64], from_end: NDArray[np.int64],
                 length: NDArray[np.int64]) -> NDArray[np.float64]:
        return 1.0 / length


class TimeDecay(_RuleModel):
    """Weights halve every ``half_life`` days before the conversion (touches for path
    tables without times)."""

    name = "time_decay"

    def __init__(
        self, *, half_life: float = 7.0, n_bootstrap: int = 0, confidence: float = 0.95,
        random_state: int | None = None,
    ) -> None:
        super().__init__(n_bootstrap=n_bootstrap, confidence=confidence,
                         random_state=random_state)
        self.half_life = half_life

    def _validate(self) -> None:
        super()._validate()
        if not self.half_life > 0:
            raise InvalidInput(f"half_life must be > 0, got {self.half_life}")

    def _weights(self, paths: Paths, pos: NDArray[np.int64], from_end: NDArray[np.int64],
                 length: NDArray[np.int64]) -> NDArray[np.float64]:
        lag = from_end.astype(np.float64)
        if paths.lags is not None:
            lag = np.where(np.isnan(paths.lags), lag, paths.lags)
        return _normalise(np.exp2(-lag / float(self.half_life)), paths)


class PositionBased(_RuleModel):
    """``first`` to the first touch, ``last`` to the last, the rest equally in between."""

    name = "position_based"
    _defaults: ClassVar[tuple[float, float]] = (0.4, 0.4)

    def __init__(
        self, *, first: float | None = None, last: float | None = None, n_bootstrap: int = 0,
        confidence: float = 0.95, random_state: int | None = None,
    ) -> None:
        super().__init__(n_bootstrap=n_bootstrap, confidence=confidence,
                         random_state=random_state)
        self.first = first
        self.last = last

    def _shares(self) -> tuple[float, float]:
        first = self._defaults[0] if self.first is None else float(self.first)
        last = self._defaults[1] if self.last is None else float(self.last)
        if first < 0 or last < 0 or first + last > 1 + 1e-12 or first + last == 0:
            raise InvalidInput(
                f"position weights need first, last >= 0, 0 < first + last <= 1; "
                f"got first={first}, last={last}"
            )
        return first, last

    def _validate(self) -> None:
        super()._validate()
        self._shares()

    def _weights(self, paths: Paths, pos: NDArray[np.int64], from_end: NDArray[np.int64],
                 length: NDArray[np.int64]) -> NDArray[np.float64]:
        first, last = self._shares()
        middle = (1.0 - first - last) / np.maximum(length - 2, 1)
        w = np.where(pos == 0, first, np.where(from_end == 0, last, middle))
        w = np.where(length == 1, 1.0, w)
        two = length == 2
        return np.where(two, np.where(pos == 0, first, last) / (first + last), w)


class JCurve(PositionBased):
    """Position-based 20/20/60: most credit to the last touch."""

    name = "j_curve"
    _defaults = (0.2, 0.6)


class InverseJ(PositionBased):
    """Position-based 60/20/20: most credit to the first touch."""

    name = "inverse_j"
    _defaults = (0.6, 0.2)


class CustomWeights(_RuleModel):
    """Your own weights by position, counted from the conversion or from the start."""

    name = "custom"

    def __init__(
        self, *, weights: tuple[float, ...] = (1.0,), align: str = "end", n_bootstrap: int = 0,
        confidence: float = 0.95, random_state: int | None = None,
    ) -> None:
        super().__init__(n_bootstrap=n_bootstrap, confidence=confidence,
                         random_state=random_state)
        self.weights = weights
        self.align = align

    def _validate(self) -> None:
        super()._validate()
        w = np.asarray(self.weights, dtype=np.float64)
        if w.ndim != 1 or len(w) == 0 or not np.isfinite(w).all() or (w < 0).any():
            raise InvalidInput(f"custom weights must be numbers >= 0, got {self.weights!r}")
        if self.align not in ("start", "end"):
            raise InvalidInput(f"align must be 'start' or 'end', got {self.align!r}")

    def _weights(self, paths: Paths, pos: NDArray[np.int64], from_end: NDArray[np.int64],
                 length: NDArray[np.int64]) -> NDArray[np.float64]:
        w = np.asarray(self.weights, dtype=np.float64)
        idx = from_end if self.align == "end" else pos
        return _normalise(w[np.minimum(idx, len(w) - 1)], paths)
