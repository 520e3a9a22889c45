"""Identity stitching: link anonymous and user ids into persons.

Rows that carry both ids, ``identify`` calls and ``alias`` calls (``previous_id`` ->
``user_id``) are *links*. Persons are the connected components of the link graph, so the
answer depends only on the set of links, never on the order they arrived in.

Safeguards, applied before the components are taken and equally order-free:

1. blocked id values (``identity.blocked_ids``) never get this far: they count as missing;
2. an id linked to more than ``max_ids_per_person - 1`` other ids is a shared or broken id
   (a test account, a hard-coded placeholder); all its links are refused;
3. a component still larger than ``max_ids_per_person`` loses the links of its most
   connected id (ties: the greater id) until every component fits.

A person's ``person_id`` is its smallest user id, or its smallest id when it has no user id.
Ids live in one namespace: the same string as an anonymous and as a user id is one id.

>>> import numpy as np
>>> r = stitch(np.array(["a1", "a2", "a3"]), np.array(["u1", "u1", "u2"]), user_ids={"u1", "u2"},
...            max_ids_per_person=10)
>>> sorted(zip(r.ids, r.person_ids))
[('a1', 'u1'), ('a2', 'u1'), ('a3', 'u2'), ('u1', 'u1'), ('u2', 'u2')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    Codes = npt.NDArray[np.int64]
    Components = Callable[[Codes, Codes, int], Codes]

MERGED = "merged"
REFUSED = "refused"


@dataclass(frozen=True)
class Stitching:
    """Result of :func:`stitch`: a person per linked id and a verdict per link."""

    ids: npt.NDArray[np.object_]
    person_ids: npt.NDArray[np.object_]
    link_status: npt.NDArray[np.object_]
    link_reason: npt.NDArray[np.object_]


def stitch(
    a: npt.NDArray[np.object_],
    b: npt.NDArray[np.object_],
    *,
    user_ids: Collection[str],
    max_ids_per_person: int,
) -> Stitching:
    """Resolve the links ``a[i] -- b[i]`` into persons (see the module docstring)."""
    n_links = len(a)
    ids, codes = np.unique(np.concatenate([a, b]).astype(str), return_inverse=True)
    ids = ids.astype(object)
    user_set = set(user_ids)
    is_user = np.fromiter((i in user_set for i in ids), dtype=bool, count=len(ids))
    person, status, reason = stitch_codes(
        codes[:n_links], codes[n_links:], ids, is_user, max_ids_per_person=max_ids_per_person
    )
    return Stitching(ids, person, status, reason)


def stitch_codes(
    src: npt.NDArray[np.int64],
    dst: npt.NDArray[np.int64],
    ids: npt.NDArray[np.object_],
    is_user: npt.NDArray[np.bool_],
    *,
    max_ids_per_person: int,
    components: Components | None = None,
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """The core of :func:`stitch` over integer codes into ``ids`` (which must be sorted).

    Returns the person id of every id and the status and reason of every link.
    ``components(src, dst, n)`` labels the connected components of the whole graph
    (default: SciPy, here; the Spark engine computes them on Spark,
    :mod:`wegweiser.store.spark_graph`). Any labelling in ``0 .. n-1`` gives the same
    persons.
    """
    components = components or _components
    n_links = len(src)
    n = len(ids)
    status = np.full(n_links, MERGED, dtype=object)
    reason = np.full(n_links, None, dtype=object)
    active = src != dst

    # 2. ids with too many distinct neighbours
    pairs = np.unique(np.stack([np.minimum(src, dst), np.maximum(src, dst)])[:, active], axis=1)
    degree = np.bincount(pairs.ravel(), minlength=n)
    overloaded = degree > max_ids_per_person - 1
    if overloaded.any():
        hit = active & (overloaded[src] | overloaded[dst])
        for i in np.flatnonzero(hit):
            bad = src[i] if overloaded[src[i]] else dst[i]
            status[i] = REFUSED
            reason[i] = (
                f"id {ids[bad]!r} links {degree[bad]} other ids, more than "
                f"identity.max_ids_per_person - 1 = {max_ids_per_person - 1}"
            )
        active &= ~hit

    # 3. components that are still too large lose the links of their hub; after a cut only
    # the components that were too large are taken again (here: they are few and small
    # beside the whole graph, and a cut never changes another component)
    labels = _smallest_member(components(src[active], dst[active], n))
    while True:
        sizes = np.bincount(labels, minlength=n)
        too_big = np.flatnonzero(sizes > max_ids_per_person)
        if len(too_big) == 0:
            break
        act_idx = np.flatnonzero(active)
        deg = np.bincount(np.concatenate([src[act_idx], dst[act_idx]]), minlength=n)
        for comp in too_big:
            members = np.flatnonzero(labels == comp)
            top = deg[members].max()
            hubs = members[deg[members] == top]
            hub = hubs.max()  # ties: the greater id (ids are sorted)
            cut = act_idx[(src[act_idx] == hub) | (dst[act_idx] == hub)]
            status[cut] = REFUSED
            reason[cut] = (
                f"merging through id {ids[hub]!r} would give a person more than "
                f"identity.max_ids_per_person = {max_ids_per_person} ids"
            )
            active[cut] = False
        redo = np.isin(labels, too_big)
        inside = active & redo[src]
        labels[redo] = _smallest_member(_components(src[inside], dst[inside], n))[redo]

    # person id: smallest user id of the component, else smallest id (ids are sorted, so
    # "smallest" is the smallest code)
    order = np.lexsort((np.arange(n), ~is_user))  # user ids first, then by id
    sorted_labels = labels[order]
    _, first_pos = np.unique(sorted_labels, return_index=True)
    first_in_comp = np.full(n, -1)
    first_in_comp[sorted_labels[first_pos]] = order[first_pos]
    person = ids[first_in_comp[labels]]
    return person, status, reason


def _smallest_member(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Relabel components by their smallest member (any labelling in, the same one out)."""
    smallest = np.full(len(labels), len(labels), dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(len(labels), dtype=np.int64))
    return smallest[labels]


def _components(
    src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    from scipy.sparse import coo_matrix  # SciPy loads only when identities are stitched
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)
