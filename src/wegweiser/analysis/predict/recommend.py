"""Next-best offer: products to recommend to each person, from product interactions.

Definitions:

* An **interaction** is an event whose properties carry ``product_id`` (views, add to
  cart, reviews ...); the person x item matrix holds 1 where the person interacted with the
  item (counted on the engine: one group-by, only the pairs leave it).
* **item-kNN** (``method="knn"``): the cosine similarity of the items' columns, keeping each
  item's ``neighbours`` most similar items; a person's score for an item is the sum of its
  similarities to the person's items. **EASE** (``method="ease"``, Steck 2019): the item
  weights ``B = I - P / diag(P)`` with ``P = (X'X + l2 I)^-1``, diagonal zero; score = X B.
* **Recommendations** leave out every item the person already interacted with (so also
  what they bought) and list the ``k`` best, ties by item id.
* **Time split**: with ``E`` the end of the data and ``T = E - horizon_days``, the model
  sees the interactions before ``T``; a person is evaluated when they had one before ``T``
  and a new item in ``[T, E)``. ``recall_at_k`` = new items among the top ``k`` / new
  items (mean over persons), ``ndcg_at_k`` the normalised discounted cumulative gain. The
  **popularity** baseline recommends the items most persons interacted with before ``T``.
* ``recommendations`` are fitted on all interactions (up to ``E``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from wegweiser.analysis._time import epoch_us
from wegweiser.analysis.filters import property_value
from wegweiser.analysis.params import Params
from wegweiser.analysis.predict._model import data_end
from wegweiser.analysis.registry import Analysis, Chart, Words
from wegweiser.analysis.result import Result, to_frame

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from scipy import sparse

    from wegweiser.analysis.registry import Inputs

__all__ = ["RecommendParams", "RecommendResult", "interactions", "item_categories", "recommend",
           "top_k"]

ITEM_KEY = "product_id"
CATEGORY_KEY = "category"
Method = Literal["knn", "ease"]


@dataclass(frozen=True)
class RecommendResult(Result):
    """``summary`` (method, recall_at_k, ndcg_at_k, persons per method on the time split)
    and ``recommendations`` (person_id, rank, item, score)."""

    summary: pd.DataFrame
    recommendations: pd.DataFrame
    note: str = field(default="", kw_only=True)


def interactions(journey: ir.Table) -> pd.DataFrame:
    """``(person_id, item, first_us)``: each person-item pair with an interaction and the
    time of the first one (microseconds since the epoch)."""
    item = property_value(journey.properties, ITEM_KEY)
    t = journey.mutate(_item=item, _us=epoch_us(journey.timestamp)).filter(item.notnull())
    pairs = t.group_by("person_id", "_item").agg(first_us=t._us.min())
    frame = to_frame(pairs.rename(item="_item"))
    return frame.sort_values(["person_id", "item"], ignore_index=True)


def item_categories(journey: ir.Table) -> pd.DataFrame:
    """``(item, category)``: the ``category`` property of each item's latest interaction
    that carries one (ties: the larger category); items never seen with one are left out."""
    item = property_value(journey.properties, ITEM_KEY)
    category = property_value(journey.properties, CATEGORY_KEY)
    t = journey.mutate(_item=item, _category=category).filter(
        item.notnull() & category.notnull())
    pairs = to_frame(t.group_by("_item", "_category").agg(last=t.timestamp.max()))
    pairs = pairs.rename(columns={"_item": "item", "_category": "category"})
    pairs = pairs.sort_values(["item", "last", "category"], ignore_index=True)
    latest = pairs.drop_duplicates("item", keep="last")[["item", "category"]]
    return latest.reset_index(drop=True)


def _matrix(pairs: pd.DataFrame, persons: list[str], items: list[str]) -> sparse.csr_matrix:
    from scipy import sparse

    row = pd.Index(persons).get_indexer(pd.Index(pairs["person_id"]))
    col = pd.Index(items).get_indexer(pd.Index(pairs["item"]))
    keep = (row >= 0) & (col >= 0)
    data = np.ones(int(keep.sum()))
    x = sparse.csr_matrix((data, (row[keep], col[keep])), shape=(len(persons), len(items)))
    x.data[:] = 1.0  # duplicates summed: back to 0/1
    return x


def item_weights(x: sparse.csr_matrix, *, method: Method, neighbours: int = 20,
                 l2: float = 50.0) -> np.ndarray:
    """The item x item weights of ``method`` (see the module docstring)."""
    gram = np.asarray((x.T @ x).todense(), dtype=float)
    if method == "ease":
        p = np.linalg.inv(gram + l2 * np.eye(len(gram)))
        b = -p / np.diag(p)
        np.fill_diagonal(b, 0.0)
        out: np.ndarray = b
        return out
    norms = np.sqrt(np.diag(gram))
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = np.nan_to_num(gram / np.outer(norms, norms))
    np.fill_diagonal(sim, 0.0)
    if neighbours < len(sim):
        cut = np.sort(sim, axis=0)[-neighbours, :]  # each item's k-th largest (per column)
        sim = np.where(sim >= cut[np.newaxis, :], sim, 0.0)
    kept: np.ndarray = sim
    return kept


def top_k(scores: np.ndarray, seen: sparse.csr_matrix, k: int) -> np.ndarray:
    """Per row the indices of the ``k`` highest scores among the unseen items (ties: the
    lower index), -1 where fewer are left."""
    s = scores.astype(float).copy()
    s[seen.nonzero()] = -np.inf
    order = np.lexsort((np.broadcast_to(np.arange(s.shape[1]), s.shape), -s), axis=1)[:, :k]
    picked = np.take_along_axis(s, order, axis=1)
    return np.where(np.isfinite(picked), order, -1)


def _evaluate(top: np.ndarray, truth: list[set[int]], k: int) -> tuple[float, float]:
    recalls, ndcgs = [], []
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for row, relevant in zip(top, truth, strict=True):
        hits = np.array([i in relevant for i in row[:k]], dtype=float)
        recalls.append(hits.sum() / len(relevant))
        ideal = discounts[: min(len(relevant), k)].sum()
        ndcgs.append(float((hits * discounts[: len(hits)]).sum() / ideal))
    return float(np.mean(recalls)), float(np.mean(ndcgs))


def recommend(journey: ir.Table, *, method: Method = "ease", k: int = 10,
              horizon_days: int = 14, neighbours: int = 20, l2: float = 50.0,
              per_person: int = 10) -> RecommendResult:
    """Evaluate ``method`` against popularity on the time split and recommend
    ``per_person`` items to each person (see the module docstring)."""
    end = data_end(journey)
    cut_us = int((end - dt.timedelta(days=horizon_days)).timestamp() * 1_000_000)
    pairs = interactions(journey)
    if pairs.empty:  # a finding, not a failure: the report shows the note
        return RecommendResult(
            summary=pd.DataFrame(columns=["method", "recall_at_k", "ndcg_at_k", "k", "persons",
                                          "cutoff"]),
            recommendations=pd.DataFrame(columns=["person_id", "rank", "item", "score"]),
            params={"scored_at": end.date().isoformat(), "items": 0},
            note=f"no product interactions: no event has a {ITEM_KEY!r} property, so there "
                 "is nothing to recommend from")
    items = sorted(pairs["item"].unique())
    before = pairs[pairs["first_us"] < cut_us]
    persons = sorted(before["person_id"].unique())
    x = _matrix(before, persons, items)
    new = pairs[(pairs["first_us"] >= cut_us) & pairs["person_id"].isin(persons)]
    item_at = {item: i for i, item in enumerate(items)}
    person_at = {person: i for i, person in enumerate(persons)}
    truth_of = new.groupby("person_id")["item"].apply(lambda s: {item_at[i] for i in s})
    rows = [person_at[p] for p in truth_of.index]
    rows_summary = []
    if rows:
        xe = x[rows]
        truth = list(truth_of)
        weights = item_weights(x, method=method, neighbours=neighbours, l2=l2)
        popular = np.asarray(x.sum(axis=0)).ravel()
        for name, scores in ((method, xe @ weights),
                             ("popularity", np.tile(popular, (len(rows), 1)))):
            recall, ndcg = _evaluate(top_k(np.asarray(scores), xe, k), truth, k)
            rows_summary.append({"method": name, "recall_at_k": recall, "ndcg_at_k": ndcg,
                                 "k": k, "persons": len(rows),
                                 "cutoff": (end - dt.timedelta(days=horizon_days)).date()
                                 .isoformat()})
    summary = pd.DataFrame(rows_summary, columns=["method", "recall_at_k", "ndcg_at_k", "k",
                                                  "persons", "cutoff"])
    everyone = sorted(pairs["person_id"].unique())
    xa = _matrix(pairs, everyone, items)
    scores = xa @ item_weights(xa, method=method, neighbours=neighbours, l2=l2)
    top = top_k(np.asarray(scores), xa, per_person)
    person_idx, rank = np.nonzero(top >= 0)
    item_idx = top[person_idx, rank]
    recs = pd.DataFrame({
        "person_id": np.asarray(everyone, dtype=object)[person_idx], "rank": rank + 1,
        "item": np.asarray(items, dtype=object)[item_idx],
        "score": np.asarray(scores)[person_idx, item_idx],
    })
    return RecommendResult(summary=summary, recommendations=recs,
                           params={"scored_at": end.date().isoformat(), "items": len(items)})


# -- registry ---------------------------------------------------------------------------------
class RecommendParams(Params):
    """Next-best offer: products to recommend to each person, from product interactions.

    Interactions are events with a product_id property. EASE (a closed-form item model) or
    item-kNN (cosine) score every product a person has not interacted with yet (so nothing
    already bought is offered again). Evaluated on a time split against the most popular
    products: recall and NDCG of the top k on the products each person turned to in the
    last N days. recommendations: the best products per person, fitted on all data.
    """

    method: Method = Field("ease", description="ease (closed form) or knn (item cosine).")
    k: Annotated[int, Field(ge=1, le=100)] = Field(10, description="Cut-off of recall/NDCG.")
    horizon_days: Annotated[int, Field(ge=1, le=365)] = Field(
        14, description="Days at the end held out for the evaluation.")
    neighbours: Annotated[int, Field(ge=1, le=1000)] = Field(
        20, description="item-kNN: similar items kept per item.")
    l2: Annotated[float, Field(gt=0, le=1e6)] = Field(50.0, description="EASE: L2 penalty.")
    per_person: Annotated[int, Field(ge=1, le=100)] = Field(
        10, description="Recommendations per person.")


def _compute(inputs: Inputs, p: RecommendParams) -> RecommendResult:
    return recommend(inputs.journey(), method=p.method, k=p.k, horizon_days=p.horizon_days,
                     neighbours=p.neighbours, l2=p.l2, per_person=p.per_person)


ANALYSIS = Analysis(
    name="recommend",
    group="predict",
    renumber=False,
    params=RecommendParams,
    compute=_compute,
    title=Words("Next-best offer", "Nächstes bestes Angebot"),
    summary=Words("Products to offer each person, checked against popularity",
                  "Produkte für jede Person, geprüft gegen die beliebtesten"),
    views={"summary": "summary", "recommendations": "recommendations"},
    charts=(Chart("bar", "summary", x="method", y=("recall_at_k", "ndcg_at_k"),
                  format="percent",
                  title=Words("Recall and NDCG of the top k: model vs popularity",
                              "Recall und NDCG der besten k: Modell gegen Beliebtheit")),),
    report=True,
)
