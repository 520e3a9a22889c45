"""Scores as data: fit the prediction models and keep each person's score in the store.

:class:`ProjectScores` is the part of :class:`~wegweiser.project.Project` that refits the
models (``propensity``, ``churn``: :mod:`wegweiser.analysis.predict`) and stores one score
per person and model in the ``scores`` table (:mod:`wegweiser.store.scores`) with the model
version, the day it describes and when it was fitted; with them it refits the next-best
offers (``recommend``) and keeps each person's best ones in the ``recommendations`` table,
which journey templates read (``recommendations[0].item``). Stored scores are what the filter
``score:churn>0.7`` (segments, every analysis) and the journeys read; ``wegweiser scores
refit`` is the command a scheduler (cron, a systemd timer) runs to keep them fresh, and
``wegweiser serve`` refits them itself with ``[scores] refit_days`` (:meth:`refit_scores_if_due`).
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import TYPE_CHECKING, Any

import pandas as pd

from wegweiser.errors import InvalidInput
from wegweiser.store import scores as store_scores

if TYPE_CHECKING:
    from pathlib import Path

    from wegweiser.config import Config
    from wegweiser.store.engine import Engine

#: the models whose scores are stored
MODELS = ("propensity", "churn")
#: the next-best offers (``predict recommend``), refitted with the scores
RECOMMEND = "recommend"
#: what ``wegweiser scores refit`` refits by default
REFIT = (*MODELS, RECOMMEND)
#: offers kept per person
OFFERS_KEPT = 5
#: the UTC day of the last scheduled refit (tried), in the project folder
REFIT_STAMP = "scores-refit.stamp"


class ProjectScores:
    """Refit and read the stored scores (a mixin of :class:`~wegweiser.project.Project`)."""

    _engine: Engine
    path: Path
    config: Config

    def analyse(self, name: str, params: Any = None, /, **options: Any) -> Any:
        raise NotImplementedError  # pragma: no cover (Project's)

    def journey(self) -> Any:
        raise NotImplementedError  # pragma: no cover (Project's)

    def refit_scores(self, models: list[str] | None = None, *,
                     horizon_days: int = 14) -> pd.DataFrame:
        """Fit each model (default: all of :data:`REFIT`) on the whole journey, store every
        person's score (``recommend``: their best :data:`OFFERS_KEPT` offers) and return
        one row per model: model, version, scored_at, persons, auc and ece on the time
        split (``recommend``: recall_at_k of the model and of the popularity baseline)."""
        chosen = list(models or REFIT)
        for name in chosen:
            _check_model(name, allowed=REFIT)
        fitted_at = dt.datetime.now(dt.UTC)
        rows = []
        for name in chosen:
            if name == RECOMMEND:
                rows.append(self._refit_recommendations(horizon_days, fitted_at))
                continue
            result = self.analyse(name, horizon_days=horizon_days, importance=False)
            picked = result.summary[result.summary["chosen"].astype(bool)]
            if picked.empty:  # too little history: no model (the stored scores are kept)
                raise InvalidInput(f"cannot refit {name}: {result.note}")
            frame = result.scores.assign(version=result.params["model_version"],
                                         scored_at=result.params["scored_at"],
                                         fitted_at=fitted_at)
            n = store_scores.replace_scores(self._engine, name, frame)
            model = picked.iloc[0]
            rows.append({"model": name, "version": result.params["model_version"],
                         "scored_at": result.params["scored_at"], "persons": n,
                         "predictor": str(model["model"]),
                         "auc": float(model["auc"]), "ece": float(model["ece"])})
        return pd.DataFrame(rows)

    def refit_scores_if_due(self, *, now: dt.datetime | None = None) -> pd.DataFrame | None:
        """:meth:`refit_scores` when ``[scores] refit_days`` says it is due: the day of the
        last try is kept in :data:`REFIT_STAMP`, and a try that fails (too little history)
        waits for the next period too, so a server does not refit on every import. None when
        nothing was due."""
        every = self.config.scores.refit_days
        if every is None:
            return None
        today = (now or dt.datetime.now(dt.UTC)).date()
        stamp = self.path / REFIT_STAMP
        if stamp.is_file():
            try:
                last = dt.date.fromisoformat(stamp.read_text(encoding="utf-8").strip())
            except ValueError:
                last = None  # a damaged stamp: refit, and write a good one
            if last is not None and (today - last).days < every:
                return None
        stamp.write_text(today.isoformat() + "\n", encoding="utf-8")
        models = [str(m) for m in self.config.scores.models or ()] or None
        return self.refit_scores(models, horizon_days=self.config.scores.horizon_days)

    def _refit_recommendations(self, horizon_days: int,
                               fitted_at: dt.datetime) -> dict[str, Any]:
        from wegweiser.analysis.predict.recommend import item_categories

        result = self.analyse(RECOMMEND, horizon_days=horizon_days, per_person=OFFERS_KEPT)
        method = str(result.summary["method"].iloc[0]) if len(result.summary) else "ease"
        version = f"{method}-1"
        recs = result.recommendations
        categories = item_categories(self.journey()) if len(recs) else None
        frame = recs.merge(categories, on="item", how="left") if categories is not None \
            else recs.assign(category=None)
        frame = frame.assign(version=version, scored_at=result.params["scored_at"],
                             fitted_at=fitted_at)
        store_scores.replace_recommendations(self._engine, frame)
        by = dict(zip(result.summary["method"], result.summary["recall_at_k"], strict=True))
        return {"model": RECOMMEND, "version": version,
                "scored_at": result.params["scored_at"],
                "persons": int(recs["person_id"].nunique()),
                "recall_at_k": by.get(method, float("nan")),
                "popularity_recall_at_k": by.get("popularity", float("nan"))}

    def recommendations(self, person_ids: list[str] | None = None) -> pd.DataFrame:
        """The stored next-best offers (of ``person_ids``, or everyone's): person_id, rank,
        item, category, score, version, scored_at, fitted_at; empty before the first
        ``wegweiser scores refit``."""
        return store_scores.read_recommendations(self._engine, person_ids)

    def save_scores(self, model: str, scores: pd.DataFrame, *, version: str,
                    scored_at: dt.date | None = None) -> int:
        """Store ``scores`` (columns person_id, score in [0, 1]) as the scores of ``model``,
        replacing its earlier ones: scores fitted elsewhere, or kept from a notebook."""
        _check_model(model)
        missing = {"person_id", "score"} - set(scores.columns)
        if missing:
            raise InvalidInput(f"scores need the columns person_id and score; missing "
                               f"{', '.join(sorted(missing))}")
        bad = scores["score"].isna() | ~scores["score"].between(0, 1)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InvalidInput(f"score in row {row} is {scores['score'].iloc[row]!r}; "
                               "scores are probabilities between 0 and 1")
        if scores["person_id"].duplicated().any():
            raise InvalidInput("scores hold a person twice: one score per person and model")
        now = dt.datetime.now(dt.UTC)
        frame = scores[["person_id", "score"]].assign(
            version=version, scored_at=scored_at or now.date(), fitted_at=now)
        return store_scores.replace_scores(self._engine, model, frame)

    def scores(self, model: str | None = None, *,
               person_ids: list[str] | None = None) -> pd.DataFrame:
        """The stored scores (of ``person_ids``, or everyone's): person_id, model, score,
        version, scored_at, fitted_at."""
        if model is not None:
            _check_model(model)
        return store_scores.read_scores(self._engine, model, person_ids=person_ids)

    def score_table(self, model: str) -> Any:
        """``(person_id, score)`` of the stored ``model`` as an Ibis table (bounded: one row
        per person) for filters; :class:`InvalidInput` when it was never fitted."""
        import ibis

        _check_model(model)
        frame = store_scores.read_scores(self._engine, model)
        if frame.empty:
            raise InvalidInput(f"no stored {model} scores: run `wegweiser scores refit` first")
        return ibis.memtable(frame[["person_id", "score"]])


def _check_model(name: str, allowed: tuple[str, ...] = MODELS) -> None:
    if name not in allowed:
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidInput(f"unknown score model {name!r}; use one of {', '.join(allowed)}."
                           f"{hint}")
