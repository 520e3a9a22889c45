"""The ``scores`` table: each person's predicted score per model (named store operations).

One row per (person, model): ``score`` (a probability), the model ``version``, the day the
score describes (``scored_at``: the end of the data it was computed from) and when it was
fitted. :func:`replace_scores` swaps one model's rows in one transaction, so a reader sees
the old or the new scores, never a mix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd

    from wegweiser.store.engine import Engine

__all__ = ["read_scores", "replace_scores", "score_models"]

_COLUMNS = ("person_id", "model", "score", "version", "scored_at", "fitted_at")


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


def read_scores(engine: Engine, model: str | None = None) -> pd.DataFrame:
    """The stored scores (all models, or ``model``), ordered by model and person."""
    where, params = ("WHERE model = ?", [model]) if model is not None else ("", None)
    return engine.df(
        f"SELECT {', '.join(_COLUMNS)} FROM scores {where} ORDER BY model, person_id", params
    )


def score_models(engine: Engine) -> list[str]:
    """The models with stored scores, sorted."""
    return [str(r[0]) for r in engine.execute(
        "SELECT DISTINCT model FROM scores ORDER BY model").rows]
