"""Next-best offer: top-k and the metrics against plain Python; above popularity on the demo."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from wegweiser import open_project
from wegweiser.analysis.predict.recommend import _evaluate, interactions, item_weights, top_k

matrix_st = st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=2, max_size=12)


@settings(max_examples=40, deadline=None)
@given(matrix_st, st.integers(1, 6), st.sampled_from(["knn", "ease"]))
def test_top_k_leaves_out_seen_items_and_ranks_by_score(rows, k, method):
    x = sparse.csr_matrix(np.array(rows, dtype=float))
    scores = x @ item_weights(x, method=method, neighbours=3)
    top = top_k(np.asarray(scores), x, k)
    for r, row in enumerate(rows):
        unseen = [i for i in range(6) if not row[i]]
        expected = sorted(unseen, key=lambda i: (-scores[r, i], i))[:k]
        assert [i for i in top[r] if i >= 0] == expected


def test_knn_keeps_each_items_nearest_and_ease_zero_diagonal():
    x = sparse.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]],
                                   dtype=float))
    sim = item_weights(x, method="knn", neighbours=1)
    assert (np.count_nonzero(sim, axis=0) == 1).all()
    assert sim[1, 0] == pytest.approx(2 / np.sqrt(2 * 3))  # item 0's nearest is item 1
    assert np.diag(item_weights(x, method="ease", l2=1.0)).tolist() == [0.0] * 4


def test_metrics_by_hand():
    top = np.array([[3, 1, 2], [0, 4, 5]])
    recall, ndcg = _evaluate(top, [{1, 7}, {5}], 3)
    assert recall == pytest.approx((1 / 2 + 1) / 2)
    assert ndcg == pytest.approx(((1 / np.log2(3)) / (1 + 1 / np.log2(3)) + 1 / np.log2(4)) / 2)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ease", "knn"])
def test_demo_recall_above_popularity(predict_demo, method):
    with open_project(predict_demo) as project:
        result = project.analyse("recommend", method=method)
    s = result.summary.set_index("method")
    assert s.loc[method, "recall_at_k"] > s.loc["popularity", "recall_at_k"] + 0.1
    assert s.loc[method, "ndcg_at_k"] > s.loc["popularity", "ndcg_at_k"]
    recs = result.recommendations
    assert recs.groupby("person_id")["rank"].max().max() == 10
    with open_project(predict_demo) as project:
        pairs = interactions(project.journey())
    seen = set(zip(pairs["person_id"], pairs["item"], strict=True))
    offered = set(zip(recs["person_id"], recs["item"], strict=True))
    assert offered
    assert not offered & seen


def test_without_product_interactions_the_note_says_so():
    from datetime import UTC, datetime

    import ibis
    import pandas as pd

    from wegweiser.analysis.predict.recommend import recommend

    journey = ibis.memtable(pd.DataFrame({
        "person_id": ["a"], "timestamp": pd.to_datetime([datetime(2026, 3, 1, tzinfo=UTC)]),
        "properties": ['{"plan": "pro"}']}))
    result = recommend(journey)
    assert "no product interactions" in result.note
    assert result.recommendations.empty
