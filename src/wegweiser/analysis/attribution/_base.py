"""What every attribution model shares: the estimator contract, credits, the bootstrap.

A model follows the scikit-learn estimator contract: ``__init__`` only stores its keyword
hyper-parameters, ``fit(paths)`` learns and returns ``self``, learned state ends in ``_``
(``credits_``, ``n_conversions_``...), randomness comes from ``random_state``. A subclass
implements ``_prepare(paths)`` (work that does not depend on the counts) and
``_score(prepared, conversions, nulls, value)`` returning credited conversions and value per
label; the bootstrap re-runs ``_score`` on resampled counts.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
import pandas as pd

from wegweiser.errors import InvalidInput, NotFittedError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from wegweiser.analysis.attribution.paths import Paths

NOTE = (
    "Path-based attribution describes how credit can be shared among the touchpoints seen on "
    "the paths to conversion; it does not measure incrementality (what a channel caused). "
    "For causal effects run holdout experiments (control groups, geo or time holdouts)."
)


@dataclass
class Scores:
    """Credited conversions and value per label, plus model-specific extras."""

    conversions: NDArray[np.float64]
    value: NDArray[np.float64]
    extras: dict[str, Any] = field(default_factory=dict)


class AttributionModel:
    """Base class of the attribution models (see the module docstring)."""

    #: name used by ``--model`` and in comparison tables
    name: ClassVar[str] = ""
    #: whether credits are a rule applied to each path (False: learned from all paths)
    rule_based: ClassVar[bool] = True

    def __init__(
        self, *, n_bootstrap: int = 0, confidence: float = 0.95, random_state: int | None = None
    ) -> None:
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.random_state = random_state

    # -- estimator contract --------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            for p in inspect.signature(init).parameters.values():
                if p.kind is p.KEYWORD_ONLY and p.name not in names:
                    names.append(p.name)
        return names

    def get_params(self) -> dict[str, Any]:
        """The hyper-parameters (as given to ``__init__``)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise InvalidInput(
                    f"{type(self).__name__} has no parameter {key!r}; "
                    f"valid: {', '.join(sorted(valid))}"
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __getattr__(self, name: str) -> Any:
        if name.endswith("_") and not name.startswith("_"):
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet; call .fit(paths) before reading "
                f"{name}"
            )
        raise AttributeError(name)

    # -- fitting -------------------------------------------------------------------------
    def _validate(self) -> None:
        if self.n_bootstrap < 0:
            raise InvalidInput(f"n_bootstrap must be >= 0, got {self.n_bootstrap}")
        if not 0 < self.confidence < 1:
            raise InvalidInput(f"confidence must be between 0 and 1, got {self.confidence}")

    def _prepare(self, paths: Paths) -> Any:
        return paths

    def _score(
        self, prepared: Any, conversions: NDArray[np.float64], nulls: NDArray[np.float64],
        value: NDArray[np.float64], *, rng: np.random.Generator, main: bool,
    ) -> Scores:
        raise NotImplementedError

    def fit(self, paths: Paths) -> Self:
        """Learn the credits of ``paths``; sets ``credits_`` and the model's other ``*_``."""
        self._validate()
        rng = np.random.default_rng(self.random_state)
        prepared = self._prepare(paths)
        scores = self._score(prepared, paths.conversions, paths.nulls, paths.value,
                             rng=rng, main=True)
        credits = paths.touchpoints()
        credits["conversions"] = scores.conversions
        credits["revenue"] = scores.value
        total = paths.total_conversions
        credits["share"] = scores.conversions / total if total > 0 else 0.0
        if self.n_bootstrap:
            low, high = self._bootstrap(prepared, paths, rng)
            credits["conversions_low"], credits["conversions_high"] = low[0], high[0]
            credits["revenue_low"], credits["revenue_high"] = low[1], high[1]
        credits = credits.sort_values(["conversions", "touchpoint"], ascending=[False, True],
                                      kind="stable").reset_index(drop=True)
        self.credits_ = credits
        self.n_conversions_ = total
        self.total_value_ = paths.total_value
        self.n_journeys_ = paths.n_journeys
        self.touchpoints_ = paths.labels
        for key, value in scores.extras.items():
            setattr(self, key, value)
        return self

    def _bootstrap(
        self, prepared: Any, paths: Paths, rng: np.random.Generator
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Percentile intervals over journeys: every converting and null journey is one unit,
        drawn with replacement (a multinomial over the distinct paths); a resampled path's
        value is its mean value per conversion times its resampled conversions."""
        atoms = np.concatenate([paths.conversions, paths.nulls])
        n_units = round(float(atoms.sum()))
        n = paths.n_paths
        samples = np.zeros((self.n_bootstrap, 2, paths.n_labels))
        if n_units == 0 or n == 0:
            return samples[0], samples[0]
        probs = atoms / atoms.sum()
        mean_value = np.divide(paths.value, paths.conversions,
                               out=np.zeros(n), where=paths.conversions > 0)
        for b in range(self.n_bootstrap):
            draw = rng.multinomial(n_units, probs).astype(np.float64)
            conv, null = draw[:n], draw[n:]
            s = self._score(prepared, conv, null, mean_value * conv, rng=rng, main=False)
            samples[b, 0], samples[b, 1] = s.conversions, s.value
        alpha = (1 - self.confidence) / 2
        return (np.quantile(samples, alpha, axis=0), np.quantile(samples, 1 - alpha, axis=0))


def credits_from_weights(
    codes: NDArray[np.int64], path_of_touch: NDArray[np.int64], weights: NDArray[np.float64],
    n_labels: int, conversions: NDArray[np.float64], value: NDArray[np.float64],
) -> Scores:
    """Credits when each touch gets a share ``weights`` (summing to 1 per path)."""
    conv = np.bincount(codes, weights * conversions[path_of_touch], minlength=n_labels)
    val = np.bincount(codes, weights * value[path_of_touch], minlength=n_labels)
    return Scores(conv.astype(np.float64), val.astype(np.float64))


def scale_to(effects: NDArray[np.float64], total: float) -> NDArray[np.float64]:
    """``effects`` (clipped at 0) rescaled to add up to ``total`` (zeros if all are 0)."""
    positive = np.clip(effects, 0.0, None)
    s = positive.sum()
    if s <= 0 or total == 0:
        return np.zeros_like(positive)
    scaled: NDArray[np.float64] = positive / s * total
    return scaled


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in columns.items()})
