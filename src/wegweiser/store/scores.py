"""The ``scores`` table: each person's predicted score per model (named store operations).

One row per (person, model): ``score`` (a probability), the model ``version``, the day the
score describes (``scored_at``: the end of the data it was computed from) and when it was
fitted. :func:`replace_scores` swaps one model's rows in one transaction, so a reader sees
the old or the new scores, never a mix.

The ``recommendations`` table holds each person's next-best offers the same way: one row
per person and ``rank`` (1 = best) with the ``item``, its ``category`` (when the product
events carry one), the model's ``score`` and ``version``, ``scored_at`` and ``fitted_at``;
:func:`replace_recommendations` swaps them all in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.store.engine import Engine

__all__ = ["read_recommendations", "read_scores", "replace_recommendations", "replace_scores",
           "score_models"]

_COLUMNS = ("person_id", "model", "score", "version", "scored_at", "fitted_at")
_RECOMMENDATION_COLUMNS = ("person_id", "rank", "item", "category", "score", "version",
                           "scored_at", "fitted_at")


def replace_scores(engine: Engine, model: str, frame: pd.DataFrame) -> int:
    """Replace the rows of ``model`` by ``frame`` (person_id, score, version, scored_at,
    fitted_at); returns the number of rows written."""
    rows = frame.assign(model=model)[list(_COLUMNS)]
    name = "_scores_in"
    engine.register(name, pa.Table.from_pandas(rows, preserve_index=False))
    try:
        with engine.transaction():
            engine.run("DELETE FROM scores WHERE model = ?", [model])
            engine.run(
                "INSERT INTO scores SELECT person_id, model, score, version, "
                f"CAST(scored_at AS DATE), CAST(fitted_at AS TIMESTAMPTZ) FROM {name}"
            )
    finally:
        engine.unregister(name)
    return len(rows)


def _ids(engine: Engine, table: str, person_ids: list[str]) -> list[str]:
    """``person_ids`` to bind, or none when ``table`` (constant text) holds no rows: the
    answer is the same, and binding a list costs ~1 us per id (an import batch asks for
    100k persons, most projects have no scores)."""
    if len(person_ids) > 1000 and not engine.scalar(f"SELECT EXISTS (FROM {table})"):
        return []
    return list(person_ids)


def read_scores(engine: Engine, model: str | None = None, *,
                person_ids: list[str] | None = None) -> pd.DataFrame:
    """The stored scores (all models, or ``model``; of ``person_ids``, or everyone's),
    ordered by model and person."""
    clauses: list[str] = []
    params: dict[str, object] = {}
    if model is not None:
        clauses.append("model = $model")
        params["model"] = model
    if person_ids is not None:
        clauses.append("person_id IN (SELECT unnest($ids))")  # a hash semi-join
        params["ids"] = _ids(engine, "scores", person_ids)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return engine.df(
        f"SELECT {', '.join(_COLUMNS)} FROM scores {where} ORDER BY model, person_id",
        params or None,
    )


def score_models(engine: Engine) -> list[str]:
    """The models with stored scores, sorted."""
    return [str(r[0]) for r in engine.execute(
        "SELECT DISTINCT model FROM scores ORDER BY model").rows]


def replace_recommendations(engine: Engine, frame: pd.DataFrame) -> int:
    """Replace every stored recommendation by ``frame`` (person_id, rank, item, category,
    score, version, scored_at, fitted_at); returns the number of rows written."""
    rows = frame[list(_RECOMMENDATION_COLUMNS)].astype({"category": "object"})
    name = "_recommendations_in"
    engine.register(name, pa.Table.from_pandas(rows, preserve_index=False))
    try:
        with engine.transaction():
            engine.run("DELETE FROM recommendations")
            engine.run(
                "INSERT INTO recommendations SELECT person_id, CAST(rank AS INTEGER), item, "
                "CAST(category AS VARCHAR), score, version, CAST(scored_at AS DATE), "
                f"CAST(fitted_at AS TIMESTAMPTZ) FROM {name}"
            )
    finally:
        engine.unregister(name)
    return len(rows)


def read_recommendations(engine: Engine, person_ids: list[str] | None = None, *,
                         limit: int | None = None) -> pd.DataFrame:
    """The stored recommendations (of ``person_ids``, or everyone's), the best ``limit`` per
    person, ordered by person and rank."""
    clauses: list[str] = []
    params: dict[str, object] = {}
    if person_ids is not None:
        clauses.append("person_id IN (SELECT unnest($ids))")  # a hash semi-join
        params["ids"] = _ids(engine, "recommendations", person_ids)
    if limit is not None:
        clauses.append("rank <= $limit")
        params["limit"] = int(limit)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return engine.df(
        f"SELECT {', '.join(_RECOMMENDATION_COLUMNS)} FROM recommendations {where} "
        "ORDER BY person_id, rank", params or None)
