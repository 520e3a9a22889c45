"""Identity stitching on Spark: its connected components give exactly the persons, link
verdicts and reasons of the SciPy components, safeguards included."""

from __future__ import annotations

import numpy as np
import pytest

from wegweiser.events.identity import REFUSED, stitch_codes


def _graph(seed: int, n: int, links: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random links: stars around user ids, a few hubs (shared ids), one long chain."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, links)
    dst = np.where(
        rng.random(links) < 0.7, rng.integers(0, n // 10, links), rng.integers(0, n, links)
    )
    hub = rng.integers(0, n)
    chain = np.arange(n - 60, n - 1)  # 60 ids in one chain: bigger than any cap below
    src = np.concatenate([src, np.full(30, hub), chain])
    dst = np.concatenate([dst, rng.integers(0, n, 30), chain + 1])
    keep = src != dst
    a, b = np.minimum(src, dst)[keep], np.maximum(src, dst)[keep]
    pairs = np.unique(np.stack([a, b]), axis=1)
    is_user = rng.random(n) < 0.2
    return pairs[0].astype(np.int64), pairs[1].astype(np.int64), is_user


@pytest.mark.spark
@pytest.mark.parametrize(("seed", "cap"), [(1, 8), (2, 25), (3, 1000)])
def test_spark_components_give_the_same_stitching(demo_spark, seed: int, cap: int) -> None:
    n = 400
    src, dst, is_user = _graph(seed, n, links=500)
    ids = np.array([f"id{i:04d}" for i in range(n)], dtype=object)
    spark = demo_spark._engine.event_sink
    got = stitch_codes(src, dst, ids, is_user, max_ids_per_person=cap, components=spark.components)
    want = stitch_codes(src, dst, ids, is_user, max_ids_per_person=cap)
    for have, expected in zip(got, want, strict=True):
        assert have.tolist() == expected.tolist()
    if cap < 100:  # the safeguards did cut links
        assert (want[1] == REFUSED).any()


@pytest.mark.spark
def test_spark_components_of_a_long_chain_and_singletons(demo_spark) -> None:
    n = 300
    src = np.arange(0, 199, dtype=np.int64)  # 0 - 1 - ... - 199, then 200 .. 299 alone
    labels = demo_spark._engine.event_sink.components(src, src + 1, n)
    assert labels[:200].tolist() == [0] * 200
    assert labels[200:].tolist() == list(range(200, 300))
    none = demo_spark._engine.event_sink.components(src[:0], src[:0], 5)
    assert none.tolist() == [0, 1, 2, 3, 4]
