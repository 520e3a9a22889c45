"""The persona model: per-person features clustered into 3 to 5 personas (internal).

:class:`PersonaModel` follows the estimator contract of the attribution models: ``__init__``
stores keyword hyper-parameters, ``fit(features)`` returns ``self``, learned state ends in
``_``, randomness comes from ``random_state`` (the same input gives the same personas).

Features are prepared once: shares (channel, device, platform, hours, weekend, pace) as
square roots (the Hellinger distance between mixes), counts and money (``LOG_FEATURES``) as
``log1p`` and standardised; then each group is weighted (``weights``; default
:data:`DEFAULT_WEIGHTS`: the channel mix 1, the pace through a visit 1.5, devices 0.3; the
measurements in benchmarks/RESULTS.md show that hours, activity and value split persons
along their life cycle rather than their persona, and that the pace, sure after few
visits, places the persons whose few visits leave their channel mix noisy). The clustering
is k-means (scikit-learn, ``n_init`` restarts); ``method="gmm"`` (a Gaussian mixture with
diagonal covariances) and ``method="nmf"`` (non-negative factors, each person to their largest
factor) are there for comparison: benchmarks/RESULTS.md has the measurements behind the
default.

**The number of personas** (unless ``n_personas`` fixes it) is chosen by evidence among
``min_personas``..``max_personas``: for each k, *stability* is the mean adjusted Rand index
between the clustering of a reference sample and ``n_bootstrap`` clusterings of bootstrap
resamples (each predicting the reference sample), and *silhouette* the mean silhouette of the
reference clustering. The chosen k has the highest silhouette among those whose stability is
at least ``min_stability`` (none: the most stable). ``selection_`` holds the figures.

Personas are numbered 1..k by size, largest first (ties: by centroid), so a refit on the same
data gives the same numbers. Fits run on at most ``max_sample`` persons (a seeded sample);
``predict`` assigns everyone to the nearest centroid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
import pandas as pd

from wegweiser.errors import InvalidInput, NotFittedError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import NDArray

__all__ = ["DEFAULT_WEIGHTS", "GROUPS", "LOG_FEATURES", "METHODS", "PersonaModel", "group_of"]

METHODS = ("kmeans", "gmm", "nmf")
LOG_FEATURES = frozenset(
    {
        "events",
        "sessions",
        "active_days",
        "events_per_session",
        "visits_per_week",
        "recency_days",
        "orders",
        "revenue",
        "order_value",
    }
)
SHARE_GROUPS = frozenset({"channel", "device", "platform", "hours", "weekend", "pace"})
GROUPS = ("activity", "channel", "device", "platform", "hours", "weekend", "pace", "phase", "value")
#: weight of each feature group in the clustering (0: described on the cards, not clustered)
DEFAULT_WEIGHTS: dict[str, float] = {"channel": 1.0, "device": 0.3, "pace": 1.5}
_SILHOUETTE_SAMPLE = 3_000


def _sklearn() -> Any:
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise InvalidInput('personas need scikit-learn: pip install "scikit-learn>=1.3"') from exc
    from sklearn import cluster, decomposition, metrics, mixture

    return cluster, decomposition, metrics, mixture


class PersonaModel:
    """Cluster per-person features into personas (see the module docstring)."""

    def __init__(
        self,
        *,
        n_personas: int | None = None,
        min_personas: int = 3,
        max_personas: int = 5,
        method: Literal["kmeans", "gmm", "nmf"] = "kmeans",
        n_bootstrap: int = 8,
        min_stability: float = 0.9,
        max_sample: int = 20_000,
        n_init: int = 4,
        weights: Mapping[str, float] | None = None,
        random_state: int | None = 0,
    ) -> None:
        self.n_personas = n_personas
        self.min_personas = min_personas
        self.max_personas = max_personas
        self.method = method
        self.n_bootstrap = n_bootstrap
        self.min_stability = min_stability
        self.max_sample = max_sample
        self.n_init = n_init
        self.weights = weights
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in (
                "n_personas",
                "min_personas",
                "max_personas",
                "method",
                "n_bootstrap",
                "min_stability",
                "max_sample",
                "n_init",
                "weights",
                "random_state",
            )
        }

    def _weights(self) -> Mapping[str, float]:
        return DEFAULT_WEIGHTS if self.weights is None else self.weights

    def set_params(self, **params: Any) -> Self:
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise InvalidInput(
                    f"PersonaModel has no parameter {key!r}; valid: {', '.join(sorted(valid))}"
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        return "PersonaModel(" + ", ".join(f"{k}={v!r}" for k, v in self.get_params().items()) + ")"

    def __getattr__(self, name: str) -> Any:
        if name.endswith("_") and not name.startswith("_"):
            raise NotFittedError(
                f"PersonaModel is not fitted yet; call .fit(features) before reading {name}"
            )
        raise AttributeError(name)

    # -- checks and preparation ----------------------------------------------------------
    def _validate(self, features: pd.DataFrame) -> None:
        if self.method not in METHODS:
            raise InvalidInput(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if not 2 <= self.min_personas <= self.max_personas <= 12:
            raise InvalidInput(
                "need 2 <= min_personas <= max_personas <= 12, got "
                f"{self.min_personas}..{self.max_personas}"
            )
        if self.n_personas is not None and not 1 <= self.n_personas <= 12:
            raise InvalidInput(f"n_personas must be between 1 and 12, got {self.n_personas}")
        if self.n_bootstrap < 1 and self.n_personas is None:
            raise InvalidInput("choosing the number of personas needs n_bootstrap >= 1")
        if "person_id" not in features.columns:
            raise InvalidInput("features need a person_id column (see person_features)")
        numeric = features.drop(columns="person_id")
        bad = [c for c in numeric.columns if not pd.api.types.is_numeric_dtype(numeric[c])]
        if bad:
            raise InvalidInput(f"feature columns must be numbers; not: {', '.join(bad)}")
        values = numeric.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            rows, cols = np.nonzero(~np.isfinite(values))
            raise InvalidInput(
                f"feature {numeric.columns[cols[0]]!r} of person "
                f"{features['person_id'].iloc[rows[0]]!r} is not a finite number"
            )
        if features["person_id"].duplicated().any():
            dup = features["person_id"][features["person_id"].duplicated()].iloc[0]
            raise InvalidInput(f"person {dup!r} appears twice in the features")
        smallest = self.n_personas or self.max_personas
        if len(features) < max(3 * smallest, 10):
            raise InvalidInput(
                f"too few persons for personas: {len(features)} with features, need at least "
                f"{max(3 * smallest, 10)}; lower min_events or import more data"
            )

    def _raw(self, features: pd.DataFrame) -> NDArray[np.float64]:
        missing = [c for c in self.feature_names_ if c not in features.columns]
        if missing:
            raise InvalidInput(
                f"features lack columns the model was fitted on: {', '.join(missing)}"
            )
        x = features[list(self.feature_names_)].to_numpy(dtype=np.float64, copy=True)
        for i, name in enumerate(self.feature_names_):
            if name in LOG_FEATURES:
                x[:, i] = np.log1p(np.clip(x[:, i], 0.0, None))
            elif group_of(name) in SHARE_GROUPS:
                x[:, i] = np.sqrt(np.clip(x[:, i], 0.0, None))
        return x

    def transform(self, features: pd.DataFrame) -> NDArray[np.float64]:
        """The prepared feature matrix of ``features`` (the columns the weights keep)."""
        scaled: NDArray[np.float64] = (self._raw(features) - self.center_) / self.scale_
        return scaled[:, self.used_]

    # -- fitting -------------------------------------------------------------------------
    def fit(self, features: pd.DataFrame) -> Self:
        """Learn the personas of ``features`` (``person_id`` and numeric columns).

        Runs single-threaded: on a busy machine OpenMP threads in k-means oversubscribe the
        cores (measured 50x slower on 2 shared cores); the samples are small anyway."""
        from threadpoolctl import threadpool_limits

        _sklearn()  # loads its OpenMP runtime first: a limit set before would miss it
        with threadpool_limits(limits=1):
            return self._fit(features)

    def _fit(self, features: pd.DataFrame) -> Self:
        self._validate(features)
        features = features.sort_values("person_id", kind="stable").reset_index(drop=True)
        self.feature_names_ = [c for c in features.columns if c != "person_id"]
        raw = self._raw(features)
        self.center_ = raw.mean(axis=0)
        self.scale_ = _scale(self.feature_names_, raw, self._weights())
        self.used_ = np.array(
            [self._weights().get(group_of(n), 0.0) > 0 for n in self.feature_names_]
        )
        if not self.used_.any():
            raise InvalidInput(
                "the weights leave no feature to cluster on; give a group "
                f"such as channel a positive weight ({', '.join(GROUPS)})"
            )
        x = ((raw - self.center_) / self.scale_)[:, self.used_]
        rng = np.random.default_rng(self.random_state)
        weight = (
            features["sessions"].to_numpy(dtype=np.float64).clip(1.0, None)
            if "sessions" in features
            else np.ones(len(x))
        )
        sample, sample_w = x, weight
        if len(x) > self.max_sample:
            chosen = np.sort(rng.choice(len(x), self.max_sample, replace=False))
            sample, sample_w = x[chosen], weight[chosen]
        if self.n_personas is None:
            self.selection_ = self._select(sample, sample_w, rng)
            k = int(self.selection_.loc[self.selection_["chosen"], "k"].iloc[0])
        else:
            k = self.n_personas
            self.selection_ = pd.DataFrame(
                {"k": [k], "silhouette": [np.nan], "stability": [np.nan], "chosen": [True]}
            )
        centroids = self._cluster(sample, sample_w, k, self._seed(rng))[1]
        labels = _nearest(x, centroids)
        sizes = np.bincount(labels, minlength=k)
        order = sorted(range(k), key=lambda i: (-sizes[i], tuple(np.round(centroids[i], 9))))
        self.centroids_ = centroids[order]
        self.n_personas_ = k
        self.labels_ = _nearest(x, self.centroids_) + 1
        self.person_ids_ = features["person_id"].to_numpy()
        return self

    def predict(self, features: pd.DataFrame) -> NDArray[np.int64]:
        """Persona number (1..k) of each row of ``features``: the nearest centroid."""
        return _nearest(self.transform(features), self.centroids_) + 1

    def _seed(self, rng: np.random.Generator) -> int:
        return int(rng.integers(0, 2**31 - 1))

    def _cluster(
        self, x: NDArray[np.float64], w: NDArray[np.float64], k: int, seed: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Labels (0..k-1) and centroids (in the prepared space) of one clustering; k-means
        weighs each person by ``w`` (their sessions: a mix seen over many visits is surer)."""
        cluster, decomposition, _, mixture = _sklearn()
        if self.method == "gmm":
            gm = mixture.GaussianMixture(
                n_components=k,
                covariance_type="diag",
                n_init=max(1, self.n_init // 2),
                random_state=seed,
                reg_covar=1e-3,
            ).fit(x)
            labels = gm.predict(x)
        elif self.method == "nmf":
            shifted = x - x.min(axis=0)
            w = decomposition.NMF(
                n_components=k, init="nndsvda", random_state=seed, max_iter=400
            ).fit_transform(shifted)
            labels = np.argmax(w, axis=1)
        else:
            km = cluster.KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)
            km.fit(x, sample_weight=w)
            return km.labels_.astype(np.int64), km.cluster_centers_.astype(np.float64)
        centroids = np.stack(
            [
                x[labels == i].mean(axis=0) if (labels == i).any() else np.zeros(x.shape[1])
                for i in range(k)
            ]
        )
        return labels.astype(np.int64), centroids

    def _select(
        self, x: NDArray[np.float64], w: NDArray[np.float64], rng: np.random.Generator
    ) -> pd.DataFrame:
        _, _, metrics, _ = _sklearn()
        ref = x
        if len(x) > _SILHOUETTE_SAMPLE:
            ref = x[np.sort(rng.choice(len(x), _SILHOUETTE_SAMPLE, replace=False))]
        rows = []
        for k in range(self.min_personas, self.max_personas + 1):
            _labels, centroids = self._cluster(x, w, k, self._seed(rng))
            ref_labels = _nearest(ref, centroids)
            sil = (
                float(metrics.silhouette_score(ref, ref_labels))
                if len(set(ref_labels)) > 1
                else -1.0
            )
            aris = []
            for _ in range(self.n_bootstrap):
                draw = rng.integers(0, len(x), len(x))
                _, c_boot = self._cluster(x[draw], w[draw], k, self._seed(rng))
                aris.append(metrics.adjusted_rand_score(ref_labels, _nearest(ref, c_boot)))
            rows.append({"k": k, "silhouette": sil, "stability": float(np.mean(aris))})
        table = pd.DataFrame(rows)
        ok = table[table["stability"] >= self.min_stability]
        best = ok["silhouette"].idxmax() if len(ok) else table["stability"].idxmax()
        table["chosen"] = table.index == best
        return table


def group_of(feature: str) -> str:
    """The group a feature is weighed in: its prefix (``channel``...), else activity/value."""
    if ":" in feature:
        return feature.split(":", 1)[0]
    return (
        "value"
        if feature in ("orders", "revenue", "order_value")
        else ("activity" if feature in LOG_FEATURES else feature)
    )


def _scale(
    names: Sequence[str], raw: NDArray[np.float64], weights: Mapping[str, float]
) -> NDArray[np.float64]:
    """Divisors: share groups keep their square-root scale, other features are standardised,
    and each column is multiplied by its group's weight (weight 0: left out by ``used_``)."""
    sd = raw.std(axis=0)
    out = np.ones(len(names))
    for i, name in enumerate(names):
        w = weights.get(group_of(name), 0.0)
        base = 1.0 if group_of(name) in SHARE_GROUPS else (sd[i] if sd[i] > 1e-12 else 1.0)
        out[i] = base / w if w > 0 else 1.0
    return out


def _nearest(x: NDArray[np.float64], centroids: NDArray[np.float64]) -> NDArray[np.int64]:
    """Index of the nearest centroid (squared Euclidean) for each row of ``x``."""
    d = (x * x).sum(axis=1)[:, None] - 2 * x @ centroids.T + (centroids * centroids).sum(axis=1)
    out: NDArray[np.int64] = np.argmin(d, axis=1).astype(np.int64)
    return out
