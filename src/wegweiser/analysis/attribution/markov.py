"""Markov-chain attribution by removal effect, order 1 to 4, solved exactly.

The chain: every journey starts in ``(start)``, moves through one state per touch and ends
in ``(conversion)`` or ``(null)``. For order ``k`` a state is the last ``k`` touches (the
first touches of a path have shorter histories: ``(a)``, ``(a, b)``, ...). Transition
probabilities are the observed transition counts of all paths (converting and null),
normalised per state; repeated touches of one channel are kept (self-loops).

The probability to convert from ``(start)`` is solved exactly as an absorbing chain: the
expected visits ``y`` solve ``(I - Q)^T y = e_start`` (``Q``: transitions among transient
states; a sparse LU solve, no simulation), and ``P(conversion) = y . r`` with ``r`` the
one-step conversion probabilities (large chains: Jacobi sweeps until the change is below 1e-14, see
:func:`absorption`). With the observed counts this equals the observed
conversion rate. The **removal effect** of a channel is ``1 - P_without / P``, where
``P_without`` is the conversion probability when every state holding that channel leads to
``(null)`` instead. Credits share the total conversions in proportion to the removal
effects; revenue credits do the same with the expected conversion value (``r`` carries the
mean value of the conversions leaving each state), so they add up to the total value.

The credits describe the paths; they are not incrementality (see :data:`NOTE`).

>>> from wegweiser.analysis.attribution.paths import Paths
>>> paths = Paths.from_lists([["a", "b"], ["a"]], conversions=[1, 0], nulls=[0, 1])
>>> Markov().fit(paths).removal_effects_["removal_effect"].tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from wegweiser.analysis.attribution._base import NOTE, AttributionModel, Scores, scale_to
from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from wegweiser.analysis.attribution.paths import Paths

__all__ = ["NOTE", "Markov", "absorption"]

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
_DIRECT_MAX = 2_000
_COUNT_MAX = 8_000_000
_MAX_SWEEPS = 20_000


@dataclass
class _Chain:
    """Structure of the chain that does not depend on the counts.

    Nodes: 0 start, 1..S the touch states, S+1 conversion, S+2 null. Edges (``edge_src``,
    ``edge_dst``) are sorted by (source, target) and come in four kinds, whose positions in
    that order are ``place``: start -> the first state of a path, state -> state inside a
    path, the last state -> conversion and -> null. Inside a path a move is counted per pair
    of consecutive touches: ``pair_bin`` holds each pair's bin (the pair from a path's last
    touch to the next path's first falls into a bin that is no edge), ``inner_bins`` the
    bins that are edges, in their edge order.
    """

    n_states: int                      # touch states
    state_codes: NDArray[np.int64]     # (S, order) label codes, -1 for a shorter history
    first_state: NDArray[np.int64]     # per path: the state of its first touch
    last_state: NDArray[np.int64]      # per path: the state of its last touch
    pair_bin: NDArray[np.intp]         # per consecutive pair of touches
    n_bins: int
    inner_bins: NDArray[np.int64]      # the bins that are edges
    starts_at: NDArray[np.int64]       # states some path starts at
    ends_at: NDArray[np.int64]         # states some path ends at
    place: NDArray[np.int64]           # (start, inner, conversion, null edges) -> sorted
    edge_src: NDArray[np.int64]
    edge_dst: NDArray[np.int64]
    contains: list[NDArray[np.bool_]]  # per label: transient nodes holding it
    n_labels: int


def _build_chain(paths: Paths, order: int) -> _Chain:
    n_labels = paths.n_labels
    base = n_labels + 1
    if base ** order >= 2**62:
        raise InvalidInput(f"too many touchpoints ({n_labels}) for a Markov chain of order "
                           f"{order}; use a lower order or attribute by channel")
    codes = paths.codes
    states, state_of = _touch_states(paths, order, base)
    n_states = len(states)
    digits = np.stack([(states // base**j) % base for j in range(order)], axis=1) - 1
    starts, ends = paths.offsets[:-1], paths.offsets[1:] - 1
    first_state, last_state = state_of[starts], state_of[ends]
    # a move inside a path: (state, next label) decides the next state
    n_keys = n_states * max(n_labels, 1)
    pair_key = state_of[:-1] * n_labels + codes[1:] if len(codes) else codes[:0]
    pair_key[ends[:-1]] = n_keys  # a path's last touch and the next path's first
    if n_keys < _COUNT_MAX:
        present = np.flatnonzero(np.bincount(pair_key, minlength=n_keys + 1)[:n_keys])
        pair_bin, n_bins, inner_bins, inner_keys = pair_key, n_keys + 1, present, present
    else:
        inner_keys, inverse = np.unique(pair_key, return_inverse=True)
        pair_bin, n_bins = inverse.reshape(-1), len(inner_keys)
        inner_keys = inner_keys[inner_keys < n_keys]
        inner_bins = np.arange(len(inner_keys), dtype=np.int64)
    if state_of is codes:  # order 1, every label a state: the next state is the label
        next_state = inner_keys % n_labels
    else:  # the state of the touch after any pair in the bin
        target = np.zeros(n_bins, dtype=np.int64)
        target[pair_bin] = state_of[1:]
        next_state = target[inner_bins]
    inner_src = inner_keys // max(n_labels, 1)
    starts_at = np.flatnonzero(np.bincount(first_state, minlength=n_states))
    ends_at = np.flatnonzero(np.bincount(last_state, minlength=n_states))
    conv_node, null_node = n_states + 1, n_states + 2
    src = np.concatenate([np.zeros(len(starts_at), dtype=np.int64), inner_src + 1,
                          ends_at + 1, ends_at + 1])
    dst = np.concatenate([starts_at + 1, next_state + 1,
                          np.full(len(ends_at), conv_node, dtype=np.int64),
                          np.full(len(ends_at), null_node, dtype=np.int64)])
    order_of = np.argsort(src * (n_states + 3) + dst, kind="stable")
    place = np.empty(len(order_of), dtype=np.int64)
    place[order_of] = np.arange(len(order_of), dtype=np.int64)
    contains = []
    for label in range(n_labels):
        mask = np.zeros(n_states + 1, dtype=bool)
        mask[1:] = (digits == label).any(axis=1)
        contains.append(mask)
    return _Chain(n_states, digits.astype(np.int64), first_state, last_state,
                  pair_bin.astype(np.intp, copy=False), n_bins, inner_bins, starts_at,
                  ends_at, place, src[order_of], dst[order_of], contains, n_labels)


def _touch_states(paths: Paths, order: int, base: int
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The distinct state keys (sorted) and each touch's state: the key of its last
    ``order`` touches, ``sum_j (code[i - j] + 1) * base**j`` over the ``j`` inside its path."""
    codes = paths.codes
    if order == 1:
        used = np.bincount(codes, minlength=paths.n_labels) > 0
        if used.all():  # every label is a state (as Paths keeps them): no copy
            return np.arange(1, paths.n_labels + 1, dtype=np.int64), codes
        return _compact(codes + 1)
    key = codes + 1
    pos = paths.position
    for j in range(1, order):
        if len(codes) > j:
            key[j:] += np.where(pos[j:] >= j, codes[:-j] + 1, 0) * base**j
    return _compact(key)


def _compact(keys: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sorted distinct keys and each key's index among them (by counting when the keys are
    small, by sorting otherwise)."""
    if len(keys) == 0:
        return keys.astype(np.int64), keys.astype(np.int64)
    top = int(keys.max())
    if top < _COUNT_MAX:
        present = np.bincount(keys, minlength=top + 1) > 0
        lookup = np.cumsum(present) - 1
        return np.flatnonzero(present).astype(np.int64), lookup[keys].astype(np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def absorption(
    q: sp.csr_matrix, rewards: NDArray[np.float64], keep: NDArray[np.bool_] | None = None,
    *, solver: str = "auto",
) -> NDArray[np.float64]:
    """Expected rewards from node 0 of an absorbing chain, for several restrictions at once.

    ``q`` holds transition probabilities among transient nodes; ``rewards`` is a
    (nodes x k) matrix of one-step rewards (e.g. conversion probability, value). ``keep``
    (nodes x m booleans, default: all nodes) gives m restricted chains: a node not kept
    absorbs into nothing; node 0 must be kept. For each chain the expected visits ``y``
    solve ``(I - Q)^T y = e_0``; the result (m x k) is ``y @ rewards``.

    ``solver``: ``"direct"`` (sparse LU, SuperLU),
    ``"iterative"`` (Jacobi sweeps after eliminating self-loops, relative change < 1e-14; falls
    back to direct when it does not converge) or ``"auto"`` (direct for small chains).
    """
    size = q.shape[0]
    if keep is None:
        keep = np.ones((size, 1), dtype=bool)
    if solver == "auto":
        solver = "direct" if size <= _DIRECT_MAX else "iterative"
    if solver == "iterative":
        visits = _jacobi(q, keep)
        if visits is not None:
            out: NDArray[np.float64] = visits.T @ rewards
            return out
    rows = []
    for col in range(keep.shape[1]):
        idx = np.flatnonzero(keep[:, col])
        sub = q[idx][:, idx]
        rhs = np.zeros(len(idx))
        rhs[0] = 1.0
        system = sp.identity(len(idx), format="csc") - sub.T.tocsc()
        y = spla.splu(system).solve(rhs)
        rows.append(y @ rewards[idx])
    return np.asarray(rows, dtype=np.float64).reshape(keep.shape[1], rewards.shape[1])


def _jacobi(q: sp.csr_matrix, keep: NDArray[np.bool_]) -> NDArray[np.float64] | None:
    """Expected visits (nodes x m) by Jacobi sweeps ``y = (e_0 + Q_off^T y) / (1 - q_ss)``;
    None when 20,000 sweeps do not reach a relative change below 1e-14."""
    diag = q.diagonal()
    off = (q - sp.diags(diag)).T.tocsr()
    inv = 1.0 / (1.0 - diag)
    mask = keep.astype(np.float64)
    rhs = np.zeros(keep.shape)
    rhs[0, :] = 1.0
    scale = inv[:, None] * mask
    y = rhs * scale
    for _ in range(_MAX_SWEEPS):
        nxt = (rhs + off @ y) * scale
        change = np.abs(nxt - y).max()
        y = nxt
        if change <= 1e-14 * max(1.0, float(np.abs(y).max())):
            result: NDArray[np.float64] = y
            return result
    return None


class Markov(AttributionModel):
    """Removal-effect attribution on a Markov chain of order 1-4 (see the module docstring).

    Fitted: ``credits_``, ``removal_effects_`` (per touchpoint: ``removal_effect``,
    ``value_removal_effect``, ``conversion_probability_without``), ``transition_matrix_``
    (``from``, ``to``, ``journeys``, ``probability``), ``flows_`` (channel to channel:
    ``source``, ``target``, ``journeys``), ``conversion_probability_``.
    """

    name = "markov"
    rule_based = False

    def __init__(
        self, *, order: int = 1, solver: str = "auto", n_bootstrap: int = 0,
        confidence: float = 0.95, random_state: int | None = None,
    ) -> None:
        super().__init__(n_bootstrap=n_bootstrap, confidence=confidence,
                         random_state=random_state)
        self.order = order
        self.solver = solver

    def _validate(self) -> None:
        super()._validate()
        if self.order not in (1, 2, 3, 4):
            raise InvalidInput(f"Markov order must be 1, 2, 3 or 4, got {self.order}")
        if self.solver not in ("auto", "direct", "iterative"):
            raise InvalidInput(f"solver must be auto, direct or iterative, got {self.solver!r}")

    def _prepare(self, paths: Paths) -> Any:
        return paths, _build_chain(paths, int(self.order))

    def _score(
        self, prepared: Any, conversions: NDArray[np.float64], nulls: NDArray[np.float64],
        value: NDArray[np.float64], *, rng: np.random.Generator, main: bool,
    ) -> Scores:
        paths, chain = prepared
        n_labels = chain.n_labels
        journeys = conversions + nulls
        n_states = chain.n_states
        # journeys along each move: a pair of touches weighs what its path weighs
        per_pair = np.repeat(journeys, paths.lengths)[:-1]
        moves = np.bincount(chain.pair_bin, per_pair, minlength=chain.n_bins)
        kinds = (
            np.bincount(chain.first_state, journeys, minlength=n_states)[chain.starts_at],
            moves[chain.inner_bins],
            np.bincount(chain.last_state, conversions, minlength=n_states)[chain.ends_at],
            np.bincount(chain.last_state, nulls, minlength=n_states)[chain.ends_at],
        )
        n_edges = len(chain.edge_src)
        weights = np.empty(n_edges)
        weights[chain.place] = np.concatenate(kinds)
        value_to_conv = np.zeros(n_edges)
        conv_edges = chain.place[len(kinds[0]) + len(kinds[1]):][:len(kinds[2])]
        value_to_conv[conv_edges] = np.bincount(chain.last_state, value,
                                                minlength=n_states)[chain.ends_at]
        n_nodes = n_states + 3
        n_transient = n_states + 1
        out = np.bincount(chain.edge_src, weights, minlength=n_nodes)
        prob = np.divide(weights, out[chain.edge_src], out=np.zeros(n_edges),
                         where=out[chain.edge_src] > 0)
        transient = chain.edge_dst < n_transient
        q = sp.csr_matrix((prob[transient], (chain.edge_src[transient],
                                             chain.edge_dst[transient])),
                          shape=(n_transient, n_transient))
        rewards = np.zeros((n_transient, 2))
        to_conv = chain.edge_dst == n_states + 1
        rewards[:, 0] = np.bincount(chain.edge_src[to_conv], prob[to_conv],
                                    minlength=n_transient)[:n_transient]
        val_rate = np.divide(value_to_conv, out[chain.edge_src], out=np.zeros(n_edges),
                             where=out[chain.edge_src] > 0)
        rewards[:, 1] = np.bincount(chain.edge_src[to_conv], val_rate[to_conv],
                                    minlength=n_transient)[:n_transient]
        total_conv, total_value = float(conversions.sum()), float(value.sum())
        if n_labels == 0 or total_conv <= 0:
            effects = np.zeros((n_labels, 2))
            base = np.zeros(2)
            without = np.zeros((n_labels, 2))
        else:
            keep = np.column_stack([np.ones(n_transient, dtype=bool),
                                    *[~chain.contains[c] for c in range(n_labels)]])
            solved = absorption(q, rewards, keep, solver=str(self.solver))
            base, without = solved[0], solved[1:]
            effects = 1.0 - np.divide(without, base, out=np.ones_like(without),
                                      where=base > 0)
        scores = Scores(scale_to(effects[:, 0], total_conv), scale_to(effects[:, 1], total_value))
        if main:
            scores.extras = self._extras(paths, chain, weights, prob, effects, without, base)
        return scores

    def _extras(
        self, paths: Paths, chain: _Chain, weights: NDArray[np.float64],
        prob: NDArray[np.float64], effects: NDArray[np.float64], without: NDArray[np.float64],
        base: NDArray[np.float64],
    ) -> dict[str, Any]:
        labels = np.asarray((*paths.labels, ""), dtype=object)
        digits = chain.state_codes
        names = pd.Series([""] * chain.n_states, dtype=object)
        for j in reversed(range(digits.shape[1])):
            part = pd.Series(labels[digits[:, j]], dtype=object)
            present = digits[:, j] >= 0
            names = names.where(~present, names.where(names == "", names + " > ") + part)
        node_names = np.asarray([START, *names.tolist(), CONVERSION, NULL], dtype=object)
        last = np.asarray([START, *labels[digits[:, 0]].tolist(), CONVERSION, NULL]
                          if chain.n_states else [START, CONVERSION, NULL], dtype=object)
        used = weights > 0
        matrix = pd.DataFrame({
            "from": node_names[chain.edge_src[used]], "to": node_names[chain.edge_dst[used]],
            "journeys": weights[used], "probability": prob[used],
        }).sort_values(["from", "to"], kind="stable").reset_index(drop=True)
        flows = pd.DataFrame({"source": last[chain.edge_src[used]],
                              "target": last[chain.edge_dst[used]], "journeys": weights[used]})
        flows = flows.groupby(["source", "target"], as_index=False).agg(
            journeys=("journeys", "sum"))
        flows = flows.sort_values(["journeys", "source", "target"], ascending=[False, True, True],
                                  kind="stable").reset_index(drop=True)
        removal = paths.touchpoints()
        removal["removal_effect"] = effects[:, 0]
        removal["value_removal_effect"] = effects[:, 1]
        removal["conversion_probability_without"] = without[:, 0]
        total = effects[:, 0].sum()
        removal["share"] = effects[:, 0] / total if total > 0 else 0.0
        removal = removal.sort_values(["removal_effect", "touchpoint"], ascending=[False, True],
                                      kind="stable").reset_index(drop=True)
        return {"removal_effects_": removal, "transition_matrix_": matrix, "flows_": flows,
                "conversion_probability_": float(base[0]), "n_states_": chain.n_states}
