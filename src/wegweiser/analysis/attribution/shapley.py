"""Shapley-value attribution over channel sets (order of touches ignored).

Each journey (converting or not) is reduced to the *set* of touchpoints on it. The Shapley
value of a touchpoint is its average marginal contribution to a coalition value over all
orders of adding touchpoints.

``value="conversions"`` (default) is the **simplified Shapley value** of Zhao et al. (2018,
"Shapley Value Methods for Attribution Modeling in Online Advertising", eq. 6): the value of
a coalition ``S`` is the number of conversions of the journeys whose touchpoint set lies
within ``S``. That game is a sum of one unanimity game per converting set, so its Shapley
value is exact in closed form for any number of touchpoints: **each converting journey's
conversions and revenue are split equally among the distinct touchpoints on it**. It has
efficiency (credits add up to the total conversions and revenue, nothing is clipped or
rescaled), symmetry, and a journey with one touchpoint gives all its conversions and revenue
to it (so when everybody touches one channel, each channel gets exactly its own). Journeys
that did not convert carry no value in this game.

``value="rate"`` (opt-in) uses the conversion rate of the journeys within ``S``
(conversions / journeys; 0 when there are none) and the value per journey for revenue.
Rates are not conversions: the credits share the total in proportion to the positive
Shapley values, so this variant does **not** give one-channel journeys their own
conversions, and a touchpoint whose paths convert below average has a negative value and
gets no credit — a ``UserWarning`` names the clipped touchpoints and ``shapley_values_``
shows the raw values (column ``clipped``). Up to ``exact_max`` touchpoints (default 16) its
values are exact (all ``2**n`` coalitions, by a subset-sum transform); beyond,
``n_permutations`` random orders are sampled (``random_state``) and ``std_error`` is the
standard deviation of the sampled marginal contributions / sqrt(n_permutations).

The credits describe the paths; they are not incrementality (see :data:`NOTE`).

>>> from wegweiser.analysis.attribution.paths import Paths
>>> paths = Paths.from_lists([["a", "b"], ["a"], ["b"]], conversions=[2, 1, 1], nulls=[0, 1, 1])
>>> Shapley().fit(paths).credits_["conversions"].tolist()
[2.0, 2.0]
"""

from __future__ import annotations

import warnings
from math import factorial
from typing import TYPE_CHECKING, Any

import numpy as np

from wegweiser.analysis.attribution._base import NOTE, AttributionModel, Scores, scale_to
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from wegweiser.analysis.attribution.paths import Paths

__all__ = ["NOTE", "Shapley", "exact_shapley", "simplified_shapley"]

_MAX_EXACT = 22
_MASK_BITS = 62
_BATCH_CELLS = 4_000_000


def _value(c: NDArray[np.float64], n: NDArray[np.float64], v: NDArray[np.float64],
           kind: str) -> NDArray[np.float64]:
    """Coalition values for conversions (row 0) and revenue (row 1)."""
    if kind == "conversions":
        return np.stack([c, v])
    journeys = c + n
    safe = np.where(journeys > 0, journeys, 1.0)
    return np.stack([np.where(journeys > 0, c / safe, 0.0), np.where(journeys > 0, v / safe, 0.0)])


def exact_shapley(
    masks: NDArray[np.int64], conversions: NDArray[np.float64], nulls: NDArray[np.float64],
    value: NDArray[np.float64], n_players: int, *, kind: str = "rate",
) -> NDArray[np.float64]:
    """Exact Shapley values (2 x n_players: conversions, revenue) of journeys given as
    bit masks of their touchpoint sets."""
    size = 1 << n_players
    sums = np.stack([np.bincount(masks, w, minlength=size)
                     for w in (conversions, nulls, value)]).astype(np.float64)
    for i in range(n_players):  # subset sums: f(S) = sum over T within S
        view = sums.reshape(3, -1, 2, 1 << i)
        view[:, :, 1, :] += view[:, :, 0, :]
    values = _value(sums[0], sums[1], sums[2], kind)
    popcount = np.zeros(size, dtype=np.int64)
    for i in range(n_players):
        popcount += (np.arange(size) >> i) & 1
    weights = np.array([factorial(s) * factorial(n_players - 1 - s) / factorial(n_players)
                        for s in range(n_players)])
    phi = np.zeros((2, n_players))
    for i in range(n_players):
        view = values.reshape(2, -1, 2, 1 << i)
        without = popcount.reshape(-1, 2, 1 << i)[:, 0, :]
        diff = view[:, :, 1, :] - view[:, :, 0, :]
        phi[:, i] = (diff * weights[without]).sum(axis=(1, 2))
    return phi


def sampled_shapley(
    set_offsets: NDArray[np.int64], set_members: NDArray[np.int64],
    conversions: NDArray[np.float64], nulls: NDArray[np.float64], value: NDArray[np.float64],
    n_players: int, *, n_permutations: int, rng: np.random.Generator, kind: str = "rate",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shapley values (2 x n_players) and their standard errors from random orders.

    A journey set joins the coalition when its last member (in the order) does, so one
    order's prefix values come from a cumulative sum over the sets' completion positions.
    """
    n_sets = len(set_offsets) - 1
    lengths = np.diff(set_offsets)
    total = np.zeros((2, n_players))
    total_sq = np.zeros((2, n_players))
    batch = max(1, min(n_permutations, _BATCH_CELLS // max(len(set_members), 1)))
    done = 0
    weights = np.stack([conversions, nulls, value])
    while done < n_permutations:
        b = min(batch, n_permutations - done)
        perms = rng.permuted(np.tile(np.arange(n_players), (b, 1)), axis=1)
        rank = np.empty_like(perms)
        rows = np.arange(b)[:, None]
        rank[rows, perms] = np.arange(n_players)[None, :]
        if n_sets:
            member_rank = rank[:, set_members]
            completion = np.maximum.reduceat(member_rank, set_offsets[:-1], axis=1)
            completion = np.where(lengths[None, :] > 0, completion, 0)
            flat = (rows * n_players + completion).reshape(-1)
            prefix = np.stack([
                np.bincount(flat, np.tile(w, b), minlength=b * n_players).reshape(b, n_players)
                for w in weights
            ]).cumsum(axis=2)
        else:
            prefix = np.zeros((3, b, n_players))
        values = _value(prefix[0], prefix[1], prefix[2], kind)  # (2, b, n_players)
        marginal = np.diff(values, axis=2, prepend=0.0)
        by_player = np.empty_like(marginal)
        by_player[:, rows, perms] = marginal
        total += by_player.sum(axis=1)
        total_sq += (by_player**2).sum(axis=1)
        done += b
    mean = total / n_permutations
    var = np.maximum(total_sq / n_permutations - mean**2, 0.0)
    std_error = np.sqrt(var / max(n_permutations - 1, 1))
    return mean, std_error


def simplified_shapley(
    set_path: NDArray[np.int64], members: NDArray[np.int64], conversions: NDArray[np.float64],
    value: NDArray[np.float64], n_players: int,
) -> NDArray[np.float64]:
    """The simplified Shapley value (2 x n_players: conversions, revenue): each journey's
    conversions and value split equally among the distinct touchpoints of its set. A set is
    given as pairs (``set_path[i]``, ``members[i]``), one per distinct touchpoint of a path."""
    size = np.bincount(set_path, minlength=len(conversions)).astype(np.float64)
    share = np.where(size > 0, 1.0 / np.where(size > 0, size, 1.0), 0.0)[set_path]
    return np.stack([
        np.bincount(members, conversions[set_path] * share, minlength=n_players),
        np.bincount(members, value[set_path] * share, minlength=n_players),
    ]).astype(np.float64)


class Shapley(AttributionModel):
    """Shapley-value attribution (see the module docstring).

    Fitted: ``credits_``, ``shapley_values_`` (per touchpoint: ``shapley_value``,
    ``revenue_shapley_value``, ``std_error``, ``clipped``; ``method``), ``exact_``.
    """

    name = "shapley"
    rule_based = False

    def __init__(
        self, *, value: str = "conversions", exact_max: int = 16, n_permutations: int = 2000,
        n_bootstrap: int = 0, confidence: float = 0.95, random_state: int | None = None,
    ) -> None:
        super().__init__(n_bootstrap=n_bootstrap, confidence=confidence,
                         random_state=random_state)
        self.value = value
        self.exact_max = exact_max
        self.n_permutations = n_permutations

    def _validate(self) -> None:
        super()._validate()
        if self.value not in ("rate", "conversions"):
            raise InvalidInput(
                f"Shapley value must be 'conversions' or 'rate', got {self.value!r}")
        if not 0 <= self.exact_max <= _MAX_EXACT:
            raise InvalidInput(f"exact_max must be between 0 and {_MAX_EXACT}")
        if self.n_permutations < 2:
            raise InvalidInput("n_permutations must be >= 2")

    def _prepare(self, paths: Paths) -> Any:
        n = paths.n_labels
        if self.value == "conversions":  # distinct (path, touchpoint) pairs
            key = np.unique(paths.path_of_touch * max(n, 1) + paths.codes)
            return paths, "closed", key // max(n, 1), key % max(n, 1), None
        exact = n <= self.exact_max
        starts = paths.offsets[:-1]
        masks = None
        if n <= _MASK_BITS and paths.n_paths:
            # OR is idempotent, so repeated touches need no de-duplication
            masks = np.bitwise_or.reduceat(np.left_shift(1, paths.codes).astype(np.int64),
                                           starts)
        if exact:
            return paths, "exact", masks, None, None
        if masks is not None:
            # distinct sets with summed counts: journeys sharing a set are one unit of work
            uniq, inverse = np.unique(masks, return_inverse=True)
            bits = (uniq[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1
            set_offsets = np.concatenate([[0], np.cumsum(bits.sum(axis=1))]).astype(np.int64)
            members = np.nonzero(bits)[1].astype(np.int64)
            return paths, "sampled", inverse.reshape(-1).astype(np.int64), set_offsets, members
        key = np.sort(paths.path_of_touch * n + paths.codes)
        key = key[np.concatenate([[True], np.diff(key) != 0])] if len(key) else key
        set_path, members = key // n, key % n
        set_offsets = np.searchsorted(set_path, np.arange(paths.n_paths + 1)).astype(np.int64)
        return paths, "sampled", None, set_offsets, members

    def _score(
        self, prepared: Any, conversions: NDArray[np.float64], nulls: NDArray[np.float64],
        value: NDArray[np.float64], *, rng: np.random.Generator, main: bool,
    ) -> Scores:
        paths, method, masks, set_offsets, members = prepared
        n = paths.n_labels
        if n == 0:
            phi, err = np.zeros((2, 0)), np.zeros((2, 0))
        elif method == "closed":
            phi = simplified_shapley(masks, set_offsets, conversions, value, n)
            err = np.zeros_like(phi)
        elif method == "exact":
            phi = exact_shapley(masks, conversions, nulls, value, n, kind=self.value)
            err = np.zeros_like(phi)
        else:
            if masks is not None:  # counts per distinct set
                size = len(set_offsets) - 1
                conversions, nulls, value = (
                    np.asarray(np.bincount(masks, w, minlength=size), dtype=np.float64)
                    for w in (conversions, nulls, value))
            phi, err = sampled_shapley(set_offsets, members, conversions, nulls, value, n,
                                       n_permutations=int(self.n_permutations), rng=rng,
                                       kind=self.value)
        if method == "closed":  # efficient already: the credits are the values
            scores = Scores(phi[0], phi[1])
        else:
            scores = Scores(scale_to(phi[0], float(conversions.sum())),
                            scale_to(phi[1], float(value.sum())))
        clipped = (phi < 0).any(axis=0)
        if main:
            frame = paths.touchpoints()
            frame["shapley_value"] = phi[0]
            frame["revenue_shapley_value"] = phi[1]
            frame["std_error"] = err[0]
            frame["clipped"] = clipped
            frame["method"] = {"closed": "exact (simplified Shapley)", "exact": "exact"}.get(
                method, f"sampled ({self.n_permutations} orders)")
            if clipped.any():
                names = ", ".join(str(x) for x in frame.loc[clipped, "touchpoint"])
                warnings.warn(
                    f"Shapley(value='rate'): negative values clipped to 0 credit for {names}; "
                    "see shapley_values_, or use value='conversions'", UserWarning,
                    stacklevel=4)
            frame = frame.sort_values(["shapley_value", "touchpoint"], ascending=[False, True],
                                      kind="stable").reset_index(drop=True)
            scores.extras = {"shapley_values_": frame, "exact_": method != "sampled"}
        return scores
